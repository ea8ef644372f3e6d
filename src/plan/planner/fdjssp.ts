/**
 * The FDJSSP MIP (She et al., arXiv 2503.09357; spec plan.md "Formulation to implement"), over a
 * fixed placement (the upper level's unit → device assignment). Per (unit u, micro-batch m) three
 * operations: F, I (input gradient, B − W) and W. Variables: start S_o ≥ 0; order binaries y for
 * the open pairs of one device; pairing binaries q_ab (forward a and input gradient b of another
 * micro-batch run as one overlapped F&B chunk of overlapFactor·(F + B), its W then takes 0);
 * makespan C. Constraints:
 *   precedence   S_F(u) ≥ S_F(p) + p_F(p) + c_pu;  S_I(u) ≥ end F(u);  S_I(u) ≥ end I(s) + c_us;  S_W ≥ end I;
 *   no overlap   S_j ≥ S_i + p_i − M(1 − before_ij) for open pairs, S_j ≥ S_i + p_i for fixed pairs;
 *   pairing      before_ij + before_ji + q_ij = 1, |S_a − S_b| ≤ M(1 − q_ab), Σ q ≤ 1 per op;
 *   memory       at each forward's start Σ act(forwards before) − Σ act(W before) + act ≤ cap_d;
 *   C ≥ end of every W; C ≤ warm makespan.
 * Big-M = the warm schedule's makespan (tight: every start of a no-worse schedule is below it).
 * Which pairs are open is a neighbourhood of the warm schedule: positions within `window` on the
 * device and starts inside [t0, t1); every other pair keeps the warm order. Orders implied by the
 * graph (F < I < W of one micro-batch) need no binary; fixed pairs at position distance up to
 * 2·window + 1 make all farther orders transitive (any distance > window is a sum of such steps).
 */
import { LinExpr, Model, type SolveResult, solveModel, type Var } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import { transferTime } from "../cluster.js";
import type { Placement } from "../placement.js";
import type { Action, Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { readIncumbent, toActions } from "./incumbent.js";

const KIND_F = 0;
const KIND_I = 1;
const KIND_W = 2;

interface Op {
  kind: number;
  unit: number;
  mb: number;
  dev: number;
  /** Base duration on its device. */
  dur: number;
  warmStart: number;
  pos: number;
}

export interface WindowSpec {
  t0: number;
  t1: number;
  /** Open pairs are at most this far apart in the device's warm order. */
  window: number;
}

export interface MipRoundInput {
  ug: UnitGraph;
  cluster: Cluster;
  place: Placement;
  warm: Schedule;
  warmSim: SimResult;
  memoryCap: number[];
  spec: WindowSpec;
  timeLimit: number;
  gap?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface ModelSize {
  variables: number;
  constraints: number;
  integers: number;
  nonzeros: number;
}

export function modelSize(m: Model): ModelSize {
  return {
    variables: m.numVars,
    constraints: m.numConstraints,
    integers: m.numIntegers,
    nonzeros: m.numNonzeros,
  };
}

export interface MipRoundResult {
  result: SolveResult;
  schedule: Schedule | null;
  size: ModelSize;
  /** Largest value of the objective's tie-breaker (ε Σ starts): result.bound − tieBreak bounds the makespan. */
  tieBreak: number;
}

/** Builds and solves one neighbourhood MIP around the warm schedule. */
export async function solveRound(inp: MipRoundInput): Promise<MipRoundResult> {
  const { ug, cluster, place, warmSim, spec } = inp;
  const M = ug.microBatches;
  const U = ug.units.length;
  const D = place.devices;
  const rho = ug.overlapFactor;
  const sp = (d: number) => cluster.devices[d]!.speed;
  // --- operations and their warm positions
  const ops: Op[] = [];
  const id = (kind: number, u: number, m: number) => (u * M + m) * 3 + kind;
  for (let u = 0; u < U; u++)
    for (let m = 0; m < M; m++) {
      const d = place.of(u, m);
      const un = ug.units[u]!;
      ops.push({ kind: KIND_F, unit: u, mb: m, dev: d, dur: un.forward / sp(d), warmStart: 0, pos: 0 });
      ops.push({
        kind: KIND_I,
        unit: u,
        mb: m,
        dev: d,
        dur: (un.backward - un.weight) / sp(d),
        warmStart: 0,
        pos: 0,
      });
      ops.push({ kind: KIND_W, unit: u, mb: m, dev: d, dur: un.weight / sp(d), warmStart: 0, pos: 0 });
    }
  const inc = readIncumbent(warmSim, D, id, (o) => ops[o]!.dur);
  for (const [o, t] of inc.start) ops[o]!.warmStart = t;
  const seqs = inc.seqs;
  const warmPair = inc.pairs; // F op id -> I op id
  seqs.forEach((s) => s.forEach((o, p) => (ops[o]!.pos = p)));
  const T = warmSim.makespan;
  const BIG = T + 1e-6;

  const m = new Model("fdjssp");
  const S = ops.map((_, i) => m.addVar({ name: `S_${i}`, lb: 0, ub: T }));
  const C = m.addVar({ name: "C", lb: 0, ub: T });
  const inWin = (o: Op) => o.warmStart >= spec.t0 - 1e-9 && o.warmStart < spec.t1;
  const K = spec.window;

  // --- pairing variables
  const canPair = rho !== null && rho < 1;
  const q = new Map<string, Var>(); // `${f},${i}`
  const qByF = new Map<number, { i: number; v: Var; fb: number }[]>();
  const qByI = new Map<number, { f: number; v: Var; fb: number }[]>();
  if (canPair)
    for (const seq of seqs)
      for (const f of seq) {
        const of = ops[f]!;
        if (of.kind !== KIND_F) continue;
        for (const i of seq) {
          const oi = ops[i]!;
          if (oi.kind !== KIND_I || oi.mb === of.mb) continue;
          const isWarm = warmPair.get(f) === i;
          if (!isWarm && (!inWin(of) || !inWin(oi) || Math.abs(oi.pos - of.pos) > K)) continue;
          const un = ug.units[of.unit]!;
          const ub = ug.units[oi.unit]!;
          const fb = (rho! * (un.forward + ub.backward)) / sp(of.dev);
          const v = m.addVar({ name: `q_${f}_${i}`, type: "binary" });
          q.set(`${f},${i}`, v);
          if (!qByF.has(f)) qByF.set(f, []);
          if (!qByI.has(i)) qByI.set(i, []);
          qByF.get(f)!.push({ i, v, fb });
          qByI.get(i)!.push({ f, v, fb });
        }
      }
  // durations as expressions
  const dur = (o: number): LinExpr => {
    const op = ops[o]!;
    const e = new LinExpr().add(op.dur);
    if (op.kind === KIND_F) for (const p of qByF.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else if (op.kind === KIND_I) for (const p of qByI.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else {
      const i = o - 1; // I of the same (u, m)
      for (const p of qByI.get(i) ?? []) e.add(p.v, -op.dur);
    }
    return e;
  };
  const durs = ops.map((_, o) => dur(o));
  const end = (o: number) => new LinExpr().add(S[o]!).add(durs[o]!);
  for (const [f, list] of qByF)
    if (list.length > 1)
      m.addConstraint(new LinExpr().add(sumVars(list.map((x) => x.v))), "<=", 1, `qf_${f}`);
  for (const [i, list] of qByI)
    if (list.length > 1)
      m.addConstraint(new LinExpr().add(sumVars(list.map((x) => x.v))), "<=", 1, `qi_${i}`);
  for (const [key, v] of q) {
    const [f, i] = key.split(",").map(Number) as [number, number];
    m.addConstraint(new LinExpr().add(S[f]!).sub(S[i]!).add(v, BIG), "<=", BIG);
    m.addConstraint(new LinExpr().add(S[i]!).sub(S[f]!).add(v, BIG), "<=", BIG);
  }

  // --- precedence
  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  for (let u = 0; u < U; u++)
    for (let mb = 0; mb < M; mb++) {
      const f = id(KIND_F, u, mb);
      const i = id(KIND_I, u, mb);
      const w = id(KIND_W, u, mb);
      for (const p of ug.preds[u]!) {
        const c = transferTime(cluster, place.of(p, mb), place.of(u, mb), bytes(p, u));
        m.addConstraint(S[f]!, ">=", end(id(KIND_F, p, mb)).add(c));
      }
      m.addConstraint(S[i]!, ">=", end(f));
      for (const s of ug.succs[u]!) {
        const c = transferTime(cluster, place.of(s, mb), place.of(u, mb), bytes(u, s));
        m.addConstraint(S[i]!, ">=", end(id(KIND_I, s, mb)).add(c));
      }
      m.addConstraint(S[w]!, ">=", end(i));
      m.addConstraint(C, ">=", end(w));
    }

  // --- device order: open pairs get binaries, near fixed pairs get a precedence row
  const before = new Map<string, LinExpr | number>(); // `${a},${b}` -> expression of "a before b"
  const y: { v: Var; a: number; b: number }[] = [];
  for (const seq of seqs) {
    const n = seq.length;
    for (let x = 0; x < n; x++)
      for (let z = x + 1; z < Math.min(n, x + 2 * K + 2); z++) {
        const a = seq[x]!;
        const b = seq[z]!;
        const oa = ops[a]!;
        const ob = ops[b]!;
        const sameJob = oa.unit === ob.unit && oa.mb === ob.mb;
        if (sameJob) continue; // F < I < W by precedence
        const open = (z - x <= K && inWin(oa) && inWin(ob)) || warmPair.get(a) === b || warmPair.get(b) === a;
        if (!open) {
          m.addConstraint(S[b]!, ">=", end(a));
          before.set(`${a},${b}`, 1);
          before.set(`${b},${a}`, 0);
          continue;
        }
        const v = m.addVar({ name: `y_${a}_${b}`, type: "binary" });
        y.push({ v, a, b });
        const qab = q.get(`${a},${b}`) ?? q.get(`${b},${a}`);
        const ba = new LinExpr().add(1).sub(v);
        if (qab) {
          ba.sub(qab);
          m.addConstraint(new LinExpr().add(v).add(qab), "<=", 1);
        }
        before.set(`${a},${b}`, new LinExpr().add(v));
        before.set(`${b},${a}`, ba);
        // S_b ≥ end_a − BIG(1 − v);  S_a ≥ end_b − BIG(1 − ba)
        m.addConstraint(new LinExpr().add(S[b]!).sub(end(a)).sub(v, BIG), ">=", -BIG);
        m.addConstraint(new LinExpr().add(S[a]!).sub(end(b)).add(ba.clone().scale(-BIG)), ">=", -BIG);
      }
  }
  const bef = (a: number, b: number): LinExpr | number => {
    const e = before.get(`${a},${b}`);
    if (e !== undefined) return e;
    return ops[a]!.pos < ops[b]!.pos ? 1 : 0;
  };

  // --- memory at each forward's start
  for (let d = 0; d < D; d++) {
    const cap = inp.memoryCap[d] ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(cap)) continue;
    const seq = seqs[d]!;
    for (const a of seq) {
      const oa = ops[a]!;
      if (oa.kind !== KIND_F) continue;
      const e = new LinExpr().add(ug.units[oa.unit]!.activationBytes);
      let constant = 0;
      for (const x of seq) {
        if (x === a) continue;
        const ox = ops[x]!;
        const act = ug.units[ox.unit]!.activationBytes;
        if (act === 0) continue;
        if (ox.kind === KIND_I) continue;
        const sign = ox.kind === KIND_F ? 1 : -1;
        if (ox.kind === KIND_W && ox.unit === oa.unit && ox.mb === oa.mb) continue;
        const bx = bef(x, a);
        if (typeof bx === "number") constant += sign * act * bx;
        else e.add(bx, sign * act);
      }
      e.add(constant);
      m.addConstraint(e, "<=", cap + 1e-9, `mem_${a}`);
    }
  }
  // Makespan first; a small weight on the sum of starts pulls every operation early, so that a
  // window that cannot shorten the makespan still compacts its part and later windows can.
  const obj = new LinExpr().add(C);
  const eps = 0.05 / Math.max(1, ops.length * T);
  for (const v of S) obj.add(v, eps);
  m.setObjective(obj, "minimize");

  // --- warm start
  const ws = new Map<number, number>();
  ops.forEach((o, i) => ws.set(S[i]!.index, o.warmStart));
  ws.set(C.index, T);
  for (const { v, a, b } of y)
    ws.set(v.index, ops[a]!.pos < ops[b]!.pos && warmPair.get(a) !== b && warmPair.get(b) !== a ? 1 : 0);
  for (const [key, v] of q) {
    const [f, i] = key.split(",").map(Number) as [number, number];
    ws.set(v.index, warmPair.get(f) === i ? 1 : 0);
  }
  const size = modelSize(m);
  const result = await solveModel(m, {
    timeLimit: inp.timeLimit,
    gap: inp.gap ?? 1e-4,
    seed: inp.seed ?? 0,
    warmStart: { byIndex: ws },
    ...(inp.signal ? { signal: inp.signal } : {}),
  });
  const tieBreak = eps * ops.length * T;
  if (!result.values) return { result, schedule: null, size, tieBreak };
  const vals = result.values;
  // --- extract: order by start; paired F/I become one FB action; their W disappears
  const pairedF = new Map<number, number>(); // F -> I
  for (const [key, v] of q) {
    if (vals[v.index]! > 0.5) {
      const [f, i] = key.split(",").map(Number) as [number, number];
      pairedF.set(f, i);
    }
  }
  const devices: Action[][] = seqs.map((seq) => {
    const sorted = [...seq].sort(
      (a, b) =>
        vals[S[a]!.index]! - vals[S[b]!.index]! || ops[a]!.kind - ops[b]!.kind || ops[a]!.pos - ops[b]!.pos,
    );
    return toActions(sorted, (o) => ops[o]!, pairedF);
  });
  return { result, schedule: { name: "mip", devices }, size, tieBreak };
}

function sumVars(vs: Var[]): LinExpr {
  const e = new LinExpr();
  for (const v of vs) e.add(v);
  return e;
}

/** Merges an I immediately followed by its own W into one full backward B (same timing, clearer output). */
export function fuseBackwards(s: Schedule): Schedule {
  return {
    ...s,
    devices: s.devices.map((l) => {
      const out: Action[] = [];
      for (let i = 0; i < l.length; i++) {
        const a = l[i]!;
        const b = l[i + 1];
        if (a.pass === "I" && b && b.pass === "W" && b.unit === a.unit && b.mb === a.mb) {
          out.push({ pass: "B", unit: a.unit, mb: a.mb });
          i++;
        } else out.push(a);
      }
      return out;
    }),
  };
}
