/**
 * A lower bound on the makespan of any schedule with a given placement:
 *   LB = max( critical path of one micro-batch,
 *             max over devices d of  head_d + minWork_d + tail_d ),
 * head_d = earliest any pass placed on d can start (longest path from the sources),
 * tail_d = least time that must follow the last pass on d (0 here: W passes end the work),
 * minWork_d = Σ pass times on d minus the largest saving overlapped F&B chunks could bring
 *   (at most min(#forwards, #backwards) pairs, each saving F + B − F&B at best).
 * On dualpipe-8x20 this gives 3 + 60 = 63 (spec plan.md: "no schedule ends before 63").
 */
import type { Cluster } from "./cluster.js";
import { transferTime } from "./cluster.js";
import { topoOrder } from "./graph.js";
import type { Placement } from "./placement.js";
import type { UnitGraph } from "./units.js";

export function lowerBound(ug: UnitGraph, cluster: Cluster, place: Placement): number {
  const M = ug.microBatches;
  const U = ug.units.length;
  const order = topoOrder(U, ug.edges)!;
  const rho = ug.overlapFactor ?? 1;
  const sp = (d: number) => cluster.devices[d]?.speed ?? 1;
  let lb = 0;
  const head = new Array<number>(place.devices).fill(Number.POSITIVE_INFINITY);
  const work = new Array<number>(place.devices).fill(0);
  const nF = new Array<number>(place.devices).fill(0);
  let maxSave = 0;
  for (const u of ug.units)
    maxSave = Math.max(maxSave, u.forward + u.backward - rho * (u.forward + u.backward));
  for (let m = 0; m < M; m++) {
    // earliest forward start and end of each unit for this micro-batch
    const fs = new Float64Array(U);
    const fe = new Float64Array(U);
    for (const u of order) {
      const d = place.of(u, m);
      let r = 0;
      for (const p of ug.preds[u]!)
        r = Math.max(
          r,
          fe[p]! + transferTime(cluster, place.of(p, m), d, ug.edgeBytes.get(`${p},${u}`) ?? 0),
        );
      fs[u] = r;
      fe[u] = r + ug.units[u]!.forward / sp(d);
      head[d] = Math.min(head[d]!, r);
      work[d]! += (ug.units[u]!.forward + ug.units[u]!.backward) / sp(d);
      nF[d]!++;
    }
    // backward critical path
    const be = new Float64Array(U);
    for (let i = order.length - 1; i >= 0; i--) {
      const u = order[i]!;
      const d = place.of(u, m);
      let r = fe[u]!;
      for (const q of ug.succs[u]!)
        r = Math.max(
          r,
          be[q]! + transferTime(cluster, place.of(q, m), d, ug.edgeBytes.get(`${u},${q}`) ?? 0),
        );
      be[u] = r + (ug.units[u]!.backward - ug.units[u]!.weight) / sp(d);
      lb = Math.max(lb, be[u]! + ug.units[u]!.weight / sp(d));
    }
  }
  for (let d = 0; d < place.devices; d++) {
    if (nF[d] === 0) continue;
    const save = rho < 1 ? (nF[d]! * maxSave) / sp(d) : 0;
    lb = Math.max(lb, head[d]! + Math.max(0, work[d]! - save));
  }
  return lb;
}

/** Placement read back from a schedule (device of each unit's forward per micro-batch). */
export function placementOf(
  ug: UnitGraph,
  devices: { pass: string; unit: number; mb: number }[][],
): Placement {
  const M = ug.microBatches;
  const at = new Int32Array(ug.units.length * M).fill(-1);
  devices.forEach((l, d) => {
    for (const a of l) if (a.pass === "F" || a.pass === "FB") at[a.unit * M + a.mb] = d;
  });
  return { name: "schedule", devices: devices.length, of: (u, m) => at[u * M + m]! };
}
