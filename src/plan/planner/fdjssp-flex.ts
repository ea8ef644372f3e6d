/**
 * The whole-model FDJSSP MIP with flexible placement (She et al., arXiv 2503.09357; spec plan.md
 * "Formulation to implement"): assignment binaries x_uk (unit u on device k, Σ_k x_uk = 1; units
 * with a fixed device keep it), a same-device indicator z_uv of two units linearized from x
 *   z_uv ≥ x_uk + x_vk − 1,  z_uv ≤ 1 − x_uk + x_vk,  z_uv ≤ 1 + x_uk − x_vk   (every k),
 * transfer times charged only across devices (S_F(v) ≥ end F(u) + c_uv·(1 − z_uv), the same on
 * the backward edges), no-overlap disjunctions active only on a shared device
 *   S_b ≥ end_a − M(1 − y_ab) − M(1 − z),  S_a ≥ end_b − M(1 − before_ba) − M(1 − z),
 * pairing (F&B chunks) only on a shared device (q_ab ≤ z), and memory per device at every
 * forward's start with g = [x before a] ∧ [same device] linearized on the side the row needs
 * (g ≥ before + z − 1 for allocations, g ≤ before and g ≤ z for frees) and the cap Σ_k x_uk cap_k.
 * The rest (operations F, I, W per unit and micro-batch, pairing, makespan) is fdjssp.ts with
 * every pair open. Identical devices (same speed and cap, no fixed unit) are symmetric: devices
 * are labelled in order of the first unit they hold (x_uk = 0 for k > u and x_uk ≤ Σ_{v<u} x_v,k−1),
 * the warm start relabelled to match. Only for small instances: the model has O(ops²) binaries.
 */
import { MisuseError } from "../../errors/index.js";
import { LinExpr, Model, type SolveResult, solveModel, type Var } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import { transferTime } from "../cluster.js";
import type { Action, Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { type ModelSize, modelSize } from "./fdjssp.js";
import { readIncumbent, toActions } from "./incumbent.js";

const KIND_F = 0;
const KIND_I = 1;
const KIND_W = 2;

interface Op {
  kind: number;
  unit: number;
  mb: number;
  dur: number;
  warmStart: number;
  warmDev: number;
  pos: number;
}

export interface FlexInput {
  ug: UnitGraph;
  cluster: Cluster;
  warm: Schedule;
  warmSim: SimResult;
  memoryCap: number[];
  /** Device a unit must stay on (undefined: free). */
  fixedDevice?: (number | undefined)[];
  timeLimit: number;
  gap?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface FlexResult {
  result: SolveResult;
  schedule: Schedule | null;
  size: ModelSize;
  /** Device chosen for each unit (null without a solution). */
  unitDevice: number[] | null;
  /** Whether the identical-device symmetry breaking was applied. */
  symmetryBroken: boolean;
  /** Largest value of the objective's tie-breaker (ε Σ starts): result.bound − tieBreak bounds the makespan. */
  tieBreak: number;
}

/** Unit → device of a schedule when every micro-batch of a unit runs on one device, else null. */
export function unitDevices(ug: UnitGraph, warmSim: SimResult): number[] | null {
  const dev = new Array<number>(ug.units.length).fill(-1);
  let ok = true;
  warmSim.devices.forEach((dv, d) => {
    for (const a of dv.timeline) {
      const us = a.pass === "FB" ? [a.unit, a.unit2!] : [a.unit];
      for (const u of us) {
        if (dev[u] === -1) dev[u] = d;
        else if (dev[u] !== d) ok = false;
      }
    }
  });
  return ok && dev.every((d) => d >= 0) ? dev : null;
}

/**
 * Why flexible placement does not apply to this instance (null when it does): every micro-batch of
 * a unit must run on one device in the warm start, and the devices must have one speed.
 */
export function flexibleUnsupported(ug: UnitGraph, cluster: Cluster, warmSim: SimResult): string | null {
  if (!unitDevices(ug, warmSim)) return "the warm start runs micro-batches of one unit on different devices";
  const sp = cluster.devices[0]!.speed;
  if (cluster.devices.some((d) => d.speed !== sp)) return "the devices have different speeds";
  return null;
}

type Bin = Var | number;

function term(e: LinExpr, b: Bin | LinExpr, coef = 1): LinExpr {
  if (typeof b === "number") e.add(b * coef);
  else e.add(b, coef);
  return e;
}

/** Builds and solves the whole-horizon MIP with assignment variables. */
export async function solveFlexible(inp: FlexInput): Promise<FlexResult> {
  const { ug, cluster, warmSim } = inp;
  const M = ug.microBatches;
  const U = ug.units.length;
  const D = cluster.devices.length;
  const rho = ug.overlapFactor;
  const speed = cluster.devices[0]!.speed;
  const fixed = inp.fixedDevice ?? [];
  const warmDevRaw = unitDevices(ug, warmSim);
  if (!warmDevRaw)
    throw new MisuseError({
      where: "solveFlexible",
      what: "the warm start runs micro-batches of one unit on different devices",
      hint: "check flexibleUnsupported() first",
    });
  const caps = Array.from({ length: D }, (_, k) => inp.memoryCap[k] ?? Number.POSITIVE_INFINITY);
  // symmetry: identical devices and no fixed unit → relabel devices by first unit
  const symmetric =
    fixed.every((f) => f === undefined) &&
    cluster.devices.every((d) => d.speed === speed) &&
    caps.every((c) => c === caps[0]);
  const label = Array.from({ length: D }, (_, k) => k);
  if (symmetric) {
    const seen: number[] = [];
    for (const d of warmDevRaw) if (!seen.includes(d)) seen.push(d);
    for (let k = 0; k < D; k++) if (!seen.includes(k)) seen.push(k);
    seen.forEach((d, l) => (label[d] = l));
  }
  const warmDev = warmDevRaw.map((d) => label[d]!);
  for (let u = 0; u < U; u++)
    if (fixed[u] !== undefined && fixed[u] !== warmDev[u])
      throw new MisuseError({
        where: "solveFlexible",
        what: `unit ${u} is fixed on device ${fixed[u]} but the warm start runs it on device ${warmDev[u]}`,
        hint: "warm-start from a schedule that respects the fixed devices",
      });

  // --- operations
  const ops: Op[] = [];
  const id = (kind: number, u: number, m: number) => (u * M + m) * 3 + kind;
  for (let u = 0; u < U; u++)
    for (let m = 0; m < M; m++) {
      const un = ug.units[u]!;
      const base = { unit: u, mb: m, warmStart: 0, warmDev: warmDev[u]!, pos: 0 };
      ops.push({ ...base, kind: KIND_F, dur: un.forward / speed });
      ops.push({ ...base, kind: KIND_I, dur: (un.backward - un.weight) / speed });
      ops.push({ ...base, kind: KIND_W, dur: un.weight / speed });
    }
  const inc = readIncumbent(
    warmSim,
    D,
    id,
    (o) => ops[o]!.dur,
    (d0) => label[d0]!,
  );
  for (const [o, t] of inc.start) ops[o]!.warmStart = t;
  const seqs = inc.seqs;
  const warmPair = inc.pairs;
  seqs.forEach((s) => s.forEach((o, p) => (ops[o]!.pos = p)));
  const T = warmSim.makespan;
  const BIG = T + 1e-6;
  const m = new Model("fdjssp-flex");
  const ws = new Map<number, number>();
  const setWs = (b: Bin, v: number) => {
    if (typeof b !== "number") ws.set(b.index, v);
  };

  // --- assignment x_uk
  const x: Bin[][] = [];
  for (let u = 0; u < U; u++) {
    const f = fixed[u];
    const row: Bin[] = [];
    for (let k = 0; k < D; k++) {
      if (f !== undefined) row.push(k === f ? 1 : 0);
      else if (symmetric && k > u) row.push(0);
      else {
        const v = m.addVar({ name: `x_${u}_${k}`, type: "binary" });
        setWs(v, warmDev[u] === k ? 1 : 0);
        row.push(v);
      }
    }
    x.push(row);
    if (f === undefined) {
      const e = new LinExpr();
      for (const b of row) term(e, b);
      m.addConstraint(e, "=", 1, `assign_${u}`);
    }
  }
  if (symmetric)
    for (let u = 1; u < U; u++)
      for (let k = 1; k < D; k++) {
        const xu = x[u]![k]!;
        if (typeof xu === "number") continue;
        const e = new LinExpr();
        for (let v = 0; v < u; v++) term(e, x[v]![k - 1]!);
        m.addConstraint(xu, "<=", e);
      }
  // --- same-device indicator of two units
  const sameMemo = new Map<number, Bin>();
  const same = (u: number, v: number): Bin => {
    if (u === v) return 1;
    const a = Math.min(u, v);
    const b = Math.max(u, v);
    const key = a * U + b;
    const got = sameMemo.get(key);
    if (got !== undefined) return got;
    let r: Bin;
    const fa = fixed[a];
    const fb = fixed[b];
    if (fa !== undefined && fb !== undefined) r = fa === fb ? 1 : 0;
    else if (fa !== undefined) r = x[b]![fa]!;
    else if (fb !== undefined) r = x[a]![fb]!;
    else {
      let possible = false;
      for (let k = 0; k < D; k++) if (x[a]![k] !== 0 && x[b]![k] !== 0) possible = true;
      if (!possible) r = 0;
      else {
        const z = m.addVar({ name: `z_${a}_${b}`, lb: 0, ub: 1 });
        setWs(z, warmDev[a] === warmDev[b] ? 1 : 0);
        for (let k = 0; k < D; k++) {
          const xa = x[a]![k]!;
          const xb = x[b]![k]!;
          // z ≥ xa + xb − 1; z ≤ 1 − xa + xb; z ≤ 1 + xa − xb
          m.addConstraint(term(term(new LinExpr().add(z), xa, -1), xb, -1), ">=", -1);
          m.addConstraint(term(term(new LinExpr().add(z), xa, 1), xb, -1), "<=", 1);
          m.addConstraint(term(term(new LinExpr().add(z), xa, -1), xb, 1), "<=", 1);
        }
        r = z;
      }
    }
    sameMemo.set(key, r);
    return r;
  };
  const warmSame = (u: number, v: number) => (warmDev[u] === warmDev[v] ? 1 : 0);

  const S = ops.map((o, i) => {
    const v = m.addVar({ name: `S_${i}`, lb: 0, ub: T });
    ws.set(v.index, o.warmStart);
    return v;
  });
  const C = m.addVar({ name: "C", lb: 0, ub: T });
  ws.set(C.index, T);

  // --- pairing q (forward f with input gradient i of another micro-batch, same device)
  const canPair = rho !== null && rho < 1;
  const q = new Map<string, Var>();
  const qByF = new Map<number, { i: number; v: Var; fb: number }[]>();
  const qByI = new Map<number, { f: number; v: Var; fb: number }[]>();
  if (canPair)
    for (let f = 0; f < ops.length; f++) {
      const of = ops[f]!;
      if (of.kind !== KIND_F) continue;
      for (let i = 0; i < ops.length; i++) {
        const oi = ops[i]!;
        if (oi.kind !== KIND_I || oi.mb === of.mb) continue;
        const z = same(of.unit, oi.unit);
        if (z === 0) continue;
        const fb = (rho! * (ug.units[of.unit]!.forward + ug.units[oi.unit]!.backward)) / speed;
        const v = m.addVar({ name: `q_${f}_${i}`, type: "binary" });
        ws.set(v.index, warmPair.get(f) === i ? 1 : 0);
        if (typeof z !== "number") m.addConstraint(v, "<=", z);
        q.set(`${f},${i}`, v);
        if (!qByF.has(f)) qByF.set(f, []);
        if (!qByI.has(i)) qByI.set(i, []);
        qByF.get(f)!.push({ i, v, fb });
        qByI.get(i)!.push({ f, v, fb });
      }
    }
  const durs = ops.map((op, o) => {
    const e = new LinExpr().add(op.dur);
    if (op.kind === KIND_F) for (const p of qByF.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else if (op.kind === KIND_I) for (const p of qByI.get(o) ?? []) e.add(p.v, p.fb - op.dur);
    else for (const p of qByI.get(o - 1) ?? []) e.add(p.v, -op.dur);
    return e;
  });
  const end = (o: number) => new LinExpr().add(S[o]!).add(durs[o]!);
  for (const list of [...qByF.values(), ...qByI.values()])
    if (list.length > 1) {
      const e = new LinExpr();
      for (const p of list) e.add(p.v);
      m.addConstraint(e, "<=", 1);
    }
  for (const [key, v] of q) {
    const [f, i] = key.split(",").map(Number) as [number, number];
    m.addConstraint(new LinExpr().add(S[f]!).sub(S[i]!).add(v, BIG), "<=", BIG);
    m.addConstraint(new LinExpr().add(S[i]!).sub(S[f]!).add(v, BIG), "<=", BIG);
  }

  // --- precedence; a transfer only when the two units sit on different devices
  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  const xfer = (from: number, to: number, b: number): LinExpr => {
    const c = transferTime(cluster, 0, 1, b);
    return term(new LinExpr().add(c), same(from, to), -c);
  };
  for (let u = 0; u < U; u++)
    for (let mb = 0; mb < M; mb++) {
      const f = id(KIND_F, u, mb);
      const i = id(KIND_I, u, mb);
      const w = id(KIND_W, u, mb);
      for (const p of ug.preds[u]!)
        m.addConstraint(S[f]!, ">=", end(id(KIND_F, p, mb)).add(xfer(p, u, bytes(p, u))));
      m.addConstraint(S[i]!, ">=", end(f));
      for (const s of ug.succs[u]!)
        m.addConstraint(S[i]!, ">=", end(id(KIND_I, s, mb)).add(xfer(s, u, bytes(u, s))));
      m.addConstraint(S[w]!, ">=", end(i));
      m.addConstraint(C, ">=", end(w));
    }

  // --- no overlap on a shared device: every pair of operations of different jobs
  const before = new Map<number, { e: LinExpr; warm: number }>(); // a * n + b → "a before b"
  const n = ops.length;
  const warmBefore = (a: number, b: number) => {
    const oa = ops[a]!;
    const ob = ops[b]!;
    if (oa.warmDev === ob.warmDev) return oa.pos < ob.pos ? 1 : 0;
    return oa.warmStart < ob.warmStart || (oa.warmStart === ob.warmStart && a < b) ? 1 : 0;
  };
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      const oa = ops[a]!;
      const ob = ops[b]!;
      if (oa.unit === ob.unit && oa.mb === ob.mb) continue;
      const z = same(oa.unit, ob.unit);
      if (z === 0) continue;
      const qab = q.get(`${a},${b}`) ?? q.get(`${b},${a}`);
      const paired = warmPair.get(a) === b || warmPair.get(b) === a;
      const yv = m.addVar({ name: `y_${a}_${b}`, type: "binary" });
      const yWarm = paired ? 0 : warmBefore(a, b);
      ws.set(yv.index, yWarm);
      const ba = new LinExpr().add(1).sub(yv);
      if (qab) {
        ba.sub(qab);
        m.addConstraint(new LinExpr().add(yv).add(qab), "<=", 1);
      }
      before.set(a * n + b, { e: new LinExpr().add(yv), warm: yWarm });
      before.set(b * n + a, { e: ba, warm: paired ? 0 : 1 - yWarm });
      // S_b − end_a + BIG(1 − y) + BIG(1 − z) ≥ 0
      const r1 = new LinExpr().add(S[b]!).sub(end(a)).add(BIG).sub(yv, BIG);
      const r2 = new LinExpr().add(S[a]!).sub(end(b)).add(BIG).add(ba, -BIG);
      if (typeof z !== "number") {
        r1.add(BIG).sub(z, BIG);
        r2.add(BIG).sub(z, BIG);
      }
      m.addConstraint(r1, ">=", 0);
      m.addConstraint(r2, ">=", 0);
    }

  // --- memory at each forward's start, on the device its unit sits on
  if (caps.some((c) => Number.isFinite(c))) {
    let total = 1;
    for (const o of ops) if (o.kind === KIND_F) total += ug.units[o.unit]!.activationBytes;
    for (let a = 0; a < n; a++) {
      const oa = ops[a]!;
      if (oa.kind !== KIND_F) continue;
      const e = new LinExpr().add(ug.units[oa.unit]!.activationBytes);
      for (let o = 0; o < n; o++) {
        if (o === a) continue;
        const ox = ops[o]!;
        if (ox.kind === KIND_I) continue;
        if (ox.kind === KIND_W && ox.unit === oa.unit && ox.mb === oa.mb) continue;
        const act = ug.units[ox.unit]!.activationBytes;
        if (act === 0) continue;
        const z = same(ox.unit, oa.unit);
        if (z === 0) continue;
        const bx = before.get(o * n + a)!;
        const sign = ox.kind === KIND_F ? 1 : -1;
        if (typeof z === "number") {
          e.add(bx.e, sign * act);
          continue;
        }
        const g = m.addVar({ name: `g_${o}_${a}`, lb: 0, ub: 1 });
        ws.set(g.index, bx.warm * warmSame(ox.unit, oa.unit));
        if (sign > 0) m.addConstraint(g, ">=", bx.e.clone().add(z).add(-1));
        else {
          m.addConstraint(g, "<=", bx.e);
          m.addConstraint(g, "<=", z);
        }
        e.add(g, sign * act);
      }
      const cap = new LinExpr();
      for (let k = 0; k < D; k++) term(cap, x[oa.unit]![k]!, Math.min(caps[k]!, total) + 1e-9);
      m.addConstraint(e, "<=", cap, `mem_${a}`);
    }
  }

  // load cut per device: C ≥ Σ_u x_uk · M·(F_u + B_u)·r / speed (r = ρ when chunks may pair, as a
  // chunk ρ(F_a + B_b) costs at least ρ of each half; else 1) — valid, and it tightens the relaxation
  const r = canPair ? rho! : 1;
  for (let k = 0; k < D; k++) {
    const e = new LinExpr();
    for (let u = 0; u < U; u++) {
      const un = ug.units[u]!;
      term(e, x[u]![k]!, (M * r * (un.forward + un.backward)) / speed);
    }
    m.addConstraint(C, ">=", e, `load_${k}`);
  }
  const obj = new LinExpr().add(C);
  // tie-breaker (ε Σ starts, compacts the schedule) at most 1e-5·T: inside the solver's default
  // relative gap, so proving the makespan optimal does not wait on the sum of starts
  const eps = 1e-5 / Math.max(1, ops.length);
  for (const v of S) obj.add(v, eps);
  m.setObjective(obj, "minimize");
  const size = modelSize(m);
  const result = await solveModel(m, {
    timeLimit: inp.timeLimit,
    gap: inp.gap ?? 1e-4,
    seed: inp.seed ?? 0,
    warmStart: { byIndex: ws },
    ...(inp.signal ? { signal: inp.signal } : {}),
  });
  const tieBreak = eps * ops.length * T;
  if (!result.values)
    return { result, schedule: null, size, unitDevice: null, symmetryBroken: symmetric, tieBreak };
  const vals = result.values;
  const val = (b: Bin) => (typeof b === "number" ? b : vals[b.index]!);
  const unitDevice = x.map((row) => {
    let best = 0;
    for (let k = 1; k < D; k++) if (val(row[k]!) > val(row[best]!)) best = k;
    return best;
  });
  const pairedF = new Map<number, number>(); // F -> I
  for (const [key, v] of q)
    if (vals[v.index]! > 0.5) {
      const [f, i] = key.split(",").map(Number) as [number, number];
      pairedF.set(f, i);
    }
  const devices: Action[][] = Array.from({ length: D }, (_, k) => {
    const mine = ops.map((_, o) => o).filter((o) => unitDevice[ops[o]!.unit] === k);
    mine.sort(
      (a, b) =>
        vals[S[a]!.index]! - vals[S[b]!.index]! ||
        ops[a]!.kind - ops[b]!.kind ||
        ops[a]!.pos - ops[b]!.pos ||
        a - b,
    );
    return toActions(mine, (o) => ops[o]!, pairedF);
  });
  return {
    result,
    schedule: { name: "mip", devices },
    size,
    unitDevice,
    symmetryBroken: symmetric,
    tieBreak,
  };
}
