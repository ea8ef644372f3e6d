/**
 * The MIP planner on small instances. Solver work is bounded by node limits with a generous time
 * limit as a safety net only, so every assertion holds however loaded the machine is.
 */
import { describe, expect, it } from "vitest";
import { lowerBound } from "../../src/plan/bound.js";
import { parseCluster } from "../../src/plan/cluster.js";
import { transformerChain } from "../../src/plan/generators.js";
import { parseGraph } from "../../src/plan/graph.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { linearPlacement } from "../../src/plan/placement.js";
import { solveWholeModel } from "../../src/plan/planner/fdjssp.js";
import { improveByMip } from "../../src/plan/planner/lns.js";
import { runPlan } from "../../src/plan/run.js";
import type { Schedule } from "../../src/plan/schedule.js";
import { oneFOneB } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

/** Seconds no test should come near: a safety net, not a limit any assertion depends on. */
const SAFETY = 600;
const limits = { timeLimit: SAFETY, nodeLimit: 20_000 };

describe("FDJSSP MIP", () => {
  it("improves 1F1B on a 2-stage chain and proves optimality for its placement", async () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 2, forwardBackward: 2 });
    const warm = oneFOneB.generate({ stages: ug, cluster }, {});
    const ws = simulate(ug, cluster, warm);
    const r = await improveByMip(ug, cluster, warm, { ...limits, memoryCap: [10, 10] });
    expect(ws.makespan).toBe(9);
    // the pairing lower bound (bound.ts) is 7, so a plan of 7 is optimal: the MIP must reach it
    expect(lowerBound(ug, cluster, linearPlacement(2), [10, 10])).toBe(7);
    expect(r.sim.makespan).toBeCloseTo(7, 9);
    expect(r.provedOptimal).toBe(true);
    expect(r.mipBound).not.toBeNull();
    expect(r.mipBound!).toBeLessThanOrEqual(r.sim.makespan + 1e-6);
    expect(r.mipBound!).toBeGreaterThan(r.sim.makespan - 0.05 - 1e-6); // bound − tie-breaker
  });

  it("the memory cap binds: one activation per device serializes the micro-batches at the known optimum", async () => {
    // With one live activation per device, micro-batch m + 1 cannot start its forward on device 0
    // before the W of m ends there, so device 0 repeats F0, (F1, I1 on device 1), I0, W0:
    // 1 + (1 + 1) + 1 + 1 = 5 per micro-batch, 10 for two; nothing overlaps (an F&B chunk would
    // hold two activations). The MIP must find exactly that from a serial full-backward start (12).
    const { ug, cluster } = chain({ stages: 2, microBatches: 2, forwardBackward: 2 });
    const serial: Schedule = {
      name: "serial",
      devices: [0, 1].map((s) =>
        [0, 1].flatMap((mb) => [
          { pass: "F" as const, unit: s, mb },
          { pass: "B" as const, unit: s, mb },
        ]),
      ),
    };
    expect(simulate(ug, cluster, serial).makespan).toBe(12);
    const caps = [1, 1];
    const r = await improveByMip(ug, cluster, serial, { ...limits, memoryCap: caps });
    expect(r.provedOptimal).toBe(true);
    expect(r.sim.makespan).toBeCloseTo(10, 9);
    r.sim.devices.forEach((d, i) => expect(d.peakMemoryBytes).toBeLessThanOrEqual(caps[i]!));
    expect(r.schedule.devices.flat().some((a) => a.pass === "FB")).toBe(false);
    // without the cap the same instance reaches its pairing bound 7: the cap is what binds
    const free = await improveByMip(ug, cluster, serial, { ...limits, memoryCap: [10, 10] });
    expect(free.sim.makespan).toBeCloseTo(7, 9);
  });

  it("reports the model size and accepts the warm start as its incumbent", async () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 2, forwardBackward: 2.5 });
    const warm = oneFOneB.generate({ stages: ug, cluster }, {});
    const ws = simulate(ug, cluster, warm);
    const r = await solveWholeModel({
      ug,
      cluster,
      warmSim: ws,
      memoryCap: [9, 9],
      placement: "fixed",
      timeLimit: SAFETY,
      nodeLimit: 1,
    });
    expect(r.size.integers).toBeGreaterThan(0);
    expect(r.size.constraints).toBeGreaterThan(0);
    // the warm start's objective is its makespan plus the tie-breaker (ε Σ starts ≤ 0.05)
    const note = r.result.notes.find((n) => n.startsWith("warm start accepted"));
    expect(note, r.result.notes.join("; ")).toBeDefined();
    const accepted = Number(/objective (\S+)\)/.exec(note ?? "")?.[1]);
    expect(accepted).toBeGreaterThanOrEqual(ws.makespan);
    expect(accepted).toBeLessThanOrEqual(ws.makespan + r.tieBreak + 1e-9);
    expect(["node_limit", "optimal"]).toContain(r.result.status);
    expect(r.result.objective!).toBeLessThanOrEqual(accepted + 1e-9);
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
      PlanOptionsSchema.parse({ memoryLimitFrom: "dualpipe", timeLimitSeconds: 3, nodeLimit: 500 }),
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
  it("more stages than operators is an input error naming options.stages", async () => {
    const g = parseGraph(transformerChain({ stages: 2, microBatches: 4 }));
    const c = parseCluster({ devices: 2 });
    await expect(runPlan(g, c, PlanOptionsSchema.parse({ stages: 3, mip: false }))).rejects.toThrow(
      "options.stages: 3 stages but the graph has 2 operators; use at most one stage per operator",
    );
  });
});
