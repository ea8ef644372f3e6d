/**
 * The batch file formats: every error a user can cause in an input or results file, pinned; a
 * property test that the input parser keeps every valid line and its fields, and one that a results
 * file cut anywhere (a run killed mid-write) resumes from exactly its complete lines.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBatchInput } from "../../src/serving/batch/input.js";
import { parseResults } from "../../src/serving/batch/results.js";

const line = (o: unknown) => JSON.stringify(o);
const chat = (id: string, extra: Record<string, unknown> = {}) => ({
  custom_id: id,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "m", messages: [{ role: "user", content: id }], ...extra },
});
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

describe("batch input file", () => {
  it("pins the error of every kind of bad line", () => {
    const cases: [string, string][] = [
      ["{not json", "in.jsonl: line 1: not JSON"],
      [line({ ...chat("a"), method: "GET" }), "in.jsonl: line 1: method"],
      [
        line({ ...chat("a"), url: "/v1/embeddings" }),
        'in.jsonl: line 1: url: Invalid option: expected one of "/v1/chat/completions"|"/v1/completions"',
      ],
      [line({ ...chat("a"), body: { model: "", messages: [{}] } }), "in.jsonl: line 1: body.model: is empty"],
      [
        line({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { model: "m" } }),
        "in.jsonl: line 1: body.messages: is missing (a chat request needs messages)",
      ],
      [
        line({ custom_id: "a", method: "POST", url: "/v1/completions", body: { model: "m" } }),
        "in.jsonl: line 1: body.prompt: is missing (a completion request needs a prompt)",
      ],
      [line(chat("a", { stream: true })), "in.jsonl: line 1: body.stream"],
      [line(chat("a", { max_tokens: 0 })), "in.jsonl: line 1: body.max_tokens"],
      [line({ ...chat("a"), extra: 1 }), 'in.jsonl: line 1: Unrecognized key: "extra"'],
      [
        [line(chat("a")), line(chat("b")), line(chat("a"))].join("\n"),
        'in.jsonl: custom_id "a" is on lines 1, 3',
      ],
      ["\n\n", "in.jsonl: has no requests"],
    ];
    for (const [text, message] of cases)
      expect(errorOf(() => parseBatchInput(text, "in.jsonl"))).toContain(message);
    expect(errorOf(() => parseBatchInput(`${line(chat("a", { stream: true }))}\n`, "in.jsonl"))).toContain(
      "is not supported in a batch",
    );
  });

  it("keeps every valid line in order with its custom_id, url, body and max_tokens (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }), {
          minLength: 30,
          maxLength: 30,
        }),
        fc.boolean(),
        (ids, caps, blank) => {
          const objs = ids.map((id, k) =>
            k % 2
              ? chat(id, caps[k] === undefined ? {} : { max_tokens: caps[k] })
              : {
                  custom_id: id,
                  method: "POST",
                  url: "/v1/completions",
                  body: {
                    model: "m",
                    prompt: id,
                    ...(caps[k] === undefined ? {} : { max_completion_tokens: caps[k] }),
                  },
                },
          );
          const text = objs.map(line).join(blank ? "\n\n" : "\n");
          const reqs = parseBatchInput(text, "x.jsonl");
          expect(reqs.map((r) => r.customId)).toEqual(ids);
          for (const [k, r] of reqs.entries()) {
            expect(r.index).toBe(k);
            expect(r.url).toBe(objs[k]?.url);
            expect(r.body).toEqual(objs[k]?.body);
            expect(r.maxTokens).toBe(caps[k] ?? null);
            expect(r.line).toBe(blank ? 2 * k + 1 : k + 1);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("batch results file", () => {
  const reqs = parseBatchInput(["a", "b", "c"].map((id) => line(chat(id))).join("\n"), "in.jsonl");
  const result = (id: string) => ({
    id: `batch_req_${id}`,
    custom_id: id,
    response: {
      status_code: 200,
      request_id: id,
      body: { usage: { prompt_tokens: 3, completion_tokens: 5 } },
    },
    error: null,
  });

  it("pins the errors of a file that is not this batch's results", () => {
    const hint = "choose another output file, or pass --restart to start over";
    const cases: [string, string][] = [
      ["hello\n", "out.jsonl: line 1: is not JSON, so this is not a results file to resume"],
      [`${line({ custom_id: "a" })}\n`, "out.jsonl: line 1"],
      [`${line(result("z"))}\n`, 'out.jsonl: line 1: custom_id "z" is not a request of this batch'],
      [
        `${line(result("a"))}\n${line(result("a"))}\n`,
        'out.jsonl: line 2: custom_id "a" is already on line 1',
      ],
    ];
    for (const [text, message] of cases) {
      const m = errorOf(() => parseResults(Buffer.from(text), "out.jsonl", reqs));
      expect(m).toContain(message);
      expect(m).toContain(hint);
    }
  });

  it("a file cut at any byte resumes from exactly its complete lines (property)", () => {
    const full = ["a", "b", "c"].map((id) => `${line(result(id))}\n`).join("");
    const buf = Buffer.from(full);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: buf.length }), (cut) => {
        const part = buf.subarray(0, cut);
        const r = parseResults(part, "out.jsonl", reqs);
        const complete = part.toString("utf8").split("\n").length - 1;
        expect(r.lines.size).toBe(complete);
        expect([...r.lines.keys()]).toEqual(["a", "b", "c"].slice(0, complete));
        expect(r.droppedBytes).toBe(cut - (part.lastIndexOf(0x0a) + 1));
      }),
      { numRuns: 200 },
    );
  });
});
