import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  builtinProfile,
  createPolicy,
  lowerBound,
  packMakespan,
  policyNames,
  requestBoundWork,
  requestChain,
  requestWork,
  simulate,
  syntheticTrace,
} from "../../src/serving/index.js";
import { lpt } from "../../src/serving/offline/lpt.js";
import { simplePackingBound } from "../../src/serving/offline/packing.js";
import { ceilSum, prefillChainSeconds, requestWorkParts } from "../../src/serving/offline/work.js";
import { expectClose } from "../helpers/tolerance.js";

function bruteForce(work: number[], J: number): number {
  let best = Number.POSITIVE_INFINITY;
  const loads = new Array(J).fill(0);
  const rec = (i: number) => {
    if (i === work.length) {
      best = Math.min(best, Math.max(...loads));
      return;
    }
    for (let j = 0; j < J; j++) {
      loads[j] += work[i]!;
      if (Math.max(...loads) < best) rec(i + 1);
      loads[j] -= work[i]!;
    }
  };
  rec(0);
  return best;
}

describe("offline packing", () => {
  it("LPT on Graham's worst case is 4/3 − 1/(3J) of the optimum", () => {
    // J = 2: jobs 3,3,2,2,2 → LPT 7, OPT 6.
    expect(lpt([3, 3, 2, 2, 2], 2).makespan).toBe(7);
    expect(simplePackingBound([3, 3, 2, 2, 2], 2)).toBe(6);
  });

  it("the MIP finds the brute-force optimum where LPT does not, and its bound is valid", async () => {
    const work = [3, 3, 2, 2, 2];
    const r = await packMakespan(work, 2, { timeLimit: 20 });
    expect(r.method).toBe("mip");
    expect(r.status).toBe("optimal");
    expect(r.makespan).toBe(6);
    expect(r.bound).toBeLessThanOrEqual(6 + 1e-9);
    const loads = [0, 0];
    work.forEach((w, i) => (loads[r.assignment[i]!]! += w));
    expect(Math.max(...loads)).toBe(6);
  });

  it("matches brute force on random small instances", async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const work = syntheticTrace({
        requests: 8,
        prompt: { kind: "constant", value: 1 },
        output: { kind: "uniform", min: 1, max: 30 },
        seed,
      }).requests.map((r) => r.outputTokens);
      const r = await packMakespan(work, 3, { timeLimit: 20, gap: 0 });
      expect(r.makespan).toBe(bruteForce(work, 3));
      expect(r.bound).toBeLessThanOrEqual(r.makespan + 1e-6);
    }
  });

  it("falls back to LPT above the binary limit", async () => {
    const r = await packMakespan([5, 4, 3, 3, 3, 1], 3, { maxBinaries: 5 });
    expect(r.status).toBe("heuristic");
    expect(r.method).toBe("lpt");
  });
});

describe("work and lower bounds", () => {
  const prof = builtinProfile("llama65b");
  it("work and chain follow the closed forms", () => {
    const { prefill: P, decode: D } = prof.timeModel;
    const B = prof.client.maxBatchSize;
    const r = { id: 0, arrival: 0, promptTokens: 100, outputTokens: 11 };
    expectClose(
      requestWork(r, prof),
      P.alpha / B + P.beta * 100 + P.gamma * 1e4 + 10 * (D.alpha / B + D.beta) + D.delta * (10 * 100 + 55),
    );
    expectClose(
      requestChain(r, prof),
      P.alpha + P.beta * 100 + P.gamma * 1e4 + 10 * (D.alpha + D.beta) + D.delta * (10 * 100 + 55),
    );
  });

  it("bound work charges the chunk-proof attention term; the chain may chunk a long prompt", () => {
    const P = prof.timeModel.prefill;
    const r = { id: 0, arrival: 0, promptTokens: 100, outputTokens: 11 };
    expectClose(requestWork(r, prof) - requestBoundWork(r, prof), P.gamma * (1e4 - 5050));
    // Short prompt: one chunk is best, the chain is the whole-prompt prefill.
    expectClose(prefillChainSeconds(100, prof), P.alpha + P.beta * 100 + P.gamma * 1e4);
    // Brute force over chunk counts for a long prompt (m chunks: m·α_p + β_p·p + γ_p·(p² + p²/m)/2).
    const p = 30000;
    let best = Number.POSITIVE_INFINITY;
    for (let m = 1; m <= 200; m++)
      best = Math.min(best, m * P.alpha + P.beta * p + (P.gamma * (p * p + (p * p) / m)) / 2);
    expectClose(prefillChainSeconds(p, prof), best);
    expect(best).toBeLessThan(P.alpha + P.beta * p + P.gamma * p * p);
  });

  it("no policy beats the lower bound (property over random traces)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 0.5, 5),
        async (seed, clients, rate) => {
          const t = syntheticTrace({
            requests: 40,
            ratePerSecond: rate,
            prompt: { kind: "lognormal", median: 60, sigma: 0.7, max: 600 },
            output: { kind: "lognormal", median: 50, sigma: 0.8, max: 400 },
            seed,
          });
          const lb = lowerBound(t, prof, clients).seconds;
          for (const p of policyNames()) {
            const r = await simulate(t, prof, createPolicy(p, p === "hybrid" ? { packing: "lpt" } : {}), {
              clients,
            });
            expect(r.status).toBe("completed");
            expect(r.makespan).toBeGreaterThanOrEqual(lb * (1 - 1e-9));
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("chunked prefill (vllm-v1 under a small token budget) does not beat the bound either", async () => {
    const small = { ...prof, client: { ...prof.client, maxBatchedTokens: 97 } };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 2 }),
        async (seed, clients) => {
          const t = syntheticTrace({
            requests: 30,
            ratePerSecond: 0,
            prompt: { kind: "lognormal", median: 200, sigma: 0.8, max: 1500 },
            output: { kind: "lognormal", median: 20, sigma: 0.8, max: 200 },
            seed,
          });
          const r = await simulate(t, small, createPolicy("vllm-v1"), { clients });
          expect(r.rejected).toBe(0);
          expect(r.makespan).toBeGreaterThanOrEqual(lowerBound(t, small, clients).seconds * (1 - 1e-9));
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe("KV-cache-aware lower bound", () => {
  const prof = builtinProfile("llama65b");
  // A cache of 24 blocks of 16 tokens (384 tokens) holds a few requests at once, so memory, not
  // the batch size, limits how many share an iteration's fixed cost.
  const tight = { ...prof, client: { ...prof.client, kvBlocks: 24, watermark: 0 } };

  it("charges α·blocks/K per emitted token (closed form against a token-by-token sum)", () => {
    const { prefill: P, decode: D } = tight.timeModel;
    const { kvBlocks: K, blockSize: b, maxBatchSize: B } = tight.client;
    const r = { id: 0, arrival: 0, promptTokens: 37, outputTokens: 29 };
    let memory = (P.alpha * Math.ceil(37 / b)) / K;
    for (let s = 1; s < 29; s++) memory += (Math.min(P.alpha, D.alpha) * Math.ceil((37 + s) / b)) / K;
    const parts = requestWorkParts(r, tight);
    expectClose(parts.memory, memory);
    expectClose(parts.linear + parts.slots, requestBoundWork(r, tight));
    expectClose(parts.slots, P.alpha / B + (28 * D.alpha) / B);
    for (let n = 0; n < 70; n++) {
      let s = 0;
      for (let x = 1; x <= n; x++) s += Math.ceil(x / 5);
      expect(ceilSum(n, 5)).toBe(s);
    }
  });

  it("binds where the cache is small and no policy beats it (property over random traces)", async () => {
    let memoryBound = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 2),
        async (seed, clients, rate) => {
          const t = syntheticTrace({
            requests: 30,
            ratePerSecond: rate,
            prompt: { kind: "lognormal", median: 60, sigma: 0.7, max: 250 },
            output: { kind: "lognormal", median: 40, sigma: 0.8, max: 120 },
            seed,
          });
          const lb = lowerBound(t, tight, clients);
          if (lb.binding === "memory" || lb.binding === "release") memoryBound++;
          expect(lb.memorySeconds).toBeGreaterThanOrEqual(lb.workSeconds);
          for (const p of policyNames()) {
            const r = await simulate(t, tight, createPolicy(p, p === "hybrid" ? { packing: "lpt" } : {}), {
              clients,
            });
            expect(r.status).toBe("completed");
            // A policy that rejects a request is bounded by the bound of what it served.
            const served = { ...t, requests: t.requests.filter((_, i) => !r.requests[i]?.rejected) };
            const bound = r.rejected === 0 ? lb.seconds : lowerBound(served, tight, clients).seconds;
            expect(r.makespan).toBeGreaterThanOrEqual(bound * (1 - 1e-9));
          }
        },
      ),
      { numRuns: 10 },
    );
    expect(memoryBound).toBeGreaterThan(0);
  });

  it("leaves out requests no client can hold and counts them", () => {
    const t = {
      name: "t",
      source: "test",
      requests: [
        { id: 0, arrival: 0, promptTokens: 300, outputTokens: 200 },
        { id: 1, arrival: 0, promptTokens: 20, outputTokens: 10 },
      ],
    };
    const lb = lowerBound(t, tight, 1);
    expect(lb.excluded).toBe(1);
    expectClose(lb.workSeconds, requestBoundWork(t.requests[1] as (typeof t.requests)[1], tight));
  });
});
