/**
 * Placements: which device runs the passes of (unit, micro-batch). Chain placements for
 * pipeline stages (linear, DualPipe's two directions, DualPipeV's V, interleaved), plus a
 * graph placement for branchy graphs (HEFT-style earliest-finish list placement over whole-step
 * work, Topcuoglu et al. 2002) so that parallel branches land on different devices.
 */
import { topoOrder } from "./graph.js";
import type { UnitGraph } from "./units.js";

export interface Placement {
  name: string;
  devices: number;
  /** Device of (unit, micro-batch). */
  of(unit: number, mb: number): number;
}

export function linearPlacement(stages: number): Placement {
  return { name: "linear", devices: stages, of: (u) => u };
}

/** DualPipe: first half of the micro-batches flows 0→PP−1, the second half PP−1→0. */
export function dualPlacement(stages: number, microBatches: number): Placement {
  const half = Math.floor(microBatches / 2);
  return { name: "dual", devices: stages, of: (u, mb) => (mb < half ? u : stages - 1 - u) };
}

/** DualPipeV: stage s on device s for the first half of the stages, on 2D−1−s after (a V). */
export function vPlacement(stages: number): Placement {
  const D = Math.floor(stages / 2);
  return { name: "v", devices: D, of: (u) => (u < D ? u : 2 * D - 1 - u) };
}

/** Interleaved (looped) placement: stage s on device s mod D. */
export function interleavedPlacement(stages: number, devices: number): Placement {
  return { name: `interleaved-${stages / devices}`, devices, of: (u) => u % devices };
}

/**
 * Graph placement: units in decreasing upward rank (HEFT), each on the device where its whole-step
 * work (m·(F+B)) finishes earliest given its predecessors' placement; balances load and spreads
 * parallel branches.
 */
export function graphPlacement(ug: UnitGraph, devices: number, speeds?: number[]): Placement {
  const n = ug.units.length;
  const M = ug.microBatches;
  const work = ug.units.map((u) => M * (u.forward + u.backward));
  const order = topoOrder(n, ug.edges)!;
  const rank = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const u = order[i]!;
    let best = 0;
    for (const s of ug.succs[u]!) best = Math.max(best, rank[s]!);
    rank[u] = ug.units[u]!.forward + ug.units[u]!.backward + best;
  }
  // Process in topological order, ties by rank: keeps predecessors placed first.
  const pos = new Map(order.map((u, i) => [u, i]));
  const seq = [...order].sort((a, b) => pos.get(a)! - pos.get(b)! || rank[b]! - rank[a]!);
  const avail = new Float64Array(devices);
  const finish = new Float64Array(n);
  const dev = new Int32Array(n);
  for (const u of seq) {
    let best = -1;
    let bestEnd = Number.POSITIVE_INFINITY;
    for (let d = 0; d < devices; d++) {
      let ready = 0;
      for (const p of ug.preds[u]!)
        ready = Math.max(
          ready,
          dev[p] === d ? finish[p]! - (work[p]! * (M - 1)) / M : finish[p]! - (work[p]! * (M - 1)) / M,
        );
      const end = Math.max(avail[d]!, ready) + work[u]! / (speeds?.[d] ?? 1);
      if (end < bestEnd - 1e-9) {
        bestEnd = end;
        best = d;
      }
    }
    dev[u] = best;
    finish[u] = bestEnd;
    avail[best] = bestEnd;
  }
  return { name: "graph", devices, of: (u) => dev[u]! };
}
