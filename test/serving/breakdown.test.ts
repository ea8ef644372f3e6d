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

describe("gap breakdown (identity on the LLaMA-65B profile)", () => {
  it("components add up to each client's finish time; 'other' is exactly the whole-prompt attention excess", async () => {
    const prof = builtinProfile("llama65b");
    const t = syntheticTrace({
      requests: 200,
      ratePerSecond: 0,
      prompt: { kind: "lognormal", median: 80, sigma: 0.6, max: 800 },
      output: { kind: "lognormal", median: 60, sigma: 0.7, max: 300 },
      seed: 11,
    });
    const r = await comparePolicies(t, prof, { clients: 2, packingBound: false });
    for (const p of r.policies) {
      const b = p.breakdown;
      expectClose(b.makespanSeconds - b.lowerBoundSeconds, p.metrics.makespanSeconds - r.lowerBound.seconds, {
        abs: 1e-9,
      });
      for (const c of b.clients) {
        const sum =
          c.loadSeconds +
          c.prefillAlphaSeconds +
          c.idleSlotSeconds +
          c.drainSeconds +
          c.mixedAlphaSeconds +
          c.otherLinearSeconds +
          c.idleSeconds;
        expectClose(sum, c.finishSeconds, { abs: 1e-9 });
        expect(c.prefillAlphaSeconds).toBeGreaterThanOrEqual(0);
        expect(c.idleSlotSeconds + c.drainSeconds + c.mixedAlphaSeconds).toBeGreaterThanOrEqual(0);
      }
      if (p.name === "hybrid" || p.name === "vllm-v0") {
        expect(p.metrics.preemptions).toBe(0);
        // Whole-prompt prefill pays γ_p·p², the bound γ_p·p(p+1)/2: R is exactly the difference.
        const g = prof.timeModel.prefill.gamma;
        const run = r.runs.find((x) => x.policy === p.name)!;
        for (const c of b.clients) {
          let excess = 0;
          for (const q of run.requests)
            if (q.client === c.client && !q.rejected)
              excess += g * (q.promptTokens * q.promptTokens - (q.promptTokens * (q.promptTokens + 1)) / 2);
          expectClose(c.otherLinearSeconds, excess, { rel: 1e-6, abs: 1e-9 });
        }
      }
    }
  });
});
