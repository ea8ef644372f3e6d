/**
 * The plan pipeline: validated graph + cluster + options → candidate schedules (every applicable
 * baseline, every greedy rule on every placement; `candidates.ts`) → the MIP planner warm-started
 * from the best candidate that fits the memory limit (`planner/lns.ts`) → one run record whose
 * candidates are all timed by the same event simulator.
 */

import { MisuseError, throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { lowerBound, placementOf } from "./bound.js";
import {
  addBaselines,
  addGreedy,
  type Candidate,
  CandidateList,
  fits,
  greedyPlacements,
  memoryLimit,
  minimumMemory,
} from "./candidates.js";
import { type Cluster, transferTime } from "./cluster.js";
import type { Graph } from "./graph.js";
import { checkSize, checkStages } from "./inputs.js";
import type { PlanOptions } from "./options.js";
import type { RoundInfo } from "./planner/accept.js";
import { unitDevices } from "./planner/fdjssp.js";
import { type ModelSize, NO_MODEL } from "./planner/fdjssp-model.js";
import { improveByMip, type LnsResult } from "./planner/lns.js";
import { chainStages, type UnitGraph, unitsFromGraph } from "./units.js";

/** Hand-made heuristic orders: compared, but not the MIP's warm start. */
const HAND_VARIANTS = new Set(["dualpipe-overlap-all"]);

/** What the MIP planner did: its outcome, bound, warm start, model and rounds. */
export interface MipReport {
  status: "optimal" | "time_limit" | "node_limit" | "infeasible" | "interrupted";
  makespan: number | null;
  lowerBound: number | null;
  gap: number | null;
  seconds: number;
  warmStart: string | null;
  warmStartMakespan: number | null;
  improvedOnWarmStart: boolean;
  model: ModelSize;
  rounds: RoundInfo[];
  /** Unit → device in the MIP: free (assignment variables) or fixed by the warm start. */
  placement: "fixed" | "free";
  /**
   * What produced the plan: "mip" when a MIP round improved on the warm start, else the name of
   * the candidate it is (the warm start, e.g. when it already meets the lower bound, or a kept one).
   */
  planFrom: string;
  /** Under status `optimal`: over which schedules the optimality is proven (null otherwise). */
  optimalFor: string | null;
  /** Smallest per-device memory at which some candidate schedule fits (when infeasible). */
  minimumMemoryBytes?: number;
  notes: string[];
}

/** Everything a plan run produced. */
export interface PlanRun {
  candidates: Candidate[];
  /** The chosen plan: the MIP result, or the best fitting candidate when the MIP is off. */
  best: Candidate | null;
  memoryLimitBytes: number[];
  mip: MipReport | null;
  stages: number;
  /**
   * The run was cancelled (its signal fired): `best` is the best plan found so far (the MIP's
   * incumbent, or the best candidate timed before the MIP started).
   */
  interrupted: boolean;
  notes: string[];
}

/** Cancellation and progress of a plan run. */
export interface PlanRunOptions {
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/**
 * Plans a schedule for `graph` on `cluster`: every candidate, then the MIP from the best that fits.
 * When `run.signal` fires, the run stops and returns the best plan so far (`interrupted`); it
 * throws AbortedError only when there is none yet.
 */
export async function runPlan(
  graph: Graph,
  cluster: Cluster,
  options: PlanOptions,
  run: PlanRunOptions = {},
): Promise<PlanRun> {
  checkSize(graph, cluster, options, graph.name);
  const ug = unitsFromGraph(graph);
  const stages = pipelineStages(graph, ug, cluster, options);
  const list = new CandidateList(cluster);
  await addBaselines(list, stages, run.signal);
  // the limit may come from a baseline's peak: without it there is nothing to judge plans by yet
  if (options.memoryLimitFrom && !list.candidates.some((c) => c.name === options.memoryLimitFrom))
    throwIfAborted(run.signal, "plan");
  const limit = memoryLimit(cluster, list.candidates, options);
  const placements = greedyPlacements(ug, stages, cluster, options);
  await addGreedy(list, placements, ug, stages, limit, run.signal);
  const { candidates, notes } = list;
  const base = { candidates, memoryLimitBytes: limit, stages: stages.units.length, notes };
  // under oneRankPerStage, only schedules that keep every unit on one device may be the plan (or
  // the MIP's warm start; the MIP keeps a warm start's unit → device mapping, or assigns per unit)
  const eligible = (c: Candidate) => !options.oneRankPerStage || unitDevices(c.graph, c.sim) !== null;
  const fitting = candidates
    .filter((c) => fits(c, limit) && eligible(c))
    .sort((a, b) => a.sim.makespan - b.sim.makespan);
  const [first] = fitting;
  if (!first) {
    throwIfAborted(run.signal, "plan");
    const oneRank = candidates.filter(eligible);
    const report =
      options.oneRankPerStage && candidates.some((c) => fits(c, limit))
        ? oneRankInfeasible(limit, Math.min(...oneRank.map((c) => c.sim.peakMemoryBytes)))
        : infeasibleReport(limit, minimumMemory(candidates, placements, [ug, stages], cluster));
    return { ...base, best: null, mip: report, interrupted: false };
  }
  if (run.signal?.aborted) {
    notes.push(
      `interrupted before ${options.mip ? "the MIP planner ran" : "every candidate was timed"}: the plan is the best candidate so far`,
    );
    return { ...base, best: first, mip: null, interrupted: true };
  }
  if (!options.mip) return { ...base, best: first, mip: null, interrupted: false };
  const { best, mip } = await planByMip(graph, cluster, options, fitting, limit, run);
  candidates.push(best);
  return { ...base, best, mip, interrupted: mip.status === "interrupted" };
}

/**
 * The pipeline stages the chain baselines run on: `options.stages`, else the operators' own stage
 * fields, else one per device (at most one per operator).
 */
function pipelineStages(graph: Graph, ug: UnitGraph, cluster: Cluster, options: PlanOptions): UnitGraph {
  const explicit = graph.operators.map((o) => o.stage);
  const given = explicit.filter((s): s is number => s !== undefined);
  checkStages(graph, options);
  const S =
    options.stages ??
    (given.length === explicit.length
      ? Math.max(...given) + 1
      : Math.min(cluster.devices.length, ug.units.length));
  return chainStages(ug, S, explicit);
}

function infeasibleReport(limit: readonly number[], minMem: number): MipReport {
  return {
    status: "infeasible",
    makespan: null,
    lowerBound: null,
    gap: null,
    seconds: 0,
    warmStart: null,
    warmStartMakespan: null,
    improvedOnWarmStart: false,
    model: NO_MODEL,
    rounds: [],
    placement: "fixed",
    planFrom: "",
    optimalFor: null,
    minimumMemoryBytes: minMem,
    notes: [
      `no schedule fits the memory limit ${Math.min(...limit)}; the smallest peak among the candidates is ${minMem}`,
    ],
  };
}

/** Infeasible under oneRankPerStage although a schedule with a stage on two ranks fits. */
function oneRankInfeasible(limit: readonly number[], minMem: number): MipReport {
  const r = infeasibleReport(limit, minMem);
  r.notes = [
    `no schedule that runs every stage on one rank (as a PyTorch export needs) fits the memory limit ${Math.min(...limit)}; the smallest peak among them is ${Number.isFinite(minMem) ? minMem : "-"}`,
  ];
  return r;
}

/**
 * The MIP's warm start and placement. It starts from the best published baseline or greedy rule
 * that fits; hand-made variants (dualpipe-overlap-all) are compared but not used as its start, so
 * what it reports is its own. Placement "auto" adds assignment variables (per unit) unless the
 * graph fixes the stages (operators' stage fields) or the best start runs one unit's micro-batches
 * on different devices (DualPipe's two directions); "free" starts from the best candidate with one
 * device per unit.
 */
function warmStart(
  graph: Graph,
  fitting: readonly Candidate[],
  options: PlanOptions,
): { warm: Candidate; placement: "fixed" | "free"; why: string } {
  const published = fitting.filter((c) => !HAND_VARIANTS.has(c.name));
  const perUnit = (c: Candidate) => unitDevices(c.graph, c.sim) !== null;
  const [start] = published;
  let placement: "fixed" | "free" = "fixed";
  let why = "";
  if (options.placement === "free") placement = "free";
  else if (options.placement === "auto") {
    if (graph.operators.some((o) => o.stage !== undefined)) why = "the graph gives operators' stages";
    else if (start && !perUnit(start))
      why = `the best start (${start.name}) runs micro-batches of one unit on different devices`;
    else placement = "free";
  }
  const warm = (placement === "free" ? published.find(perUnit) : undefined) ?? start ?? fitting[0];
  if (!warm)
    throw new MisuseError({
      where: "runPlan",
      what: "no candidate fits",
      hint: "report the infeasible case first",
    });
  return { warm, placement, why };
}

async function planByMip(
  graph: Graph,
  cluster: Cluster,
  options: PlanOptions,
  fitting: readonly Candidate[],
  limit: number[],
  run: PlanRunOptions,
): Promise<{ best: Candidate; mip: MipReport }> {
  const t0 = Date.now();
  const { warm, placement, why } = warmStart(graph, fitting, options);
  const lb0 = lowerBound(warm.graph, cluster, placementOf(warm.graph, warm.schedule.devices), limit);
  const r = await improveByMip(warm.graph, cluster, warm.schedule, {
    timeLimit: options.timeLimitSeconds,
    placement,
    gap: options.gap,
    seed: options.seed,
    memoryCap: limit,
    lowerBound: lb0,
    ...(options.nodeLimit !== undefined ? { nodeLimit: options.nodeLimit } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.onProgress ? { onProgress: run.onProgress } : {}),
  });
  const [beat = warm] = fitting;
  const noTransfers = warm.graph.edges.every((e) => transferTime(cluster, 0, 1, e.bytes) === 0);
  return mipOutcome(r, warm, beat, lb0, why, noTransfers, (Date.now() - t0) / 1000);
}

/**
 * The plan and its report. The plan is never worse than a fitting candidate: when one is shorter
 * than the MIP's, it is kept and the notes say so. The lower bound: lb0 (critical path / pairing
 * bound) holds for the warm placement only, so under free placement it is the whole-model MIP's,
 * valid for every placement; a kept candidate below that bound lies outside the MIP's schedules,
 * and then no bound is reported.
 */
function mipOutcome(
  r: LnsResult,
  warm: Candidate,
  beat: Candidate,
  lb0: number,
  why: string,
  noTransfers: boolean,
  seconds: number,
): { best: Candidate; mip: MipReport } {
  const notes = [
    r.placement === "free"
      ? `${r.placementNote}; warm start ${warm.name} (makespan ${warm.sim.makespan}); the bound is the MIP's, over every placement of its units`
      : `${why ? `placement fixed by the warm start: ${why}` : r.placementNote} (${warm.name}, makespan ${warm.sim.makespan}); the lower bound holds for that placement`,
    `MIP rounds accepted: ${r.rounds.filter((x) => x.accepted).length}/${r.rounds.length}`,
  ];
  const kept = beat.sim.makespan < r.sim.makespan - 1e-9;
  const plan = kept ? beat : { schedule: r.schedule, sim: r.sim, graph: warm.graph };
  if (kept)
    notes.push(`the MIP reached ${r.sim.makespan}; ${beat.name} (${beat.sim.makespan}) is kept as the plan`);
  // (the MIP's objective carries a tie-breaker, so its bound can sit above the makespan)
  const mk = plan.sim.makespan;
  const lbRaw = r.placement === "free" ? (r.mipBound ?? 0) : Math.max(lb0, r.mipBound ?? 0);
  const outside = mk < lbRaw - 1e-6;
  if (outside)
    notes.push(
      `the MIP's bound ${lbRaw} holds for its own schedules (${r.placement} placement); the kept plan is outside them, so no bound is reported`,
    );
  const proved = !outside && ((r.provedOptimal && !kept) || mk <= lbRaw + 1e-9);
  const lb = outside ? null : Math.min(mk, lbRaw);
  const interrupted = r.interrupted;
  if (interrupted) notes.push("interrupted: the plan is the MIP's best schedule so far");
  // the plan is the warm start itself when no round was accepted (Incumbent.best keeps its name)
  const planFrom = kept ? beat.name : r.schedule.name === "mip" ? "mip" : warm.name;
  if (planFrom === warm.name && !kept)
    notes.push(
      r.rounds.length === 0
        ? `the plan is the warm start ${warm.name}: it meets the lower bound, so no MIP round ran`
        : `the plan is the warm start ${warm.name}: no MIP round improved on it`,
    );
  const status = interrupted ? "interrupted" : proved ? "optimal" : r.limit;
  const optimalFor = status === "optimal" ? optimalityScope(r, warm, noTransfers) : null;
  if (optimalFor) notes.push(`optimal ${optimalFor}`);
  const name = planFrom === "mip" ? "mip" : `mip = ${planFrom}`;
  const best: Candidate = {
    name,
    kind: "mip",
    graph: plan.graph,
    schedule: { ...plan.schedule, name },
    sim: plan.sim,
  };
  const mip: MipReport = {
    status,
    makespan: mk,
    lowerBound: lb,
    gap: lb === null ? null : mk > 0 ? (mk - lb) / mk : 0,
    seconds,
    warmStart: warm.name,
    warmStartMakespan: warm.sim.makespan,
    improvedOnWarmStart: mk < warm.sim.makespan - 1e-9,
    model: r.largestModel,
    rounds: r.rounds,
    placement: r.placement,
    planFrom,
    optimalFor,
    notes,
  };
  return { best, mip };
}

/**
 * Over which schedules an `optimal` status is proven: the bound (bound.ts) and a fixed-placement
 * MIP hold for the warm start's placement only (DualPipe-style when a stage's micro-batches run on
 * two devices), a free-placement MIP for every per-unit placement of its units; both with the
 * cluster's transfer times.
 */
function optimalityScope(r: LnsResult, warm: Candidate, noTransfers: boolean): string {
  const transfers = noTransfers ? "zero transfer time (the cluster's link)" : "the cluster's transfer times";
  if (r.placement === "free")
    return `over every placement of the MIP's units on devices (one device per unit), with ${transfers}`;
  const style =
    unitDevices(warm.graph, warm.sim) === null
      ? "DualPipe-style: a stage's micro-batches split between two devices"
      : "one device per unit";
  return `for the warm start's placement (${warm.name}: ${style}) and ${transfers}; another placement may be shorter`;
}
