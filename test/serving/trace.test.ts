import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseCsvTrace,
  parseJsonlTrace,
  readTrace,
  syntheticTrace,
  TraceError,
  traceToCsv,
} from "../../src/serving/index.js";
import { parseTimestamp } from "../../src/serving/trace/parse.js";

const AZURE = new URL("../../../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", import.meta.url);
const GSM8K = new URL("../../../shared/data/gsm8k/test.jsonl", import.meta.url);

describe("trace readers", () => {
  it("reads the project CSV format and sorts by arrival", () => {
    const t = parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n2,10,5\n0.5,3,1\n", "t.csv");
    expect(t.requests).toEqual([
      { id: 0, arrival: 0.5, promptTokens: 3, outputTokens: 1 },
      { id: 1, arrival: 2, promptTokens: 10, outputTokens: 5 },
    ]);
  });

  it("reads the Azure 2023 header and timestamps as relative seconds", () => {
    const t = parseCsvTrace(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n",
      "az.csv",
    );
    expect(t.requests.map((r) => r.arrival)).toEqual([0, 4.314579]);
    expect(t.requests[1]!.promptTokens).toBe(396);
    expect(parseTimestamp("2023-11-16 18:15:46.5")).toBeCloseTo(
      Date.UTC(2023, 10, 16, 18, 15, 46) / 1000 + 0.5,
      6,
    );
  });

  it("reads JSONL with aliases", () => {
    const t = parseJsonlTrace(
      '{"arrival": 1, "prompt_tokens": 4, "output_tokens": 2}\n\n{"promptTokens": 5, "outputTokens": 1}\n',
      "t.jsonl",
    );
    expect(t.requests.map((r) => [r.arrival, r.promptTokens, r.outputTokens])).toEqual([
      [0, 5, 1],
      [1, 4, 2],
    ]);
  });

  it("names the line of a malformed row", () => {
    expect(() => parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n0,1,1\n0,abc,1\n", "t.csv")).toThrow(
      't.csv: line 3: prompt_tokens "abc" is not a number; give a positive integer',
    );
  });

  it("rejects zero and negative lengths and negative arrivals with the line", () => {
    const e = (() => {
      try {
        parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n0,1,0\n", "t.csv");
      } catch (x) {
        return x as TraceError;
      }
    })();
    expect(e).toBeInstanceOf(TraceError);
    expect(e!.message).toBe(
      "t.csv: line 2: output_tokens 0 is not positive; every request needs ≥ 1 prompt and ≥ 1 output token",
    );
    expect(() => parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n0,-4,2\n", "t.csv")).toThrow(
      "line 2: prompt_tokens -4 is not positive",
    );
    expect(() => parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n-1,4,2\n", "t.csv")).toThrow(
      "line 2: arrival -1 is negative",
    );
    expect(() => parseJsonlTrace('{"prompt_tokens": 1}\n', "t.jsonl")).toThrow(
      "t.jsonl: line 1: no output_tokens field",
    );
  });

  it("rejects empty traces and headers without token columns", () => {
    expect(() => parseCsvTrace("", "e.csv")).toThrow("e.csv: the trace is empty");
    expect(() => parseCsvTrace("arrival_s,prompt_tokens,output_tokens\n", "e.csv")).toThrow(
      "e.csv: the trace has no requests",
    );
    expect(() => parseCsvTrace("a,b,c\n1,2,3\n", "e.csv")).toThrow("e.csv: line 1: header");
    expect(() => parseJsonlTrace("\n", "e.jsonl")).toThrow("e.jsonl: the trace has no requests");
  });

  it("round-trips any valid trace through CSV (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            a: fc.integer({ min: 0, max: 1e6 }),
            p: fc.integer({ min: 1, max: 1e5 }),
            o: fc.integer({ min: 1, max: 1e5 }),
          }),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (rows) => {
          const csv = `arrival_s,prompt_tokens,output_tokens\n${rows.map((r) => `${r.a / 1000},${r.p},${r.o}`).join("\n")}\n`;
          const t = parseCsvTrace(csv, "p.csv");
          const back = parseCsvTrace(traceToCsv(t, "comment"), "q.csv");
          expect(back.requests).toEqual(t.requests);
          expect(t.requests.length).toBe(rows.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("never throws anything but TraceError on arbitrary text (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseCsvTrace(`arrival_s,prompt_tokens,output_tokens\n${s}`, "f.csv");
        } catch (e) {
          expect(e).toBeInstanceOf(TraceError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("synthetic traces are reproducible by seed", () => {
    const o = {
      requests: 50,
      ratePerSecond: 2,
      prompt: { kind: "lognormal" as const, median: 100, sigma: 0.5 },
      output: { kind: "uniform" as const, min: 1, max: 9 },
      seed: 3,
    };
    expect(syntheticTrace(o)).toEqual(syntheticTrace(o));
    expect(syntheticTrace({ ...o, seed: 4 }).requests).not.toEqual(syntheticTrace(o).requests);
    const t = syntheticTrace(o);
    expect(t.requests.every((r, i) => i === 0 || r.arrival >= t.requests[i - 1]!.arrival)).toBe(true);
  });

  it.skipIf(!existsSync(AZURE))("reads the whole Azure conversation trace as published", async () => {
    const t = await readTrace(AZURE.pathname);
    expect(t.requests.length).toBe(19366);
    expect(t.requests[0]).toEqual({ id: 0, arrival: 0, promptTokens: 374, outputTokens: 44 });
  });

  it.skipIf(!existsSync(GSM8K))(
    "the shipped GSM8K trace is what the builder makes from test.jsonl",
    async () => {
      const { gsm8kTrace } = await import("../../src/serving/index.js");
      const built = await gsm8kTrace(await readFile(GSM8K, "utf8"), "test.jsonl");
      const shipped = parseCsvTrace(
        await readFile(new URL("../../presets/serving/gsm8k-test-llama.csv", import.meta.url), "utf8"),
        "shipped.csv",
      );
      expect(built.requests.length).toBe(1319);
      expect(shipped.requests).toEqual(built.requests);
    },
  );
});
