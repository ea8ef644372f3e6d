/**
 * Placements: which device runs the passes of (unit, micro-batch). Chain placements for
 * pipeline stages (linear, DualPipe's two directions, DualPipeV's V), plus a
 * graph placement for branchy graphs (HEFT-style earliest-finish list placement over whole-step
 * work, Topcuoglu et al. 2002) so that parallel branches land on different devices.
 */
import { topoOrder } from "./graph.js";
import type { UnitGraph } from "./units.js";

/** Where the passes of each (unit, micro-batch) run. */
export interface Placement {
  name: string;
  devices: number;
  /** Device of (unit, micro-batch). */
  of(unit: number, mb: number): number;
}

/** Stage s on device s. */
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

/**
 * Graph placement (earliest-finish list placement as in HEFT, Topcuoglu et al. 2002, over
 * whole-step work m·(F + B)): units in topological order, each on the device where its work
 * finishes earliest, a predecessor's output being ready once its first micro-batch is done;
 * balances load and spreads parallel branches.
 */
export function graphPlacement(ug: UnitGraph, devices: number, speeds?: number[]): Placement {
  const M = ug.microBatches;
  const work = ug.units.map((u) => M * (u.forward + u.backward));
  const avail = new Float64Array(devices);
  const finish = new Float64Array(ug.units.length);
  const dev = new Int32Array(ug.units.length);
  for (const u of topoOrder(ug.units.length, ug.edges) ?? []) {
    let ready = 0;
    for (const p of ug.preds[u] ?? [])
      ready = Math.max(ready, (finish[p] ?? 0) - ((work[p] ?? 0) * (M - 1)) / M);
    let best = -1;
    let bestEnd = Number.POSITIVE_INFINITY;
    for (const [d, free] of avail.entries()) {
      const end = Math.max(free, ready) + (work[u] ?? 0) / (speeds?.[d] ?? 1);
      if (end < bestEnd - 1e-9) {
        bestEnd = end;
        best = d;
      }
    }
    dev[u] = best;
    finish[u] = bestEnd;
    avail[best] = bestEnd;
  }
  return { name: "graph", devices, of: (u) => dev[u] ?? 0 };
}
