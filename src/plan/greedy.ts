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
function depthToSink(ug: UnitGraph): number[] {
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
  const list = new ListScheduler(ug, cluster, place, rule, opts);
  while (list.remaining > 0) {
    const next = list.earliestDevice();
    if (!next) return null; // memory cap deadlock
    if (!list.run(next.d, next.t, list.pick(next.d, next.t))) return null;
  }
  return { name: `greedy:${place.name}/${rule.name}`, devices: list.lists };
}

/** The passes a device may start at time T: the best forward, backward and weight step (−1: none). */
interface Pick {
  fk: number;
  bk: number;
  wk: number;
}

/**
 * The state of one list-scheduling run: per job k = unit·M + micro-batch its device and pass end
 * times, per device its free time, live memory and pending releases. Hot loop: typed arrays and
 * indices that are in range by construction.
 */
class ListScheduler {
  readonly M: number;
  readonly D: number;
  readonly lists: Action[][];
  remaining: number;
  readonly #ug: UnitGraph;
  readonly #cluster: Cluster;
  readonly #rule: GreedyRule;
  readonly #overlap: boolean;
  readonly #cap: readonly number[];
  readonly #ucap: readonly number[] | null;
  readonly #depth: number[];
  /** In-flight micro-batches per (unit, device): key unit·D + device. */
  readonly #inflight = new Map<number, number>();
  readonly #dev: Int32Array;
  readonly #fEnd: Float64Array;
  readonly #bEnd: Float64Array;
  readonly #wDone: Uint8Array;
  readonly #free: Float64Array;
  readonly #mem: Float64Array;
  /** Pending releases per device: [time, bytes], only those after the device's free time. */
  readonly #releases: [number, number][][];
  /** Per device, its jobs in a fixed order (ties go to the first); finished ones are dropped lazily. */
  readonly #byDev: number[][];
  /** Per device, how many jobs in #byDev are finished (compacted when they are half of it). */
  readonly #finishedIn: Int32Array;
  /** Per device, the earliest time it can start a pass (∞: none), valid unless #dirty. */
  readonly #earliest: Float64Array;
  readonly #dirty: Uint8Array;
  /** Per unit, the bytes on the edge from each predecessor / to each successor (aligned with preds/succs). */
  readonly #predBytes: number[][];
  readonly #succBytes: number[][];

  constructor(ug: UnitGraph, cluster: Cluster, place: Placement, rule: GreedyRule, opts: GreedyOptions) {
    const M = ug.microBatches;
    const D = place.devices;
    const N = ug.units.length * M;
    this.M = M;
    this.D = D;
    this.#ug = ug;
    this.#cluster = cluster;
    this.#rule = rule;
    this.#overlap = rule.overlap && ug.overlapFactor !== null && ug.overlapFactor < 1;
    this.#cap = opts.memoryCap ?? cluster.devices.slice(0, D).map((d) => d.memoryBytes);
    this.#ucap = opts.unitCap === true ? depthToSink(ug) : opts.unitCap || null;
    this.#depth = depthToSink(ug);
    this.#dev = new Int32Array(N);
    for (let k = 0; k < N; k++) this.#dev[k] = place.of(Math.floor(k / M), k % M);
    this.#fEnd = new Float64Array(N).fill(Number.NaN);
    this.#bEnd = new Float64Array(N).fill(Number.NaN);
    this.#wDone = new Uint8Array(N);
    this.#free = new Float64Array(D);
    this.#mem = new Float64Array(D);
    this.lists = Array.from({ length: D }, () => []);
    this.#releases = Array.from({ length: D }, () => []);
    this.#byDev = Array.from({ length: D }, () => []);
    for (let k = 0; k < N; k++) this.#byDev[this.#dev[k]!]!.push(k);
    this.#finishedIn = new Int32Array(D);
    this.#earliest = new Float64Array(D);
    this.#dirty = new Uint8Array(D).fill(1);
    this.#predBytes = ug.units.map((_, u) => ug.preds[u]!.map((p) => ug.edgeBytes.get(`${p},${u}`) ?? 0));
    this.#succBytes = ug.units.map((_, u) => ug.succs[u]!.map((q) => ug.edgeBytes.get(`${u},${q}`) ?? 0));
    this.remaining = N * (rule.split ? 3 : 2);
  }

  /** Whether job k has nothing left to run. */
  #finished(k: number): boolean {
    return this.#rule.split ? this.#wDone[k] === 1 : !Number.isNaN(this.#bEnd[k]!);
  }

  /** Device d's jobs, without finished ones once they are half of the list (order kept). */
  #jobs(d: number): number[] {
    const list = this.#byDev[d]!;
    if (this.#finishedIn[d]! * 2 > list.length) {
      let w = 0;
      for (const k of list) if (!this.#finished(k)) list[w++] = k;
      list.length = w;
      this.#finishedIn[d] = 0;
    }
    return list;
  }

  /** Marks the devices whose earliest start may have changed after job k's forward/backward ran. */
  #touch(k: number, forward: boolean): void {
    const M = this.M;
    const u = Math.floor(k / M);
    const m = k % M;
    for (const v of forward ? this.#ug.succs[u]! : this.#ug.preds[u]!) this.#dirty[this.#dev[v * M + m]!] = 1;
  }

  #ucapOk(k: number): boolean {
    if (!this.#ucap) return true;
    const u = Math.floor(k / this.M);
    return (this.#inflight.get(u * this.D + this.#dev[k]!) ?? 0) < this.#ucap[u]!;
  }

  #bump(k: number, delta: number): void {
    const key = Math.floor(k / this.M) * this.D + this.#dev[k]!;
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + delta);
  }

  /** The order key of a ready forward (smaller first). */
  #fKey(k: number, r: number): number {
    if (this.#rule.forwardOrder === "downstream") return this.#depth[Math.floor(k / this.M)]! * 1e6 + r;
    if (this.#rule.forwardOrder === "microbatch") return (k % this.M) * 1e6 + r;
    return r;
  }

  /** When job k's forward inputs have arrived (NaN: a predecessor has not run yet). */
  #fReady(k: number): number {
    const M = this.M;
    const u = Math.floor(k / M);
    const m = k % M;
    let r = 0;
    const preds = this.#ug.preds[u]!;
    const bytes = this.#predBytes[u]!;
    for (let i = 0; i < preds.length; i++) {
      const j = preds[i]! * M + m;
      const e = this.#fEnd[j]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(this.#cluster, this.#dev[j]!, this.#dev[k]!, bytes[i]!));
    }
    return r;
  }

  /** When job k's backward inputs have arrived (NaN: not yet known). */
  #bReady(k: number): number {
    const M = this.M;
    const u = Math.floor(k / M);
    const m = k % M;
    let r = this.#fEnd[k]!;
    if (Number.isNaN(r)) return r;
    const succs = this.#ug.succs[u]!;
    const bytes = this.#succBytes[u]!;
    for (let i = 0; i < succs.length; i++) {
      const j = succs[i]! * M + m;
      const e = this.#bEnd[j]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(this.#cluster, this.#dev[j]!, this.#dev[k]!, bytes[i]!));
    }
    return r;
  }

  #liveAt(d: number, t: number): number {
    let v = this.#mem[d]!;
    for (const [time, b] of this.#releases[d]!) if (time <= t + 1e-12) v -= b;
    return v;
  }

  #activation(k: number): number {
    return this.#ug.units[Math.floor(k / this.M)]!.activationBytes;
  }

  /** The device that can start some pass earliest, and when; null when none can (a deadlock). */
  earliestDevice(): { d: number; t: number } | null {
    let bestD = -1;
    let bestT = Number.POSITIVE_INFINITY;
    for (let d = 0; d < this.D; d++) {
      if (this.#dirty[d]) {
        this.#earliest[d] = this.#earliestOf(d);
        this.#dirty[d] = 0;
      }
      const t = this.#earliest[d]!;
      if (t < bestT - 1e-12) {
        bestT = t;
        bestD = d;
      }
    }
    return bestD < 0 ? null : { d: bestD, t: bestT };
  }

  /** The earliest time device d can start some pass (∞: none now). */
  #earliestOf(d: number): number {
    const free = this.#free[d]!;
    let t = Number.POSITIVE_INFINITY;
    for (const k of this.#jobs(d)) {
      if (Number.isNaN(this.#fEnd[k]!)) {
        const r = this.#fReady(k);
        if (!Number.isNaN(r) && this.#ucapOk(k)) {
          const s = Math.max(free, r);
          if (this.#liveAt(d, s) + this.#activation(k) <= this.#cap[d]! + 1e-9) t = Math.min(t, s);
        }
      } else if (Number.isNaN(this.#bEnd[k]!)) {
        const r = this.#bReady(k);
        if (!Number.isNaN(r)) t = Math.min(t, Math.max(free, r));
      } else if (this.#rule.split && !this.#wDone[k]) t = Math.min(t, Math.max(free, this.#bEnd[k]!));
    }
    return t;
  }

  /** The highest-priority ready forward, backward and weight step of device d at time T. */
  pick(d: number, T: number): Pick {
    const live = this.#liveAt(d, T);
    const out: Pick = { fk: -1, bk: -1, wk: -1 };
    let fr = Number.POSITIVE_INFINITY;
    let br = Number.POSITIVE_INFINITY;
    let wr = Number.POSITIVE_INFINITY;
    for (const k of this.#jobs(d)) {
      if (Number.isNaN(this.#fEnd[k]!)) {
        const r = this.#fReady(k);
        if (
          !Number.isNaN(r) &&
          r <= T + 1e-12 &&
          this.#ucapOk(k) &&
          live + this.#activation(k) <= this.#cap[d]! + 1e-9 &&
          this.#fKey(k, r) < fr - 1e-12
        ) {
          fr = this.#fKey(k, r);
          out.fk = k;
        }
      } else if (Number.isNaN(this.#bEnd[k]!)) {
        const r = this.#bReady(k);
        if (!Number.isNaN(r) && r <= T + 1e-12 && r < br - 1e-12) {
          br = r;
          out.bk = k;
        }
      } else if (this.#rule.split && !this.#wDone[k]) {
        const e = this.#bEnd[k]!;
        if (e <= T + 1e-12 && e < wr - 1e-12) {
          wr = e;
          out.wk = k;
        }
      }
    }
    return out;
  }

  /** Runs the chosen pass on device d from `start`: an F&B chunk, a backward, a forward or a W. */
  run(d: number, start: number, { fk, bk, wk }: Pick): boolean {
    const M = this.M;
    const units = this.#ug.units;
    const speed = this.#cluster.devices[d]!.speed;
    const rule = this.#rule;
    let a: Action;
    let end: number;
    if (this.#overlap && fk >= 0 && bk >= 0) {
      const [uf, ub] = [Math.floor(fk / M), Math.floor(bk / M)];
      a = { pass: "FB", unit: uf, mb: fk % M, unit2: ub, mb2: bk % M };
      end = start + (this.#ug.overlapFactor! * (units[uf]!.forward + units[ub]!.backward)) / speed;
      this.#fEnd[fk] = end;
      this.#bEnd[bk] = end;
      this.#wDone[bk] = 1;
      this.#bump(fk, 1);
      this.#bump(bk, -1);
      this.#mem[d]! += units[uf]!.activationBytes;
      this.#releases[d]!.push([end, units[ub]!.activationBytes]);
      this.remaining -= rule.split ? 3 : 2;
      this.#finishedIn[d]!++;
      this.#touch(fk, true);
      this.#touch(bk, false);
    } else if (bk >= 0 && (rule.backwardFirst || fk < 0)) {
      const u = Math.floor(bk / M);
      const full = !rule.split;
      a = { pass: full ? "B" : "I", unit: u, mb: bk % M };
      end = start + (full ? units[u]!.backward : units[u]!.backward - units[u]!.weight) / speed;
      this.#bEnd[bk] = end;
      this.#bump(bk, -1);
      if (full) this.#releases[d]!.push([end, units[u]!.activationBytes]);
      this.remaining--;
      if (full) this.#finishedIn[d]!++;
      this.#touch(bk, false);
    } else if (fk >= 0) {
      const u = Math.floor(fk / M);
      a = { pass: "F", unit: u, mb: fk % M };
      end = start + units[u]!.forward / speed;
      this.#fEnd[fk] = end;
      this.#bump(fk, 1);
      this.#mem[d]! += units[u]!.activationBytes;
      this.remaining--;
      this.#touch(fk, true);
    } else if (wk >= 0) {
      const u = Math.floor(wk / M);
      a = { pass: "W", unit: u, mb: wk % M };
      end = start + units[u]!.weight / speed;
      this.#wDone[wk] = 1;
      this.#releases[d]!.push([end, units[u]!.activationBytes]);
      this.remaining--;
      this.#finishedIn[d]!++;
    } else return false; // unreachable: T came from a candidate
    this.lists[d]!.push(a);
    this.#free[d] = end;
    // Every later question about device d asks about a time ≥ its free time: releases up to it are final.
    const rel = this.#releases[d]!;
    if (rel.some(([time]) => time <= end + 1e-12)) {
      for (const [time, b] of rel) if (time <= end + 1e-12) this.#mem[d]! -= b;
      this.#releases[d] = rel.filter(([time]) => time > end + 1e-12);
    }
    this.#dirty[d] = 1;
    return true;
  }
}
