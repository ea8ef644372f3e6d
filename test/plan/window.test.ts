/**
 * Window MIPs of the large-neighbourhood search: the incumbent is a feasible start, solutions
 * replay in the simulator. Node limits and a round count bound the work; the time limits are a
 * safety net only.
 */
import { describe, expect, it } from "vitest";
import { solveWindow } from "../../src/plan/planner/window.js";
import { windowSearch } from "../../src/plan/planner/window-lns.js";
import { baselines } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

const SAFETY = 600;

function dualPipeOn(S: number, M: number, fb: number, latency = 0) {
  const { ug, cluster } = chain({ stages: S, microBatches: M, forwardBackward: fb }, S, latency);
  const b = baselines().find((x) => x.name === "dualpipe")!;
  const warm = b.generate({ stages: ug, cluster }, b.params.parse({}));
  const sim = simulate(ug, cluster, warm);
  return { ug, cluster, warm, sim, cap: sim.devices.map((d) => d.peakMemoryBytes) };
}

describe("window MIP", () => {
  it("the incumbent is a feasible MIP start; the solution replays no later than the MIP's makespan, within memory", async () => {
    const { ug, cluster, sim, cap } = dualPipeOn(4, 8, 2.5, 0.1);
    for (const [t0, t1] of [
      [0, 5],
      [8, 14],
    ] as const) {
      const r = await solveWindow({
        ug,
        cluster,
        sim,
        memoryCap: cap,
        t0,
        t1,
        timeLimit: SAFETY,
        nodeLimit: 2000,
      });
      expect(r.startViolation).toBeLessThanOrEqual(1e-9);
      expect(r.freeOps).toBeGreaterThan(0);
      expect(r.result.objective).not.toBeNull();
      // C ≤ incumbent makespan, plus the small compaction term
      expect(r.result.objective!).toBeLessThanOrEqual(sim.makespan + 0.011);
      const s = simulate(ug, cluster, r.schedule!);
      expect(s.makespan).toBeLessThanOrEqual(r.result.objective! + 1e-6);
      s.devices.forEach((d, i) => expect(d.peakMemoryBytes).toBeLessThanOrEqual(cap[i]! + 1e-9));
    }
  });
  it("the search chooses overlapped chunks that beat DualPipe at DualPipe's memory and never gets worse", async () => {
    const { ug, cluster, warm, sim, cap } = dualPipeOn(4, 8, 2.5);
    const opts = { timeLimit: SAFETY, roundLimit: SAFETY, nodeLimit: 2000, maxRounds: 12, memoryCap: cap };
    const r = await windowSearch(ug, cluster, warm, opts);
    expect(r.rounds.length).toBe(12);
    expect(r.sim.makespan).toBeLessThan(sim.makespan);
    expect(r.rounds.some((x) => x.accepted)).toBe(true);
    r.sim.devices.forEach((d, i) => expect(d.peakMemoryBytes).toBeLessThanOrEqual(cap[i]!));
    expect(r.schedule.devices.flat().filter((a) => a.pass === "FB").length).toBeGreaterThan(0);
    // deterministic: the same rounds give the same schedule
    const again = await windowSearch(ug, cluster, warm, opts);
    expect(again.sim.makespan).toBe(r.sim.makespan);
    expect(again.rounds.map((x) => x.accepted)).toEqual(r.rounds.map((x) => x.accepted));
  });
});
