/**
 * A lower bound on the makespan C of any schedule with a given placement (unit, micro-batch) →
 * device, under a per-device activation cap:
 *   LB = max( critical path of one micro-batch,  max over devices d of LB_d ).
 *
 * Minimal pass times. A forward of u takes at least f_u = min(F_u, ρ(F_u + B_min)) (alone or as
 * the forward half of an F&B chunk of factor ρ), an input gradient at least i_u =
 * min(B_u − W_u, ρ(F_min + B_u)). Then on device d:
 *   h_d = earliest start of any forward on d (longest path from the sources, with transfers),
 *   e_d = earliest start of any backward on d (forward path down to the sinks, then the input
 *         gradients back up to d: a backward cannot start before its downstream gradients arrive),
 *   work_d = Σ over the passes on d of F_u + B_u (device speed applied),
 *   s_d = (1 − ρ)·(max F on d + max B on d): the most one F&B chunk can save (0 without overlap).
 *
 * LB_d (the pairing bound). Take any feasible schedule and let k be the number of forwards on d
 * that start before e_d. (1) None of them is paired: an F&B chunk starts its backward half with its
 * forward, and no backward starts before e_d. (2) k ≤ k_time = ⌈(e_d − h_d)/f_min,d⌉: they run one
 * after another from h_d and each takes at least f_min,d. (3) k ≤ k_mem = the largest k whose k
 * smallest activations fit the cap: nothing is freed before the first backward ends (> e_d), so at
 * the start of the k-th of them all k activations are live. (4) Before e_d the device does at most
 * min(e_d − h_d, sum of the k largest forward times) of work. (5) After e_d it does the rest, and at
 * most min(n_F − k, n_B) chunks can overlap (each needs a forward not yet run), each saving ≤ s_d.
 * Hence C ≥ e_d + work_d − min(e_d − h_d, ΣF_k largest) − min(n_F − k, n_B)·s_d, and
 *   LB_d = min over k ≤ min(k_time, k_mem, n_F) of that expression
 * is a bound for every schedule. k = 0 alone gives the load bound h_d + work_d − n_F·s_d used
 * before; LB_d is never below it. Where overlap pays this is what a middle rank loses: on
 * dualpipe-8x20-overlap rank 3 starts at h = 3, cannot run a backward before e = 11 (micro-batch 10
 * goes 7 stages down and 3 back), fits k = 8 forwards before it, and so C ≥ 11 + 60 − 8 − 12·0.5 =
 * 57 (the load bound says 53). On dualpipe-8x20 (no overlap, s = 0) it is h + work = 3 + 60 = 63,
 * the proven optimum of the spec.
 */
import type { Cluster } from "./cluster.js";
import { transferTime } from "./cluster.js";
import { topoOrder } from "./graph.js";
import type { Placement } from "./placement.js";
import type { UnitGraph } from "./units.js";

/** The pairing bound of one device and its parts. */
export interface DeviceBound {
  head: number;
  firstBackward: number;
  work: number;
  forwards: number;
  /** Forwards that can start before the first backward (time and memory). */
  unpairedMax: number;
  bound: number;
}

/** The lower bound, the critical path and every device's pairing bound. */
export interface BoundDetail {
  bound: number;
  criticalPath: number;
  devices: DeviceBound[];
}

/** What one device sees of every micro-batch's forward and backward sweeps. */
interface DeviceLoad {
  head: number;
  firstBackward: number;
  work: number;
  forwardTimes: number[];
  activations: number[];
  maxF: number;
  maxB: number;
}

/** The lower bound with its parts (see the module comment). */
export function lowerBoundDetail(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  memoryCap?: readonly number[],
): BoundDetail {
  const rho = ug.overlapFactor !== null && ug.overlapFactor < 1 ? ug.overlapFactor : 1;
  const { loads, criticalPath } = sweep(ug, cluster, place, rho);
  const devices = loads.map((load, d) => {
    const cap = memoryCap?.[d] ?? cluster.devices[d]?.memoryBytes ?? Number.POSITIVE_INFINITY;
    return deviceBound(load, rho, cap);
  });
  const bound = Math.max(criticalPath, ...devices.map((d) => d.bound));
  return { bound, criticalPath, devices };
}

/**
 * Per micro-batch, the earliest forward of each unit (longest path from the sources with minimal
 * pass times and transfers) and the earliest backward (down to the sinks and back up); per device
 * its earliest forward h_d, earliest backward e_d, work and forwards; and the critical path.
 */
function sweep(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  rho: number,
): { loads: DeviceLoad[]; criticalPath: number } {
  const M = ug.microBatches;
  const U = ug.units.length;
  const order = topoOrder(U, ug.edges) ?? [];
  const speed = (d: number) => cluster.devices[d]?.speed ?? 1;
  let fMin = Number.POSITIVE_INFINITY;
  let bMin = Number.POSITIVE_INFINITY;
  for (const u of ug.units) {
    fMin = Math.min(fMin, u.forward);
    bMin = Math.min(bMin, u.backward);
  }
  const fTime = ug.units.map((x) => Math.min(x.forward, rho * (x.forward + bMin)));
  const iTime = ug.units.map((x) => Math.min(x.backward - x.weight, rho * (fMin + x.backward)));
  const loads: DeviceLoad[] = Array.from({ length: place.devices }, () => ({
    head: Number.POSITIVE_INFINITY,
    firstBackward: Number.POSITIVE_INFINITY,
    work: 0,
    forwardTimes: [],
    activations: [],
    maxF: 0,
    maxB: 0,
  }));
  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  let crit = 0;
  for (let m = 0; m < M; m++) {
    const fe = new Float64Array(U);
    for (const u of order) {
      const d = place.of(u, m);
      const x = ug.units[u];
      const load = loads[d];
      if (!x || !load) continue;
      let r = 0;
      for (const p of ug.preds[u] ?? [])
        r = Math.max(r, (fe[p] ?? 0) + transferTime(cluster, place.of(p, m), d, bytes(p, u)));
      fe[u] = r + (fTime[u] ?? 0) / speed(d);
      load.head = Math.min(load.head, r);
      load.work += (x.forward + x.backward) / speed(d);
      load.forwardTimes.push(x.forward / speed(d));
      load.activations.push(x.activationBytes);
      load.maxF = Math.max(load.maxF, x.forward / speed(d));
      load.maxB = Math.max(load.maxB, x.backward / speed(d));
    }
    const be = new Float64Array(U);
    for (const u of [...order].reverse()) {
      const d = place.of(u, m);
      const load = loads[d];
      if (!load) continue;
      let r = fe[u] ?? 0;
      for (const q of ug.succs[u] ?? [])
        r = Math.max(r, (be[q] ?? 0) + transferTime(cluster, place.of(q, m), d, bytes(u, q)));
      load.firstBackward = Math.min(load.firstBackward, r);
      be[u] = r + (iTime[u] ?? 0) / speed(d);
      crit = Math.max(crit, (be[u] ?? 0) + (rho < 1 ? 0 : (ug.units[u]?.weight ?? 0)) / speed(d));
    }
  }
  return { loads, criticalPath: crit };
}

/** LB_d: the least, over the admissible numbers k of unpaired forwards, of the pairing bound. */
function deviceBound(load: DeviceLoad, rho: number, cap: number): DeviceBound {
  const nF = load.forwardTimes.length;
  if (nF === 0) return { head: 0, firstBackward: 0, work: 0, forwards: 0, unpairedMax: 0, bound: 0 };
  const h = load.head;
  const e = Math.max(h, load.firstBackward);
  const s = (1 - rho) * (load.maxF + load.maxB);
  const fmin = Math.min(...load.forwardTimes);
  const kTime = e > h ? Math.ceil((e - h) / fmin - 1e-9) : 0;
  let kMem = 0;
  let used = 0;
  for (const a of [...load.activations].sort((x, y) => x - y)) {
    if (kMem >= nF || used + a > cap + 1e-9) break;
    used += a;
    kMem++;
  }
  const kMax = Math.min(kTime, kMem, nF);
  const largest = [...load.forwardTimes].sort((x, y) => y - x);
  let best = Number.POSITIVE_INFINITY;
  let prefix = 0;
  for (let k = 0; k <= kMax; k++) {
    if (k > 0) prefix += largest[k - 1] ?? 0;
    best = Math.min(best, e + load.work - Math.min(e - h, prefix) - (nF - k) * s);
  }
  best = Math.max(best, h + load.work - nF * s);
  return { head: h, firstBackward: e, work: load.work, forwards: nF, unpairedMax: kMax, bound: best };
}

/** The lower bound on the makespan of any schedule with this placement under the memory cap. */
export function lowerBound(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  memoryCap?: readonly number[],
): number {
  return lowerBoundDetail(ug, cluster, place, memoryCap).bound;
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
  return { name: "schedule", devices: devices.length, of: (u, m) => at[u * M + m] ?? -1 };
}
