/** Simulator invariants and schedule validation errors. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerBound, placementOf } from "../../src/plan/bound.js";
import { GREEDY_RULES, greedySchedule } from "../../src/plan/greedy.js";
import { dualPlacement, linearPlacement } from "../../src/plan/placement.js";
import { oneFOneB, zb1p } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

describe("simulator", () => {
  it("busy time is the sum of pass times; bubble ≥ 0; makespan ≥ lower bound (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (S, M, scale) => {
          const { ug, cluster } = chain({ stages: S, microBatches: M, scale });
          for (const b of [oneFOneB, zb1p]) {
            const s = b.generate({ stages: ug, cluster }, {});
            const r = simulate(ug, cluster, s);
            r.devices.forEach((d, i) => {
              const u = ug.units[i]!;
              expect(d.busy).toBeCloseTo(M * (u.forward + u.backward), 9);
              expect(d.bubble).toBeGreaterThanOrEqual(-1e-9);
            });
            expect(r.makespan).toBeGreaterThanOrEqual(
              lowerBound(ug, cluster, placementOf(ug, s.devices)) - 1e-9,
            );
          }
        },
      ),
      { numRuns: 30 },
    );
  });
  it("rejects a missing pass, a duplicate, and a deadlocking order with clear messages", () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 1 });
    expect(() =>
      simulate(ug, cluster, {
        name: "x",
        devices: [
          [
            { pass: "F", unit: 0, mb: 0 },
            { pass: "B", unit: 0, mb: 0 },
          ],
          [{ pass: "F", unit: 1, mb: 0 }],
        ],
      }),
    ).toThrow("schedule x: no backward for unit stage1 micro-batch 0; add a B (or I + W) action");
    expect(() =>
      simulate(ug, cluster, {
        name: "x",
        devices: [
          [
            { pass: "B", unit: 0, mb: 0 },
            { pass: "F", unit: 0, mb: 0 },
          ],
          [
            { pass: "F", unit: 1, mb: 0 },
            { pass: "B", unit: 1, mb: 0 },
          ],
        ],
      }),
    ).toThrow(
      /^schedule x: deadlock: device 0 at B0@0, .*; each device's order must respect the dependencies of the graph$/,
    );
    expect(() =>
      simulate(ug, cluster, {
        name: "x",
        devices: [
          [
            { pass: "F", unit: 0, mb: 0 },
            { pass: "F", unit: 0, mb: 0 },
          ],
        ],
      }),
    ).toThrow("schedule x: device 0: forward of F0@0 is scheduled twice; schedule each pass once");
  });
  it("memory curve: +activation at forward start, − at backward end", () => {
    const { ug, cluster } = chain({ stages: 1, microBatches: 2, activationBytes: 5 });
    const r = simulate(ug, cluster, {
      name: "x",
      devices: [
        [
          { pass: "F", unit: 0, mb: 0 },
          { pass: "F", unit: 0, mb: 1 },
          { pass: "B", unit: 0, mb: 0 },
          { pass: "B", unit: 0, mb: 1 },
        ],
      ],
    });
    expect(r.devices[0]!.memory).toEqual([
      [0, 5],
      [1, 10],
      [4, 5],
      [6, 0],
    ]);
    expect(r.peakMemoryBytes).toBe(10);
  });
});

describe("greedy list scheduler and lower bound", () => {
  it("dualpipe-8x20: I > F > W with a cap of 9 reaches the proven optimum 63 at DualPipe's peak", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 3 });
    const rule = GREEDY_RULES.find((r) => r.name === "bwd-first-downstream")!;
    const place = dualPlacement(8, 20);
    const s = greedySchedule(ug, cluster, place, rule, { memoryCap: new Array(8).fill(9), unitCap: true })!;
    const r = simulate(ug, cluster, s);
    expect(r.makespan).toBe(63);
    expect(r.bubbleMax).toBe(3);
    expect(r.peakMemoryBytes).toBe(9);
    expect(lowerBound(ug, cluster, place)).toBe(63);
  });
  it("returns null when the memory cap cannot be met", () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 2, activationBytes: 5 });
    expect(
      greedySchedule(ug, cluster, linearPlacement(2), GREEDY_RULES[0]!, { memoryCap: [4, 4] }),
    ).toBeNull();
  });
});
