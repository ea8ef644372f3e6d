/**
 * The candidate schedules of a plan run, all timed by the same event simulator: every baseline
 * that applies to the stages, every greedy rule on every placement (chain placements of the
 * stages, the graph placement of the coarsened graph and of the full graph), and the hand-made
 * DualPipe variant; plus the memory limit they are judged against.
 */
import type { Cluster } from "./cluster.js";
import { PlanInputError } from "./errors.js";
import { GREEDY_RULES, greedySchedule } from "./greedy.js";
import type { PlanOptions } from "./options.js";
import { dualPlacement, graphPlacement, linearPlacement, type Placement, vPlacement } from "./placement.js";
import type { Schedule } from "./schedule.js";
import { dualPipeOverlapAll } from "./schedules/dualpipe-overlap.js";
import { baselines } from "./schedules/registry.js";
import { type SimResult, simulate } from "./simulate.js";
import { coarsen, type UnitGraph } from "./units.js";

/** Where a candidate comes from. */
export type CandidateKind = "baseline" | "greedy" | "mip";

/** One schedule of a plan run, timed by the simulator. */
export interface Candidate {
  name: string;
  kind: CandidateKind;
  graph: UnitGraph;
  schedule: Schedule;
  sim: SimResult;
  /** Closed-form bubble on uniform stages (baselines only). */
  formula?: string;
}

/** The candidates so far and notes on those that did not apply. */
export class CandidateList {
  readonly candidates: Candidate[] = [];
  readonly notes: string[] = [];

  constructor(readonly cluster: Cluster) {}

  /** Times `s` and adds it, unless it needs more devices than the cluster has (a note then). */
  add(name: string, kind: CandidateKind, graph: UnitGraph, s: Schedule | null, formula?: string): void {
    if (!s) return;
    const D = this.cluster.devices.length;
    if (s.devices.length > D) {
      this.notes.push(`${name}: needs ${s.devices.length} devices, the cluster has ${D}`);
      return;
    }
    const sim = simulate(graph, this.cluster, s);
    this.candidates.push({ name, kind, graph, schedule: s, sim, ...(formula ? { formula } : {}) });
  }
}

/** Lets a pending Ctrl-C be seen between candidates (signals are handled on the event loop). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Every registered baseline that applies to the stages and fits on the cluster. Stops early (the
 * list holds what was timed so far) when `signal` fires.
 */
export async function addBaselines(
  list: CandidateList,
  stages: UnitGraph,
  signal?: AbortSignal,
): Promise<void> {
  const S = stages.units.length;
  const M = stages.microBatches;
  const D = list.cluster.devices.length;
  for (const b of baselines()) {
    await nextTurn();
    if (signal?.aborted) return;
    const p = b.params.parse({});
    const need = b.devicesFor(S, M, p);
    if (need === null) list.notes.push(`${b.name}: does not apply to ${S} stages × ${M} micro-batches`);
    else if (need > D) list.notes.push(`${b.name}: needs ${need} devices, the cluster has ${D}`);
    else list.add(b.name, "baseline", stages, b.generate({ stages, cluster: list.cluster }, p), b.formula);
  }
  if (S > D)
    list.notes.push(`the cluster has ${D} devices for ${S} stages: only placements that fold stages apply`);
}

/**
 * Per-device activation limit: the cluster's capacities, at most the peak of the baseline named by
 * `memoryLimitFrom` and at most `memoryLimitBytes`.
 */
export function memoryLimit(
  cluster: Cluster,
  candidates: readonly Candidate[],
  options: PlanOptions,
): number[] {
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
  const cap = options.memoryLimitBytes;
  if (cap !== undefined) limit = limit.map((l) => Math.min(l, cap));
  return limit;
}

/** Whether every device of a candidate stays within the limit. */
export function fits(c: Candidate, limit: readonly number[]): boolean {
  return c.sim.devices.every((d, i) => d.peakMemoryBytes <= (limit[i] ?? Number.POSITIVE_INFINITY) + 1e-9);
}

/**
 * The placements the greedy rules run on: linear, DualPipe's two directions and DualPipeV's V for
 * the stages (where they fit), the graph placement of the coarsened graph, and of the full graph
 * when it is small.
 */
export function greedyPlacements(
  ug: UnitGraph,
  stages: UnitGraph,
  cluster: Cluster,
  options: PlanOptions,
): [UnitGraph, Placement][] {
  const D = cluster.devices.length;
  const S = stages.units.length;
  const M = stages.microBatches;
  const speeds = cluster.devices.map((d) => d.speed);
  const out: [UnitGraph, Placement][] = [];
  if (S <= D) out.push([stages, linearPlacement(S)]);
  if (S <= D && S % 2 === 0 && M % 2 === 0) out.push([stages, dualPlacement(S, M)]);
  if (S % 2 === 0 && S / 2 <= D && S >= 4) out.push([stages, vPlacement(S)]);
  const coarse = coarsen(ug, options.coarsenTo ?? 2 * D);
  out.push([coarse, graphPlacement(coarse, D, speeds)]);
  if (coarse.units.length !== ug.units.length && ug.units.length <= 4 * D)
    out.push([ug, graphPlacement(ug, D, speeds)]);
  return out;
}

/**
 * Every greedy rule on every placement under the memory limit, and the hand-made DualPipe variant.
 * Stops early (the list holds what was timed so far) when `signal` fires.
 */
export async function addGreedy(
  list: CandidateList,
  placements: readonly [UnitGraph, Placement][],
  ug: UnitGraph,
  stages: UnitGraph,
  limit: readonly number[],
  signal?: AbortSignal,
): Promise<void> {
  for (const [g, pl] of placements)
    for (const rule of GREEDY_RULES) {
      await nextTurn();
      if (signal?.aborted) return;
      if (rule.overlap && (g.overlapFactor === null || g.overlapFactor >= 1)) continue;
      const s = greedySchedule(g, list.cluster, pl, rule, {
        memoryCap: limit.slice(0, pl.devices),
        unitCap: true,
      });
      list.add(
        `greedy:${pl.name}${g === ug && pl.name === "graph" ? "-fine" : ""}/${rule.name}`,
        "greedy",
        g,
        s,
      );
    }
  const S = stages.units.length;
  if (stages.overlapFactor !== null && stages.overlapFactor < 1 && S <= list.cluster.devices.length)
    list.add("dualpipe-overlap-all", "greedy", stages, dualPipeOverlapAll(stages));
}

/**
 * The smallest per-device memory at which some schedule exists: the least cap (in steps of the
 * largest unit activation) under which the first greedy rule still schedules, never below the
 * smallest candidate peak found that way.
 */
export function minimumMemory(
  candidates: readonly Candidate[],
  placements: readonly [UnitGraph, Placement][],
  graphs: readonly UnitGraph[],
  cluster: Cluster,
): number {
  const minMem = Math.min(...candidates.map((c) => c.sim.peakMemoryBytes));
  const step = Math.max(...graphs.flatMap((g) => g.units.map((u) => u.activationBytes)));
  const [rule] = GREEDY_RULES;
  if (!rule) return minMem;
  for (let k = 1; step > 0 && k * step < minMem; k++)
    for (const [g, pl] of placements) {
      const s = greedySchedule(g, cluster, pl, rule, { memoryCap: new Array(pl.devices).fill(k * step) });
      if (s) return simulate(g, cluster, s).peakMemoryBytes;
    }
  return minMem;
}
