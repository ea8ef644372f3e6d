/**
 * Large-neighbourhood search over time windows (Pisinger & Ropke, "Large neighborhood search",
 * Handbook of Metaheuristics 2010; relax-and-fix in time as for job shops): sweep a window
 * [t0, t0 + L) over the incumbent, solve the window MIP (`window.ts`) with the incumbent as its
 * MIP start, re-time the solution with the simulator and keep it when it is shorter, or equally
 * long and more compact (Σ starts), within the memory cap. Windows overlap by half; a sweep
 * without any accepted round widens the window (×1.5) so the sub-MIPs grow only when the small
 * ones are exhausted; once the window spans the horizon it starts small again with twice the
 * seconds per window. Sweeps alternate direction (from the end first, where the makespan is set)
 * and shift the window boundaries by L/8 each time.
 * The incumbent never gets worse.
 */
import type { OnProgress } from "../../util/progress.js";
import type { Cluster } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { Incumbent, type RoundInfo } from "./accept.js";
import type { ModelSize } from "./fdjssp-model.js";
import { solveWindow } from "./window.js";

/** Limits and knobs of the window search. */
export interface WindowSearchOptions {
  /** Seconds for the whole search. */
  timeLimit: number;
  memoryCap: readonly number[];
  /** Stop when the incumbent reaches this bound. */
  lowerBound?: number;
  /** First window length (default 1.5 × the longest F + B). */
  length?: number;
  /** Seconds per window MIP (default 4). */
  roundLimit?: number;
  /** Branch-and-bound nodes per window MIP: a deterministic work limit. */
  nodeLimit?: number;
  /** Stop after this many window MIPs (default: no limit; with `nodeLimit`, a deterministic search). */
  maxRounds?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** The search's best schedule and its rounds. */
export interface WindowSearchResult {
  schedule: Schedule;
  sim: SimResult;
  rounds: RoundInfo[];
  largestModel: ModelSize;
  seconds: number;
}

/**
 * Improves `start` by window MIPs until the time limit, the bound, `maxRounds` or the signal (the
 * incumbent so far is the result then).
 */
export async function windowSearch(
  ug: UnitGraph,
  cluster: Cluster,
  start: Schedule,
  opts: WindowSearchOptions,
): Promise<WindowSearchResult> {
  const t0 = Date.now();
  const left = () => opts.timeLimit - (Date.now() - t0) / 1000;
  const inc = new Incumbent(ug, cluster, opts.memoryCap, start);
  const L0 = opts.length ?? firstLength(ug, cluster);
  const maxRounds = opts.maxRounds ?? Number.POSITIVE_INFINITY;
  const done = () =>
    !!opts.signal?.aborted ||
    left() <= 0.5 ||
    inc.rounds.length >= maxRounds ||
    (opts.lowerBound !== undefined && inc.sim.makespan <= opts.lowerBound + 1e-9);
  let L = L0;
  let roundLimit = opts.roundLimit ?? 4;
  for (let sweep = 0; !done(); sweep++) {
    let accepted = 0;
    for (const a of windowStarts(inc.sim.makespan, L, sweep)) {
      if (done()) break;
      const r = await solveWindow({
        ug,
        cluster,
        sim: inc.sim,
        memoryCap: opts.memoryCap,
        t0: a,
        t1: a + L,
        timeLimit: Math.max(0.5, Math.min(roundLimit, left())),
        gap: 1e-5,
        seed: (opts.seed ?? 0) + inc.rounds.length,
        ...(opts.nodeLimit !== undefined ? { nodeLimit: opts.nodeLimit } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const round = inc.offer(r, a, a + L);
      if (round.accepted) accepted++;
      opts.onProgress?.({
        label: "mip",
        done: Math.min(Math.ceil(opts.timeLimit), Math.round((Date.now() - t0) / 1000)),
        total: Math.ceil(opts.timeLimit),
        detail: `makespan ${inc.sim.makespan.toFixed(3)} window [${a.toFixed(1)}, ${(a + L).toFixed(1)}) ${r.result.status}`,
      });
      if (r.result.status === "interrupted") return finish();
    }
    if (accepted > 0) continue;
    if (L >= inc.sim.makespan) {
      // every length tried without a gain: start small again with twice the time per window, so
      // windows that hit their limit before get to finish
      L = L0;
      roundLimit *= 2;
    } else L = Math.min(inc.sim.makespan, L * 1.5);
  }
  return finish();

  function finish(): WindowSearchResult {
    const seconds = (Date.now() - t0) / 1000;
    return { schedule: inc.best(), sim: inc.sim, rounds: inc.rounds, largestModel: inc.largest, seconds };
  }
}

/** 1.5 × the longest F + B on the slowest device. */
function firstLength(ug: UnitGraph, cluster: Cluster): number {
  let pairMax = 0;
  for (const u of ug.units) pairMax = Math.max(pairMax, u.forward + u.backward);
  return (1.5 * pairMax) / Math.min(...cluster.devices.map((d) => d.speed));
}

/**
 * Window starts of one sweep over [0, T): every L/2, shifted by L/8 from sweep to sweep, from the
 * end first on even sweeps.
 */
function windowStarts(T: number, L: number, sweep: number): number[] {
  const starts: number[] = [];
  const shift = ((sweep % 4) * L) / 8;
  for (let a = -shift; a < T; a += L / 2) starts.push(Math.max(0, a));
  return sweep % 2 === 0 ? starts.reverse() : starts;
}
