/**
 * Hand-worked cases for the policies. Time model: every iteration costs 1 s (α_p = α_d = 1, all
 * other coefficients 0), so the schedule can be followed on paper.
 */
import { describe, expect, it } from "vitest";
import {
  builtinProfile,
  createPolicy,
  type Profile,
  ProfileSchema,
  policies,
  type Request,
  requestWork,
  runMetrics,
  simulate,
  syntheticTrace,
  type Trace,
} from "../../src/serving/index.js";
import { admission, alignFront, HybridParams } from "../../src/serving/policies/hybrid.js";
import { Client, Seq } from "../../src/serving/sim/state.js";

function profile(client: Partial<Profile["client"]> = {}): Profile {
  return ProfileSchema.parse({
    name: "unit",
    timeModel: { prefill: { alpha: 1, beta: 0 }, decode: { alpha: 1 } },
    client: {
      maxBatchSize: 8,
      kvBlocks: 1000,
      blockSize: 16,
      maxBatchedTokens: 2048,
      watermark: 0,
      ...client,
    },
  });
}
function trace(rows: [number, number, number][]): Trace {
  const requests: Request[] = rows.map(([a, p, o], id) => ({
    id,
    arrival: a,
    promptTokens: p,
    outputTokens: o,
  }));
  return { name: "hand", source: "test", requests };
}
const run = (t: Trace, prof: Profile, policy: string, params = {}, clients = 1) =>
  simulate(t, prof, createPolicy(policy, params), { clients });

describe("vllm-v0 (prefill-first FCFS)", () => {
  it("prefills together, then decodes; a new arrival's prefill pauses the decodes", async () => {
    // t=0..1 prefill A,B (first tokens); 1..2 decode (2nd tokens); C arrives at 1.5;
    // at 2 prefill-first: prefill C 2..3; decode A,B,C 3..4 (A,B done at 4); decode C 4..5 (done).
    const r = await run(
      trace([
        [0, 16, 3],
        [0, 16, 3],
        [1.5, 8, 3],
      ]),
      profile(),
      "vllm-v0",
    );
    expect(r.requests.map((q) => [q.firstTokenTime, q.finishTime])).toEqual([
      [1, 4],
      [1, 4],
      [3, 5],
    ]);
    expect(r.makespan).toBe(5);
    expect(Array.from(r.clients[0]!.log.prefills)).toEqual([2, 0, 1, 0, 0]);
    expect(Array.from(r.clients[0]!.log.decodes)).toEqual([0, 2, 0, 3, 1]);
  });

  it("preempts the latest request by recompute when a block runs out, and recomputes it prefill-first", async () => {
    // blockSize 4, 4 blocks. A,B: p=4, o=6 (3 blocks each at the end). Prefill at 0..1 (1 block each),
    // decodes 1..5 grow to 2 blocks each (all 4 used). At 5 A needs a 3rd block: B (latest) is preempted,
    // A decodes 5..6 and finishes; B recomputes its 9 tokens 6..7 and emits its last token.
    const r = await run(
      trace([
        [0, 4, 6],
        [0, 4, 6],
      ]),
      profile({ blockSize: 4, kvBlocks: 4 }),
      "vllm-v0",
    );
    expect(r.requests.map((q) => [q.firstTokenTime, q.finishTime, q.preemptions])).toEqual([
      [1, 6, 0],
      [1, 7, 1],
    ]);
    expect(Array.from(r.clients[0]!.log.prefills)).toEqual([2, 0, 0, 0, 0, 0, 1]);
  });

  it("respects max_num_seqs and the prompt-token budget (head-of-line, no skipping)", async () => {
    // Budget 20 tokens: A(12) admitted, B(12) does not fit the remaining 8, so C(4) waits behind B.
    const r = await run(
      trace([
        [0, 12, 1],
        [0, 12, 1],
        [0, 4, 1],
      ]),
      profile({ maxBatchedTokens: 20 }),
      "vllm-v0",
    );
    expect(Array.from(r.clients[0]!.log.prefills)).toEqual([1, 2]);
    const s = await run(
      trace([
        [0, 4, 2],
        [0, 4, 2],
        [0, 4, 2],
      ]),
      profile({ maxBatchSize: 2 }),
      "vllm-v0",
    );
    expect(Array.from(s.clients[0]!.log.prefills)).toEqual([2, 0, 1, 0]);
  });

  it("keeps the watermark free when admitting", async () => {
    // 10 blocks, watermark 0.2 → 2 kept free; each prompt of 16 tokens needs 1 block (+1 later).
    const r = await run(
      trace(Array.from({ length: 10 }, () => [0, 16, 1] as [number, number, number])),
      profile({ kvBlocks: 10, watermark: 0.2 }),
      "vllm-v0",
    );
    expect(Array.from(r.clients[0]!.log.prefills)).toEqual([8, 2]);
  });

  it("rejects requests that can never fit the KV cache, with a count, and serves the rest", async () => {
    const r = await run(
      trace([
        [0, 100, 100],
        [0, 4, 2],
      ]),
      profile({ blockSize: 4, kvBlocks: 8 }),
      "vllm-v0",
    );
    expect(r.rejected).toBe(1);
    expect(r.status).toBe("completed");
    expect(r.requests[0]!.rejected).toBe(true);
    expect(r.requests[1]!.finishTime).toBe(2);
    expect(runMetrics(r).completed).toBe(1);
  });
});

describe("vllm-v1 (decode-first, chunked prefill)", () => {
  it("chunks a long prompt under the token budget and mixes decodes with new prefills", async () => {
    // Budget 8. A: p=20 → chunks 8, 8, 4 (first token at 3), then 1 decode (done at 4).
    const r = await run(trace([[0, 20, 2]]), profile({ maxBatchedTokens: 8 }), "vllm-v1");
    expect(r.requests[0]!.firstTokenTime).toBe(3);
    expect(r.requests[0]!.finishTime).toBe(4);
    // A decodes while B (arrived at 0.5) prefills in the same iteration 1..2.
    const s = await run(
      trace([
        [0, 4, 3],
        [0.5, 4, 2],
      ]),
      profile(),
      "vllm-v1",
    );
    expect(Array.from(s.clients[0]!.log.prefills)).toEqual([1, 1, 0]);
    expect(Array.from(s.clients[0]!.log.decodes)).toEqual([0, 1, 2]);
    expect(s.requests.map((q) => q.finishTime)).toEqual([3, 3]);
  });
});

describe("orca", () => {
  it("reserves the whole request's KV at admission, so the second request waits (no preemption)", async () => {
    const r = await run(
      trace([
        [0, 4, 6],
        [0, 4, 6],
      ]),
      profile({ blockSize: 4, kvBlocks: 4 }),
      "orca",
    );
    expect(r.requests.map((q) => q.preemptions)).toEqual([0, 0]);
    // A: 0..6; B admitted at 6 (mixed with nothing), done at 12.
    expect(r.requests.map((q) => q.finishTime)).toEqual([6, 12]);
  });
});

describe("hybrid", () => {
  it("with λ = 0 on one client it is prefill-first with longest-first sorting", async () => {
    const t = trace([
      [0, 8, 2],
      [0, 8, 5],
      [0, 8, 3],
    ]);
    const r = await run(t, profile({ maxBatchSize: 1 }), "hybrid", { lambda: 0 });
    // One slot: longest work first → request 1, then 2, then 0.
    const order = [...r.requests].sort((a, b) => a.firstTokenTime - b.firstTokenTime).map((q) => q.id);
    expect(order).toEqual([1, 2, 0]);
  });

  it("packs an offline batch so the clients' work is balanced (LPT/MIP), versus round-robin", async () => {
    const t = trace([
      [0, 8, 40],
      [0, 8, 2],
      [0, 8, 40],
      [0, 8, 2],
    ]);
    const h = await run(t, profile({ maxBatchSize: 1 }), "hybrid", {}, 2);
    const v = await run(t, profile({ maxBatchSize: 1 }), "vllm-v0", {}, 2);
    // Round-robin puts both long requests on client 0; the packing separates them.
    expect(v.makespan).toBe(80);
    expect(h.makespan).toBe(42);
  });

  it("batches prefills by the Lagrangian rule: fewer prefill iterations than prefill-first", async () => {
    const rows = Array.from(
      { length: 64 },
      (_, i) => [0, 32, 20 + ((i * 37) % 61)] as [number, number, number],
    );
    const r0 = await run(trace(rows), profile({ maxBatchSize: 16 }), "hybrid", { lambda: 0 });
    const r1 = await run(trace(rows), profile({ maxBatchSize: 16 }), "hybrid", { lambda: 1 });
    const count = (r: typeof r0) => r.clients[0]!.log.prefills.filter((p) => p > 0).length;
    expect(count(r1)).toBeLessThan(count(r0));
    expect(r1.makespan).toBeLessThanOrEqual(r0.makespan);
  });
});

describe("hybrid lookahead insertion (hand-worked, α_p = α_d = 1, B = 4: an idle slot-iteration costs 1/4)", () => {
  // Longest-first: the three o = 10 requests and one o = 3 request are prefilled at 0..1; the o = 3
  // request decodes 1..3 and finishes at 3. Two o = 3 requests wait for one free slot; the next
  // finish is 7 decode iterations away, so waiting idles one slot for 7 × 1/4 = 1.75 s.
  const rows: [number, number, number][] = [
    [0, 8, 10],
    [0, 8, 10],
    [0, 8, 10],
    [0, 8, 3],
    [0, 8, 3],
    [0, 8, 3],
  ];
  const late = (r: Awaited<ReturnType<typeof run>>) =>
    r.requests
      .filter((q) => q.firstTokenTime > 1)
      .map((q) => [q.firstTokenTime, q.finishTime])
      .sort((a, b) => a[0]! - b[0]!);
  it("inserts when the idle cost of waiting (1.75) exceeds λ·α_p (λ = 1)", async () => {
    const r = await run(trace(rows), profile({ maxBatchSize: 4 }), "hybrid", { lambda: 1 });
    // prefill 3..4, decodes 4..6; at 6 the last one is alone in the queue: prefill 6..7, decodes 7..9.
    expect(late(r)).toEqual([
      [4, 6],
      [7, 9],
    ]);
    expect(r.makespan).toBe(12); // the o = 10 requests lose two iterations to the stalls
  });
  it("waits for the next finish when λ·α_p (2) exceeds it, then inserts both at once", async () => {
    const r = await run(trace(rows), profile({ maxBatchSize: 4 }), "hybrid", { lambda: 2 });
    // 1.75, 1.5, … < 2 until the o = 10 requests finish at 10: prefill both 10..11, decodes 11..13.
    expect(late(r)).toEqual([
      [11, 13],
      [11, 13],
    ]);
    expect(r.makespan).toBe(13);
  });
  it("never waits when nothing more could join the later insertion", async () => {
    // o = 4,4,4,3 run; one o = 3 waits. At t = 3 the next finish is 1 iteration away (cost 0.25 < 1),
    // but only this one request waits, so waiting would merge nothing: insert at 3 and finish at 6.
    const r = await run(
      trace([
        [0, 8, 4],
        [0, 8, 4],
        [0, 8, 4],
        [0, 8, 3],
        [0, 8, 3],
      ]),
      profile({ maxBatchSize: 4 }),
      "hybrid",
      { lambda: 1 },
    );
    expect(r.makespan).toBe(6);
  });
  it("the accumulated rule is still available", async () => {
    const r = await run(trace(rows), profile({ maxBatchSize: 4 }), "hybrid", {
      lambda: 1,
      rule: "accumulated",
    });
    expect(r.status).toBe("completed");
  });
});

describe("hybrid aligned selection", () => {
  it("takes the head, then the waiting requests whose finish meets a known finish epoch", () => {
    const prof = profile({ maxBatchSize: 8 });
    const c = new Client(0, prof.client, prof.timeModel);
    const seq = (id: number, o: number, generated = 0) => {
      const s = new Seq({ id, arrival: 0, promptTokens: 8, outputTokens: o });
      s.generated = generated;
      return s;
    };
    c.running = [seq(0, 10, 5), seq(1, 12, 3)]; // finish in 5 and 9 decode iterations
    c.waiting = [seq(2, 20), seq(3, 12), seq(4, 10), seq(5, 6)]; // decode ends at 19, 11, 9, 5
    alignFront(c, 3, 4);
    // head (id 2); then id 4 (9 meets 9) before id 3 (11 is 2 away); then id 5 (5 meets 5).
    expect(c.waiting.map((s) => s.req.id)).toEqual([2, 4, 5, 3]);
    alignFront(c, 3, 2); // the window limits the candidates to the first two
    expect(c.waiting.map((s) => s.req.id)).toEqual([2, 4, 5, 3]);
  });
  it("admission() reports what caps an insertion: slots, token budget, KV blocks or the queue", () => {
    const mk = (client: Partial<Profile["client"]>, prompts: number[], running = 0) => {
      const prof = profile(client);
      const c = new Client(0, prof.client, prof.timeModel);
      c.running = Array.from(
        { length: running },
        (_, i) => new Seq({ id: 100 + i, arrival: 0, promptTokens: 8, outputTokens: 5 }),
      );
      c.waiting = prompts.map((p, id) => new Seq({ id, arrival: 0, promptTokens: p, outputTokens: 5 }));
      return admission(c);
    };
    expect(mk({ maxBatchSize: 4 }, [8, 8, 8], 2)).toEqual({ count: 2, limit: "slots" });
    expect(mk({ maxBatchSize: 8, maxBatchedTokens: 20 }, [8, 8, 8])).toEqual({ count: 2, limit: "budget" });
    expect(mk({ maxBatchSize: 8, kvBlocks: 2 }, [16, 16, 16])).toEqual({ count: 2, limit: "kv" });
    expect(mk({ maxBatchSize: 8 }, [8, 8])).toEqual({ count: 2, limit: "queue" });
  });
  it("is the default, with window B and plain order for the last 2B waiting requests", async () => {
    expect(HybridParams.parse({})).toMatchObject({ rule: "lookahead", select: "aligned", lambda: 1 });
    const t = syntheticTrace({
      requests: 200,
      ratePerSecond: 0,
      prompt: { kind: "lognormal", median: 70, sigma: 0.4, max: 400 },
      output: { kind: "lognormal", median: 90, sigma: 0.6, max: 400 },
      seed: 5,
    });
    const prof = builtinProfile("llama65b");
    const go = async (params: Record<string, unknown>) => {
      const r = await simulate(t, prof, createPolicy("hybrid", params), { clients: 1 });
      const w = (id: number) => requestWork(t.requests[id]!, prof);
      return [...r.requests]
        .sort((x, y) => x.firstTokenTime - y.firstTokenTime || w(y.id) - w(x.id))
        .map((q) => q.id);
    };
    const head = await go({ select: "head" });
    const aligned = await go({});
    expect(aligned).not.toEqual(head); // aligned selection reorders insertions
    expect(await go({ tail: 200 })).toEqual(head); // never more than `tail` waiting: plain order
    // Once at most 2B wait, the queue is taken in sorted order: the last B to start have non-increasing work.
    const last = aligned.slice(-16).map((id) => requestWork(t.requests[id]!, prof));
    for (let k = 1; k < last.length; k++) expect(last[k]!).toBeLessThanOrEqual(last[k - 1]!);
  });
  it("is a policy option that completes the batch", async () => {
    const rows = Array.from(
      { length: 64 },
      (_, i) => [0, 32, 20 + ((i * 37) % 61)] as [number, number, number],
    );
    const r = await run(trace(rows), profile({ maxBatchSize: 16 }), "hybrid", { select: "aligned" });
    expect(r.status).toBe("completed");
    expect(r.requests.every((q) => q.finishTime > 0)).toBe(true);
  });
});

describe("registry", () => {
  it("lists the four policies with references, and rejects unknown names and bad params", () => {
    expect(policies.describe().map((p) => p.name)).toEqual(["vllm-v0", "vllm-v1", "orca", "hybrid"]);
    expect(() => createPolicy("fifo")).toThrow(
      'policy: unknown policy "fifo"; use one of vllm-v0, vllm-v1, orca, hybrid',
    );
    expect(() => createPolicy("hybrid", { lambda: -1 })).toThrow("policy hybrid parameters: lambda");
  });
});
