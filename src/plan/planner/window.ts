/**
 * One neighbourhood MIP of the large-neighbourhood search (relax-and-fix over time windows, as in
 * the LNS literature for job shops: Pisinger & Ropke, "Large neighborhood search", Handbook of
 * Metaheuristics 2010, §13.4; the per-window model is the FDJSSP of She et al., arXiv 2503.09357,
 * built by `fdjssp-model.ts`). Given an incumbent timed by the simulator and a window [t0, t1) over
 * a set of devices, the operations fall in three classes by their incumbent start:
 *   fixed  start < t0: start and pairing kept (constants);
 *   free   t0 ≤ start < t1 on a window device: free order (binaries for every pair on a device)
 *          and free pairing (binaries for every forward / input gradient of another micro-batch);
 *   later  the rest: device order and pairing kept, starts free (a linear chain per device, after
 *          every free operation of the device, so everything later moves up when the window
 *          gets shorter).
 * Big-M values come from the free operations' start bounds (window ± slack), not from the horizon.
 * Memory rows are needed only at free forwards: the set of operations before a later forward does
 * not change. A load cut per device (the free operations fit between the fixed part and the first
 * later operation) tightens the relaxation. Objective: C + ε·Σ starts (the small weight compacts
 * the schedule so later windows can use the room). The incumbent is a feasible MIP start, so a
 * window never returns anything worse.
 */
import { LinExpr, type SolveResult } from "../../mip/index.js";
import type { Cluster } from "../cluster.js";
import { transferTime } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";
import { FdjsspBuilder, FIXED, FREE, LATER, type ModelSize, type OpClass } from "./fdjssp-model.js";
import { chunkTime, OP_F, OP_I, type OperationTable, operationTable } from "./operations.js";

/** What one window MIP takes. */
export interface WindowInput {
  ug: UnitGraph;
  cluster: Cluster;
  /** The incumbent, timed by the simulator. */
  sim: SimResult;
  memoryCap: readonly number[];
  t0: number;
  t1: number;
  /** Devices whose window operations are free (default all). */
  devices?: readonly number[];
  /** Window operations may move this far before t0 / after t1 (default: the longest pass × 2). */
  slack?: number;
  timeLimit: number;
  /** Branch-and-bound nodes: a deterministic work limit. */
  nodeLimit?: number;
  /** Relative MIP gap (default 1e-6: the compaction term is small). */
  gap?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** The solve and the order it encodes. */
export interface WindowResult {
  result: SolveResult;
  /** The solution's order (unfused I/W), or null without a solution. */
  schedule: Schedule | null;
  size: ModelSize;
  /** Operations whose order and pairing were free. */
  freeOps: number;
  /** Largest violation of a row, bound or integrality by the incumbent as MIP start (0: feasible). */
  startViolation: number;
}

/** Builds and solves the MIP of one window around the incumbent. */
export async function solveWindow(inp: WindowInput): Promise<WindowResult> {
  const { ug, cluster, sim } = inp;
  const D = sim.devices.length;
  const table = operationTable(ug, cluster, sim, D);
  const cls = classify(table, inp);
  const b = new FdjsspBuilder("fdjssp-window", table, cls);
  const fixedEnd = fixedEnds(table, cls, D);
  b.starts(startBounds(table, cls, fixedEnd, inp));
  const win = table.seqs.map((seq) => seq.filter((o) => cls[o] === FREE));
  const rho = ug.overlapFactor;
  if (rho !== null && rho < 1)
    b.pairing(
      pairCandidates(table, win),
      (f, i) => chunkTime(ug, cluster, table, rho, f, i),
      (f, i) => Math.max(bigM(b, f, i, 0), bigM(b, i, f, 0)),
    );
  b.precedence(ug, (p, s, bytes) =>
    transferTime(cluster, table.ops[p]?.dev ?? 0, table.ops[s]?.dev ?? 0, bytes),
  );
  for (let d = 0; d < D; d++) {
    windowOrder(b, win[d] ?? []);
    laterChain(b, table.seqs[d] ?? [], win[d] ?? [], fixedEnd[d] ?? 0, d);
  }
  for (const [d, seq] of table.seqs.entries()) {
    const cap = inp.memoryCap[d] ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(cap)) continue;
    for (const a of win[d] ?? [])
      if (table.ops[a]?.kind === OP_F)
        b.memoryRow(a, seq, (o) => ug.units[table.ops[o]?.unit ?? 0]?.activationBytes ?? 0, cap);
  }
  const nFree = b.S.filter((v) => v !== null).length;
  b.objective(0.01 / Math.max(1, nFree * table.makespan));
  const size = b.size();
  const startViolation = b.startViolation();
  const freeOps = cls.filter((c) => c === FREE).length;
  // many small solves: in the one long-lived solver thread (a thread start per solve costs more
  // than the solve), so this thread stays free to see Ctrl-C while HiGHS works
  const result = await b.solve({
    timeLimit: inp.timeLimit,
    gap: inp.gap ?? 1e-6,
    reuseWorker: true,
    ...(inp.nodeLimit !== undefined ? { nodeLimit: inp.nodeLimit } : {}),
    ...(inp.seed !== undefined ? { seed: inp.seed } : {}),
    ...(inp.signal ? { signal: inp.signal } : {}),
  });
  if (!result.values) return { result, schedule: null, size, freeOps, startViolation };
  const schedule = b.extract(result.values, D, (o) => table.ops[o]?.dev ?? 0);
  return { result, schedule, size, freeOps, startViolation };
}

/** Fixed before t0, free inside the window on a window device, later otherwise; a paired W goes with its I. */
function classify(table: OperationTable, inp: WindowInput): OpClass[] {
  const devices = new Set(inp.devices ?? table.seqs.keys());
  const cls = table.ops.map((o): OpClass => {
    if (o.start < inp.t0 - 1e-9) return FIXED;
    return o.start < inp.t1 - 1e-9 && devices.has(o.dev) ? FREE : LATER;
  });
  for (const i of table.pairs.values()) cls[i + 1] = cls[i] ?? LATER;
  return cls;
}

/** Per device, the end of its fixed part: a lower bound for every other operation there. */
function fixedEnds(table: OperationTable, cls: readonly OpClass[], D: number): Float64Array {
  const end = new Float64Array(D);
  for (const [o, op] of table.ops.entries())
    if (cls[o] === FIXED) end[op.dev] = Math.max(end[op.dev] ?? 0, op.start + op.warmDur);
  return end;
}

/** Free operations within the window ± slack; later ones anywhere after the fixed part. */
function startBounds(
  table: OperationTable,
  cls: readonly OpClass[],
  fixedEnd: Float64Array,
  inp: WindowInput,
): (o: number) => [number, number] {
  const T = table.makespan;
  let longest = 0;
  for (const o of table.ops) longest = Math.max(longest, o.dur, o.warmDur);
  const slack = inp.slack ?? 2 * longest;
  return (o) => {
    const op = table.ops[o];
    const floor = fixedEnd[op?.dev ?? 0] ?? 0;
    if (!op || cls[o] !== FREE) return [floor, T];
    return [
      Math.max(0, floor, Math.min(op.start, inp.t0 - slack)),
      Math.min(T, Math.max(op.start, inp.t1 + slack)),
    ];
  };
}

/** (forward, input gradient of another micro-batch) among the free operations of each device. */
function* pairCandidates(table: OperationTable, win: readonly number[][]): Iterable<[number, number]> {
  for (const list of win)
    for (const f of list)
      if (table.ops[f]?.kind === OP_F)
        for (const i of list)
          if (table.ops[i]?.kind === OP_I && table.ops[i]?.mb !== table.ops[f]?.mb) yield [f, i];
}

/** Every pair of free operations of one device gets an order binary, with big-M from their bounds. */
function windowOrder(b: FdjsspBuilder, win: readonly number[]): void {
  for (const [x, a] of win.entries())
    for (const c of win.slice(x + 1)) {
      if (Math.floor(a / 3) === Math.floor(c / 3)) continue; // F < I < W by precedence
      b.order(a, c, bigM(b, a, c, b.maxDuration(a)), bigM(b, c, a, b.maxDuration(c)));
    }
}

/** Big-M for "S_y ≥ S_x + len": the latest x may end minus the earliest y may start. */
function bigM(b: FdjsspBuilder, x: number, y: number, len: number): number {
  return (b.hi[x] ?? 0) + len - (b.lo[y] ?? 0);
}

/**
 * Later operations of a device: a chain in incumbent order after every free operation, and a load
 * cut: the free operations run between the fixed part and the first later operation (or the
 * makespan), so that span is at least their total device time.
 */
function laterChain(
  b: FdjsspBuilder,
  seq: readonly number[],
  win: readonly number[],
  fixedEnd: number,
  d: number,
) {
  const { ops, pairs } = b.table;
  const pairedI = new Map([...pairs].map(([f, i]) => [i, f]));
  const later = seq.filter((o) => b.classOf(o) === LATER);
  const chained = later.filter((o) => !(ops[o]?.kind === OP_I && pairedI.has(o)));
  if (win.length > 1) {
    const occupied = new LinExpr().add(fixedEnd);
    for (const a of win) occupied.add(b.ownDeviceTime(a));
    const first = chained[0];
    b.model.addConstraint(first === undefined ? b.C : b.start(first), ">=", occupied, `load_${d}`);
  }
  let prev: number | null = null;
  for (const o of later) {
    const f = pairedI.get(o);
    if (ops[o]?.kind === OP_I && f !== undefined) {
      b.model.addConstraint(b.start(o).sub(b.start(f)), "=", 0);
      continue;
    }
    if (prev === null) for (const a of win) b.model.addConstraint(b.start(o), ">=", b.end(a));
    else b.model.addConstraint(b.start(o), ">=", b.end(prev));
    prev = o;
  }
}
