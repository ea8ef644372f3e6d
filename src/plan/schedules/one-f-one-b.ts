/** 1F1B (PipeDream-Flush; Narayanan et al. 2021, arXiv 2104.04473 §2.2): PP−s−1 warm-up forwards, then one forward one backward. */
import { z } from "zod";
import type { Action } from "../schedule.js";
import type { ScheduleEntry } from "./types.js";

export const oneFOneB: ScheduleEntry = {
  name: "1f1b",
  title: "1F1B",
  summary: "PP − s − 1 warm-up forwards, then one forward one backward per stage",
  reference: "https://arxiv.org/abs/2104.04473",
  params: z.object({}).strict(),
  devicesFor: (S) => S,
  formula: "(PP−1)(F+B)",
  generate({ stages }) {
    const M = stages.microBatches;
    const S = stages.units.length;
    return {
      name: "1f1b",
      devices: stages.units.map((_, s) => {
        const warm = Math.min(S - s - 1, M);
        const l: Action[] = [];
        for (let m = 0; m < warm; m++) l.push({ pass: "F", unit: s, mb: m });
        for (let i = 0; i < M - warm; i++) {
          l.push({ pass: "F", unit: s, mb: warm + i });
          l.push({ pass: "B", unit: s, mb: i });
        }
        for (let m = M - warm; m < M; m++) l.push({ pass: "B", unit: s, mb: m });
        return l;
      }),
    };
  },
};
