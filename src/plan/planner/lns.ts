/**
 * The MIP planner's lower level: small instances get the whole-horizon FDJSSP MIP (`fdjssp.ts`)
 * with every pair open, whose status and bound are then the solver's own; larger ones a
 * large-neighbourhood search of small window MIPs sliding over the incumbent (`window-lns.ts`).
 * Every round is warm-started from the incumbent and kept only when the simulator confirms it is
 * shorter (or more compact) and within the memory cap, so the result is never worse than the warm
 * start.
 */
import type { SolveProgress } from "../../mip/index.js";
import type { OnProgress } from "../../util/progress.js";
import type { Cluster } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { Incumbent, type RoundInfo } from "./accept.js";
import { flexibleUnsupported, solveWholeModel } from "./fdjssp.js";
import type { ModelSize } from "./fdjssp-model.js";
import { windowSearch } from "./window-lns.js";

/** Limits and choices of the MIP planner. */
export interface LnsOptions {
  /** Total seconds for all MIP rounds. */
  timeLimit: number;
  /** Branch-and-bound nodes per MIP round: a deterministic work limit. */
  nodeLimit?: number;
  gap?: number;
  seed?: number;
  memoryCap: readonly number[];
  /** Operations per device up to which one whole-horizon MIP is solved (default 24). */
  exactUpTo?: number;
  /**
   * Placement in the whole-model MIP: "free" (or "auto") adds assignment variables when the
   * instance has at most `flexibleUpTo` operations and one device speed, after a fixed-placement
   * round on half the time (its result is the free round's warm start); "fixed" (default) keeps
   * the warm start's unit → device mapping. The window search always keeps it.
   */
  placement?: "auto" | "fixed" | "free";
  /** Operations (units × micro-batches × 3) up to which placement can be free (default 60). */
  flexibleUpTo?: number;
  /** Device a unit must keep under free placement (undefined: free). */
  fixedDevice?: (number | undefined)[];
  /**
   * Stop as soon as the incumbent reaches this proven lower bound (not under free placement: it
   * holds for the warm placement only).
   */
  lowerBound?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** The planner's schedule, its rounds and what it proved. */
export interface LnsResult {
  schedule: Schedule;
  sim: SimResult;
  rounds: RoundInfo[];
  /** True when the whole-horizon MIP proved optimality (for its placement). */
  provedOptimal: boolean;
  /** Solver bound of the whole-horizon MIP on the makespan, when one was solved. */
  mipBound: number | null;
  /** The signal fired: the search stopped early with the incumbent so far. */
  interrupted: boolean;
  /** What stopped the search short of a proof: its time, or the node limit of its rounds. */
  limit: "time_limit" | "node_limit";
  largestModel: ModelSize;
  seconds: number;
  /** The placement the MIP used, and why when not what was asked. */
  placement: "fixed" | "free";
  placementNote: string;
}

/** Improves the warm start by MIP: one whole model when small, else the window search. */
export async function improveByMip(
  ug: UnitGraph,
  cluster: Cluster,
  warm: Schedule,
  opts: LnsOptions,
): Promise<LnsResult> {
  const t0 = Date.now();
  const inc = new Incumbent(ug, cluster, opts.memoryCap, warm);
  const perDevice = Math.max(...inc.sim.devices.map((d) => d.timeline.length)) * 1.5;
  const small = perDevice <= (opts.exactUpTo ?? 24);
  const { placement, placementNote } = choosePlacement(ug, cluster, inc.sim, opts, small);
  if (!small && placement === "fixed") {
    const w = await windowSearch(ug, cluster, warm, {
      timeLimit: opts.timeLimit,
      memoryCap: opts.memoryCap,
      ...pick(opts, ["lowerBound", "seed", "nodeLimit", "signal", "onProgress"]),
    });
    return {
      ...w,
      interrupted: !!opts.signal?.aborted,
      provedOptimal: false,
      mipBound: null,
      limit: "time_limit",
      placement,
      placementNote,
    };
  }
  const proof = await wholeModelRounds(inc, placement, opts, t0);
  return {
    schedule: inc.best(),
    sim: inc.sim,
    rounds: inc.rounds,
    ...proof,
    interrupted: !!opts.signal?.aborted,
    largestModel: inc.largest,
    seconds: (Date.now() - t0) / 1000,
    placement,
    placementNote,
  };
}

/** Free placement when asked for, small enough and supported; the reason otherwise. */
function choosePlacement(
  ug: UnitGraph,
  cluster: Cluster,
  sim: SimResult,
  opts: LnsOptions,
  small: boolean,
): { placement: "fixed" | "free"; placementNote: string } {
  if ((opts.placement ?? "fixed") === "fixed")
    return {
      placement: "fixed",
      placementNote: "placement fixed by the warm start (option placement = fixed)",
    };
  const ops = ug.units.length * ug.microBatches * 3;
  const upTo = opts.flexibleUpTo ?? 60;
  const why =
    ops > upTo
      ? `${ops} operations is more than the ${upTo} for which assignment variables are added${small ? "" : " (the window LNS keeps the warm start's placement)"}`
      : flexibleUnsupported(ug, cluster, sim);
  if (why) return { placement: "fixed", placementNote: `placement fixed by the warm start: ${why}` };
  return {
    placement: "free",
    placementNote: "placement free: assignment variables x(unit, device) in the whole-model MIP",
  };
}

/**
 * The whole-horizon rounds: a fixed-placement MIP, then under free placement one with assignment
 * variables from its result, the time split between them. The last round's status and bound are
 * the planner's proof.
 */
async function wholeModelRounds(
  inc: Incumbent,
  placement: "fixed" | "free",
  opts: LnsOptions,
  t0: number,
): Promise<Pick<LnsResult, "provedOptimal" | "mipBound" | "limit">> {
  const left = () => opts.timeLimit - (Date.now() - t0) / 1000;
  const atBound = () => opts.lowerBound !== undefined && inc.sim.makespan <= opts.lowerBound + 1e-9;
  const phases: ("fixed" | "free")[] = placement === "free" ? ["fixed", "free"] : ["fixed"];
  let proof: Pick<LnsResult, "provedOptimal" | "mipBound" | "limit"> = {
    provedOptimal: false,
    mipBound: null,
    limit: "time_limit",
  };
  if (left() <= 1 || (placement === "fixed" && atBound())) return proof;
  const T = inc.sim.makespan;
  for (const [w, phase] of phases.entries()) {
    if (opts.signal?.aborted) break;
    if (left() <= 1 || (placement === "fixed" && atBound())) break;
    // the fixed-placement round has nothing to do when the incumbent meets that placement's bound
    if (phase !== placement && atBound()) continue;
    const r = await solveWholeModel({
      ug: inc.ug,
      cluster: inc.cluster,
      warmSim: inc.sim,
      memoryCap: opts.memoryCap,
      placement: phase,
      timeLimit: Math.min(left() / (phases.length - w), left()),
      ...pick(opts, ["nodeLimit", "gap", "seed", "signal"]),
      ...(phase === "free" ? pick(opts, ["fixedDevice"]) : {}),
      ...(opts.onProgress
        ? {
            onSolverProgress: (p: SolveProgress) =>
              opts.onProgress?.({
                label: "mip",
                done: Math.min(opts.timeLimit, Math.round((Date.now() - t0) / 1000)),
                total: Math.ceil(opts.timeLimit),
                detail: `${phase} placement: incumbent ${p.incumbent?.toFixed(3) ?? "-"} bound ${p.bound?.toFixed(3) ?? "-"}`,
              }),
          }
        : {}),
    });
    inc.offer(r, 0, T + 1);
    if (phase === placement)
      // the objective is makespan + a tie-breaker of at most r.tieBreak: a bound on the makespan is
      // the solver's bound minus that
      proof = {
        provedOptimal: r.result.status === "optimal",
        mipBound: r.result.bound === null ? null : Math.max(0, r.result.bound - r.tieBreak),
        limit: stoppedBy(inc.rounds),
      };
    opts.onProgress?.({
      label: "mip",
      done: Math.min(opts.timeLimit, Math.round((Date.now() - t0) / 1000)),
      total: Math.ceil(opts.timeLimit),
      detail: `makespan ${inc.sim.makespan.toFixed(3)} round ${inc.rounds.length} ${r.result.status}`,
    });
    if (r.result.status === "interrupted" || opts.signal?.aborted) break;
  }
  return { ...proof, limit: stoppedBy(inc.rounds) };
}

/** A round stopped by its time limit means the time ran out; else the node limit stopped them. */
function stoppedBy(rounds: readonly RoundInfo[]): "time_limit" | "node_limit" {
  if (rounds.some((r) => r.status === "time_limit")) return "time_limit";
  return rounds.some((r) => r.status === "node_limit") ? "node_limit" : "time_limit";
}

/** The keys of `o` that are set. */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
