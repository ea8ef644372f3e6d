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
import { throwIfAborted } from "../../errors/index.js";
import type { OnProgress } from "../../util/progress.js";
import type { Cluster } from "../cluster.js";
import type { Placement } from "../placement.js";
import type { Schedule } from "../schedule.js";
import { type SimResult, simulate } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { improvesOn } from "./accept.js";
import type { ModelSize } from "./fdjssp.js";
import type { RoundInfo } from "./lns.js";
import { solveWindow } from "./window.js";

export interface WindowSearchOptions {
  timeLimit: number;
  memoryCap: number[];
  /** Stop when the incumbent reaches this bound. */
  lowerBound?: number;
  /** First window length (default 1.5 × the longest F + B). */
  length?: number;
  /** Seconds per window MIP (default 4). */
  roundLimit?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

export interface WindowSearchResult {
  schedule: Schedule;
  sim: SimResult;
  rounds: RoundInfo[];
  largestModel: ModelSize;
  seconds: number;
}

export async function windowSearch(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  start: Schedule,
  opts: WindowSearchOptions,
): Promise<WindowSearchResult> {
  const t0 = Date.now();
  const left = () => opts.timeLimit - (Date.now() - t0) / 1000;
  let best = start;
  let bestSim = simulate(ug, cluster, start);
  const rounds: RoundInfo[] = [];
  let largest: ModelSize = { variables: 0, constraints: 0, integers: 0, nonzeros: 0 };
  let pairMax = 0;
  for (const u of ug.units) pairMax = Math.max(pairMax, u.forward + u.backward);
  const minSpeed = Math.min(...cluster.devices.map((d) => d.speed));
  const L0 = opts.length ?? (1.5 * pairMax) / minSpeed;
  let L = L0;
  let roundLimit = opts.roundLimit ?? 4;
  const atBound = () => opts.lowerBound !== undefined && bestSim.makespan <= opts.lowerBound + 1e-9;
  let sweep = 0;
  while (left() > 0.5 && !atBound()) {
    throwIfAborted(opts.signal, "plan");
    const T = bestSim.makespan;
    const starts: number[] = [];
    // window boundaries shift by L/8 from sweep to sweep
    const shift = ((sweep % 4) * L) / 8;
    for (let a = -shift; a < T; a += L / 2) starts.push(Math.max(0, a));
    if (sweep % 2 === 0) starts.reverse();
    let accepted = 0;
    for (const a of starts) {
      if (left() <= 0.5 || atBound()) break;
      const r = await solveWindow({
        ug,
        cluster,
        place,
        sim: bestSim,
        memoryCap: opts.memoryCap,
        t0: a,
        t1: a + L,
        timeLimit: Math.max(0.5, Math.min(roundLimit, left())),
        gap: 1e-5,
        seed: (opts.seed ?? 0) + rounds.length,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.size.integers > largest.integers) largest = r.size;
      let ok = false;
      const next = r.schedule ? improvesOn(ug, cluster, r.schedule, opts.memoryCap, bestSim) : null;
      if (next) {
        best = next.schedule;
        bestSim = next.sim;
        ok = true;
        accepted++;
      }
      rounds.push({
        t0: a,
        t1: a + L,
        status: r.result.status,
        objective: r.result.objective,
        bound: r.result.bound,
        seconds: r.result.seconds,
        accepted: ok,
        size: r.size,
      });
      opts.onProgress?.({
        label: "mip",
        done: Math.min(Math.ceil(opts.timeLimit), Math.round((Date.now() - t0) / 1000)),
        total: Math.ceil(opts.timeLimit),
        detail: `makespan ${bestSim.makespan.toFixed(3)} window [${a.toFixed(1)}, ${(a + L).toFixed(1)}) ${r.result.status}`,
      });
      if (r.result.status === "interrupted") return finish();
    }
    sweep++;
    if (accepted === 0) {
      if (L >= T) {
        // every length tried without a gain: start small again with twice the time per window,
        // so windows that hit their limit before get to finish
        L = L0;
        roundLimit *= 2;
      } else L = Math.min(T, L * 1.5);
    }
  }
  return finish();

  function finish(): WindowSearchResult {
    return {
      schedule: { ...best, name: best === start ? start.name : "mip" },
      sim: bestSim,
      rounds,
      largestModel: largest,
      seconds: (Date.now() - t0) / 1000,
    };
  }
}
