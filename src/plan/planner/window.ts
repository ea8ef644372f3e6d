/**
 * One neighbourhood MIP of the large-neighbourhood search (relax-and-fix over time windows, as in
 * the LNS literature for job shops: Pisinger & Ropke, "Large neighborhood search", Handbook of
 * Metaheuristics 2010, §13.4; the per-window model is the FDJSSP of She et al., arXiv 2503.09357,
 * restricted to a window). Given an incumbent schedule timed by the simulator and a window
 * [t0, t1) over a set of devices, the operations (F, I, W per unit and micro-batch) fall in three
 * classes by their incumbent start:
 *   fixed  start < t0: start and pairing kept (constants);
 *   window t0 ≤ start < t1 on a window device: free order (binaries y_ab for every pair on a
 *          device) and free pairing (binaries q_fi: forward f and input gradient i of another
 *          micro-batch run as one F&B chunk of overlapFactor·(F + B), the paired W then takes 0);
 *   later  the rest: device order and pairing kept, starts free (a linear chain per device).
 * Constraints: the precedences of the simulator (F after the predecessors' F + transfer, I after
 * its F and the successors' I + transfer, W after I), no overlap on a device (big-M with M taken
 * from the window's start bounds, not from the horizon), pairing (|S_f − S_i| ≤ M(1 − q),
 * y_ab + y_ba + q_ab = 1), memory at the start of every window forward (live activations =
 * forwards before − W before ≤ cap; the counts of every later forward do not change because the
 * set of operations before it does not), C ≥ end of every W. Objective: C + ε·Σ starts (the small
 * weight compacts the schedule so later windows can use the room). The incumbent is a feasible
 * MIP start (warm start), so a round never returns anything worse than it.
 */
import { LinExpr, Model, type SolveResult, solveModel, type Var } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import { transferTime } from "../cluster.js";
import type { Placement } from "../placement.js";
import type { Action, Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { type ModelSize, modelSize } from "./fdjssp.js";
import { readIncumbent, toActions } from "./incumbent.js";

const F = 0;
const I = 1;
const W = 2;
const FIXED = 0;
const WIN = 1;
const LATER = 2;

export interface WindowInput {
  ug: UnitGraph;
  cluster: Cluster;
  place: Placement;
  /** The incumbent, timed by the simulator. */
  sim: SimResult;
  memoryCap: number[];
  t0: number;
  t1: number;
  /** Devices whose window operations are free (default all). */
  devices?: readonly number[];
  /** Window operations may move this far before t0 / after t1 (default: the largest pass time × 2). */
  slack?: number;
  timeLimit: number;
  /** Relative MIP gap (default 1e-6: the compaction term is small). */
  gap?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface WindowResult {
  result: SolveResult;
  /** The solution's order (unfused I/W), or null without a solution. */
  schedule: Schedule | null;
  size: ModelSize;
  /** Operations whose order/pairing was free. */
  freeOps: number;
  /** Largest violation of a row or bound by the incumbent as MIP start (0: a feasible start). */
  startViolation: { amount: number; row: string };
}

interface Op {
  kind: number;
  unit: number;
  mb: number;
  dev: number;
  dur: number;
  start: number;
  /** Incumbent duration (F&B chunk time for a paired F or I, 0 for a paired W). */
  warmDur: number;
  cls: number;
  /** Position in its device's incumbent sequence. */
  pos: number;
}

export async function solveWindow(inp: WindowInput): Promise<WindowResult> {
  const { ug, cluster, place, sim } = inp;
  const M = ug.microBatches;
  const U = ug.units.length;
  const D = place.devices;
  const rho = ug.overlapFactor;
  const canPair = rho !== null && rho < 1;
  const sp = (d: number) => cluster.devices[d]?.speed ?? 1;
  const id = (kind: number, u: number, m: number) => (u * M + m) * 3 + kind;
  const ops: Op[] = new Array(U * M * 3);
  for (let u = 0; u < U; u++)
    for (let m = 0; m < M; m++) {
      const d = place.of(u, m);
      const un = ug.units[u]!;
      const durs = [un.forward, un.backward - un.weight, un.weight];
      for (let k = 0; k < 3; k++)
        ops[id(k, u, m)] = {
          kind: k,
          unit: u,
          mb: m,
          dev: d,
          dur: durs[k]! / sp(d),
          start: 0,
          warmDur: durs[k]! / sp(d),
          cls: LATER,
          pos: 0,
        };
    }
  // --- incumbent: device sequences, starts, pairs
  const inc = readIncumbent(sim, D, id, (o) => ops[o]!.dur);
  for (const [o, t] of inc.start) ops[o]!.start = t;
  for (const [o, len] of inc.chunkDuration) ops[o]!.warmDur = len;
  const seqs = inc.seqs;
  const warmPairOfF = inc.pairs;
  const warmPairOfI = new Map([...inc.pairs].map(([f, i]) => [i, f]));
  for (const seq of seqs) seq.forEach((o, p) => (ops[o]!.pos = p));
  const T = sim.makespan;
  const winDev = new Set(inp.devices ?? [...Array(D).keys()]);
  let maxDur = 0;
  for (const o of ops) maxDur = Math.max(maxDur, o.dur, o.warmDur);
  const slack = inp.slack ?? 2 * maxDur;
  for (const o of ops) {
    if (o.start < inp.t0 - 1e-9) o.cls = FIXED;
    else if (o.start < inp.t1 - 1e-9 && winDev.has(o.dev)) o.cls = WIN;
    else o.cls = LATER;
  }
  // a paired W belongs with its I (its duration depends on the pairing)
  for (const [i] of warmPairOfI) ops[i + 1]!.cls = ops[i]!.cls;

  const m = new Model("fdjssp-window");
  const S: (Var | null)[] = ops.map(() => null);
  const lo = new Float64Array(ops.length);
  const hi = new Float64Array(ops.length);
  // the end of the fixed part of each device: a lower bound for every free op there
  const fixedEnd = new Float64Array(D);
  for (const o of ops) if (o.cls === FIXED) fixedEnd[o.dev] = Math.max(fixedEnd[o.dev]!, o.start + o.warmDur);
  let freeOps = 0;
  ops.forEach((o, k) => {
    if (o.cls === FIXED) return;
    if (o.cls === WIN) {
      freeOps++;
      lo[k] = Math.max(0, fixedEnd[o.dev]!, Math.min(o.start, inp.t0 - slack));
      hi[k] = Math.min(T, Math.max(o.start, inp.t1 + slack));
    } else {
      lo[k] = fixedEnd[o.dev]!;
      hi[k] = T;
    }
    S[k] = m.addVar({ name: `S_${k}`, lb: lo[k]!, ub: hi[k]! });
  });
  const C = m.addVar({ name: "C", lb: 0, ub: T });

  // --- pairing binaries among window ops
  const qByF = new Map<number, { i: number; v: Var; fb: number }[]>();
  const qByI = new Map<number, { f: number; v: Var; fb: number }[]>();
  const qKey = new Map<string, Var>();
  const winOf: number[][] = Array.from({ length: D }, () => []);
  for (const seq of seqs) for (const o of seq) if (ops[o]!.cls === WIN) winOf[ops[o]!.dev]!.push(o);
  if (canPair)
    for (const list of winOf)
      for (const f of list) {
        const of = ops[f]!;
        if (of.kind !== F) continue;
        for (const i of list) {
          const oi = ops[i]!;
          if (oi.kind !== I || oi.mb === of.mb) continue;
          const fb = (rho! * (ug.units[of.unit]!.forward + ug.units[oi.unit]!.backward)) / sp(of.dev);
          const v = m.addVar({ name: `q_${f}_${i}`, type: "binary" });
          qKey.set(`${f},${i}`, v);
          if (!qByF.has(f)) qByF.set(f, []);
          if (!qByI.has(i)) qByI.set(i, []);
          qByF.get(f)!.push({ i, v, fb });
          qByI.get(i)!.push({ f, v, fb });
        }
      }
  // durations: constants outside the window, expressions of q inside
  const dur = (o: number): LinExpr => {
    const op = ops[o]!;
    if (op.cls !== WIN) return new LinExpr().add(op.warmDur);
    const e = new LinExpr().add(op.dur);
    if (op.kind === F) for (const p of qByF.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else if (op.kind === I) for (const p of qByI.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else for (const p of qByI.get(o - 1) ?? []) e.add(p.v, -op.dur);
    return e;
  };
  const maxDurOf = (o: number): number => {
    const op = ops[o]!;
    if (op.cls !== WIN) return op.warmDur;
    let x = op.dur;
    if (op.kind === F) for (const p of qByF.get(o) ?? []) x = Math.max(x, p.fb);
    if (op.kind === I) for (const p of qByI.get(o) ?? []) x = Math.max(x, p.fb);
    return x;
  };
  const startE = (o: number): LinExpr => {
    const v = S[o];
    return v ? new LinExpr().add(v) : new LinExpr().add(ops[o]!.start);
  };
  const endE = (o: number): LinExpr => startE(o).add(dur(o));
  const free = (o: number) => ops[o]!.cls !== FIXED;
  for (const [f, list] of qByF)
    if (list.length > 1) m.addConstraint(sumOf(list.map((x) => x.v)), "<=", 1, `qf_${f}`);
  for (const [i, list] of qByI)
    if (list.length > 1) m.addConstraint(sumOf(list.map((x) => x.v)), "<=", 1, `qi_${i}`);
  for (const [key, v] of qKey) {
    const [f, i] = key.split(",").map(Number) as [number, number];
    const big = Math.max(hi[f]! - lo[i]!, hi[i]! - lo[f]!);
    m.addConstraint(new LinExpr().add(S[f]!).sub(S[i]!).add(v, big), "<=", big);
    m.addConstraint(new LinExpr().add(S[i]!).sub(S[f]!).add(v, big), "<=", big);
  }

  // --- precedence (only rows with a free successor)
  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  const prec = (succ: number, pred: number, lag: number) => {
    if (!free(succ)) return;
    if (!free(pred)) {
      const need = ops[pred]!.start + ops[pred]!.warmDur + lag;
      if (need > lo[succ]! + 1e-12) m.addConstraint(S[succ]!, ">=", need);
      return;
    }
    m.addConstraint(S[succ]!, ">=", endE(pred).add(lag));
  };
  for (let u = 0; u < U; u++)
    for (let mb = 0; mb < M; mb++) {
      const f = id(F, u, mb);
      const i = id(I, u, mb);
      const w = id(W, u, mb);
      for (const p of ug.preds[u]!)
        prec(f, id(F, p, mb), transferTime(cluster, place.of(p, mb), place.of(u, mb), bytes(p, u)));
      prec(i, f, 0);
      for (const s of ug.succs[u]!)
        prec(i, id(I, s, mb), transferTime(cluster, place.of(s, mb), place.of(u, mb), bytes(u, s)));
      if (free(w)) {
        prec(w, i, 0);
        m.addConstraint(C, ">=", endE(w));
      } else m.addConstraint(C, ">=", ops[w]!.start + ops[w]!.warmDur);
    }

  // --- device order
  const yOf = new Map<string, Var>();
  const ySet: { v: Var; a: number; b: number }[] = [];
  for (let d = 0; d < D; d++) {
    const seq = seqs[d]!;
    const win = winOf[d]!;
    // window pairs: binaries
    for (let x = 0; x < win.length; x++)
      for (let z = x + 1; z < win.length; z++) {
        const a = win[x]!;
        const b = win[z]!;
        const oa = ops[a]!;
        const ob = ops[b]!;
        if (oa.unit === ob.unit && oa.mb === ob.mb) continue; // F < I < W by precedence
        const v = m.addVar({ name: `y_${a}_${b}`, type: "binary" });
        yOf.set(`${a},${b}`, v);
        ySet.push({ v, a, b });
        const qab = qKey.get(`${a},${b}`) ?? qKey.get(`${b},${a}`);
        if (qab) m.addConstraint(new LinExpr().add(v).add(qab), "<=", 1);
        // a before b (v = 1): S_b ≥ end_a − M_ab(1 − v)
        const mab = hi[a]! + maxDurOf(a) - lo[b]!;
        m.addConstraint(new LinExpr().add(S[b]!).sub(endE(a)).sub(v, mab), ">=", -mab);
        // b before a (1 − v − q = 1): S_a ≥ end_b − M_ba(v + q)
        const mba = hi[b]! + maxDurOf(b) - lo[a]!;
        const r = new LinExpr().add(S[a]!).sub(endE(b)).add(v, mba);
        if (qab) r.add(qab, mba);
        m.addConstraint(r, ">=", 0);
      }
    // later ops: a chain in incumbent order, after every window op of the device
    const later = seq.filter((o) => ops[o]!.cls === LATER);
    // load cut: the window ops of the device run between its fixed part and its first later op
    // (or the makespan), so that span is at least their total device time (a paired F and I
    // occupy the device once: the I's share is counted as its unpaired time only)
    if (win.length > 1) {
      const occ = new LinExpr().add(fixedEnd[d]!);
      for (const a of win) {
        const oa = ops[a]!;
        if (oa.kind === I) {
          occ.add(oa.dur);
          for (const p of qByI.get(a) ?? []) occ.add(p.v, -oa.dur);
        } else occ.add(dur(a));
      }
      const firstLater = later.find((o) => !(ops[o]!.kind === I && warmPairOfI.has(o)));
      m.addConstraint(firstLater === undefined ? C : S[firstLater]!, ">=", occ, `load_${d}`);
    }
    let prev: number | null = null;
    for (const o of later) {
      const op = ops[o]!;
      if (op.kind === I && warmPairOfI.has(o)) {
        m.addConstraint(new LinExpr().add(S[o]!).sub(S[warmPairOfI.get(o)!]!), "=", 0);
        continue;
      }
      if (prev === null) for (const a of win) m.addConstraint(S[o]!, ">=", endE(a));
      else m.addConstraint(S[o]!, ">=", endE(prev));
      prev = o;
    }
  }
  const before = (a: number, b: number): LinExpr | number => {
    const oa = ops[a]!;
    const ob = ops[b]!;
    if (oa.cls !== ob.cls || oa.cls !== WIN) {
      if (oa.cls !== ob.cls) return oa.cls < ob.cls ? 1 : 0;
      return oa.pos < ob.pos ? 1 : 0;
    }
    const ab = yOf.get(`${a},${b}`);
    if (ab) return new LinExpr().add(ab);
    const ba = yOf.get(`${b},${a}`);
    if (ba) {
      const e = new LinExpr().add(1).sub(ba);
      const q = qKey.get(`${a},${b}`) ?? qKey.get(`${b},${a}`);
      if (q) e.sub(q);
      return e;
    }
    // same job: F < I < W
    return oa.kind < ob.kind ? 1 : 0;
  };

  // --- memory at the start of every window forward
  for (let d = 0; d < D; d++) {
    const cap = inp.memoryCap[d] ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(cap)) continue;
    const seq = seqs[d]!;
    for (const a of winOf[d]!) {
      const oa = ops[a]!;
      if (oa.kind !== F) continue;
      const e = new LinExpr().add(ug.units[oa.unit]!.activationBytes);
      for (const x of seq) {
        if (x === a) continue;
        const ox = ops[x]!;
        if (ox.kind === I) continue;
        if (ox.unit === oa.unit && ox.mb === oa.mb) continue;
        const act = ug.units[ox.unit]!.activationBytes;
        if (act === 0) continue;
        const bx = before(x, a);
        const sign = ox.kind === F ? 1 : -1;
        if (typeof bx === "number") e.add(sign * act * bx);
        else e.add(bx, sign * act);
      }
      m.addConstraint(e, "<=", cap + 1e-9, `mem_${a}`);
    }
  }

  // --- objective and warm start
  const obj = new LinExpr().add(C);
  let nFree = 0;
  for (const v of S) if (v) nFree++;
  const eps = 0.01 / Math.max(1, nFree * T);
  for (const v of S) if (v) obj.add(v, eps);
  m.setObjective(obj, "minimize");
  const ws = new Map<number, number>();
  ops.forEach((o, k) => {
    const v = S[k];
    if (v) ws.set(v.index, o.start);
  });
  ws.set(C.index, T);
  for (const { v, a, b } of ySet) {
    const paired = warmPairOfF.get(a) === b || warmPairOfF.get(b) === a;
    ws.set(v.index, !paired && ops[a]!.pos < ops[b]!.pos ? 1 : 0);
  }
  for (const [key, v] of qKey) {
    const [f, i] = key.split(",").map(Number) as [number, number];
    ws.set(v.index, warmPairOfF.get(f) === i ? 1 : 0);
  }
  const size = modelSize(m);
  const startViolation = mipStartViolation(m, ws);
  const result = await solveModel(m, {
    timeLimit: inp.timeLimit,
    gap: inp.gap ?? 1e-6,
    seed: inp.seed ?? 0,
    warmStart: { byIndex: ws },
    // many small solves: in this thread (a worker per solve costs more than the solve); the
    // signal is still checked by the solver's callbacks
    inline: true,
    ...(inp.signal ? { signal: inp.signal } : {}),
  });
  if (!result.values) return { result, schedule: null, size, freeOps, startViolation };
  const vals = result.values;
  // --- extract the order; pairs: window ones from q, the others as in the incumbent
  const pairF = new Map<number, number>();
  for (const [f, i] of warmPairOfF) if (ops[f]!.cls !== WIN) pairF.set(f, i);
  for (const [key, v] of qKey)
    if (vals[v.index]! > 0.5) {
      const [f, i] = key.split(",").map(Number) as [number, number];
      pairF.set(f, i);
    }
  const startOf = (o: number) => (S[o] ? vals[S[o]!.index]! : ops[o]!.start);
  const devices: Action[][] = seqs.map((seq) => {
    const sorted = [...seq].sort(
      (a, b) =>
        ops[a]!.cls - ops[b]!.cls ||
        (ops[a]!.cls === FIXED ? 0 : startOf(a) - startOf(b)) ||
        ops[a]!.pos - ops[b]!.pos,
    );
    // fixed ops keep their incumbent order; window and later ops sorted by their new starts
    // (classes first so that a later op never jumps ahead of a window op of its device)
    return toActions(sorted, (o) => ops[o]!, pairF);
  });
  return { result, schedule: { name: "mip", devices }, size, freeOps, startViolation };
}

function sumOf(vs: Var[]): LinExpr {
  const e = new LinExpr();
  for (const v of vs) e.add(v);
  return e;
}

/** Largest amount by which a (partial, by index) start violates a row or a column bound. */
export function mipStartViolation(
  m: Model,
  start: ReadonlyMap<number, number>,
): { amount: number; row: string } {
  const x = new Float64Array(m.numVars);
  for (const [k, v] of start) x[k] = v;
  let amount = 0;
  let row = "";
  m.columns.forEach((c, k) => {
    const v = Math.max(c.lb - x[k]!, x[k]! - c.ub);
    if (v > amount) {
      amount = v;
      row = `bound of ${c.name}`;
    }
  });
  for (const r of m.rows) {
    let act = 0;
    for (let t = 0; t < r.indices.length; t++) act += r.values[t]! * x[r.indices[t]!]!;
    const v = Math.max(r.lower - act, act - r.upper);
    if (v > amount) {
      amount = v;
      row = `${r.name}: ${[...r.indices].map((ix, t) => `${r.values[t]}·${m.columns[ix]!.name}=${x[ix]}`).join(" + ")} in [${r.lower}, ${r.upper}]`;
    }
  }
  return { amount, row };
}
