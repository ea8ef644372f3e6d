/**
 * `serving batch` end to end against a TEST DOUBLE: the loopback continuous-batching emulator of
 * test/helpers/batching-server.ts stands in for real OpenAI-compatible servers (vLLM, SGLang,
 * llama.cpp), which this machine cannot run. Every request answered once, concurrency limits held,
 * faults retried, resume after an interrupt, and the measured makespan next to the simulator's
 * prediction for the emulated profile.
 */
import { readFileSync } from "node:fs";
import { appendFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { prepareBatch, runBatch } from "../../src/serving/batch/run.js";
import { simulateDispatch } from "../../src/serving/batch/sim-adapter.js";
import { batchSummary, predictRun } from "../../src/serving/batch/summary.js";
import { builtinProfile, lowerBound, syntheticTrace } from "../../src/serving/index.js";
import { createPredictor } from "../../src/serving/predict/spec.js";
import type { Profile } from "../../src/serving/profile/schema.js";
import { type BatchingServer, type Fault, startBatchingServer } from "../helpers/batching-server.js";

let dir = "";
const servers: BatchingServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "frugal-batch-"));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(opts: Parameters<typeof startBatchingServer>[0]): Promise<BatchingServer> {
  const s = await startBatchingServer(opts);
  servers.push(s);
  return s;
}

let files = 0;
/** A batch file: request k is a chat request whose user message is its custom_id (the emulator's key). */
async function batchFile(maxTokens: number[], url = "/v1/chat/completions"): Promise<string> {
  const f = join(dir, `in-${++files}.jsonl`);
  const lines = maxTokens.map((m, k) =>
    JSON.stringify({
      custom_id: `req-${k}`,
      method: "POST",
      url,
      body:
        url === "/v1/chat/completions"
          ? { model: "m", messages: [{ role: "user", content: `req-${k}` }], max_tokens: m }
          : { model: "m", prompt: `req-${k}`, max_tokens: m },
    }),
  );
  await writeFile(f, `${lines.join("\n")}\n`);
  return f;
}
const outFile = () => join(dir, `out-${++files}.jsonl`);
const resultLines = (f: string) =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(
      (l) => JSON.parse(l) as { custom_id: string; response: { status_code: number } | null; error: unknown },
    );

/** Deterministic pseudo-random lengths in [lo, hi]. */
function lengths(n: number, lo: number, hi: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return lo + (x % (hi - lo + 1));
  });
}

const fastRetry = { backoffMs: 5, maxBackoffMs: 20, retries: 3, timeoutMs: 10_000 };

describe("serving batch on the loopback emulator (a test double for real servers)", () => {
  it("answers every request once, in the output format, and holds the concurrency limit", async () => {
    const a = await serve({ stepMs: 2, perRequestMs: 0, maxBatch: 8 });
    const b = await serve({ stepMs: 2, perRequestMs: 0, maxBatch: 8 });
    const input = await batchFile(lengths(40, 1, 12));
    const out = outFile();
    for (const policy of ["hybrid", "round-robin", "least-work"]) {
      const o = `${out}.${policy}`;
      const r = await runBatch({
        input,
        out: o,
        endpoints: [a.url, b.url],
        policy,
        maxConcurrency: 3,
        predictor: { name: "max-tokens", params: {} },
        retry: fastRetry,
      });
      expect(r.status).toBe("completed");
      const lines = resultLines(o);
      expect(lines.map((l) => l.custom_id).sort()).toEqual(
        Array.from({ length: 40 }, (_, k) => `req-${k}`).sort(),
      );
      for (const l of lines) expect(l.response?.status_code).toBe(200);
      expect(r.records.every((x) => x.outputTokens !== null && x.firstTokenSeconds !== null)).toBe(true);
    }
    // three runs of 40 requests, each request served once per run
    expect(a.served.length + b.served.length).toBe(120);
    expect(Math.max(a.maxOpen, b.maxOpen)).toBeLessThanOrEqual(3);
    expect(a.served.length).toBeGreaterThan(0);
    expect(b.served.length).toBeGreaterThan(0);
    // the emulator's token counts reach the results: usage.completion_tokens = max_tokens
    const body = JSON.parse(readFileSync(`${out}.hybrid`, "utf8").split("\n")[0] as string).response.body;
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
  });

  it("without streaming: answers from the JSON body, output lengths from usage, no TTFT", async () => {
    const s = await serve({ stepMs: 2, perRequestMs: 0, maxBatch: 8, tokenize: false });
    const input = await batchFile(lengths(6, 2, 9), "/v1/completions");
    const out = outFile();
    const r = await runBatch({
      input,
      out,
      endpoints: [s.url],
      maxConcurrency: 2,
      stream: false,
      retry: fastRetry,
    });
    expect(r.status).toBe("completed");
    expect(r.streamed).toBe(false);
    expect(s.served.every((x) => !x.stream)).toBe(true);
    expect(r.records.map((x) => x.outputTokens ?? 0).sort((x, y) => x - y)).toEqual(
      lengths(6, 2, 9).sort((x, y) => x - y),
    );
    expect(r.records.every((x) => x.firstTokenSeconds === null)).toBe(true);
    // no /tokenize on this server: prompt tokens counted locally or by characters, and said so
    expect(r.prepared.tokenSources.server).toBe(0);
    expect(resultLines(out)).toHaveLength(6);
  });

  it("restart empties the results file and sends everything again; resume sends nothing", async () => {
    const s = await serve({ stepMs: 2, perRequestMs: 0, maxBatch: 8 });
    const input = await batchFile(lengths(5, 1, 4));
    const out = outFile();
    await runBatch({ input, out, endpoints: [s.url], retry: fastRetry });
    const resumed = await runBatch({ input, out, endpoints: [s.url], retry: fastRetry });
    expect(resumed.records).toHaveLength(0);
    expect(s.served).toHaveLength(5);
    const again = await runBatch({ input, out, endpoints: [s.url], retry: fastRetry, restart: true });
    expect(again.records).toHaveLength(5);
    expect(s.served).toHaveLength(10);
    expect(resultLines(out)).toHaveLength(5);
  });

  it("retries 429/5xx and dropped connections; writes a permanent failure with its error, once", async () => {
    const fault = ({ key, attempt }: { key: string; attempt: number }): Fault | null => {
      if (key === "req-0" && attempt <= 2) return { kind: "status", status: 503 };
      if (key === "req-1" && attempt === 1) return { kind: "status", status: 429 };
      if (key === "req-2" && attempt === 1) return { kind: "drop" };
      if (key === "req-3" && attempt === 1) return { kind: "dropAfter", tokens: 2 };
      if (key === "req-4") return { kind: "status", status: 400 };
      if (key === "req-5") return { kind: "drop" };
      return null;
    };
    const s = await serve({ stepMs: 2, perRequestMs: 0, maxBatch: 8, fault });
    const input = await batchFile(lengths(10, 3, 8));
    const out = outFile();
    const r = await runBatch({
      input,
      out,
      endpoints: [s.url],
      maxConcurrency: 4,
      retry: fastRetry,
    });
    expect(r.status).toBe("completed");
    const lines = resultLines(out);
    expect(lines).toHaveLength(10);
    const by = new Map(lines.map((l) => [l.custom_id, l]));
    for (const k of [0, 1, 2, 3, 6, 7, 8, 9]) expect(by.get(`req-${k}`)?.response?.status_code).toBe(200);
    expect(by.get("req-4")?.response?.status_code).toBe(400); // answered: not retried
    expect(by.get("req-5")?.response).toBeNull();
    expect(by.get("req-5")?.error).toMatchObject({ code: "connection_error" });
    expect(s.attempts.get("req-0")).toBe(3);
    expect(s.attempts.get("req-4")).toBe(1);
    expect(s.attempts.get("req-5")).toBe(1 + fastRetry.retries);
    expect(r.retries).toBeGreaterThanOrEqual(2 + 1 + 1 + 1 + fastRetry.retries);
    expect(s.served.filter((x) => x.key === "req-3")).toHaveLength(1);
  });

  it("resumes after an interrupt: requests in the file are skipped, a torn line is repaired, none twice", async () => {
    const s = await serve({ stepMs: 3, perRequestMs: 0, maxBatch: 4 });
    const input = await batchFile(lengths(24, 2, 6));
    const out = outFile();
    const stop = new AbortController();
    const first = await runBatch({
      input,
      out,
      endpoints: [s.url],
      maxConcurrency: 2,
      retry: fastRetry,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.done >= 7) stop.abort();
      },
    });
    expect(first.status).toBe("interrupted");
    const written = resultLines(out).length;
    expect(written).toBeGreaterThanOrEqual(7);
    expect(written).toBeLessThan(24);
    expect(first.cancelled).toBe(0); // waited for the requests in flight
    // a run killed in the middle of a write leaves a torn last line
    await appendFile(out, '{"id":"batch_req_x","custom_id":"req-2');
    const dry = await prepareBatch({ input, out, endpoints: [s.url] });
    expect(dry.pending).toHaveLength(24 - written);
    const second = await runBatch({ input, out, endpoints: [s.url], maxConcurrency: 2, retry: fastRetry });
    expect(second.status).toBe("completed");
    expect(second.records).toHaveLength(24 - written);
    const ids = resultLines(out).map((l) => l.custom_id);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    for (let k = 0; k < 24; k++) expect(s.attempts.get(`req-${k}`)).toBe(1);
  });

  it("a second interrupt cancels the requests in flight: no line for them, a rerun sends them", async () => {
    // outputs of 200+ tokens at 20 ms a step take seconds: none can finish before the cancel
    const s = await serve({ stepMs: 20, perRequestMs: 0, maxBatch: 4 });
    const input = await batchFile(lengths(8, 200, 240), "/v1/completions");
    const out = outFile();
    const stop = new AbortController();
    const cancel = new AbortController();
    const poll = setInterval(() => {
      if (s.maxOpen === 4 && !stop.signal.aborted) {
        stop.abort();
        setTimeout(() => cancel.abort(), 20);
      }
    }, 5);
    const r = await runBatch({
      input,
      out,
      endpoints: [s.url],
      maxConcurrency: 4,
      retry: fastRetry,
      signal: stop.signal,
      cancel: cancel.signal,
    }).finally(() => clearInterval(poll));
    expect(r.status).toBe("interrupted");
    expect(r.cancelled).toBe(4);
    expect(r.notSent).toBe(4);
    expect(resultLines(out)).toHaveLength(0);
    const again = await runBatch({
      input: await batchFile(lengths(8, 1, 3), "/v1/completions"),
      out: outFile(),
      endpoints: [s.url],
      maxConcurrency: 4,
      retry: fastRetry,
    });
    expect(again.status).toBe("completed");
    const dry = await prepareBatch({ input, out, endpoints: [s.url] });
    expect(dry.pending).toHaveLength(8);
  });
});

describe("measured against the simulator's prediction (emulated profile)", () => {
  /** The emulator's step model as a profile: α_p = α_d = a, β_d = b per decoding request, β_p = c per prompt token. */
  function emulatedProfile(aMs: number, bMs: number, cMs: number, maxBatch: number): Profile {
    const base = builtinProfile("llama65b");
    return {
      ...base,
      name: "emulated",
      timeModel: {
        prefill: { alpha: aMs / 1000, beta: cMs / 1000, gamma: 0 },
        decode: { alpha: aMs / 1000, beta: bMs / 1000, delta: 0 },
      },
      client: { ...base.client, maxBatchSize: maxBatch, kvBlocks: 1 << 20, maxBatchedTokens: 1 << 20 },
    };
  }

  it("hybrid's measured makespan is within 10% of the prediction (steps ≥ 20 ms, two waves per endpoint)", async () => {
    // Steps of 20 ms + 1 ms per decoding request: a request that joins a step late (loopback latency,
    // a loaded machine) loses at most one step of ~120 in its endpoint's run, far inside 10%.
    const [a, b, c] = [20, 1, 0.01];
    const s1 = await serve({ stepMs: a, perRequestMs: b, perPromptTokenMs: c, maxBatch: 4 });
    const s2 = await serve({ stepMs: a, perRequestMs: b, perPromptTokenMs: c, maxBatch: 4 });
    const input = await batchFile(lengths(16, 40, 80, 7));
    const out = outFile();
    const profile = emulatedProfile(a, b, c, 4);
    const run = await runBatch({
      input,
      out,
      endpoints: [s1.url, s2.url],
      maxConcurrency: 4,
      predictor: { name: "max-tokens", params: {} },
      profile,
      retry: fastRetry,
    });
    expect(run.status).toBe("completed");
    const predicted = await predictRun(run);
    expect(predicted?.status).toBe("completed");
    const summary = batchSummary(run, predicted);
    const p = summary.predicted;
    expect(p).not.toBeNull();
    // the emulator's own clock: first arrival to last completion, against the client's makespan
    expect(summary.measured.makespanSeconds).toBeGreaterThan(0);
    expect(Math.abs(p?.relativeError ?? 1)).toBeLessThan(0.1);
    expect(summary.requests.succeeded).toBe(16);
  });
});

describe("the simulator's prediction of a batch (sim-adapter)", () => {
  it("runs every request once under each dispatch policy and never beats the lower bound", async () => {
    const prof = builtinProfile("llama65b");
    const t = syntheticTrace({
      requests: 60,
      prompt: { kind: "lognormal", median: 80, sigma: 0.6, max: 400 },
      output: { kind: "lognormal", median: 60, sigma: 0.8, max: 300 },
      seed: 5,
    });
    const items = t.requests.map((r, index) => ({
      index,
      promptTokens: r.promptTokens,
      maxTokens: null,
      sequences: 1,
      outputTokens: r.outputTokens,
    }));
    const lb = lowerBound(t, prof, 3).seconds;
    for (const policy of ["round-robin", "least-work", "hybrid"]) {
      const run = await simulateDispatch({
        items,
        policy,
        endpoints: 3,
        maxConcurrency: 8,
        predictor: createPredictor({ name: "oracle", params: {} }, { truth: true }),
        profile: prof,
        kvCache: "profile",
      });
      expect(run.status).toBe("completed");
      expect(run.requests.every((r) => r.finishTime > 0 && !r.rejected)).toBe(true);
      for (const c of run.clients)
        for (let k = 0; k < c.log.start.length; k++)
          expect((c.log.prefills[k] ?? 0) + (c.log.decodes[k] ?? 0)).toBeLessThanOrEqual(8);
      expect(run.makespan).toBeGreaterThanOrEqual(lb * (1 - 1e-9));
    }
  });
});
