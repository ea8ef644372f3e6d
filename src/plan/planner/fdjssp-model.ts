/**
 * The one FDJSSP MIP builder (She et al., "Automatic Operator-level Parallelism Planning for
 * Distributed Deep Learning — A Mixed-Integer Programming Approach", arXiv 2503.09357; spec plan.md
 * "Formulation to implement"), shared by the whole-model MIP (`fdjssp.ts`, fixed or free placement)
 * and the window MIPs of the large-neighbourhood search (`window.ts`). A model is built in phases,
 * each a method, over the operation table of an incumbent (`operations.ts`):
 *
 *   starts       S_o ≥ 0 per operation and the makespan C. An operation is `fixed` (start and
 *                pairing as in the incumbent: a constant), `free` (start, device order and pairing
 *                free) or `later` (start free; order and pairing as in the incumbent).
 *   pairing      binaries q_fi: forward f and input gradient i of another micro-batch on the same
 *                device run as one F&B chunk of ρ(F_f + B_i): |S_f − S_i| ≤ M(1 − q), Σ q ≤ 1 per
 *                operation, and the paired W then takes 0. A free operation's duration is an
 *                expression of its q; any other's is the incumbent's.
 *   precedence   S_F(u) ≥ end F(p) + c_pu, S_I(u) ≥ end F(u), S_I(u) ≥ end I(s) + c_us,
 *                S_W ≥ end I, C ≥ end W (c only across devices).
 *   device order one binary y_ab per open pair: before_ab = y, before_ba = 1 − y − q_ab;
 *                S_b ≥ end_a − M_ab(1 − before_ab) − M_ab(1 − z_ab), where z is the same-device
 *                indicator (1 under a fixed placement).
 *   memory       at a forward a's start: act_a + Σ act(forwards before a) − Σ act(W before a) ≤ cap,
 *                over the operations that share a's device (terms × z linearized through g).
 *   objective    C + ε Σ S (a small tie-breaker that compacts the schedule).
 *   warm start   every variable gets its incumbent value when it is created, so the incumbent is a
 *                complete MIP start and a solve never returns anything worse.
 *   extraction   per device, operations ordered by start; paired F and I back to F&B actions.
 */

import { MisuseError } from "../../errors/index.js";
import {
  LinExpr,
  Model,
  type SolveProgress,
  type SolveResult,
  solveModel,
  type Var,
} from "../../mip/index.js";
import type { Schedule } from "../schedule.js";
import type { UnitGraph } from "../units.js";
import { OP_F, OP_I, OP_W, type Operation, type OperationTable, toActions } from "./operations.js";

/** Start and pairing as in the incumbent. */
export const FIXED = 0;
/** Start, device order and pairing free. */
export const FREE = 1;
/** Start free; device order and pairing as in the incumbent. */
export const LATER = 2;
/** How much of an operation the MIP may change. */
export type OpClass = typeof FIXED | typeof FREE | typeof LATER;

/** A 0/1 quantity: a constant or a variable (an assignment or same-device indicator). */
export type Bin = Var | 0 | 1;

/** Size of a built model. */
export interface ModelSize {
  variables: number;
  constraints: number;
  integers: number;
  nonzeros: number;
}

/** The empty size (no model built yet). */
export const NO_MODEL: ModelSize = { variables: 0, constraints: 0, integers: 0, nonzeros: 0 };

/** What a built model is solved with. */
export interface FdjsspSolveOptions {
  timeLimit: number;
  /** Branch-and-bound nodes: a deterministic work limit. */
  nodeLimit?: number;
  gap: number;
  seed?: number;
  /** Solve in the long-lived solver thread (many small solves) instead of a fresh worker. */
  reuseWorker?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: SolveProgress) => void;
}

interface PairVar {
  other: number;
  v: Var;
  /** Duration of the F&B chunk. */
  chunk: number;
}

interface Before {
  e: LinExpr;
  warm: number;
}

/** Adds `b × coef` to `e` (a constant or a variable). */
export function addBin(e: LinExpr, b: Bin | LinExpr | number, coef = 1): LinExpr {
  return typeof b === "number" ? e.add(b * coef) : e.add(b, coef);
}

/** The FDJSSP model of one instance, built phase by phase (see the module comment). */
export class FdjsspBuilder {
  readonly model: Model;
  readonly table: OperationTable;
  readonly ops: readonly Operation[];
  /** The MIP start: variable index → incumbent value. */
  readonly warm = new Map<number, number>();
  /** Start variable per operation (null for a fixed one), after `starts`. */
  S: (Var | null)[] = [];
  /** Start bounds per operation. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Pairing variables by `${f},${i}`. */
  readonly q = new Map<string, Var>();
  readonly #cls: readonly OpClass[];
  readonly #qByF = new Map<number, PairVar[]>();
  readonly #qByI = new Map<number, PairVar[]>();
  readonly #before = new Map<string, Before>();
  readonly #durations = new Map<number, LinExpr>();
  #C: Var | null = null;

  /** @param cls what the MIP may change of each operation (by operation id). */
  constructor(name: string, table: OperationTable, cls: readonly OpClass[]) {
    this.model = new Model(name);
    this.table = table;
    this.ops = table.ops;
    this.#cls = cls;
    this.lo = new Float64Array(this.ops.length);
    this.hi = new Float64Array(this.ops.length);
  }

  /** The makespan variable (after `starts`). */
  get C(): Var {
    if (!this.#C)
      throw new MisuseError({
        where: "FdjsspBuilder",
        what: "C is used before starts()",
        hint: "call starts() first",
      });
    return this.#C;
  }

  /**
   * Phase "starts": a start variable for every operation that is not fixed, within `bounds(o)`,
   * and the makespan C ≤ the incumbent's.
   */
  starts(bounds: (o: number) => readonly [number, number]): void {
    this.S = this.ops.map((op, o) => {
      if (this.classOf(o) === FIXED) return null;
      const [lb, ub] = bounds(o);
      this.lo[o] = lb;
      this.hi[o] = ub;
      return this.variable({ name: `S_${o}`, lb, ub }, op.start);
    });
    this.#C = this.variable({ name: "C", lb: 0, ub: this.table.makespan }, this.table.makespan);
  }

  /** A new variable with its incumbent value. */
  variable(spec: Parameters<Model["addVar"]>[0], warm: number): Var {
    const v = this.model.addVar(spec);
    this.warm.set(v.index, warm);
    return v;
  }

  classOf(o: number): OpClass {
    return this.#cls[o] ?? FIXED;
  }

  /**
   * Phase "pairing": a binary q per candidate (forward f, input gradient i of another micro-batch),
   * the chunk taking ρ·(F + B) of `chunk(f, i)`; both start together within `big(f, i)`, and only
   * on a shared device (q ≤ z when `same` is a variable).
   */
  pairing(
    candidates: Iterable<readonly [number, number]>,
    chunk: (f: number, i: number) => number,
    big: (f: number, i: number) => number,
    same: (f: number, i: number) => Bin = () => 1,
  ): void {
    for (const [f, i] of candidates) {
      const z = same(f, i);
      if (z === 0) continue;
      const v = this.variable({ name: `q_${f}_${i}`, type: "binary" }, this.table.pairs.get(f) === i ? 1 : 0);
      if (typeof z !== "number") this.model.addConstraint(v, "<=", z);
      this.q.set(`${f},${i}`, v);
      const fb = chunk(f, i);
      listOf(this.#qByF, f).push({ other: i, v, chunk: fb });
      listOf(this.#qByI, i).push({ other: f, v, chunk: fb });
    }
    for (const [map, tag] of [
      [this.#qByF, "qf"],
      [this.#qByI, "qi"],
    ] as const)
      for (const [o, list] of map)
        if (list.length > 1) this.model.addConstraint(sumOf(list.map((p) => p.v)), "<=", 1, `${tag}_${o}`);
    for (const [key, v] of this.q) {
      const [f, i] = pairOf(key);
      const M = big(f, i);
      this.model.addConstraint(this.start(f).sub(this.start(i)).add(v, M), "<=", M);
      this.model.addConstraint(this.start(i).sub(this.start(f)).add(v, M), "<=", M);
    }
  }

  /** An operation's duration: an expression of its pairing variables when free, else the incumbent's. */
  duration(o: number): LinExpr {
    const op = this.ops[o] as Operation;
    if (this.classOf(o) !== FREE) return new LinExpr().add(op.warmDur);
    let e = this.#durations.get(o);
    if (!e) {
      e = new LinExpr().add(op.dur);
      if (op.kind === OP_F) for (const p of this.#qByF.get(o) ?? []) e.add(p.v, p.chunk - op.dur);
      else if (op.kind === OP_I) for (const p of this.#qByI.get(o) ?? []) e.add(p.v, p.chunk - op.dur);
      else for (const p of this.#qByI.get(o - 1) ?? []) e.add(p.v, -op.dur);
      this.#durations.set(o, e);
    }
    return e.clone();
  }

  /** The longest an operation can take (its own duration or its longest chunk). */
  maxDuration(o: number): number {
    const op = this.ops[o] as Operation;
    if (this.classOf(o) !== FREE) return op.warmDur;
    const list = op.kind === OP_F ? this.#qByF.get(o) : op.kind === OP_I ? this.#qByI.get(o) : undefined;
    let x = op.dur;
    for (const p of list ?? []) x = Math.max(x, p.chunk);
    return x;
  }

  /** Time an input gradient occupies its device alone (a paired I shares the chunk with its F). */
  ownDeviceTime(o: number): LinExpr {
    const op = this.ops[o] as Operation;
    if (op.kind !== OP_I || this.classOf(o) !== FREE) return this.duration(o);
    const e = new LinExpr().add(op.dur);
    for (const p of this.#qByI.get(o) ?? []) e.add(p.v, -op.dur);
    return e;
  }

  start(o: number): LinExpr {
    const v = this.S[o];
    return v ? new LinExpr().add(v) : new LinExpr().add((this.ops[o] as Operation).start);
  }

  end(o: number): LinExpr {
    return this.start(o).add(this.duration(o));
  }

  /**
   * Phase "precedence": per (unit, micro-batch) the simulator's dependencies, with
   * `lag(pred, succ, bytes)` the transfer between the two operations' devices; and C ≥ end of
   * every W. A row whose successor is fixed is left out; one whose predecessor is fixed is a
   * bound, kept only where it binds.
   */
  precedence(ug: UnitGraph, lag: (pred: number, succ: number, bytes: number) => LinExpr | number): void {
    const { id } = this.table;
    const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
    for (const [u, preds] of ug.preds.entries())
      for (let mb = 0; mb < ug.microBatches; mb++) {
        const f = id(OP_F, u, mb);
        const i = id(OP_I, u, mb);
        const w = id(OP_W, u, mb);
        for (const p of preds) this.#after(f, id(OP_F, p, mb), lag(id(OP_F, p, mb), f, bytes(p, u)));
        this.#after(i, f, 0);
        for (const s of ug.succs[u] ?? [])
          this.#after(i, id(OP_I, s, mb), lag(id(OP_I, s, mb), i, bytes(u, s)));
        this.#after(w, i, 0);
        this.model.addConstraint(this.C, ">=", this.end(w));
      }
  }

  #after(succ: number, pred: number, lag: LinExpr | number): void {
    const s = this.S[succ];
    if (!s) return;
    const rhs = this.end(pred);
    addBin(rhs, lag);
    if (rhs.terms.size === 0 && rhs.constant <= (this.lo[succ] ?? 0) + 1e-12) return;
    this.model.addConstraint(s, ">=", rhs);
  }

  /**
   * Phase "device order": one open pair (a, b), a binary y = [a before b] with big-M values
   * `mAB` (for S_b ≥ end_a) and `mBA`, active only on a shared device (`same`).
   */
  order(a: number, b: number, mAB: number, mBA: number, same: Bin = 1): void {
    const oa = this.ops[a] as Operation;
    const ob = this.ops[b] as Operation;
    const paired = this.table.pairs.get(a) === b || this.table.pairs.get(b) === a;
    const warmAB = paired ? 0 : warmBefore(oa, ob, a, b);
    const y = this.variable({ name: `y_${a}_${b}`, type: "binary" }, warmAB);
    const qab = this.q.get(`${a},${b}`) ?? this.q.get(`${b},${a}`);
    const ba = new LinExpr().add(1).sub(y);
    if (qab) {
      ba.sub(qab);
      this.model.addConstraint(new LinExpr().add(y).add(qab), "<=", 1);
    }
    this.#before.set(`${a},${b}`, { e: new LinExpr().add(y), warm: warmAB });
    this.#before.set(`${b},${a}`, { e: ba, warm: paired ? 0 : 1 - warmAB });
    // S_b − end_a ≥ −M(1 − y) [− M(1 − z)];  S_a − end_b ≥ −M(1 − before_ba) [− M(1 − z)]
    const r1 = this.start(b).sub(this.end(a)).sub(y, mAB);
    const r2 = this.start(a).sub(this.end(b)).add(ba, -mBA);
    const shared = typeof same !== "number";
    if (shared) {
      r1.sub(same, mAB);
      r2.sub(same, mBA);
    }
    this.model.addConstraint(r1, ">=", shared ? -2 * mAB : -mAB);
    this.model.addConstraint(r2, ">=", shared ? -2 * mBA : -mBA);
  }

  /**
   * Whether x runs before a: the order expression of an open pair, else a constant (by class —
   * fixed, then free, then later — and within a class by incumbent position).
   */
  before(x: number, a: number): Before {
    const open = this.#before.get(`${x},${a}`);
    if (open) return open;
    const [cx, ca] = [this.classOf(x), this.classOf(a)];
    const rank = (c: OpClass) => (c === FIXED ? 0 : c === FREE ? 1 : 2);
    const ox = this.ops[x] as Operation;
    const oa = this.ops[a] as Operation;
    const v = cx !== ca ? (rank(cx) < rank(ca) ? 1 : 0) : ox.pos < oa.pos ? 1 : 0;
    return { e: new LinExpr().add(v), warm: v };
  }

  /**
   * Phase "memory": at the start of forward `a`, its activation plus those of the forwards before
   * it, minus those freed by W steps before it, among `others` that share its device (`same`,
   * linearized through g = before ∧ same when a variable), stays within `cap`.
   */
  memoryRow(
    a: number,
    others: Iterable<number>,
    act: (o: number) => number,
    cap: number | LinExpr,
    same: (o: number) => Bin = () => 1,
  ): void {
    const oa = this.ops[a] as Operation;
    const e = new LinExpr().add(act(a));
    for (const x of others) {
      const ox = this.ops[x] as Operation;
      if (x === a || ox.kind === OP_I || (ox.unit === oa.unit && ox.mb === oa.mb)) continue;
      const size = act(x);
      const z = size === 0 ? 0 : same(x);
      if (z === 0) continue;
      const sign = ox.kind === OP_F ? 1 : -1;
      const bx = this.before(x, a);
      if (typeof z === "number") {
        e.add(bx.e, sign * size);
        continue;
      }
      const warmSame = ox.dev === oa.dev ? 1 : 0;
      const g = this.variable({ name: `g_${x}_${a}`, lb: 0, ub: 1 }, bx.warm * warmSame);
      if (sign > 0) this.model.addConstraint(g, ">=", bx.e.clone().add(z).add(-1));
      else {
        this.model.addConstraint(g, "<=", bx.e);
        this.model.addConstraint(g, "<=", z);
      }
      e.add(g, sign * size);
    }
    this.model.addConstraint(e, "<=", typeof cap === "number" ? cap + 1e-9 : cap, `mem_${a}`);
  }

  /** Phase "objective": min C + eps · Σ S. Returns the largest value of the tie-breaker. */
  objective(eps: number): number {
    const obj = new LinExpr().add(this.C);
    let n = 0;
    for (const v of this.S)
      if (v) {
        obj.add(v, eps);
        n++;
      }
    this.model.setObjective(obj, "minimize");
    return eps * n * this.table.makespan;
  }

  size(): ModelSize {
    const m = this.model;
    return {
      variables: m.numVars,
      constraints: m.numConstraints,
      integers: m.numIntegers,
      nonzeros: m.numNonzeros,
    };
  }

  /** Largest violation of a row, bound or integrality by the warm start (0: a feasible MIP start). */
  startViolation(): number {
    const x = new Float64Array(this.model.numVars);
    for (const [k, v] of this.warm) x[k] = v;
    return this.model.maxViolation(x);
  }

  /** Solves with the incumbent as the MIP start. */
  solve(o: FdjsspSolveOptions): Promise<SolveResult> {
    return solveModel(this.model, {
      timeLimit: o.timeLimit,
      gap: o.gap,
      seed: o.seed ?? 0,
      warmStart: { byIndex: this.warm },
      ...(o.nodeLimit !== undefined ? { nodeLimit: o.nodeLimit } : {}),
      ...(o.reuseWorker ? { reuseWorker: true } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  }

  /**
   * Phase "extraction": the solution as a schedule. `deviceOf` gives each operation's device in
   * the solution; pairs are the chosen q plus the incumbent's pairs of operations that are not free.
   * Fixed operations keep their incumbent order; the others follow by start (classes first, so a
   * later operation never jumps ahead of a free one of its device).
   */
  extract(values: Float64Array, devices: number, deviceOf: (o: number) => number): Schedule {
    const pairs = new Map<number, number>();
    for (const [f, i] of this.table.pairs) if (this.classOf(f) !== FREE) pairs.set(f, i);
    for (const [key, v] of this.q)
      if ((values[v.index] ?? 0) > 0.5) {
        const [f, i] = pairOf(key);
        pairs.set(f, i);
      }
    const startOf = (o: number) => {
      const v = this.S[o];
      return v ? (values[v.index] ?? 0) : (this.ops[o] as Operation).start;
    };
    const lists: number[][] = Array.from({ length: devices }, () => []);
    for (const o of this.ops.keys()) lists[deviceOf(o)]?.push(o);
    const key = (o: number) => {
      const op = this.ops[o] as Operation;
      const c = this.classOf(o);
      return {
        c: c === FIXED ? 0 : c === FREE ? 1 : 2,
        t: c === FIXED ? 0 : startOf(o),
        k: c === FIXED ? 0 : op.kind,
        p: op.pos,
      };
    };
    const sorted = lists.map((l) => {
      const keyed = l.map((o) => ({ o, ...key(o) }));
      keyed.sort((x, y) => x.c - y.c || x.t - y.t || x.k - y.k || x.p - y.p || x.o - y.o);
      return toActions(
        keyed.map((x) => x.o),
        this.ops,
        pairs,
      );
    });
    return { name: "mip", devices: sorted };
  }
}

/** The incumbent's order of two operations: by position on a shared device, else by start. */
function warmBefore(oa: Operation, ob: Operation, a: number, b: number): number {
  if (oa.dev === ob.dev) return oa.pos < ob.pos ? 1 : 0;
  return oa.start < ob.start || (oa.start === ob.start && a < b) ? 1 : 0;
}

function listOf(map: Map<number, PairVar[]>, k: number): PairVar[] {
  let l = map.get(k);
  if (!l) {
    l = [];
    map.set(k, l);
  }
  return l;
}

function pairOf(key: string): [number, number] {
  const [f = -1, i = -1] = key.split(",").map(Number);
  return [f, i];
}

function sumOf(vs: Var[]): LinExpr {
  const e = new LinExpr();
  for (const v of vs) e.add(v);
  return e;
}
