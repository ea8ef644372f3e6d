/**
 * The operation table of the FDJSSP MIPs (She et al., arXiv 2503.09357): per (unit u, micro-batch
 * m) three operations F, I (input gradient, B − W) and W, with id (u·M + m)·3 + kind, read from an
 * incumbent schedule timed by the simulator. A full backward B is its I followed by its W; an
 * overlapped F&B chunk is an F and an I that start together, with the W at the chunk's end.
 * `toActions` is the inverse: operations in device order back to schedule actions.
 */
import type { Cluster } from "../cluster.js";
import { ScheduleError } from "../errors.js";
import type { Action } from "../schedule.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";

/** Operation kinds; the numbers are the last term of the operation id. */
export const OP_F = 0;
export const OP_I = 1;
export const OP_W = 2;
/** F, I or W. */
export type OpKind = typeof OP_F | typeof OP_I | typeof OP_W;

/** One operation as the incumbent runs it. */
export interface Operation {
  kind: OpKind;
  unit: number;
  mb: number;
  /** Device in the incumbent (after relabelling). */
  dev: number;
  /** Its own duration on that device (no overlap). */
  dur: number;
  /** Incumbent start. */
  start: number;
  /** Incumbent duration: the chunk's length for a paired F or I, 0 for a paired W, else `dur`. */
  warmDur: number;
  /** Position in its device's incumbent sequence. */
  pos: number;
}

/** Every operation of an instance, with the incumbent's device sequences and F&B pairs. */
export interface OperationTable {
  /** Indexed by operation id. */
  ops: Operation[];
  /** Operation ids per device, in the incumbent's execution order. */
  seqs: number[][];
  /** F op id → I op id, for each overlapped F&B chunk of the incumbent. */
  pairs: Map<number, number>;
  /** The incumbent's makespan. */
  makespan: number;
  /** Operation id of (kind, unit, micro-batch). */
  id(kind: OpKind, unit: number, mb: number): number;
}

/**
 * Reads an incumbent into the operation table.
 * @param devices how many devices the MIP has (at least the schedule's)
 * @param label the MIP's device of a simulated device (default: the same)
 */
export function operationTable(
  ug: UnitGraph,
  cluster: Cluster,
  sim: SimResult,
  devices: number,
  label: (simDevice: number) => number = (d) => d,
): OperationTable {
  const M = ug.microBatches;
  const id = (kind: OpKind, unit: number, mb: number) => (unit * M + mb) * 3 + kind;
  const ops: (Operation | undefined)[] = new Array(ug.units.length * M * 3).fill(undefined);
  const seqs: number[][] = Array.from({ length: devices }, () => []);
  const pairs = new Map<number, number>();
  for (const [d0, device] of sim.devices.entries()) {
    const dev = label(d0);
    const speed = cluster.devices[d0]?.speed ?? 1;
    const seq = seqs[dev] ?? [];
    const put = (kind: OpKind, unit: number, mb: number, start: number, warmDur?: number) => {
      const u = ug.units[unit];
      if (!u)
        throw new ScheduleError({
          where: `device ${d0}`,
          what: `no unit ${unit}`,
          hint: "time the schedule on its graph",
        });
      const dur = (kind === OP_F ? u.forward : kind === OP_I ? u.backward - u.weight : u.weight) / speed;
      const o = id(kind, unit, mb);
      ops[o] = { kind, unit, mb, dev, dur, start, warmDur: warmDur ?? dur, pos: seq.length };
      seq.push(o);
      return dur;
    };
    for (const a of device.timeline) {
      if (a.pass === "F") put(OP_F, a.unit, a.mb, a.start);
      else if (a.pass === "I") put(OP_I, a.unit, a.mb, a.start);
      else if (a.pass === "W") put(OP_W, a.unit, a.mb, a.start);
      else if (a.pass === "B") put(OP_W, a.unit, a.mb, a.start + put(OP_I, a.unit, a.mb, a.start));
      else {
        const [unit2, mb2] = [a.unit2 ?? -1, a.mb2 ?? -1];
        put(OP_F, a.unit, a.mb, a.start, a.end - a.start);
        put(OP_I, unit2, mb2, a.start, a.end - a.start);
        put(OP_W, unit2, mb2, a.end, 0);
        pairs.set(id(OP_F, a.unit, a.mb), id(OP_I, unit2, mb2));
      }
    }
  }
  const missing = ops.indexOf(undefined);
  if (missing >= 0)
    throw new ScheduleError({
      where: "incumbent",
      what: `operation ${missing} is not scheduled`,
      hint: "warm-start from a complete schedule",
    });
  return { ops: ops as Operation[], seqs, pairs, makespan: sim.makespan, id };
}

/** Duration of the F&B chunk of forward f and input gradient i (overlap factor ρ) on f's device. */
export function chunkTime(
  ug: UnitGraph,
  cluster: Cluster,
  table: OperationTable,
  rho: number,
  f: number,
  i: number,
): number {
  const of = table.ops[f];
  const oi = table.ops[i];
  if (!of || !oi) return 0;
  const forward = ug.units[of.unit]?.forward ?? 0;
  const backward = ug.units[oi.unit]?.backward ?? 0;
  return (rho * (forward + backward)) / (cluster.devices[of.dev]?.speed ?? 1);
}

/**
 * A device's operations, in execution order, back to schedule actions. A paired F (key of
 * `pairOfF`) and its I become one F&B action; the W of a paired I (the next op id) is implied and
 * dropped.
 */
export function toActions(
  order: readonly number[],
  ops: readonly Operation[],
  pairOfF: ReadonlyMap<number, number>,
): Action[] {
  const pairedI = new Set(pairOfF.values());
  const out: Action[] = [];
  for (const o of order) {
    const x = ops[o];
    if (!x) continue;
    if (x.kind === OP_F) {
      const y = ops[pairOfF.get(o) ?? -1];
      out.push(
        y
          ? { pass: "FB", unit: x.unit, mb: x.mb, unit2: y.unit, mb2: y.mb }
          : { pass: "F", unit: x.unit, mb: x.mb },
      );
    } else if (x.kind === OP_I) {
      if (!pairedI.has(o)) out.push({ pass: "I", unit: x.unit, mb: x.mb });
    } else if (!pairedI.has(o - 1)) out.push({ pass: "W", unit: x.unit, mb: x.mb });
  }
  return out;
}
