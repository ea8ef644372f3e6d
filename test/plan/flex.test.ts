/**
 * Flexible placement in the whole-model FDJSSP MIP: the assignment variables find a placement
 * better than the warm start's, checked against brute force over placements × device orders.
 * Solver work is bounded by node limits; the time limits are a safety net only.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../src/plan/cluster.js";
import { transformerChain } from "../../src/plan/generators.js";
import { parseGraph } from "../../src/plan/graph.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { solveWholeModel } from "../../src/plan/planner/fdjssp.js";
import { improveByMip } from "../../src/plan/planner/lns.js";
import { runPlan } from "../../src/plan/run.js";
import type { Action, Schedule } from "../../src/plan/schedule.js";
import { simulate } from "../../src/plan/simulate.js";
import { type UnitGraph, unitsFromGraph } from "../../src/plan/units.js";
import { runCli } from "../helpers/cli.js";

const SAFETY = 600;
const limits = { timeLimit: SAFETY, nodeLimit: 20_000 };

/** a → b, a → c: two parallel branches after a common root (one micro-batch). */
function branches(): UnitGraph {
  const op = (id: string, k: number) => ({ id, forward: k, backward: 2 * k, weight: k, activationBytes: 1 });
  return unitsFromGraph(
    parseGraph({
      name: "branches",
      microBatches: 1,
      operators: [op("a", 1), op("b", 1.5), op("c", 1)],
      edges: [
        { from: "a", to: "b", bytes: 0 },
        { from: "a", to: "c", bytes: 0 },
      ],
    }),
  );
}

/** Every interleaving of the jobs' F < I < W chains (one micro-batch). */
function orders(units: number[]): Action[][] {
  const out: Action[][] = [];
  const next = new Map(units.map((u) => [u, 0]));
  const cur: Action[] = [];
  const passes = ["F", "I", "W"] as const;
  const rec = () => {
    if (cur.length === units.length * 3) {
      out.push([...cur]);
      return;
    }
    for (const u of units) {
      const k = next.get(u)!;
      if (k === 3) continue;
      cur.push({ pass: passes[k]!, unit: u, mb: 0 });
      next.set(u, k + 1);
      rec();
      next.set(u, k);
      cur.pop();
    }
  };
  rec();
  return out;
}

/** Best makespan over every placement of the units on `devices` devices and every device order. */
function bruteForce(
  ug: UnitGraph,
  cluster: ReturnType<typeof parseCluster>,
  devices: number,
  caps: number[] = [],
): number {
  const U = ug.units.length;
  let best = Number.POSITIVE_INFINITY;
  for (let code = 0; code < devices ** U; code++) {
    const on: number[][] = Array.from({ length: devices }, () => []);
    for (let u = 0, c = code; u < U; u++, c = Math.floor(c / devices)) on[c % devices]!.push(u);
    const lists = on.map((us) => orders(us));
    const pick = (d: number, acc: Action[][]) => {
      if (d === devices) {
        try {
          const sim = simulate(ug, cluster, { name: "bf", devices: acc });
          if (sim.devices.every((d, k) => d.peakMemoryBytes <= (caps[k] ?? Number.POSITIVE_INFINITY)))
            best = Math.min(best, sim.makespan);
        } catch {
          // a deadlocking order is no schedule
        }
        return;
      }
      for (const l of lists[d]!) pick(d + 1, [...acc, l]);
    };
    pick(0, []);
  }
  return best;
}

describe("FDJSSP MIP with assignment variables", () => {
  const ug = branches();
  const cluster = parseCluster({ devices: 2, link: { bandwidthBytesPerSecond: 1e12, latencySeconds: 0.5 } });
  // warm start: both branches on device 0 (device 1 idle)
  const warm: Schedule = {
    name: "one-device",
    devices: [
      [
        { pass: "F", unit: 0, mb: 0 },
        { pass: "F", unit: 1, mb: 0 },
        { pass: "F", unit: 2, mb: 0 },
        { pass: "B", unit: 2, mb: 0 },
        { pass: "B", unit: 1, mb: 0 },
        { pass: "B", unit: 0, mb: 0 },
      ],
      [],
    ],
  };
  const warmSim = simulate(ug, cluster, warm);

  it("moves a branch to the idle device and reaches the brute-force optimum", async () => {
    const opt = bruteForce(ug, cluster, 2);
    expect(opt).toBeLessThan(warmSim.makespan - 1); // the warm placement is provably worse
    const r = await solveWholeModel({
      ug,
      cluster,
      warmSim,
      memoryCap: [10, 10],
      placement: "free",
      ...limits,
    });
    expect(r.result.status).toBe("optimal");
    expect(r.schedule).not.toBeNull();
    const sim = simulate(ug, cluster, r.schedule!);
    expect(sim.makespan).toBeCloseTo(opt, 6);
    // objective = makespan + a tie-breaker below 0.05 (ε Σ starts)
    expect(r.result.objective!).toBeGreaterThanOrEqual(opt - 1e-6);
    expect(r.result.objective!).toBeLessThan(opt + 0.05);
    expect(new Set(r.unitDevice).size).toBe(2); // the branches are split
    expect(r.symmetryBroken).toBe(true);
    expect(r.size.integers).toBeGreaterThan(0);
  });

  it("units with a fixed device keep it", async () => {
    // all three pinned to device 0: nothing can move, the warm start is optimal for it
    const pinned = await solveWholeModel({
      ug,
      cluster,
      warmSim,
      memoryCap: [10, 10],
      placement: "free",
      fixedDevice: [0, 0, 0],
      ...limits,
    });
    expect(pinned.unitDevice).toEqual([0, 0, 0]);
    expect(simulate(ug, cluster, pinned.schedule!).makespan).toBeCloseTo(warmSim.makespan, 6);
    // b pinned to device 0: c is the one that moves
    const r = await solveWholeModel({
      ug,
      cluster,
      warmSim,
      memoryCap: [10, 10],
      placement: "free",
      fixedDevice: [undefined, 0, undefined],
      ...limits,
    });
    expect(r.symmetryBroken).toBe(false);
    expect(r.unitDevice![1]).toBe(0);
    expect(r.unitDevice![2]).toBe(1);
    expect(r.schedule!.devices[0]!.some((a) => a.unit === 1)).toBe(true);
    expect(simulate(ug, cluster, r.schedule!).makespan).toBeLessThan(warmSim.makespan - 1);
  });

  it("memory per device: with one activation per device the MIP meets the brute-force optimum under the caps", async () => {
    const caps = [1, 1];
    // warm start within the caps: a alone on device 0 (idle while the branches run), c then b on device 1
    const w: Schedule = {
      name: "capped",
      devices: [
        [
          { pass: "F", unit: 0, mb: 0 },
          { pass: "B", unit: 0, mb: 0 },
        ],
        [
          { pass: "F", unit: 2, mb: 0 },
          { pass: "B", unit: 2, mb: 0 },
          { pass: "F", unit: 1, mb: 0 },
          { pass: "B", unit: 1, mb: 0 },
        ],
      ],
    };
    const wSim = simulate(ug, cluster, w);
    wSim.devices.forEach((d) => expect(d.peakMemoryBytes).toBe(1));
    const opt = bruteForce(ug, cluster, 2, caps);
    expect(opt).toBeGreaterThan(bruteForce(ug, cluster, 2) + 1e-6); // the caps bind
    const r = await solveWholeModel({
      ug,
      cluster,
      warmSim: wSim,
      memoryCap: caps,
      placement: "free",
      ...limits,
    });
    expect(r.result.status).toBe("optimal");
    const sim = simulate(ug, cluster, r.schedule!);
    sim.devices.forEach((d, k) => expect(d.peakMemoryBytes).toBeLessThanOrEqual(caps[k]!));
    expect(sim.makespan).toBeCloseTo(opt, 6);
    expect(sim.makespan).toBeLessThan(wSim.makespan - 1); // 10 against the warm start's 11.5
  });

  it("improveByMip: a fixed-placement round first, then the free one from its result; never worse", async () => {
    // the fixed-placement rounds can only confirm the warm start here: a node limit of 1 stops them
    // at the root (status node_limit) and leaves the free round, solved at its root, to prove 7
    const opts = { timeLimit: SAFETY, nodeLimit: 1, memoryCap: [10, 10] };
    const fixedRun = await improveByMip(ug, cluster, warm, { ...opts, placement: "fixed" });
    expect(fixedRun.placement).toBe("fixed");
    expect(fixedRun.sim.makespan).toBeCloseTo(warmSim.makespan, 6); // one device: nothing to gain
    const free = await improveByMip(ug, cluster, warm, { ...opts, placement: "free" });
    expect(free.placement).toBe("free");
    expect(free.rounds.length).toBe(2);
    expect(free.sim.makespan).toBeCloseTo(bruteForce(ug, cluster, 2), 6);
    expect(free.provedOptimal).toBe(true);
    // too many operations for assignment variables: fixed, with the reason
    const big = await improveByMip(ug, cluster, warm, { ...opts, placement: "free", flexibleUpTo: 6 });
    expect(big.placement).toBe("fixed");
    expect(big.placementNote).toContain("9 operations");
  });
});

describe("runPlan placement option", () => {
  const branchy = (microBatches: number) =>
    parseGraph({
      name: "branches",
      microBatches,
      operators: ["a", "b", "c"].map((id) => ({
        id,
        forward: 1,
        backward: 2,
        weight: 1,
        activationBytes: 1,
      })),
      edges: [
        { from: "a", to: "b", bytes: 0 },
        { from: "a", to: "c", bytes: 0 },
      ],
    });
  const c = parseCluster({ devices: 2, link: { latencySeconds: 0.25 } });
  it("auto: free on a graph without stage fields, never worse than any candidate", async () => {
    const run = await runPlan(
      branchy(3),
      c,
      PlanOptionsSchema.parse({ timeLimitSeconds: 60, nodeLimit: 5000 }),
    );
    expect(run.mip!.placement).toBe("free");
    expect(run.mip!.notes[0]).toContain("placement free");
    const mk = run.best!.sim.makespan;
    for (const x of run.candidates) expect(mk).toBeLessThanOrEqual(x.sim.makespan + 1e-9);
    expect(run.mip!.lowerBound!).toBeLessThanOrEqual(mk + 1e-9);
  });
  it("auto: fixed when the graph gives stages or the best start splits a unit's micro-batches", async () => {
    const staged = await runPlan(
      parseGraph(transformerChain({ stages: 2, microBatches: 2 })),
      c,
      PlanOptionsSchema.parse({ timeLimitSeconds: 60, nodeLimit: 5000 }),
    );
    expect(staged.mip!.placement).toBe("fixed");
    expect(staged.mip!.notes[0]).toContain("the graph gives operators' stages");
    const dual = await runPlan(
      branchy(2),
      c,
      PlanOptionsSchema.parse({ timeLimitSeconds: 60, nodeLimit: 5000 }),
    );
    expect(dual.mip!.warmStart).toContain("dual");
    expect(dual.mip!.placement).toBe("fixed");
    expect(dual.mip!.notes[0]).toContain("different devices");
  });
});

describe("free placement against a per-micro-batch candidate", () => {
  it("a kept DualPipe-style plan below the per-unit MIP's bound gets no bound and no optimal status", async () => {
    const { multimodal } = await import("../../src/plan/generators.js");
    const g = parseGraph(multimodal({ microBatches: 2 }));
    const c = parseCluster({ devices: 2, link: { latencySeconds: 0.25 } });
    const run = await runPlan(
      g,
      c,
      PlanOptionsSchema.parse({ timeLimitSeconds: 60, nodeLimit: 20_000, placement: "free" }),
    );
    const m = run.mip!;
    expect(m.placement).toBe("free");
    // the per-unit optimum (proved by the free MIP) is above the two-direction greedy schedule
    expect(m.rounds.at(-1)!.status).toBe("optimal");
    expect(m.rounds.at(-1)!.objective!).toBeGreaterThan(run.best!.sim.makespan + 1);
    expect(m.notes.some((n) => n.includes("is kept as the plan"))).toBe(true);
    expect(m.lowerBound).toBeNull();
    expect(m.gap).toBeNull();
    expect(m.status).toBe("time_limit");
  });
});

describe("frugal plan --placement", () => {
  it("compare --placement free reports it in the JSON; a bad mode is a usage error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plan-flex-"));
    const g = join(dir, "g.json");
    const cl = join(dir, "c.json");
    const op = (id: string) => ({ id, forward: 1, backward: 2, weight: 1, activationBytes: 1 });
    await writeFile(
      g,
      JSON.stringify({
        name: "branches",
        microBatches: 1,
        operators: [op("a"), op("b"), op("c")],
        edges: [
          { from: "a", to: "b", bytes: 0 },
          { from: "a", to: "c", bytes: 0 },
        ],
      }),
    );
    await writeFile(cl, JSON.stringify({ devices: 2, link: { latencySeconds: 0.5 } }));
    const base = [
      "plan",
      "compare",
      "--graph",
      g,
      "--cluster",
      cl,
      "--time-limit",
      "60",
      "--node-limit",
      "5000",
    ];
    const r = await runCli([...base, "--placement", "free", "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { mip: { placement: string; status: string } };
    expect(doc.mip.placement).toBe("free");
    expect(doc.mip.status).toBe("optimal");
    const bad = await runCli([...base, "--placement", "anywhere"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'frugal: error: --placement: "anywhere" is not one of auto, fixed, free; run `frugal plan compare --help` for usage\n',
    );
  });
});
