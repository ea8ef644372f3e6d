/**
 * Reads a simulated schedule as the F/I/W operations the MIPs work with: a full backward B is its
 * input-gradient part I followed by its weight-gradient part W; an overlapped F&B chunk is an F
 * and an I that start together, with the W at the chunk's end. Shared by the whole-model MIPs
 * (fixed and flexible placement) and the window MIPs, which all warm-start from an incumbent.
 */
import type { Action } from "../schedule.js";
import type { SimResult } from "../simulate.js";

export const OP_F = 0;
export const OP_I = 1;
export const OP_W = 2;
export type OpKind = typeof OP_F | typeof OP_I | typeof OP_W;

export interface Incumbent {
  /** Operation ids per device, in execution order. */
  seqs: number[][];
  /** Start time by operation id. */
  start: Map<number, number>;
  /** F op id → I op id, for each overlapped F&B chunk. */
  pairs: Map<number, number>;
  /**
   * Time each operation of an F&B chunk occupies as part of it: the chunk's length for its F and I
   * (they run together), 0 for its W (it starts at the chunk's end).
   */
  chunkDuration: Map<number, number>;
}

/**
 * @param devices how many devices the MIP has (at least the schedule's)
 * @param id operation id of (kind, unit, micro-batch)
 * @param duration an operation's own duration (to place the W of a full backward after its I)
 * @param device the device index a simulated device maps to (default: the same)
 */
export function readIncumbent(
  sim: SimResult,
  devices: number,
  id: (kind: OpKind, unit: number, mb: number) => number,
  duration: (op: number) => number,
  device: (simDevice: number) => number = (d) => d,
): Incumbent {
  const seqs: number[][] = Array.from({ length: devices }, () => []);
  const start = new Map<number, number>();
  const pairs = new Map<number, number>();
  const chunkDuration = new Map<number, number>();
  sim.devices.forEach((dv, d0) => {
    const seq = seqs[device(d0)]!;
    for (const a of dv.timeline) {
      if (a.pass === "F" || a.pass === "I" || a.pass === "W") {
        const o = id(a.pass === "F" ? OP_F : a.pass === "I" ? OP_I : OP_W, a.unit, a.mb);
        start.set(o, a.start);
        seq.push(o);
      } else if (a.pass === "B") {
        const i = id(OP_I, a.unit, a.mb);
        const w = id(OP_W, a.unit, a.mb);
        start.set(i, a.start);
        start.set(w, a.start + duration(i));
        seq.push(i, w);
      } else {
        const f = id(OP_F, a.unit, a.mb);
        const i = id(OP_I, a.unit2!, a.mb2!);
        const w = id(OP_W, a.unit2!, a.mb2!);
        start.set(f, a.start);
        start.set(i, a.start);
        start.set(w, a.end);
        chunkDuration.set(f, a.end - a.start);
        chunkDuration.set(i, a.end - a.start);
        chunkDuration.set(w, 0);
        seq.push(f, i, w);
        pairs.set(f, i);
      }
    }
  });
  return { seqs, start, pairs, chunkDuration };
}

/**
 * The inverse of `readIncumbent`: a device's operations, in execution order, back to schedule
 * actions. A paired F (key of `pairOfF`) and its I become one F&B action; the W of a paired I
 * (the next op id, by the id layout (u·M + m)·3 + kind) is then implied and dropped.
 */
export function toActions(
  order: readonly number[],
  op: (o: number) => { kind: number; unit: number; mb: number },
  pairOfF: ReadonlyMap<number, number>,
): Action[] {
  const pairedI = new Set(pairOfF.values());
  const out: Action[] = [];
  for (const o of order) {
    const x = op(o);
    if (x.kind === OP_F) {
      const i = pairOfF.get(o);
      if (i !== undefined) {
        const y = op(i);
        out.push({ pass: "FB", unit: x.unit, mb: x.mb, unit2: y.unit, mb2: y.mb });
      } else out.push({ pass: "F", unit: x.unit, mb: x.mb });
    } else if (x.kind === OP_I) {
      if (!pairedI.has(o)) out.push({ pass: "I", unit: x.unit, mb: x.mb });
    } else if (!pairedI.has(o - 1)) out.push({ pass: "W", unit: x.unit, mb: x.mb });
  }
  return out;
}
