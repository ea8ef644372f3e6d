/**
 * The plan pipeline: validated graph + cluster + options → candidate schedules (every applicable
 * baseline, every greedy rule on every placement) → the MIP planner warm-started from the best
 * candidate that fits the memory limit → one comparison record per schedule, all timed by the
 * same event simulator.
 */
import { throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { lowerBound, placementOf } from "./bound.js";
import type { Cluster } from "./cluster.js";
import { PlanInputError } from "./errors.js";
import type { Graph } from "./graph.js";
import { GREEDY_RULES, greedySchedule } from "./greedy.js";
import type { PlanOptions } from "./options.js";
import { dualPlacement, graphPlacement, linearPlacement, type Placement, vPlacement } from "./placement.js";
import type { ModelSize } from "./planner/fdjssp.js";
import { unitDevices } from "./planner/fdjssp-flex.js";
import { improveByMip, type RoundInfo } from "./planner/lns.js";
import type { Schedule } from "./schedule.js";
import { dualPipeOverlapAll } from "./schedules/dualpipe-overlap.js";
import { baselines } from "./schedules/registry.js";
import { type SimResult, simulate } from "./simulate.js";
import { chainStages, coarsen, type UnitGraph, unitsFromGraph } from "./units.js";

/** Hand-made heuristic orders: compared, but not the MIP's warm start. */
const HAND_VARIANTS = new Set(["dualpipe-overlap-all"]);

export type CandidateKind = "baseline" | "greedy" | "mip";

export interface Candidate {
  name: string;
  kind: CandidateKind;
  graph: UnitGraph;
  schedule: Schedule;
  sim: SimResult;
  /** Closed-form bubble on uniform stages (baselines only). */
  formula?: string;
}

export interface MipReport {
  status: "optimal" | "time_limit" | "infeasible" | "interrupted";
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
  /** Smallest per-device memory at which some candidate schedule fits (when infeasible). */
  minimumMemoryBytes?: number;
  notes: string[];
}

export interface PlanRun {
  candidates: Candidate[];
  /** The chosen plan: the MIP result, or the best fitting candidate when the MIP is off. */
  best: Candidate | null;
  memoryLimitBytes: number[];
  mip: MipReport | null;
  stages: number;
  notes: string[];
}

export interface PlanRunOptions {
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

export async function runPlan(
  graph: Graph,
  cluster: Cluster,
  options: PlanOptions,
  run: PlanRunOptions = {},
): Promise<PlanRun> {
  const notes: string[] = [];
  const ug = unitsFromGraph(graph);
  const D = cluster.devices.length;
  const explicit = graph.operators.map((o) => o.stage);
  const S =
    options.stages ??
    (explicit.every((s) => s !== undefined)
      ? Math.max(...(explicit as number[])) + 1
      : Math.min(D, ug.units.length));
  if (options.stages !== undefined && options.stages > ug.units.length)
    throw new PlanInputError({
      where: "options.stages",
      what: `${options.stages} stages but the graph has ${ug.units.length} operators`,
      hint: "use at most one stage per operator",
    });
  const stages = chainStages(ug, S, explicit);
  const M = graph.microBatches;
  const candidates: Candidate[] = [];
  const add = (name: string, kind: CandidateKind, g: UnitGraph, s: Schedule | null, formula?: string) => {
    if (!s) return;
    if (s.devices.length > D) {
      notes.push(`${name}: needs ${s.devices.length} devices, the cluster has ${D}`);
      return;
    }
    const sim = simulate(g, cluster, s);
    candidates.push({ name, kind, graph: g, schedule: s, sim, ...(formula ? { formula } : {}) });
  };

  for (const b of baselines()) {
    throwIfAborted(run.signal, "plan");
    const p = b.params.parse({});
    const need = b.devicesFor(stages.units.length, M, p);
    if (need === null) {
      notes.push(`${b.name}: does not apply to ${stages.units.length} stages × ${M} micro-batches`);
      continue;
    }
    if (need > D) {
      notes.push(`${b.name}: needs ${need} devices, the cluster has ${D}`);
      continue;
    }
    add(b.name, "baseline", stages, b.generate({ stages, cluster }, p), b.formula);
  }
  if (stages.units.length > D)
    notes.push(
      `the cluster has ${D} devices for ${stages.units.length} stages: only placements that fold stages apply`,
    );

  // memory limit
  let limit = cluster.devices.map((d) => d.memoryBytes);
  if (options.memoryLimitFrom) {
    const ref = candidates.find((c) => c.name === options.memoryLimitFrom);
    if (!ref)
      throw new PlanInputError({
        where: "options.memoryLimitFrom",
        what: `no baseline "${options.memoryLimitFrom}" ran on this input`,
        hint: `use one of ${candidates.map((c) => c.name).join(", ")}`,
      });
    limit = limit.map((l) => Math.min(l, ref.sim.peakMemoryBytes));
  }
  if (options.memoryLimitBytes !== undefined)
    limit = limit.map((l) => Math.min(l, options.memoryLimitBytes!));

  // greedy rules on chain and graph placements
  const placements: [UnitGraph, Placement][] = [];
  const SS = stages.units.length;
  if (SS <= D) placements.push([stages, linearPlacement(SS)]);
  if (SS <= D && SS % 2 === 0 && M % 2 === 0) placements.push([stages, dualPlacement(SS, M)]);
  if (SS % 2 === 0 && SS / 2 <= D && SS >= 4) placements.push([stages, vPlacement(SS)]);
  const coarse = coarsen(ug, options.coarsenTo ?? 2 * D);
  placements.push([
    coarse,
    graphPlacement(
      coarse,
      D,
      cluster.devices.map((d) => d.speed),
    ),
  ]);
  if (coarse.units.length !== ug.units.length && ug.units.length <= 4 * D)
    placements.push([
      ug,
      graphPlacement(
        ug,
        D,
        cluster.devices.map((d) => d.speed),
      ),
    ]);
  for (const [g, pl] of placements)
    for (const rule of GREEDY_RULES) {
      throwIfAborted(run.signal, "plan");
      if (rule.overlap && (g.overlapFactor === null || g.overlapFactor >= 1)) continue;
      const s = greedySchedule(g, cluster, pl, rule, {
        memoryCap: limit.slice(0, pl.devices),
        unitCap: true,
      });
      add(`greedy:${pl.name}${g === ug && pl.name === "graph" ? "-fine" : ""}/${rule.name}`, "greedy", g, s);
    }
  if (stages.overlapFactor !== null && stages.overlapFactor < 1 && SS <= D)
    add("dualpipe-overlap-all", "greedy", stages, dualPipeOverlapAll(stages));

  const fits = (c: Candidate) => c.sim.devices.every((d, i) => d.peakMemoryBytes <= limit[i]! + 1e-9);
  const fitting = candidates.filter(fits).sort((a, b) => a.sim.makespan - b.sim.makespan);
  let mip: MipReport | null = null;
  let best: Candidate | null = fitting[0] ?? null;
  if (!best) {
    // Smallest memory that works: the least cap (in steps of the largest unit activation) under
    // which some greedy rule still finds a schedule; never below one unit's activation.
    let minMem = Math.min(...candidates.map((c) => c.sim.peakMemoryBytes));
    const step = Math.max(
      ...ug.units.map((u) => u.activationBytes),
      ...stages.units.map((u) => u.activationBytes),
    );
    search: for (let k = 1; step > 0 && k * step < minMem; k++)
      for (const [g, pl] of placements) {
        const s = greedySchedule(g, cluster, pl, GREEDY_RULES[0]!, {
          memoryCap: new Array(pl.devices).fill(k * step),
        });
        if (s) {
          minMem = simulate(g, cluster, s).peakMemoryBytes;
          break search;
        }
      }
    mip = {
      status: "infeasible",
      makespan: null,
      lowerBound: null,
      gap: null,
      seconds: 0,
      warmStart: null,
      warmStartMakespan: null,
      improvedOnWarmStart: false,
      model: { variables: 0, constraints: 0, integers: 0, nonzeros: 0 },
      rounds: [],
      placement: "fixed",
      minimumMemoryBytes: minMem,
      notes: [
        `no schedule fits the memory limit ${Math.min(...limit)}; the smallest peak among the candidates is ${minMem}`,
      ],
    };
  } else if (options.mip) {
    const t0 = Date.now();
    // The MIP starts from the best published baseline or greedy rule that fits; hand-made variants
    // (dualpipe-overlap-all) are compared but not used as its start, so what it reports is its own.
    // Placement: "auto" adds assignment variables (per unit) unless the graph fixes the stages
    // (operators' stage fields) or the best start runs one unit's micro-batches on different devices
    // (DualPipe's two directions); "free" starts from the best candidate with one device per unit.
    const published = fitting.filter((c) => !HAND_VARIANTS.has(c.name));
    const perUnit = (c: Candidate) => unitDevices(c.graph, c.sim) !== null;
    const hasStages = graph.operators.some((o) => o.stage !== undefined);
    let placement: "fixed" | "free" = "fixed";
    let placementWhy = "";
    if (options.placement === "free") placement = "free";
    else if (options.placement === "auto") {
      if (hasStages) placementWhy = "the graph gives operators' stages";
      else if (published[0] && !perUnit(published[0]))
        placementWhy = `the best start (${published[0].name}) runs micro-batches of one unit on different devices`;
      else placement = "free";
    }
    const warm = (placement === "free" ? published.find(perUnit) : undefined) ?? published[0] ?? best;
    const place = placementOf(warm.graph, warm.schedule.devices);
    const lb0 = lowerBound(warm.graph, cluster, place, limit);
    const r = await improveByMip(warm.graph, cluster, place, warm.schedule, {
      timeLimit: options.timeLimitSeconds,
      placement,
      gap: options.gap,
      seed: options.seed,
      memoryCap: limit,
      lowerBound: lb0,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    });
    const mipNotes: string[] = [
      r.placement === "free"
        ? `${r.placementNote}; warm start ${warm.name} (makespan ${warm.sim.makespan}); the bound is the MIP's, over every placement of its units`
        : `${placementWhy ? `placement fixed by the warm start: ${placementWhy}` : r.placementNote} (${warm.name}, makespan ${warm.sim.makespan}); the lower bound holds for that placement`,
      `MIP rounds accepted: ${r.rounds.filter((x) => x.accepted).length}/${r.rounds.length}`,
    ];
    let plan = { schedule: r.schedule, sim: r.sim, graph: warm.graph };
    const beat = fitting[0]!;
    if (beat.sim.makespan < r.sim.makespan - 1e-9) {
      // never worse than a fitting candidate: keep the better one and say so
      plan = { schedule: beat.schedule, sim: beat.sim, graph: beat.graph };
      mipNotes.push(
        `the MIP reached ${r.sim.makespan}; ${beat.name} (${beat.sim.makespan}) is kept as the plan`,
      );
    }
    // lb0 (critical path / pairing bound) holds for the warm placement only; under free placement
    // the whole-model MIP's bound is the one valid for every placement
    // (the MIP's objective carries a tie-breaker < 0.05, so its bound can sit above the makespan)
    const mk = plan.sim.makespan;
    const lbRaw = r.placement === "free" ? (r.mipBound ?? 0) : Math.max(lb0, r.mipBound ?? 0);
    // a kept candidate below the bound lies outside the MIP's schedules (e.g. a per-micro-batch
    // placement against the per-unit free model): that bound says nothing about it
    const kept = plan.sim !== r.sim;
    const outside = mk < lbRaw - 1e-6;
    if (outside)
      mipNotes.push(
        `the MIP's bound ${lbRaw} holds for its own schedules (${r.placement} placement); the kept plan is outside them, so no bound is reported`,
      );
    const proved = !outside && ((r.provedOptimal && !kept) || mk <= lbRaw + 1e-9);
    const lb = outside ? null : Math.min(mk, lbRaw);
    const interrupted = r.rounds.some((x) => x.status === "interrupted");
    best = {
      name: "mip",
      kind: "mip",
      graph: plan.graph,
      schedule: { ...plan.schedule, name: "mip" },
      sim: plan.sim,
    };
    candidates.push(best);
    mip = {
      status: interrupted ? "interrupted" : proved ? "optimal" : "time_limit",
      makespan: mk,
      lowerBound: lb,
      gap: lb === null ? null : mk > 0 ? (mk - lb) / mk : 0,
      seconds: (Date.now() - t0) / 1000,
      warmStart: warm.name,
      warmStartMakespan: warm.sim.makespan,
      improvedOnWarmStart: mk < warm.sim.makespan - 1e-9,
      model: r.largestModel,
      rounds: r.rounds,
      placement: r.placement,
      notes: mipNotes,
    };
  }
  return { candidates, best, memoryLimitBytes: limit, mip, stages: SS, notes };
}

/** One comparison record per candidate (the JSON rows of `frugal plan compare`). */
export function comparisonRows(run: PlanRun) {
  return run.candidates.map((c) => ({
    name: c.name,
    kind: c.kind,
    devices: c.schedule.devices.length,
    makespanSeconds: c.sim.makespan,
    bubbleMaxSeconds: c.sim.bubbleMax,
    bubbleMeanSeconds: c.sim.bubbleMean,
    bubbleRatio: c.sim.bubbleRatio,
    peakMemoryBytes: c.sim.devices.map((d) => d.peakMemoryBytes),
    peakMemoryMaxBytes: c.sim.peakMemoryBytes,
    fitsMemoryLimit: c.sim.devices.every((d, i) => d.peakMemoryBytes <= run.memoryLimitBytes[i]! + 1e-9),
    formula: c.formula ?? null,
    status: c.kind === "mip" ? (run.mip?.status ?? null) : null,
    gap: c.kind === "mip" ? (run.mip?.gap ?? null) : null,
    solveSeconds: c.kind === "mip" ? (run.mip?.seconds ?? null) : null,
  }));
}
