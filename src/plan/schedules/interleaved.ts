/**
 * Interleaved 1F1B (Megatron-LM virtual pipeline; Narayanan et al. 2021, arXiv 2104.04473 §2.2):
 * S = v·D stages, stage c·D + d on device d. Per device, total = m·v chunks; warm-up
 * (D − d − 1)·2 + (v − 1)·D forwards; k-th forward runs chunk ⌊k/D⌋ mod v of micro-batch
 * ⌊k/(D·v)⌋·D + k mod D, k-th backward chunk v − 1 − (⌊k/D⌋ mod v). Needs m divisible by D.
 */
import { z } from "zod";
import { ScheduleError } from "../errors.js";
import type { Action } from "../schedule.js";
import type { ScheduleEntry } from "./types.js";

const Params = z.object({ chunks: z.number().int().min(2).default(2) }).strict();

export const interleaved: ScheduleEntry<typeof Params> = {
  name: "interleaved-1f1b",
  title: "Interleaved 1F1B",
  summary: "1F1B over v model chunks per device (Megatron's virtual pipeline)",
  reference: "https://arxiv.org/abs/2104.04473",
  params: Params,
  devicesFor: (S, M, p) => (S % p.chunks === 0 && M % (S / p.chunks) === 0 ? S / p.chunks : null),
  formula: "(PP−1)(F+B)/v",
  generate({ stages }, p) {
    const M = stages.microBatches;
    const S = stages.units.length;
    const v = p.chunks;
    const D = S / v;
    if (!Number.isInteger(D) || M % D !== 0)
      throw new ScheduleError({
        where: "interleaved-1f1b",
        what: `needs stages (${S}) divisible by chunks (${v}) and micro-batches (${M}) divisible by devices`,
        hint: "change the stage or micro-batch count",
      });
    const total = M * v;
    const fwd = (k: number): Action => ({
      pass: "F",
      unit: (Math.floor(k / D) % v) * D,
      mb: Math.floor(k / (D * v)) * D + (k % D),
    });
    const bwd = (k: number): Action => ({
      pass: "B",
      unit: (v - 1 - (Math.floor(k / D) % v)) * D,
      mb: Math.floor(k / (D * v)) * D + (k % D),
    });
    const devices: Action[][] = [];
    for (let d = 0; d < D; d++) {
      const warm = Math.min((D - d - 1) * 2 + (v - 1) * D, total);
      const l: Action[] = [];
      const at = (a: Action): Action => ({ ...a, unit: a.unit + d });
      for (let k = 0; k < warm; k++) l.push(at(fwd(k)));
      for (let i = 0; i < total - warm; i++) {
        l.push(at(fwd(warm + i)));
        l.push(at(bwd(i)));
      }
      for (let k = total - warm; k < total; k++) l.push(at(bwd(k)));
      devices.push(l);
    }
    return { name: "interleaved-1f1b", devices };
  },
};
