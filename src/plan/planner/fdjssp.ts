/**
 * The whole-model FDJSSP MIP (She et al., arXiv 2503.09357; spec plan.md "Formulation to
 * implement"), built by `fdjssp-model.ts` with every operation free and every pair of operations
 * that may share a device open; its status and bound are then the solver's own. Big-M = the
 * incumbent's makespan (every start of a no-worse schedule is below it).
 *
 * Placement is either fixed (the incumbent's (unit, micro-batch) → device mapping: same-device
 * indicators are constants) or free, the spec's x_ik: assignment binaries x_uk (unit u on device k,
 * Σ_k x_uk = 1; a unit with a fixed device keeps it) and a same-device indicator z_uv of two units
 * linearized from x,
 *   z_uv ≥ x_uk + x_vk − 1,  z_uv ≤ 1 − x_uk + x_vk,  z_uv ≤ 1 + x_uk − x_vk   (every k),
 * so that transfers cost c_uv·(1 − z_uv), the no-overlap disjunctions and F&B pairing (q ≤ z) act
 * only on a shared device, and memory is counted per device with the cap Σ_k x_uk cap_k. A load cut
 * per device, C ≥ Σ_u x_uk·m·r·(F_u + B_u) (r = ρ when chunks may pair, else 1), tightens the
 * relaxation. Identical devices (same speed and cap, no fixed unit) are symmetric: devices are
 * labelled in order of the first unit they hold (x_uk = 0 for k > u, x_uk ≤ Σ_{v<u} x_v,k−1), the
 * warm start relabelled to match. Free placement is per unit and for small instances only: the
 * model has O(operations²) binaries.
 */
import { MisuseError } from "../../errors/index.js";
import { LinExpr, type SolveProgress, type SolveResult } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import { transferTime } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { addBin, type Bin, FdjsspBuilder, FREE, type ModelSize } from "./fdjssp-model.js";
import { chunkTime, OP_F, OP_I, type OperationTable, operationTable } from "./operations.js";

/** What the whole-model MIP takes. */
export interface WholeModelInput {
  ug: UnitGraph;
  cluster: Cluster;
  /** The incumbent (the MIP start), timed by the simulator. */
  warmSim: SimResult;
  memoryCap: readonly number[];
  /** Unit → device: the incumbent's, or assignment variables. */
  placement: "fixed" | "free";
  /** Under free placement, a device a unit must keep (undefined: free). */
  fixedDevice?: readonly (number | undefined)[];
  timeLimit: number;
  /** Branch-and-bound nodes: a deterministic work limit. */
  nodeLimit?: number;
  gap?: number;
  seed?: number;
  signal?: AbortSignal;
  /** The solver's progress while it runs (incumbent, bound). */
  onSolverProgress?: (p: SolveProgress) => void;
}

/** The solve, the schedule it encodes, and what the model was. */
export interface WholeModelResult {
  result: SolveResult;
  schedule: Schedule | null;
  size: ModelSize;
  /** Largest value of the objective's tie-breaker (ε Σ starts): result.bound − tieBreak bounds the makespan. */
  tieBreak: number;
  /** Device chosen for each unit under free placement (null under fixed placement or without a solution). */
  unitDevice: number[] | null;
  /** Whether the identical-device symmetry breaking was applied (free placement only). */
  symmetryBroken: boolean;
}

/** Unit → device of a schedule when every micro-batch of a unit runs on one device, else null. */
export function unitDevices(ug: UnitGraph, sim: SimResult): number[] | null {
  const dev = new Array<number>(ug.units.length).fill(-1);
  for (const [d, device] of sim.devices.entries())
    for (const a of device.timeline)
      for (const u of a.pass === "FB" ? [a.unit, a.unit2 ?? a.unit] : [a.unit]) {
        if (dev[u] === -1) dev[u] = d;
        else if (dev[u] !== d) return null;
      }
  return dev.every((d) => d >= 0) ? dev : null;
}

/**
 * Why free placement does not apply to this instance (null when it does): every micro-batch of a
 * unit must run on one device in the warm start, and the devices must have one speed.
 */
export function flexibleUnsupported(ug: UnitGraph, cluster: Cluster, sim: SimResult): string | null {
  if (!unitDevices(ug, sim)) return "the warm start runs micro-batches of one unit on different devices";
  const speed = cluster.devices[0]?.speed;
  if (cluster.devices.some((d) => d.speed !== speed)) return "the devices have different speeds";
  return null;
}

/** How the model places operations: which pairs may share a device, and the memory cap. */
interface Layout {
  readonly name: string;
  readonly symmetric: boolean;
  /** The MIP's device of a simulated device. */
  label(d: number): number;
  /** Adds the assignment variables (free placement), before the starts. */
  attach(b: FdjsspBuilder): void;
  /** Whether operations a and b run on one device. */
  same(a: number, b: number): Bin;
  /** Pairs of operations of different jobs that may share a device, each once. */
  pairs(): Iterable<[number, number]>;
  /** (forward, input gradient of another micro-batch) that may pair. */
  pairCandidates(): Iterable<[number, number]>;
  /** Memory rows: every forward whose device has a cap, with the operations it may share it with. */
  memory(b: FdjsspBuilder, act: (o: number) => number): void;
  /** Valid inequalities on the makespan. */
  cuts(b: FdjsspBuilder): void;
  /** The solution's device of each operation. */
  deviceOf(values: Float64Array): (o: number) => number;
  /** The solution's device of each unit (free placement), else null. */
  unitDevice(values: Float64Array): number[] | null;
}

/** Builds and solves the whole-horizon MIP around the incumbent. */
export async function solveWholeModel(inp: WholeModelInput): Promise<WholeModelResult> {
  const { ug, cluster, warmSim } = inp;
  const free = inp.placement === "free" ? new FreeLayout(inp) : null;
  const D = free ? cluster.devices.length : warmSim.devices.length;
  const table = operationTable(ug, cluster, warmSim, D, free ? (d) => free.label(d) : undefined);
  const place: Layout = free ?? new FixedLayout(table, inp.memoryCap);
  const T = table.makespan;
  const BIG = T + 1e-6;
  const b = new FdjsspBuilder(
    place.name,
    table,
    table.ops.map(() => FREE),
  );
  place.attach(b);
  b.starts(() => [0, T]);
  const rho = ug.overlapFactor;
  if (rho !== null && rho < 1)
    b.pairing(
      place.pairCandidates(),
      (f, i) => chunkTime(ug, cluster, table, rho, f, i),
      () => BIG,
      (f, i) => place.same(f, i),
    );
  b.precedence(ug, (p, s, bytes) => {
    const c = transferTime(cluster, 0, 1, bytes);
    return addBin(new LinExpr().add(c), place.same(p, s), -c);
  });
  for (const [x, y] of place.pairs()) b.order(x, y, BIG, BIG, place.same(x, y));
  place.memory(b, (o) => ug.units[table.ops[o]?.unit ?? 0]?.activationBytes ?? 0);
  place.cuts(b);
  // tie-breaker: ≤ 0.05 under fixed placement; ≤ 1e-5·T under free placement, inside the solver's
  // default relative gap, so that proving the makespan optimal does not wait on the sum of starts
  const n = table.ops.length;
  const tieBreak = b.objective(free ? 1e-5 / Math.max(1, n) : 0.05 / Math.max(1, n * T));
  const size = b.size();
  const result = await b.solve({
    timeLimit: inp.timeLimit,
    gap: inp.gap ?? 1e-4,
    ...(inp.nodeLimit !== undefined ? { nodeLimit: inp.nodeLimit } : {}),
    ...(inp.seed !== undefined ? { seed: inp.seed } : {}),
    ...(inp.signal ? { signal: inp.signal } : {}),
    ...(inp.onSolverProgress ? { onProgress: inp.onSolverProgress } : {}),
  });
  const symmetryBroken = place.symmetric;
  if (!result.values) return { result, schedule: null, size, tieBreak, unitDevice: null, symmetryBroken };
  const schedule = b.extract(result.values, D, place.deviceOf(result.values));
  return { result, schedule, size, tieBreak, unitDevice: place.unitDevice(result.values), symmetryBroken };
}

const sameJob = (a: number, b: number) => Math.floor(a / 3) === Math.floor(b / 3);

/** Fixed placement: the incumbent's devices; pairs within a device's sequence. */
class FixedLayout implements Layout {
  readonly name = "fdjssp";
  readonly symmetric = false;
  constructor(
    readonly table: OperationTable,
    readonly caps: readonly number[],
  ) {}
  label(d: number): number {
    return d;
  }
  attach(): void {}
  same(a: number, b: number): Bin {
    return this.table.ops[a]?.dev === this.table.ops[b]?.dev ? 1 : 0;
  }
  *pairs(): Iterable<[number, number]> {
    for (const seq of this.table.seqs)
      for (const [x, a] of seq.entries()) for (const b of seq.slice(x + 1)) if (!sameJob(a, b)) yield [a, b];
  }
  *pairCandidates(): Iterable<[number, number]> {
    const { ops } = this.table;
    for (const seq of this.table.seqs)
      for (const f of seq)
        if (ops[f]?.kind === OP_F)
          for (const i of seq) if (ops[i]?.kind === OP_I && ops[i]?.mb !== ops[f]?.mb) yield [f, i];
  }
  memory(b: FdjsspBuilder, act: (o: number) => number): void {
    for (const [d, seq] of this.table.seqs.entries()) {
      const cap = this.caps[d] ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(cap)) continue;
      for (const a of seq) if (this.table.ops[a]?.kind === OP_F) b.memoryRow(a, seq, act, cap);
    }
  }
  cuts(): void {}
  deviceOf(): (o: number) => number {
    return (o) => this.table.ops[o]?.dev ?? 0;
  }
  unitDevice(): null {
    return null;
  }
}

/** Free placement: assignment variables per unit (see the module comment). */
class FreeLayout implements Layout {
  readonly name = "fdjssp-flex";
  readonly symmetric: boolean;
  readonly #inp: WholeModelInput;
  readonly #D: number;
  readonly #speed: number;
  readonly #caps: number[];
  readonly #fixed: readonly (number | undefined)[];
  readonly #label: number[];
  readonly #warmDev: number[];
  readonly #x: Bin[][] = [];
  readonly #sameMemo = new Map<number, Bin>();
  #b: FdjsspBuilder | null = null;

  constructor(inp: WholeModelInput) {
    const { ug, cluster, warmSim } = inp;
    const warmRaw = unitDevices(ug, warmSim);
    const why = flexibleUnsupported(ug, cluster, warmSim);
    if (!warmRaw || why)
      throw new MisuseError({
        where: "solveWholeModel",
        what: why ?? "free placement does not apply",
        hint: "check flexibleUnsupported() first",
      });
    this.#inp = inp;
    this.#D = cluster.devices.length;
    this.#speed = cluster.devices[0]?.speed ?? 1;
    this.#caps = Array.from({ length: this.#D }, (_, k) => inp.memoryCap[k] ?? Number.POSITIVE_INFINITY);
    this.#fixed = inp.fixedDevice ?? [];
    this.symmetric =
      this.#fixed.every((f) => f === undefined) && this.#caps.every((c) => c === this.#caps[0]);
    this.#label = symmetryLabels(warmRaw, this.#D, this.symmetric);
    this.#warmDev = warmRaw.map((d) => this.#label[d] ?? d);
    for (const [u, f] of this.#fixed.entries())
      if (f !== undefined && f !== this.#warmDev[u])
        throw new MisuseError({
          where: "solveWholeModel",
          what: `unit ${u} is fixed on device ${f} but the warm start runs it on device ${this.#warmDev[u]}`,
          hint: "warm-start from a schedule that respects the fixed devices",
        });
  }

  label(d: number): number {
    return this.#label[d] ?? d;
  }

  /** x_uk per unit (constants for a fixed unit and, under symmetry breaking, for k > u), Σ_k x_uk = 1. */
  attach(b: FdjsspBuilder): void {
    this.#b = b;
    for (let u = 0; u < this.#inp.ug.units.length; u++) {
      const f = this.#fixed[u];
      const row: Bin[] = [];
      for (let k = 0; k < this.#D; k++) {
        if (f !== undefined) row.push(k === f ? 1 : 0);
        else if (this.symmetric && k > u) row.push(0);
        else row.push(b.variable({ name: `x_${u}_${k}`, type: "binary" }, this.#warmDev[u] === k ? 1 : 0));
      }
      this.#x.push(row);
      if (f === undefined) b.model.addConstraint(sumBins(row), "=", 1, `assign_${u}`);
    }
    if (this.symmetric) this.#symmetryRows(b);
  }

  /** x_uk ≤ Σ_{v<u} x_v,k−1: device k is opened only after device k − 1. */
  #symmetryRows(b: FdjsspBuilder): void {
    for (const [u, row] of this.#x.entries())
      for (const [k, xu] of row.entries()) {
        if (u === 0 || k === 0 || typeof xu === "number") continue;
        const prev = this.#x.slice(0, u).map((r) => r[k - 1] ?? 0);
        b.model.addConstraint(xu, "<=", sumBins(prev));
      }
  }

  #at(u: number, k: number): Bin {
    return this.#x[u]?.[k] ?? 0;
  }

  same(a: number, b: number): Bin {
    const ops = this.#b?.ops ?? [];
    return this.#sameUnits(ops[a]?.unit ?? 0, ops[b]?.unit ?? 0);
  }

  /** z_uv: a constant when the units' devices are known or cannot coincide, else a linearized variable. */
  #sameUnits(u: number, v: number): Bin {
    if (u === v) return 1;
    const [a, b] = u < v ? [u, v] : [v, u];
    const key = a * this.#inp.ug.units.length + b;
    let z = this.#sameMemo.get(key);
    if (z === undefined) {
      z = this.#indicator(a, b);
      this.#sameMemo.set(key, z);
    }
    return z;
  }

  #indicator(a: number, b: number): Bin {
    const [fa, fb] = [this.#fixed[a], this.#fixed[b]];
    if (fa !== undefined && fb !== undefined) return fa === fb ? 1 : 0;
    if (fa !== undefined) return this.#at(b, fa);
    if (fb !== undefined) return this.#at(a, fb);
    const ks = Array.from({ length: this.#D }, (_, k) => k);
    if (!ks.some((k) => this.#at(a, k) !== 0 && this.#at(b, k) !== 0)) return 0;
    const builder = this.#b;
    if (!builder)
      throw new MisuseError({
        where: "FreeLayout",
        what: "used before attach()",
        hint: "attach it to the builder first",
      });
    const warm = this.#warmDev[a] === this.#warmDev[b] ? 1 : 0;
    const z = builder.variable({ name: `z_${a}_${b}`, lb: 0, ub: 1 }, warm);
    const m = builder.model;
    for (const k of ks) {
      const [xa, xb] = [this.#at(a, k), this.#at(b, k)];
      // z ≥ xa + xb − 1;  z ≤ 1 − xa + xb;  z ≤ 1 + xa − xb
      m.addConstraint(addBin(addBin(new LinExpr().add(z), xa, -1), xb, -1), ">=", -1);
      m.addConstraint(addBin(addBin(new LinExpr().add(z), xa, 1), xb, -1), "<=", 1);
      m.addConstraint(addBin(addBin(new LinExpr().add(z), xa, -1), xb, 1), "<=", 1);
    }
    return z;
  }

  *pairs(): Iterable<[number, number]> {
    const n = this.#b?.ops.length ?? 0;
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) if (!sameJob(a, b) && this.same(a, b) !== 0) yield [a, b];
  }

  *pairCandidates(): Iterable<[number, number]> {
    const ops = this.#b?.ops ?? [];
    for (const [f, of] of ops.entries())
      if (of.kind === OP_F)
        for (const [i, oi] of ops.entries()) if (oi.kind === OP_I && oi.mb !== of.mb) yield [f, i];
  }

  /** At every forward, on the device its unit sits on: the cap Σ_k x_uk·cap_k. */
  memory(b: FdjsspBuilder, act: (o: number) => number): void {
    if (!this.#caps.some((c) => Number.isFinite(c))) return;
    let total = 1;
    for (const o of b.ops) if (o.kind === OP_F) total += act(b.table.id(OP_F, o.unit, o.mb));
    const all = [...b.ops.keys()];
    for (const [a, oa] of b.ops.entries()) {
      if (oa.kind !== OP_F) continue;
      const cap = new LinExpr();
      for (const [k, c] of this.#caps.entries()) addBin(cap, this.#at(oa.unit, k), Math.min(c, total) + 1e-9);
      b.memoryRow(a, all, act, cap, (o) => this.same(o, a));
    }
  }

  /**
   * Load cut per device: C ≥ Σ_u x_uk · M·(F_u + B_u)·r / speed (r = ρ when chunks may pair: a
   * chunk ρ(F_a + B_b) costs at least ρ of each half; else 1).
   */
  cuts(b: FdjsspBuilder): void {
    const { ug } = this.#inp;
    const rho = ug.overlapFactor;
    const r = rho !== null && rho < 1 ? rho : 1;
    for (let k = 0; k < this.#D; k++) {
      const e = new LinExpr();
      for (const [u, un] of ug.units.entries())
        addBin(e, this.#at(u, k), (ug.microBatches * r * (un.forward + un.backward)) / this.#speed);
      b.model.addConstraint(b.C, ">=", e, `load_${k}`);
    }
  }

  deviceOf(values: Float64Array): (o: number) => number {
    const dev = this.unitDevice(values);
    const ops = this.#b?.ops ?? [];
    return (o) => dev[ops[o]?.unit ?? 0] ?? 0;
  }

  unitDevice(values: Float64Array): number[] {
    const val = (v: Bin) => (typeof v === "number" ? v : (values[v.index] ?? 0));
    return this.#x.map((row) => {
      let best = 0;
      for (const [k, v] of row.entries()) if (val(v) > val(row[best] ?? 0)) best = k;
      return best;
    });
  }
}

function sumBins(bins: readonly Bin[]): LinExpr {
  const e = new LinExpr();
  for (const v of bins) addBin(e, v);
  return e;
}

/** Device relabelling for symmetry breaking: devices numbered in order of the first unit they hold. */
function symmetryLabels(warm: readonly number[], D: number, symmetric: boolean): number[] {
  const label = Array.from({ length: D }, (_, k) => k);
  if (!symmetric) return label;
  const seen: number[] = [];
  for (const d of [...warm, ...label]) if (!seen.includes(d)) seen.push(d);
  for (const [l, d] of seen.entries()) label[d] = l;
  return label;
}
