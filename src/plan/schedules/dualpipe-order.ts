/**
 * The op order of DualPipe's `step()` (deepseek-ai/DualPipe, dualpipe/dualpipe.py; DualPipeV in
 * dualpipev.py), replayed as compute actions. Eight steps per rank, with n = number of half ranks
 * (DualPipe) or ranks (DualPipeV), h = the rank's half rank (or rank):
 *   1 nF0: 2(n−h−1) × F0          2 nF0F1: (h+1) × [F0, F1]
 *   3 nB1W1F1: (n−h−1) × [I1, W, F1]   (zero-bubble backward: I now, W queued FIFO)
 *   4 nF0B1F1B0: step4 × [F0&B1, F1&B0]  (first F0&B1 split into F0, B1 on the middle/last rank)
 *   5 nB1F1B0: (n−h−1) × [B1, F1&B0]
 *   6 nB1B0: (h+1) × [B1, B0], zero-bubble from the middle iteration on (parity rule of the source)
 *   7 nWB0: (n−h−1) × [W, I0]     8 nW: (h+1) × W
 * Phases are mapped to (stage, micro-batch) by the caller (`replayOps`).
 */
import { ScheduleError } from "../errors.js";
import type { Action } from "../schedule.js";

/** One op of `step()`: a forward or backward of a phase (direction), a queued W, or an F&B chunk. */
export type DualOp =
  | { kind: "F"; phase: 0 | 1 }
  | { kind: "B"; phase: 0 | 1; zb: boolean }
  | { kind: "W" }
  | { kind: "FB"; fPhase: 0 | 1; bPhase: 0 | 1 };

/**
 * The op order of one rank. `special` runs the first main-step chunk unoverlapped (DualPipe's
 * middle ranks); `step4` is the number of main-step iterations.
 */
export function dualPipeOps(n: number, h: number, step4: number, special: boolean): DualOp[] {
  const ops: DualOp[] = [];
  const F = (phase: 0 | 1) => ops.push({ kind: "F", phase });
  const B = (phase: 0 | 1, zb = false) => ops.push({ kind: "B", phase, zb });
  const W = () => ops.push({ kind: "W" });
  const FB = (fPhase: 0 | 1, bPhase: 0 | 1) => ops.push({ kind: "FB", fPhase, bPhase });
  for (let i = 0; i < (n - h - 1) * 2; i++) F(0);
  for (let i = 0; i < h + 1; i++) {
    F(0);
    F(1);
  }
  for (let i = 0; i < n - h - 1; i++) {
    B(1, true);
    W();
    F(1);
  }
  for (let i = 0; i < step4; i++) {
    if (i === 0 && special) {
      F(0);
      B(1);
    } else FB(0, 1);
    FB(1, 0);
  }
  for (let i = 0; i < n - h - 1; i++) {
    B(1);
    FB(1, 0);
  }
  const step6 = h + 1;
  let zb = false;
  for (let i = 0; i < step6; i++) {
    if (i === Math.floor(step6 / 2) && h % 2 === 1) zb = true;
    B(1, zb);
    if (i === Math.floor(step6 / 2) && h % 2 === 0) zb = true;
    B(0, zb);
  }
  for (let i = 0; i < n - h - 1; i++) {
    W();
    B(0, true);
  }
  for (let i = 0; i < h + 1; i++) W();
  return ops;
}

/**
 * Replays an op order as actions: `map(phase, k)` is the (unit, micro-batch) of the k-th forward
 * (or backward) of a phase; zero-bubble backwards become I with their W queued FIFO.
 */
export function replayOps(
  ops: DualOp[],
  map: (phase: 0 | 1, k: number) => { unit: number; mb: number },
): Action[] {
  const fCount = [0, 0];
  const bCount = [0, 0];
  const wQueue: { unit: number; mb: number }[] = [];
  const out: Action[] = [];
  const next = (count: number[], p: 0 | 1) => {
    const k = count[p] ?? 0;
    count[p] = k + 1;
    return map(p, k);
  };
  for (const op of ops) {
    if (op.kind === "F") out.push({ pass: "F", ...next(fCount, op.phase) });
    else if (op.kind === "B") {
      const t = next(bCount, op.phase);
      out.push({ pass: op.zb ? "I" : "B", ...t });
      if (op.zb) wQueue.push(t);
    } else if (op.kind === "W") {
      const t = wQueue.shift();
      if (!t)
        throw new ScheduleError({
          where: "dualpipe",
          what: "weight step with an empty queue",
          hint: "this is a bug in the op order",
        });
      out.push({ pass: "W", ...t });
    } else {
      const f = next(fCount, op.fPhase);
      const b = next(bCount, op.bPhase);
      out.push({ pass: "FB", unit: f.unit, mb: f.mb, unit2: b.unit, mb2: b.mb });
    }
  }
  return out;
}

/**
 * DualPipe's device lists for PP stages and M micro-batches (PP and M even, M ≥ 2·PP): rank r
 * holds stage r of the first direction and PP−1−r of the second. `overlapAll` overlaps the first
 * main-step chunk of the middle ranks too (a heuristic variant, not DualPipe's order).
 */
export function dualPipeDevices(PP: number, M: number, overlapAll = false): Action[][] {
  const n = PP / 2;
  const half = M / 2;
  const devices: Action[][] = [];
  for (let r = 0; r < PP; r++) {
    const second = r >= n ? 1 : 0;
    const h = Math.min(r, PP - 1 - r);
    const special = !overlapAll && (r === n - 1 || r === n);
    const ops = dualPipeOps(n, h, half - PP + h + 1, special);
    devices.push(
      replayOps(ops, (phase, k) =>
        (phase ^ second) === 0 ? { unit: r, mb: k } : { unit: PP - 1 - r, mb: half + k },
      ),
    );
  }
  return devices;
}
