/**
 * Golden tests: on uniform stages the simulator reproduces the DualPipe README's closed-form
 * bubbles (spec plan.md: 1F1B 21, ZB1P 7, DualPipe 6 units on 8 stages with F=1, B=2, W=1, F&B=3),
 * and the replayed DualPipe op order gives the spec's independently checked numbers.
 */
import { describe, expect, it } from "vitest";
import {
  dualpipe,
  dualpipeV,
  gpipe,
  interleaved,
  oneFOneB,
  SCHEDULES,
  zb1p,
} from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { expectClose } from "../helpers/tolerance.js";
import { chain } from "./helpers.js";

const F = 1;
const B = 2;
const W = 1;

describe("closed-form bubbles on uniform stages", () => {
  for (const PP of [4, 8]) {
    const { ug, cluster } = chain({
      stages: PP,
      microBatches: 20,
      forward: F,
      backward: B,
      weight: W,
      forwardBackward: 3,
    });
    it(`GPipe and 1F1B: (PP−1)(F+B) with PP=${PP}`, () => {
      for (const b of [gpipe, oneFOneB]) {
        const r = simulate(ug, cluster, b.generate({ stages: ug, cluster }, {}));
        for (const d of r.devices) expectClose(d.bubble, (PP - 1) * (F + B));
        expectClose(r.makespan, 20 * (F + B) + (PP - 1) * (F + B));
      }
    });
    it(`ZB1P: (PP−1)(F+B−2W) with PP=${PP}`, () => {
      const r = simulate(ug, cluster, zb1p.generate({ stages: ug, cluster }, {}));
      expectClose(r.bubbleMax, (PP - 1) * (F + B - 2 * W));
      expectClose(r.bubbleMean, (PP - 1) * (F + B - 2 * W));
    });
    it(`DualPipe: (PP/2−1)(F&B+B−3W) with PP=${PP}`, () => {
      const r = simulate(ug, cluster, dualpipe.generate({ stages: ug, cluster }, {}));
      for (const d of r.devices) expectClose(d.bubble, (PP / 2 - 1) * (3 + B - 3 * W));
      expect(r.peakMemoryBytes).toBe(PP + 1);
    });
  }
  it("1F1B keeps PP − s activations on stage s; GPipe keeps all m", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20 });
    expect(
      simulate(ug, cluster, oneFOneB.generate({ stages: ug, cluster }, {})).devices.map(
        (d) => d.peakMemoryBytes,
      ),
    ).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(simulate(ug, cluster, gpipe.generate({ stages: ug, cluster }, {})).peakMemoryBytes).toBe(20);
  });
  it("interleaved 1F1B: (PP−1)(F+B)/v with v chunks per device", () => {
    // 16 stages of F=0.5, B=1 on 8 devices, v=2: each device does F=1, B=2 per micro-batch
    const { ug, cluster } = chain(
      { stages: 16, microBatches: 16, forward: 0.5, backward: 1, weight: 0.5 },
      8,
    );
    const s = interleaved.generate({ stages: ug, cluster }, interleaved.params.parse({ chunks: 2 }));
    expect(s.devices.length).toBe(8);
    const r = simulate(ug, cluster, s);
    for (const d of r.devices) expectClose(d.bubble, (7 * 3) / 2);
  });
  it("DualPipeV on 4 devices (8 stages, 10 micro-batches): the DualPipe formula with PP = 8", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 10, forwardBackward: 3 }, 4);
    const r = simulate(ug, cluster, dualpipeV.generate({ stages: ug, cluster }, {}));
    expect(r.devices.length).toBe(4);
    for (const d of r.devices) expectClose(d.bubble, 3 * 2);
    expect(r.peakMemoryBytes).toBe(9);
  });
});

describe("DualPipe replay (spec's checked numbers)", () => {
  it("8 ranks × 20 micro-batches, F&B=3: busy 60 per rank, makespan 66", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 3 });
    const r = simulate(ug, cluster, dualpipe.generate({ stages: ug, cluster }, {}));
    expectClose(r.makespan, 66);
    for (const d of r.devices) expectClose(d.busy, 60);
  });
  it("F&B=2.5: makespan 59, idle 3.5–4.5 per rank (busy 55.5 on the end ranks)", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 2.5 });
    const r = simulate(ug, cluster, dualpipe.generate({ stages: ug, cluster }, {}));
    expectClose(r.makespan, 59);
    expectClose(r.devices[0]!.busy, 55.5);
    expectClose(r.devices[7]!.busy, 55.5);
    for (const d of r.devices) {
      expect(d.bubble).toBeGreaterThanOrEqual(3.5 - 1e-9);
      expect(d.bubble).toBeLessThanOrEqual(4.5 + 1e-9);
    }
  });
  it("the formula is exact only on the uniform preset: W=0.5, F&B=2.5 replays to less than 9", () => {
    const { ug, cluster } = chain({
      stages: 8,
      microBatches: 20,
      forward: 1,
      backward: 2,
      weight: 0.5,
      forwardBackward: 2.5,
    });
    const r = simulate(ug, cluster, dualpipe.generate({ stages: ug, cluster }, {}));
    const formula = 3 * (2.5 + 2 - 1.5);
    expect(r.bubbleMax).toBeLessThan(formula);
    expect(r.bubbleMax).toBeGreaterThanOrEqual(7 - 1e-9);
  });
  it("registry entries carry a reference and validate their defaults", () => {
    for (const n of ["gpipe", "1f1b", "interleaved-1f1b", "zb1p", "dualpipe", "dualpipev"]) {
      const b = SCHEDULES.get(n);
      expect(b.reference).toMatch(/^https:\/\//);
      expect(b.summary.length).toBeGreaterThan(0);
      expect(b.params.safeParse({}).success).toBe(true);
    }
    expect(SCHEDULES.names()).toEqual(["gpipe", "1f1b", "interleaved-1f1b", "zb1p", "dualpipe", "dualpipev"]);
    expect(SCHEDULES.params("interleaved-1f1b", {})).toEqual({ chunks: 2 });
  });
  it("an unknown schedule or parameter is a typed error naming it", () => {
    expect(() => SCHEDULES.get("zb2p")).toThrow(
      'schedule: unknown schedule "zb2p"; use one of gpipe, 1f1b, interleaved-1f1b, zb1p, dualpipe, dualpipev',
    );
    expect(() => SCHEDULES.params("gpipe", { chunks: 2 })).toThrow(/schedule gpipe parameters/);
  });
});

describe("non-uniform stages", () => {
  it("1F1B on heavier end stages: makespan follows the heaviest stage, bubbles differ per device", () => {
    const { ug, cluster } = chain({ stages: 4, microBatches: 8, scale: [1.5, 1, 1, 1.5] });
    const r = simulate(ug, cluster, oneFOneB.generate({ stages: ug, cluster }, {}));
    expect(r.makespan).toBeGreaterThanOrEqual(8 * 4.5);
    expect(new Set(r.devices.map((d) => d.bubble)).size).toBeGreaterThan(1);
    for (const d of r.devices) expectClose(d.bubble, r.makespan - d.busy);
  });
  it("link latency delays every cross-device hop", () => {
    const a = chain({ stages: 4, microBatches: 8 });
    const b = chain({ stages: 4, microBatches: 8, bytes: 1 }, 4, 0.1);
    const ra = simulate(a.ug, a.cluster, oneFOneB.generate({ stages: a.ug, cluster: a.cluster }, {}));
    const rb = simulate(b.ug, b.cluster, oneFOneB.generate({ stages: b.ug, cluster: b.cluster }, {}));
    expect(rb.makespan).toBeGreaterThan(ra.makespan + 0.5);
  });
});
