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
import { dualPipeDevices, dualPipeOps, replayOps } from "./dualpipe-order.js";
import type { ScheduleEntry } from "./types.js";

export const dualpipe: ScheduleEntry = {
  name: "dualpipe",
  title: "DualPipe",
  summary: "bidirectional pipeline: two model copies per rank, overlapped forward & backward chunks",
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
    return { name: "dualpipe", devices: dualPipeDevices(PP, M) };
  },
};

export const dualpipeV: ScheduleEntry = {
  name: "dualpipev",
  title: "DualPipeV",
  summary: "DualPipe cut in half: PP/2 ranks each holding two stages in a V, one model copy",
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
      devices.push(replayOps(ops, (phase, k) => ({ unit: phase === 0 ? r : S - 1 - r, mb: k })));
    }
    return { name: "dualpipev", devices };
  },
};
