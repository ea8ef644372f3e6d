/** The pairing lower bound: golden values on the DualPipe presets, validity against every schedule we make and MIP optima. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerBound, lowerBoundDetail, placementOf } from "../../src/plan/bound.js";
import { GREEDY_RULES, greedySchedule } from "../../src/plan/greedy.js";
import { dualPlacement, linearPlacement } from "../../src/plan/placement.js";
import { improveByMip } from "../../src/plan/planner/lns.js";
import { baselines } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

/** The load bound of the first round: earliest start + work − every forward paired. */
function loadBound(detail: ReturnType<typeof lowerBoundDetail>, save: number): number {
  return Math.max(detail.criticalPath, ...detail.devices.map((d) => d.head + d.work - d.forwards * save));
}

describe("lower bound", () => {
  it("dualpipe-8x20-overlap: a middle rank starts at 3, backwards at 11, 8 forwards cannot pair → 57", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 2.5 });
    const d = lowerBoundDetail(ug, cluster, dualPlacement(8, 20), new Array(8).fill(9));
    const r3 = d.devices[3]!;
    expect([r3.head, r3.firstBackward, r3.unpairedMax, r3.work]).toEqual([3, 11, 8, 60]);
    expect(r3.bound).toBe(57);
    expect(d.bound).toBe(57);
    expect(loadBound(d, 0.5)).toBe(53);
  });
  it("dualpipe-8x20 (no overlap) stays 63, the proven optimum", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 3 });
    expect(lowerBound(ug, cluster, dualPlacement(8, 20), new Array(8).fill(9))).toBe(63);
  });
  it("a tighter memory cap leaves fewer unpaired forwards and raises the bound", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 2.5 });
    const d = lowerBoundDetail(ug, cluster, dualPlacement(8, 20), new Array(8).fill(4));
    expect(d.devices[3]!.unpairedMax).toBe(4);
    // min over k ≤ 4 of 11 + 60 − k − (20 − k)·0.5, at k = 4
    expect(d.devices[3]!.bound).toBe(59);
  });
  it("never exceeds the makespan of any baseline or greedy schedule that fits the cap (property)", () => {
    const rules = GREEDY_RULES.filter((r) => r.overlap || r.name === "bwd-first-downstream");
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).map((h) => 2 * h),
        fc.integer({ min: 1, max: 4 }).map((h) => 2 * h),
        fc.constantFrom(2, 2.5, 2.8),
        fc.constantFrom(0, 0.1),
        fc.integer({ min: 2, max: 12 }),
        (S, M, fb, latency, cap) => {
          const { ug, cluster } = chain({ stages: S, microBatches: M, forwardBackward: fb }, S, latency);
          const caps = new Array(S).fill(cap);
          const scheds = baselines()
            .filter((b) => b.devicesFor(S, M, b.params.parse({})) === S)
            .map((b) => b.generate({ stages: ug, cluster }, b.params.parse({})));
          for (const pl of [linearPlacement(S), dualPlacement(S, M)])
            for (const rule of rules) {
              const s = greedySchedule(ug, cluster, pl, rule, { memoryCap: caps });
              if (s) scheds.push(s);
            }
          for (const s of scheds) {
            const sim = simulate(ug, cluster, s);
            if (sim.peakMemoryBytes > cap) continue;
            expect(sim.makespan).toBeGreaterThanOrEqual(
              lowerBound(ug, cluster, placementOf(ug, s.devices), caps) - 1e-9,
            );
          }
        },
      ),
      { numRuns: 25 },
    );
  });
  it("is below the MIP optimum on small instances where overlap pays, and above the load bound", async () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 2, forwardBackward: 2 });
    const place = dualPlacement(2, 2);
    const warm = greedySchedule(ug, cluster, place, GREEDY_RULES.find((r) => r.name === "overlap")!)!;
    const caps = [2, 2];
    // a node limit bounds the work; the time limit is a safety net only
    const r = await improveByMip(ug, cluster, warm, { timeLimit: 600, nodeLimit: 20_000, memoryCap: caps });
    expect(r.provedOptimal).toBe(true);
    const d = lowerBoundDetail(ug, cluster, place, caps);
    expect(d.bound).toBeLessThanOrEqual(r.sim.makespan + 1e-9);
    expect(d.bound).toBeGreaterThan(loadBound(d, 3 - 2) + 1e-9);
  });
});
