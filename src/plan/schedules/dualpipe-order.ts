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
 * Phases are mapped to (stage, micro-batch) by the caller.
 */
export type DualOp =
  | { kind: "F"; phase: 0 | 1 }
  | { kind: "B"; phase: 0 | 1; zb: boolean }
  | { kind: "W" }
  | { kind: "FB"; fPhase: 0 | 1; bPhase: 0 | 1 };

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
