/**
 * Whether a MIP's schedule replaces the incumbent. The simulator re-times it (the MIP's own times
 * are not trusted), I+W is fused into one B where that is no slower, and it is kept only when it
 * fits every device's memory cap and beats the incumbent: shorter, or as short and more compact
 * (smaller sum of start times). This is what makes every search "never worse than its start".
 */
import type { SolveResult } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import type { Action, Schedule } from "../schedule.js";
import { type SimResult, simulate } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { type ModelSize, NO_MODEL } from "./fdjssp-model.js";

/** Σ of every action's start: smaller is more compact. */
function sumStarts(sim: SimResult): number {
  let s = 0;
  for (const d of sim.devices) for (const a of d.timeline) s += a.start;
  return s;
}

/** Merges an I immediately followed by its own W into one full backward B (same device time). */
function fuseBackwards(s: Schedule): Schedule {
  return {
    ...s,
    devices: s.devices.map((list) => {
      const out: Action[] = [];
      for (const a of list) {
        const prev = out.at(-1);
        if (a.pass === "W" && prev?.pass === "I" && prev.unit === a.unit && prev.mb === a.mb)
          out[out.length - 1] = { pass: "B", unit: a.unit, mb: a.mb };
        else out.push(a);
      }
      return out;
    }),
  };
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

/** One MIP round of a search: its window, the solver's outcome and whether it was kept. */
export interface RoundInfo {
  t0: number;
  t1: number;
  status: string;
  objective: number | null;
  bound: number | null;
  seconds: number;
  accepted: boolean;
  size: ModelSize;
}

/** What a round offers: a solve and the schedule it encodes. */
export interface RoundOutcome {
  result: SolveResult;
  schedule: Schedule | null;
  size: ModelSize;
}

/** The incumbent of a search and its rounds; it only ever gets better. */
export class Incumbent {
  schedule: Schedule;
  sim: SimResult;
  readonly rounds: RoundInfo[] = [];
  /** The round model with the most integer variables. */
  largest: ModelSize = NO_MODEL;
  readonly #start: Schedule;

  constructor(
    readonly ug: UnitGraph,
    readonly cluster: Cluster,
    readonly memoryCap: readonly number[],
    start: Schedule,
  ) {
    this.#start = start;
    this.schedule = start;
    this.sim = simulate(ug, cluster, start);
  }

  /** Records a round over [t0, t1) and keeps its schedule when it improves on the incumbent. */
  offer(r: RoundOutcome, t0: number, t1: number): RoundInfo {
    if (r.size.integers > this.largest.integers) this.largest = r.size;
    const next = r.schedule ? improvesOn(this.ug, this.cluster, r.schedule, this.memoryCap, this.sim) : null;
    if (next) {
      this.schedule = next.schedule;
      this.sim = next.sim;
    }
    const { status, objective, bound, seconds } = r.result;
    const info = { t0, t1, status, objective, bound, seconds, accepted: next !== null, size: r.size };
    this.rounds.push(info);
    return info;
  }

  /** The best schedule, named "mip" when a round changed it. */
  best(): Schedule {
    return { ...this.schedule, name: this.schedule === this.#start ? this.#start.name : "mip" };
  }
}
