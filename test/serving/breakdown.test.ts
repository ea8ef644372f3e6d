/** The gap breakdown: hand-worked schedules (α_p = α_d = 1, B = 4) and the exact identity on a real profile. */
import { describe, expect, it } from "vitest";
import {
  builtinProfile,
  comparePolicies,
  createPolicy,
  gapBreakdown,
  lowerBound,
  type Profile,
  ProfileSchema,
  type Request,
  type SimRun,
  simulate,
  syntheticTrace,
  type Trace,
} from "../../src/serving/index.js";
import { expectClose } from "../helpers/tolerance.js";

const unit: Profile = ProfileSchema.parse({
  name: "unit",
  timeModel: { prefill: { alpha: 1, beta: 0 }, decode: { alpha: 1 } },
  client: { maxBatchSize: 4, kvBlocks: 1000, blockSize: 16, maxBatchedTokens: 2048, watermark: 0 },
});
const rows: [number, number, number][] = [
  [0, 8, 10],
  [0, 8, 10],
  [0, 8, 10],
  [0, 8, 3],
  [0, 8, 3],
  [0, 8, 3],
];
const trace: Trace = {
  name: "hand",
  source: "test",
  requests: rows.map(([a, p, o], id): Request => ({ id, arrival: a, promptTokens: p, outputTokens: o })),
};

describe("gap breakdown (hand-worked)", () => {
  // Bound work with these coefficients is o/4 per request: Σ = 39/4 = 9.75; the chain bound is 10.
  it("hybrid λ = 1: two one-request prefill insertions (0.75 each) and a drain of three 3-wide decodes", async () => {
    const run = await simulate(trace, unit, createPolicy("hybrid", { lambda: 1 }), { clients: 1 });
    const lb = lowerBound(trace, unit, 1).seconds;
    expect(lb).toBe(10);
    const b = gapBreakdown(run, unit, lb);
    expect(b.makespanSeconds).toBe(12);
    expect(b.clients[0]!.loadSeconds).toBe(9.75);
    expect(b.loadAboveBoundSeconds).toBe(-0.25);
    expect(b.prefillAlphaSeconds).toBe(1.5);
    expect(b.idleSlotSeconds).toBe(0);
    expect(b.drainSeconds).toBe(0.75);
    expect(b.otherLinearSeconds).toBe(0);
    expect(b.idleSeconds).toBe(0);
  });
  it("hybrid λ = 2: seven 3-wide decodes wait (1.75), one 2-request insertion (0.5), a 2-wide drain (1)", async () => {
    const run = await simulate(trace, unit, createPolicy("hybrid", { lambda: 2 }), { clients: 1 });
    const b = gapBreakdown(run, unit, 10);
    expect(b.makespanSeconds).toBe(13);
    expect(b.idleSlotSeconds).toBe(1.75);
    expect(b.prefillAlphaSeconds).toBe(0.5);
    expect(b.drainSeconds).toBe(1);
    expect(b.clients[0]).toMatchObject({ prefillIterations: 2, decodeIterations: 11, mixedIterations: 0 });
  });
});

/**
 * Each part of the breakdown recomputed from the run's raw events (the clients' iteration logs and
 * the request outcomes), not as a residual: the load from the bound-work formula written out here,
 * the α terms from each iteration's members, "other" from the iterations' linear time above the
 * bound's linear terms plus the fixed-cost shares of extra memberships (recomputation, chunks), and
 * the idle time from the iteration intervals.
 */
function independentParts(run: SimRun, prof: Profile) {
  const { prefill: P, decode: D } = prof.timeModel;
  const B = prof.client.maxBatchSize;
  const t0 = Math.min(...run.requests.map((q) => q.arrival));
  return run.clients.map((c) => {
    const served = run.requests.filter((q) => q.client === c.index && !q.rejected);
    let load = 0;
    let boundLinear = 0;
    let boundShares = 0;
    for (const { promptTokens: p, outputTokens: o } of served) {
      const linear =
        P.beta * p +
        (P.gamma * p * (p + 1)) / 2 +
        (o - 1) * D.beta +
        D.delta * ((o - 1) * p + (o * (o - 1)) / 2);
      const shares = (P.alpha + (o - 1) * D.alpha) / B;
      load += linear + shares;
      boundLinear += linear;
      boundShares += shares;
    }
    const its = Array.from(c.log.start, (start, k) => ({
      seconds: (c.log.end[k] ?? start) - start,
      np: c.log.prefills[k] ?? 0,
      nd: c.log.decodes[k] ?? 0,
    }));
    const lastPrefill = its.findLastIndex((it) => it.np > 0);
    const parts = { prefill: 0, slots: 0, drain: 0, mixed: 0, linear: 0, memberShares: 0, busy: 0 };
    for (const [k, { seconds, np, nd }] of its.entries()) {
      const alpha = np > 0 && nd > 0 ? Math.max(P.alpha, D.alpha) : np > 0 ? P.alpha : D.alpha;
      const share = (np * P.alpha + nd * D.alpha) / B;
      if (np > 0 && nd > 0) parts.mixed += alpha - share;
      else if (np > 0) parts.prefill += alpha - share;
      else if (k > lastPrefill) parts.drain += alpha - share;
      else parts.slots += alpha - share;
      parts.linear += seconds - alpha;
      parts.memberShares += share;
      parts.busy += seconds;
    }
    const finish = (c.log.end.at(-1) ?? t0) - t0;
    return {
      client: c.index,
      loadSeconds: load,
      prefillAlphaSeconds: parts.prefill,
      idleSlotSeconds: parts.slots,
      drainSeconds: parts.drain,
      mixedAlphaSeconds: parts.mixed,
      otherLinearSeconds: parts.linear - boundLinear + (parts.memberShares - boundShares),
      idleSeconds: finish - parts.busy,
      finishSeconds: finish,
    };
  });
}

describe("gap breakdown (each part against the raw events)", () => {
  const base = builtinProfile("llama65b");
  const t = syntheticTrace({
    requests: 200,
    ratePerSecond: 0,
    prompt: { kind: "lognormal", median: 80, sigma: 0.6, max: 800 },
    output: { kind: "lognormal", median: 60, sigma: 0.7, max: 300 },
    seed: 11,
  });
  // The shipped profile, and one whose small KV cache and 97-token budget force preemptions and chunks.
  const tight: Profile = { ...base, client: { ...base.client, kvBlocks: 60, maxBatchedTokens: 97 } };
  for (const [label, prof] of [
    ["LLaMA-65B", base],
    ["tight KV, small budget", tight],
  ] as const)
    it(`every part of every policy on every client (${label})`, async () => {
      const r = await comparePolicies(t, prof, { clients: 2, packingBound: false });
      for (const p of r.policies) {
        const run = r.runs.find((x) => x.policy === p.name);
        if (!run) throw new Error(`no run for ${p.name}`);
        const want = independentParts(run, prof);
        for (const [j, c] of p.breakdown.clients.entries()) {
          const w = want[j];
          for (const key of [
            "loadSeconds",
            "prefillAlphaSeconds",
            "idleSlotSeconds",
            "drainSeconds",
            "mixedAlphaSeconds",
            "otherLinearSeconds",
            "idleSeconds",
            "finishSeconds",
          ] as const)
            expectClose(c[key], w?.[key] ?? Number.NaN, { abs: 1e-7, rel: 1e-9 });
        }
        const critical = p.breakdown.clients.reduce((a, b) => (b.finishSeconds > a.finishSeconds ? b : a));
        expect(p.breakdown.criticalClient).toBe(critical.client);
        expectClose(p.breakdown.loadAboveBoundSeconds, critical.loadSeconds - r.lowerBound.seconds, {
          abs: 1e-9,
        });
        expectClose(p.breakdown.makespanSeconds, p.metrics.makespanSeconds, { abs: 1e-9 });
      }
      if (prof === tight) {
        const preempted = r.policies.filter((p) => p.metrics.preemptions > 0).map((p) => p.name);
        expect(preempted.length).toBeGreaterThan(0);
        const v1 = r.policies.find((p) => p.name === "vllm-v1");
        expect(v1?.breakdown.clients.some((c) => c.otherLinearSeconds > 0.01)).toBe(true);
      }
    });

  it("with whole prompts and no preemption, 'other' is exactly the whole-prompt attention excess", async () => {
    const r = await comparePolicies(t, base, {
      clients: 2,
      packingBound: false,
      policies: ["vllm-v0", "hybrid"],
    });
    const g = base.timeModel.prefill.gamma;
    for (const p of r.policies) {
      expect(p.metrics.preemptions).toBe(0);
      // Whole-prompt prefill pays γ_p·p², the bound γ_p·p(p+1)/2: R is exactly the difference.
      const run = r.runs.find((x) => x.policy === p.name);
      for (const c of p.breakdown.clients) {
        let excess = 0;
        for (const q of run?.requests ?? [])
          if (q.client === c.client && !q.rejected)
            excess += g * (q.promptTokens * q.promptTokens - (q.promptTokens * (q.promptTokens + 1)) / 2);
        expectClose(c.otherLinearSeconds, excess, { rel: 1e-6, abs: 1e-9 });
      }
    }
  });
});
