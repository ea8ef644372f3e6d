/**
 * The MIP planner's lower level: small instances get one whole-horizon FDJSSP MIP (fdjssp.ts) with
 * every pair open, whose status and bound are then the solver's own; larger ones a
 * large-neighbourhood search of small window MIPs sliding over the incumbent (window-lns.ts), each
 * warm-started from it and kept only when the simulator confirms it is shorter (or more compact)
 * and within the memory cap. The result is never worse than the warm start by construction.
 */
import { throwIfAborted } from "../../errors/index.js";
import type { OnProgress } from "../../util/progress.js";
import type { Cluster } from "../cluster.js";
import type { Placement } from "../placement.js";
import type { Schedule } from "../schedule.js";
import { type SimResult, simulate } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { fuseBackwards, type ModelSize, solveRound } from "./fdjssp.js";
import { windowSearch } from "./window-lns.js";

export interface LnsOptions {
  /** Total seconds for all MIP rounds. */
  timeLimit: number;
  gap?: number;
  seed?: number;
  memoryCap: number[];
  /** Open pairs at most this far apart in device order (default 6; whole model when small). */
  window?: number;
  /** Number of window lengths covering the horizon (default 5; windows overlap by half). */
  windows?: number;
  /** Ops per device up to which one whole-horizon MIP is solved (default 24). */
  exactUpTo?: number;
  /** Stop as soon as the incumbent reaches this proven lower bound. */
  lowerBound?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

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

export interface LnsResult {
  schedule: Schedule;
  sim: SimResult;
  rounds: RoundInfo[];
  /** True when one whole-horizon MIP proved optimality (for this placement). */
  provedOptimal: boolean;
  /** Solver bound of the whole-horizon MIP, when one was solved. */
  mipBound: number | null;
  largestModel: ModelSize;
  seconds: number;
}

export async function improveByMip(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  warm: Schedule,
  opts: LnsOptions,
): Promise<LnsResult> {
  const t0 = Date.now();
  let best = warm;
  let bestSim = simulate(ug, cluster, warm);
  const rounds: RoundInfo[] = [];
  let largest: ModelSize = { variables: 0, constraints: 0, integers: 0, nonzeros: 0 };
  const perDevice = Math.max(...bestSim.devices.map((d) => d.timeline.length)) * 1.5;
  const exact = perDevice <= (opts.exactUpTo ?? 24);
  let provedOptimal = false;
  let mipBound: number | null = null;
  const left = () => opts.timeLimit - (Date.now() - t0) / 1000;
  const windows = (T: number): [number, number][] => {
    if (exact) return [[0, T + 1]];
    const L = T / (opts.windows ?? 5);
    const out: [number, number][] = [];
    for (let a = 0; a < T; a += L / 2) out.push([a, a + L]);
    return out;
  };
  if (!exact) {
    // large instances: many small window MIPs sliding over the incumbent (window-lns.ts)
    const w = await windowSearch(ug, cluster, place, warm, {
      timeLimit: opts.timeLimit,
      memoryCap: opts.memoryCap,
      ...(opts.lowerBound !== undefined ? { lowerBound: opts.lowerBound } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    return {
      schedule: w.schedule,
      sim: w.sim,
      rounds: w.rounds,
      provedOptimal: false,
      mipBound: null,
      largestModel: w.largestModel,
      seconds: w.seconds,
    };
  }
  let pass = 0;
  const atBound = () => opts.lowerBound !== undefined && bestSim.makespan <= opts.lowerBound + 1e-9;
  while (left() > 1 && pass < 50 && !atBound()) {
    throwIfAborted(opts.signal, "plan");
    const wins = windows(bestSim.makespan);
    let improvedThisPass = false;
    for (let w = 0; w < wins.length && left() > 1 && !atBound(); w++) {
      const [a, b] = wins[w]!;
      const budget = exact ? left() : Math.max(2, left() / Math.max(1, wins.length - w));
      const r = await solveRound({
        ug,
        cluster,
        place,
        warm: best,
        warmSim: bestSim,
        memoryCap: opts.memoryCap,
        spec: { t0: a, t1: b, window: exact ? 1e9 : (opts.window ?? 6) },
        timeLimit: Math.min(budget, left()),
        ...(opts.gap !== undefined ? { gap: opts.gap } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.size.integers > largest.integers) largest = r.size;
      let accepted = false;
      if (r.schedule) {
        try {
          const s = fuseBackwards(r.schedule);
          const sim = simulate(ug, cluster, s);
          const memOk = sim.devices.every(
            (d, i) => d.peakMemoryBytes <= (opts.memoryCap[i] ?? Number.POSITIVE_INFINITY) + 1e-9,
          );
          const better =
            sim.makespan < bestSim.makespan - 1e-9 ||
            (sim.makespan <= bestSim.makespan + 1e-9 && sumStarts(sim) < sumStarts(bestSim) - 1e-6);
          if (memOk && better) {
            best = s;
            bestSim = sim;
            accepted = true;
            improvedThisPass = true;
          }
        } catch {
          // an extracted order the simulator rejects is discarded; the incumbent stays
        }
      }
      if (exact) {
        provedOptimal = r.result.status === "optimal";
        mipBound = r.result.bound;
      }
      rounds.push({
        t0: a,
        t1: b,
        status: r.result.status,
        objective: r.result.objective,
        bound: r.result.bound,
        seconds: r.result.seconds,
        accepted,
        size: r.size,
      });
      opts.onProgress?.({
        label: "mip",
        done: Math.min(opts.timeLimit, Math.round((Date.now() - t0) / 1000)),
        total: Math.ceil(opts.timeLimit),
        detail: `makespan ${bestSim.makespan.toFixed(3)} round ${rounds.length} ${r.result.status}`,
      });
      if (r.result.status === "interrupted") break;
    }
    pass++;
    if (exact || !improvedThisPass) break;
  }
  return {
    schedule: { ...best, name: best === warm ? warm.name : "mip" },
    sim: bestSim,
    rounds,
    provedOptimal,
    mipBound,
    largestModel: largest,
    seconds: (Date.now() - t0) / 1000,
  };
}

function sumStarts(sim: SimResult): number {
  let s = 0;
  for (const d of sim.devices) for (const a of d.timeline) s += a.start;
  return s;
}
