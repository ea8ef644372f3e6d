/**
 * Greedy list schedulers (Graham-style list scheduling with priority rules and a memory cap).
 * At each step the device that can start work earliest picks, among the passes ready by then,
 * the highest-priority one; a forward is allowed only while the device's live activations plus
 * the new one stay within its cap. Rules (see the rule table below):
 *  - bwd-first: I/B before F before W (with forwards of the most downstream unit first, the rule
 *               reaches the proven optimum 63 on dualpipe-8x20);
 *  - fwd-first: F before I/B before W;
 *  - overlap:   a ready forward and a ready backward run as one F&B chunk when the graph allows
 *               overlap (DualPipe's overlapped chunks), else as bwd-first.
 * Backwards are either full (B) or split (I now, W deferred to idle time, as in Zero Bubble).
 */
import type { Cluster } from "./cluster.js";
import { transferTime } from "./cluster.js";
import type { Placement } from "./placement.js";
import type { Action, Schedule } from "./schedule.js";
import type { UnitGraph } from "./units.js";

export interface GreedyRule {
  name: string;
  backwardFirst: boolean;
  /** Split backwards into I + deferred W. */
  split: boolean;
  /** Pair a ready F with a ready B into an F&B chunk. */
  overlap: boolean;
  /** Which ready forward first: earliest ready (default), most downstream unit, or lowest micro-batch. */
  forwardOrder?: "ready" | "downstream" | "microbatch";
}

export const GREEDY_RULES: readonly GreedyRule[] = [
  { name: "bwd-first", backwardFirst: true, split: true, overlap: false },
  {
    name: "bwd-first-downstream",
    backwardFirst: true,
    split: true,
    overlap: false,
    forwardOrder: "downstream",
  },
  { name: "bwd-first-full", backwardFirst: true, split: false, overlap: false },
  { name: "fwd-first", backwardFirst: false, split: true, overlap: false },
  { name: "overlap", backwardFirst: true, split: true, overlap: true },
  { name: "overlap-downstream", backwardFirst: true, split: true, overlap: true, forwardOrder: "downstream" },
  { name: "overlap-full", backwardFirst: true, split: false, overlap: true },
];

export interface GreedyOptions {
  /** Per-device activation cap (bytes); default the cluster's capacities. */
  memoryCap?: number[];
  /**
   * Per-unit cap on micro-batches in flight (forward done, input gradient not yet), like 1F1B's
   * PP − s warm-up limit; `true` = the unit's depth to the sink (in units), as in 1F1B/DualPipe.
   */
  unitCap?: boolean | number[];
}

/** Number of units on the longest path from each unit to a sink, inclusive (1F1B's in-flight limit). */
export function depthToSink(ug: UnitGraph): number[] {
  const memo = new Array<number>(ug.units.length).fill(0);
  const go = (u: number): number => {
    if (memo[u]! > 0) return memo[u]!;
    let best = 0;
    for (const s of ug.succs[u]!) best = Math.max(best, go(s));
    memo[u] = best + 1;
    return best + 1;
  };
  return ug.units.map((_, u) => go(u));
}

/** Returns the schedule, or null when the memory cap deadlocks it. */
export function greedySchedule(
  ug: UnitGraph,
  cluster: Cluster,
  place: Placement,
  rule: GreedyRule,
  opts: GreedyOptions = {},
): Schedule | null {
  const M = ug.microBatches;
  const U = ug.units.length;
  const N = U * M;
  const D = place.devices;
  const cap = opts.memoryCap ?? cluster.devices.slice(0, D).map((d) => d.memoryBytes);
  const ucap =
    opts.unitCap === true
      ? depthToSink(ug)
      : opts.unitCap === false || opts.unitCap === undefined
        ? null
        : opts.unitCap;
  const inflight = new Map<number, number>(); // key unit*D+dev
  const ucapOk = (k: number) => {
    if (!ucap) return true;
    const u = Math.floor(k / M);
    return (inflight.get(u * D + dev[k]!) ?? 0) < ucap[u]!;
  };
  const bump = (k: number, delta: number) => {
    const key = Math.floor(k / M) * D + dev[k]!;
    inflight.set(key, (inflight.get(key) ?? 0) + delta);
  };
  const depth = depthToSink(ug);
  const fKey = (k: number, r: number): number => {
    if (rule.forwardOrder === "downstream") return depth[Math.floor(k / M)]! * 1e6 + r;
    if (rule.forwardOrder === "microbatch") return (k % M) * 1e6 + r;
    return r;
  };
  const dev = new Int32Array(N);
  for (let u = 0; u < U; u++) for (let m = 0; m < M; m++) dev[u * M + m] = place.of(u, m);
  const fEnd = new Float64Array(N).fill(Number.NaN);
  const bEnd = new Float64Array(N).fill(Number.NaN);
  const wDone = new Uint8Array(N);
  const free = new Float64Array(D);
  const mem = new Float64Array(D);
  const lists: Action[][] = Array.from({ length: D }, () => []);
  // pending releases per device: [time, bytes]
  const releases: [number, number][][] = Array.from({ length: D }, () => []);
  const speed = (d: number) => cluster.devices[d]!.speed;
  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  const overlap = rule.overlap && ug.overlapFactor !== null && ug.overlapFactor < 1;

  const fReady = (k: number): number => {
    const u = Math.floor(k / M);
    const m = k % M;
    let r = 0;
    for (const p of ug.preds[u]!) {
      const e = fEnd[p * M + m]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(cluster, dev[p * M + m]!, dev[k]!, bytes(p, u)));
    }
    return r;
  };
  const bReady = (k: number): number => {
    const u = Math.floor(k / M);
    const m = k % M;
    let r = fEnd[k]!;
    if (Number.isNaN(r)) return r;
    for (const q of ug.succs[u]!) {
      const e = bEnd[q * M + m]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(cluster, dev[q * M + m]!, dev[k]!, bytes(u, q)));
    }
    return r;
  };

  const byDev: number[][] = Array.from({ length: D }, () => []);
  for (let k = 0; k < N; k++) byDev[dev[k]!]!.push(k);
  let remaining = N * (rule.split ? 3 : 2);

  const liveAt = (d: number, t: number) => {
    let v = mem[d]!;
    for (const [time, b] of releases[d]!) if (time <= t + 1e-12) v -= b;
    return v;
  };

  while (remaining > 0) {
    let bestD = -1;
    let bestT = Number.POSITIVE_INFINITY;
    for (let d = 0; d < D; d++) {
      let t = Number.POSITIVE_INFINITY;
      for (const k of byDev[d]!) {
        if (Number.isNaN(fEnd[k]!)) {
          const r = fReady(k);
          if (!Number.isNaN(r) && ucapOk(k)) {
            const s = Math.max(free[d]!, r);
            if (liveAt(d, s) + ug.units[Math.floor(k / M)]!.activationBytes <= cap[d]! + 1e-9)
              t = Math.min(t, s);
          }
        } else if (Number.isNaN(bEnd[k]!)) {
          const r = bReady(k);
          if (!Number.isNaN(r)) t = Math.min(t, Math.max(free[d]!, r));
        } else if (rule.split && !wDone[k]) t = Math.min(t, Math.max(free[d]!, bEnd[k]!));
      }
      if (t < bestT - 1e-12) {
        bestT = t;
        bestD = d;
      }
    }
    if (bestD < 0) return null; // memory cap deadlock
    const d = bestD;
    const T = bestT;
    const live = liveAt(d, T);
    let fk = -1;
    let fr = Number.POSITIVE_INFINITY;
    let bk = -1;
    let br = Number.POSITIVE_INFINITY;
    let wk = -1;
    let wr = Number.POSITIVE_INFINITY;
    for (const k of byDev[d]!) {
      if (Number.isNaN(fEnd[k]!)) {
        const r = fReady(k);
        if (
          !Number.isNaN(r) &&
          r <= T + 1e-12 &&
          ucapOk(k) &&
          live + ug.units[Math.floor(k / M)]!.activationBytes <= cap[d]! + 1e-9 &&
          fKey(k, r) < fr - 1e-12
        ) {
          fr = fKey(k, r);
          fk = k;
        }
      } else if (Number.isNaN(bEnd[k]!)) {
        const r = bReady(k);
        if (!Number.isNaN(r) && r <= T + 1e-12 && r < br - 1e-12) {
          br = r;
          bk = k;
        }
      } else if (rule.split && !wDone[k] && bEnd[k]! <= T + 1e-12 && bEnd[k]! < wr - 1e-12) {
        wr = bEnd[k]!;
        wk = k;
      }
    }
    const unitOf = (k: number) => Math.floor(k / M);
    const start = T;
    let a: Action;
    let end: number;
    if (overlap && fk >= 0 && bk >= 0) {
      a = { pass: "FB", unit: unitOf(fk), mb: fk % M, unit2: unitOf(bk), mb2: bk % M };
      end =
        start +
        (ug.overlapFactor! * (ug.units[unitOf(fk)]!.forward + ug.units[unitOf(bk)]!.backward)) / speed(d);
      fEnd[fk] = end;
      bEnd[bk] = end;
      wDone[bk] = 1;
      bump(fk, 1);
      bump(bk, -1);
      mem[d]! += ug.units[unitOf(fk)]!.activationBytes;
      releases[d]!.push([end, ug.units[unitOf(bk)]!.activationBytes]);
      remaining -= rule.split ? 3 : 2;
    } else if (bk >= 0 && (rule.backwardFirst || fk < 0)) {
      const u = unitOf(bk);
      const full = !rule.split;
      a = { pass: full ? "B" : "I", unit: u, mb: bk % M };
      end = start + (full ? ug.units[u]!.backward : ug.units[u]!.backward - ug.units[u]!.weight) / speed(d);
      bEnd[bk] = end;
      bump(bk, -1);
      if (full) releases[d]!.push([end, ug.units[u]!.activationBytes]);
      remaining--;
    } else if (fk >= 0) {
      const u = unitOf(fk);
      a = { pass: "F", unit: u, mb: fk % M };
      end = start + ug.units[u]!.forward / speed(d);
      fEnd[fk] = end;
      bump(fk, 1);
      mem[d]! += ug.units[u]!.activationBytes;
      remaining--;
    } else if (wk >= 0) {
      const u = unitOf(wk);
      a = { pass: "W", unit: u, mb: wk % M };
      end = start + ug.units[u]!.weight / speed(d);
      wDone[wk] = 1;
      releases[d]!.push([end, ug.units[u]!.activationBytes]);
      remaining--;
    } else {
      return null; // unreachable: T came from some candidate
    }
    lists[d]!.push(a);
    free[d] = end;
  }
  return { name: `greedy:${place.name}/${rule.name}`, devices: lists };
}
