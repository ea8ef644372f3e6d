/** The MIP planner on small instances with short time limits: never worse than its warm start. */
import { describe, expect, it } from "vitest";
import { placementOf } from "../../src/plan/bound.js";
import { parseCluster } from "../../src/plan/cluster.js";
import { runPlan } from "../../src/plan/compare.js";
import { transformerChain } from "../../src/plan/generators.js";
import { parseGraph } from "../../src/plan/graph.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { solveRound } from "../../src/plan/planner/fdjssp.js";
import { improveByMip } from "../../src/plan/planner/lns.js";
import { oneFOneB } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

describe("FDJSSP MIP", () => {
  it("improves 1F1B on a 2-stage chain with overlap and proves optimality for its placement", async () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 3, forwardBackward: 2 });
    const warm = oneFOneB.generate({ stages: ug, cluster }, {});
    const ws = simulate(ug, cluster, warm);
    const r = await improveByMip(ug, cluster, placementOf(ug, warm.devices), warm, {
      timeLimit: 20,
      memoryCap: [10, 10],
    });
    expect(r.sim.makespan).toBeLessThan(ws.makespan);
    expect(r.provedOptimal).toBe(true);
    expect(r.mipBound).not.toBeNull();
    expect(r.mipBound!).toBeLessThanOrEqual(r.sim.makespan + 1e-6);
    // the plan uses overlapped chunks, and the simulator agrees with it
    expect(r.schedule.devices.flat().some((a) => a.pass === "FB")).toBe(true);
  });
  it("the memory cap binds: with 1 activation per device there is no overlap of two micro-batches", async () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 3, forwardBackward: 2 });
    const warm = oneFOneB.generate({ stages: ug, cluster }, {});
    const capped = simulate(ug, cluster, warm).devices.map((d) => d.peakMemoryBytes);
    const r = await improveByMip(ug, cluster, placementOf(ug, warm.devices), warm, {
      timeLimit: 20,
      memoryCap: capped,
    });
    r.sim.devices.forEach((d, i) => expect(d.peakMemoryBytes).toBeLessThanOrEqual(capped[i]!));
  });
  it("reports the model size and accepts the warm start as its incumbent", async () => {
    const { ug, cluster } = chain({ stages: 3, microBatches: 4, forwardBackward: 2.5 });
    const warm = oneFOneB.generate({ stages: ug, cluster }, {});
    const ws = simulate(ug, cluster, warm);
    const r = await solveRound({
      ug,
      cluster,
      place: placementOf(ug, warm.devices),
      warm,
      warmSim: ws,
      memoryCap: [9, 9, 9],
      spec: { t0: 0, t1: 1e9, window: 4 },
      timeLimit: 5,
    });
    expect(r.size.integers).toBeGreaterThan(0);
    expect(r.size.constraints).toBeGreaterThan(0);
    expect(r.result.objective).not.toBeNull();
    expect(r.result.objective!).toBeLessThanOrEqual(ws.makespan + 1e-3);
  });
});

describe("runPlan", () => {
  it("MIP plan is never worse than any candidate that fits the memory limit", async () => {
    const g = parseGraph(
      transformerChain({ stages: 4, microBatches: 8, forwardBackward: 2.5, scale: [1.5, 1, 1, 1.5] }),
    );
    const c = parseCluster({ devices: 4, link: { latencySeconds: 0.1 } });
    const run = await runPlan(
      g,
      c,
      PlanOptionsSchema.parse({ memoryLimitFrom: "dualpipe", timeLimitSeconds: 6 }),
    );
    const mip = run.candidates.find((x) => x.kind === "mip")!;
    const fits = run.candidates.filter((x) =>
      x.sim.devices.every((d, i) => d.peakMemoryBytes <= run.memoryLimitBytes[i]! + 1e-9),
    );
    for (const x of fits) expect(mip.sim.makespan).toBeLessThanOrEqual(x.sim.makespan + 1e-9);
    expect(run.mip!.lowerBound!).toBeLessThanOrEqual(mip.sim.makespan + 1e-9);
    expect(["optimal", "time_limit"]).toContain(run.mip!.status);
  });
  it("memory no schedule can fit is an infeasible result with the smallest memory that works", async () => {
    const g = parseGraph(transformerChain({ stages: 2, microBatches: 4, activationBytes: 3 }));
    const c = parseCluster({ devices: 2 });
    const run = await runPlan(g, c, PlanOptionsSchema.parse({ memoryLimitBytes: 2, timeLimitSeconds: 2 }));
    expect(run.best).toBeNull();
    expect(run.mip!.status).toBe("infeasible");
    expect(run.mip!.minimumMemoryBytes).toBe(3);
  });
  it("branchy graph on fewer devices than operators: graph placements apply, chain baselines are skipped with a note", async () => {
    const { multimodal } = await import("../../src/plan/generators.js");
    const g = parseGraph(multimodal({ microBatches: 4, overlapFactor: 0.9 }));
    const c = parseCluster({ devices: 2 });
    const run = await runPlan(g, c, PlanOptionsSchema.parse({ stages: 4, mip: false }));
    expect(run.notes.some((n) => n.includes("needs 4 devices, the cluster has 2"))).toBe(true);
    expect(run.candidates.some((x) => x.name.startsWith("greedy:graph"))).toBe(true);
  });
});
