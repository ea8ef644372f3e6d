/**
 * DualPipe (DeepSeek-V3 technical report, arXiv 2412.19437 §3.2.1; deepseek-ai/DualPipe):
 * bidirectional pipeline on PP ranks, each holding stage r of the forward direction and stage
 * PP−1−r of the reverse direction (two model copies). The first half of the micro-batches flows
 * 0→PP−1, the second half PP−1→0; overlapped F&B chunks pair a forward of one direction with a
 * backward of the other. Op order replayed from `DualPipe.step()` (see dualpipe-order.ts).
 * DualPipeV ("cut-in-half", dualpipev.py): PP/2 ranks, rank r holds stages r and PP−1−r (a V),
 * every micro-batch goes down and back up.
 */
import { z } from "zod";
import { ScheduleError } from "../errors.js";
import type { Action } from "../schedule.js";
import { type DualOp, dualPipeOps } from "./dualpipe-order.js";
import type { BaselineInfo } from "./types.js";

function replay(ops: DualOp[], map: (phase: 0 | 1, k: number) => { unit: number; mb: number }): Action[] {
  const fCount = [0, 0];
  const bCount = [0, 0];
  const wQueue: { unit: number; mb: number }[] = [];
  const out: Action[] = [];
  const nextF = (p: 0 | 1) => map(p, fCount[p]!++);
  const nextB = (p: 0 | 1) => map(p, bCount[p]!++);
  for (const op of ops) {
    if (op.kind === "F") out.push({ pass: "F", ...nextF(op.phase) });
    else if (op.kind === "B") {
      const t = nextB(op.phase);
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
      const f = nextF(op.fPhase);
      const b = nextB(op.bPhase);
      out.push({ pass: "FB", unit: f.unit, mb: f.mb, unit2: b.unit, mb2: b.mb });
    }
  }
  return out;
}

export const dualpipe: BaselineInfo = {
  name: "dualpipe",
  title: "DualPipe",
  reference: "https://github.com/deepseek-ai/DualPipe",
  params: z.object({}).strict(),
  devicesFor: (S, M) => (S % 2 === 0 && M % 2 === 0 && M >= 2 * S ? S : null),
  formula: "(PP/2−1)(F&B+B−3W)",
  generate({ stages }) {
    const PP = stages.units.length;
    const M = stages.microBatches;
    if (PP % 2 !== 0 || M % 2 !== 0 || M < 2 * PP)
      throw new ScheduleError({
        where: "dualpipe",
        what: `needs an even stage count and an even micro-batch count ≥ 2·stages (got ${PP} stages, ${M} micro-batches)`,
        hint: "change the preset or use another schedule",
      });
    const n = PP / 2;
    const half = M / 2;
    const devices: Action[][] = [];
    for (let r = 0; r < PP; r++) {
      const second = r >= n ? 1 : 0;
      const h = Math.min(r, PP - 1 - r);
      const special = r === n - 1 || r === n;
      const ops = dualPipeOps(n, h, half - PP + h + 1, special);
      devices.push(
        replay(ops, (phase, k) => {
          const dir = phase ^ second;
          return dir === 0 ? { unit: r, mb: k } : { unit: PP - 1 - r, mb: half + k };
        }),
      );
    }
    return { name: "dualpipe", devices };
  },
};

export const dualpipeV: BaselineInfo = {
  name: "dualpipev",
  title: "DualPipeV",
  reference: "https://github.com/deepseek-ai/DualPipe",
  params: z.object({}).strict(),
  devicesFor: (S, M) => (S % 2 === 0 && M >= S ? S / 2 : null),
  formula: "(PP/2−1)(F&B+B−3W)",
  generate({ stages }) {
    const S = stages.units.length;
    const M = stages.microBatches;
    if (S % 2 !== 0 || M < S)
      throw new ScheduleError({
        where: "dualpipev",
        what: `needs an even stage count and micro-batches ≥ stages (got ${S} stages, ${M} micro-batches)`,
        hint: "change the preset or use another schedule",
      });
    const N = S / 2;
    const devices: Action[][] = [];
    for (let r = 0; r < N; r++) {
      const ops = dualPipeOps(N, r, M - 2 * N + r + 1, r === N - 1);
      devices.push(replay(ops, (phase, k) => ({ unit: phase === 0 ? r : S - 1 - r, mb: k })));
    }
    return { name: "dualpipev", devices };
  },
};
