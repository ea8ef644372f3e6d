/**
 * Whether a MIP's schedule replaces the incumbent. The simulator re-times it (the MIP's own times
 * are not trusted), I+W is fused into one B where that is no slower, and it is kept only when it
 * fits every device's memory cap and beats the incumbent: shorter, or as short and more compact
 * (smaller sum of start times). This is what makes every search "never worse than its start".
 */
import type { Cluster } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import { type SimResult, simulate } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { fuseBackwards } from "./fdjssp.js";

export function sumStarts(sim: SimResult): number {
  let s = 0;
  for (const d of sim.devices) for (const a of d.timeline) s += a.start;
  return s;
}

/** The re-timed candidate when it fits the caps and beats the incumbent; null otherwise. */
export function improvesOn(
  ug: UnitGraph,
  cluster: Cluster,
  candidate: Schedule,
  memoryCap: readonly number[],
  incumbent: SimResult,
): { schedule: Schedule; sim: SimResult } | null {
  let schedule = candidate;
  let sim: SimResult;
  try {
    sim = simulate(ug, cluster, schedule);
    // I then W is kept split where a fused B would hold the input gradient back until W ends
    const fused = fuseBackwards(schedule);
    const fsim = simulate(ug, cluster, fused);
    if (fsim.makespan <= sim.makespan + 1e-9 && sumStarts(fsim) <= sumStarts(sim) + 1e-9) {
      schedule = fused;
      sim = fsim;
    }
  } catch {
    // an order the simulator rejects (a MIP solution outside the simulator's model) is dropped
    return null;
  }
  const memOk = sim.devices.every(
    (d, i) => d.peakMemoryBytes <= (memoryCap[i] ?? Number.POSITIVE_INFINITY) + 1e-9,
  );
  const better =
    sim.makespan < incumbent.makespan - 1e-9 ||
    (sim.makespan <= incumbent.makespan + 1e-9 && sumStarts(sim) < sumStarts(incumbent) - 1e-6);
  return memOk && better ? { schedule, sim } : null;
}
