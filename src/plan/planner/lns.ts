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
import { improvesOn } from "./accept.js";
import { type ModelSize, solveRound } from "./fdjssp.js";
import { flexibleUnsupported, solveFlexible } from "./fdjssp-flex.js";
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
  /**
   * Placement in the whole-model MIP: "free" adds assignment variables (fdjssp-flex.ts) when the
   * instance is small enough (whole model, at most `flexibleUpTo` operations) and supported, after a
   * fixed-placement MIP on half the time (its result is the free MIP's warm start); "auto" is the
   * same; "fixed" (default) keeps the warm start's unit → device mapping. Window LNS: always fixed.
   */
  placement?: "auto" | "fixed" | "free";
  /** Operations (units × micro-batches × 3) up to which placement can be free (default 60). */
  flexibleUpTo?: number;
  /** Device a unit must keep under free placement (undefined: free). */
  fixedDevice?: (number | undefined)[];
  /** Stop as soon as the incumbent reaches this proven lower bound (ignored under free placement: it holds for the warm placement only). */
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
  /** The placement the MIP used, and why when not what was asked. */
  placement: "fixed" | "free";
  placementNote: string;
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
  const wholeFixed = perDevice <= (opts.exactUpTo ?? 24);
  let provedOptimal = false;
  let mipBound: number | null = null;
  const left = () => opts.timeLimit - (Date.now() - t0) / 1000;
  const windows = (T: number): [number, number][] => {
    if (exact)
      return placement === "free"
        ? [
            [0, T + 1],
            [0, T + 1],
          ]
        : [[0, T + 1]];
    const L = T / (opts.windows ?? 5);
    const out: [number, number][] = [];
    for (let a = 0; a < T; a += L / 2) out.push([a, a + L]);
    return out;
  };
  const ops = ug.units.length * ug.microBatches * 3;
  const want = opts.placement ?? "fixed";
  let placement: "fixed" | "free" = "fixed";
  let placementNote = "placement fixed by the warm start (option placement = fixed)";
  if (want !== "fixed") {
    const why =
      ops > (opts.flexibleUpTo ?? 60)
        ? `${ops} operations is more than the ${opts.flexibleUpTo ?? 60} for which assignment variables are added${wholeFixed ? "" : " (the window LNS keeps the warm start's placement)"}`
        : flexibleUnsupported(ug, cluster, bestSim);
    if (why) placementNote = `placement fixed by the warm start: ${why}`;
    else {
      placement = "free";
      placementNote = "placement free: assignment variables x(unit, device) in the whole-model MIP";
    }
  }
  // whole model: small per device, or small enough for assignment variables
  const exact = wholeFixed || placement === "free";
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
      placement,
      placementNote,
    };
  }
  let pass = 0;
  const atBound = () =>
    placement === "fixed" && opts.lowerBound !== undefined && bestSim.makespan <= opts.lowerBound + 1e-9;
  while (left() > 1 && pass < 50 && !atBound()) {
    throwIfAborted(opts.signal, "plan");
    const wins = windows(bestSim.makespan);
    let improvedThisPass = false;
    for (let w = 0; w < wins.length && left() > 1 && !atBound(); w++) {
      const [a, b] = wins[w]!;
      // under free placement the last whole-model round has assignment variables
      const phase = placement === "free" && w === wins.length - 1 ? "free" : "fixed";
      // the fixed-placement round has nothing to do when the incumbent meets that placement's bound
      if (
        placement === "free" &&
        phase === "fixed" &&
        opts.lowerBound !== undefined &&
        bestSim.makespan <= opts.lowerBound + 1e-9
      )
        continue;
      const budget = exact ? left() / (wins.length - w) : Math.max(2, left() / Math.max(1, wins.length - w));
      const common = {
        ug,
        cluster,
        warm: best,
        warmSim: bestSim,
        memoryCap: opts.memoryCap,
        timeLimit: Math.min(budget, left()),
        ...(opts.gap !== undefined ? { gap: opts.gap } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      const r =
        phase === "free"
          ? await solveFlexible({ ...common, ...(opts.fixedDevice ? { fixedDevice: opts.fixedDevice } : {}) })
          : await solveRound({
              ...common,
              place,
              spec: { t0: a, t1: b, window: exact ? 1e9 : (opts.window ?? 6) },
            });
      if (r.size.integers > largest.integers) largest = r.size;
      let accepted = false;
      const next = r.schedule ? improvesOn(ug, cluster, r.schedule, opts.memoryCap, bestSim) : null;
      if (next) {
        best = next.schedule;
        bestSim = next.sim;
        accepted = true;
        improvedThisPass = true;
      }
      if (exact && phase === placement) {
        provedOptimal = r.result.status === "optimal";
        // the objective is makespan + a tie-breaker of at most r.tieBreak: a bound on the makespan
        // is the solver's bound minus that
        mipBound = r.result.bound === null ? null : Math.max(0, r.result.bound - r.tieBreak);
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
    placement,
    placementNote,
  };
}
