/**
 * Units: the nodes the schedulers and the MIP work on. A unit is one operator or a group of merged
 * operators (times and activation memory add up). Upper level of the bi-level method (She et al.,
 * arXiv 2503.09357, §"bi-level"): greedy operator merging (`coarsen`) and contiguous pipeline stages
 * (`chainStages`, the classic linear-partition DP minimising the heaviest stage).
 */
import type { Graph } from "./graph.js";
import { topoOrder } from "./graph.js";

/** A unit: one operator or a group of merged operators. */
export interface Unit {
  id: string;
  forward: number;
  backward: number;
  weight: number;
  activationBytes: number;
  /** Operator ids merged into this unit, in topological order. */
  operators: string[];
}

/** An edge between units, with the bytes it carries per micro-batch. */
export interface UnitEdge {
  from: number;
  to: number;
  bytes: number;
}

/** The graph the schedulers and the MIP work on: units, edges, adjacency and micro-batches. */
export interface UnitGraph {
  name: string;
  microBatches: number;
  /** F&B chunk time = factor·(F + B); null when passes cannot overlap. */
  overlapFactor: number | null;
  units: Unit[];
  edges: UnitEdge[];
  preds: number[][];
  succs: number[][];
  /** bytes of edge from→to, keyed `${from},${to}`. */
  edgeBytes: Map<string, number>;
}

/** A unit graph from units and edges (parallel edges summed, self-loops dropped). */
function makeUnitGraph(
  base: Pick<UnitGraph, "name" | "microBatches" | "overlapFactor">,
  units: Unit[],
  edges: UnitEdge[],
): UnitGraph {
  const agg = new Map<string, number>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    const k = `${e.from},${e.to}`;
    agg.set(k, (agg.get(k) ?? 0) + e.bytes);
  }
  const merged: UnitEdge[] = [...agg].map(([k, bytes]) => {
    const [from, to] = k.split(",").map(Number) as [number, number];
    return { from, to, bytes };
  });
  const preds: number[][] = units.map(() => []);
  const succs: number[][] = units.map(() => []);
  for (const e of merged) {
    preds[e.to]?.push(e.from);
    succs[e.from]?.push(e.to);
  }
  return { ...base, units, edges: merged, preds, succs, edgeBytes: agg };
}

/** One unit per operator. */
export function unitsFromGraph(g: Graph): UnitGraph {
  const idx = new Map(g.operators.map((o, i) => [o.id, i]));
  return makeUnitGraph(
    { name: g.name, microBatches: g.microBatches, overlapFactor: g.overlap?.factor ?? null },
    g.operators.map((o) => ({
      id: o.id,
      forward: o.forward,
      backward: o.backward,
      weight: o.weight,
      activationBytes: o.activationBytes,
      operators: [o.id],
    })),
    g.edges.map((e) => ({ from: idx.get(e.from)!, to: idx.get(e.to)!, bytes: e.bytes })),
  );
}

/** Merges groups of units (each group a list of unit indices) into new units; groups must partition the units. */
function mergeUnits(ug: UnitGraph, groups: number[][], names?: string[]): UnitGraph {
  const of = new Array<number>(ug.units.length).fill(-1);
  groups.forEach((grp, gi) => {
    for (const u of grp) of[u] = gi;
  });
  const units = groups.map((grp, gi) => {
    const us = grp.flatMap((u) => ug.units[u] ?? []);
    const first = us[0]?.id ?? `group${gi}`;
    const last = us.at(-1)?.id ?? first;
    return {
      id: names?.[gi] ?? (us.length === 1 ? first : `${first}..${last}`),
      forward: us.reduce((s, u) => s + u.forward, 0),
      backward: us.reduce((s, u) => s + u.backward, 0),
      weight: us.reduce((s, u) => s + u.weight, 0),
      activationBytes: us.reduce((s, u) => s + u.activationBytes, 0),
      operators: us.flatMap((u) => u.operators),
    };
  });
  const edges = ug.edges.map((e) => ({ from: of[e.from] ?? -1, to: of[e.to] ?? -1, bytes: e.bytes }));
  return makeUnitGraph(ug, units, edges);
}

function reachableAvoiding(ug: UnitGraph, from: number, to: number): boolean {
  // Is `to` reachable from `from` by a path of length ≥ 2 (not the direct edge)?
  const seen = new Set<number>();
  const stack = (ug.succs[from] ?? []).filter((s) => s !== to);
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (v === to) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push(...(ug.succs[v] ?? []));
  }
  return false;
}

/**
 * Greedy operator merging: repeatedly contracts the edge u→v whose merged unit is lightest
 * (forward + backward), skipping contractions that would create a cycle, until at most `target`
 * units remain or no edge can be contracted.
 */
export function coarsen(ug: UnitGraph, target: number): UnitGraph {
  let g = ug;
  while (g.units.length > target) {
    let best: { u: number; v: number; w: number } | null = null;
    for (const e of g.edges) {
      const [a, b] = [g.units[e.from], g.units[e.to]];
      if (!a || !b) continue;
      const w = a.forward + a.backward + b.forward + b.backward;
      if (best && w >= best.w) continue;
      if (reachableAvoiding(g, e.from, e.to)) continue;
      best = { u: e.from, v: e.to, w };
    }
    if (!best) break;
    const groups: number[][] = [];
    for (let i = 0; i < g.units.length; i++) {
      if (i === best.v) continue;
      groups.push(i === best.u ? [best.u, best.v] : [i]);
    }
    g = mergeUnits(g, groups);
  }
  return g;
}

/**
 * Contiguous pipeline stages: splits a topological order into `stages` groups minimising the
 * heaviest group's F + B (linear partition by dynamic programming). Operators' own `stage` fields
 * win when every operator has one.
 */
export function chainStages(ug: UnitGraph, stages: number, explicit?: (number | undefined)[]): UnitGraph {
  if (explicit && explicit.length === ug.units.length && explicit.every((s) => s !== undefined)) {
    const n = Math.max(...(explicit as number[])) + 1;
    const groups: number[][] = Array.from({ length: n }, () => []);
    for (const [u, s] of explicit.entries()) if (s !== undefined) groups[s]?.push(u);
    const nonEmpty = groups.filter((gr) => gr.length > 0);
    return mergeUnits(
      ug,
      nonEmpty,
      nonEmpty.map((_, i) => `stage${i}`),
    );
  }
  const order = topoOrder(ug.units.length, ug.edges)!;
  const n = order.length;
  const k = Math.min(stages, n);
  const pre = [0];
  for (const u of order) {
    const x = ug.units[u];
    pre.push((pre.at(-1) ?? 0) + (x ? x.forward + x.backward : 0));
  }
  // dp[j][i]: best max-load splitting the first i items into j groups.
  const dp: number[][] = Array.from({ length: k + 1 }, () =>
    new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY),
  );
  const cut: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(0));
  dp[0]![0] = 0;
  for (let j = 1; j <= k; j++)
    for (let i = j; i <= n; i++)
      for (let p = j - 1; p < i; p++) {
        const v = Math.max(dp[j - 1]![p]!, pre[i]! - pre[p]!);
        if (v < dp[j]![i]! - 1e-12) {
          dp[j]![i] = v;
          cut[j]![i] = p;
        }
      }
  const groups: number[][] = [];
  let i = n;
  for (let j = k; j >= 1; j--) {
    const p = cut[j]![i]!;
    groups.unshift(order.slice(p, i));
    i = p;
  }
  return mergeUnits(
    ug,
    groups,
    groups.map((_, s) => `stage${s}`),
  );
}
