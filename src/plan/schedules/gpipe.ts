/** GPipe (Huang et al. 2019, arXiv 1811.06965): all forwards, then all backwards, per stage. */
import { z } from "zod";
import type { Action } from "../schedule.js";
import type { ScheduleEntry } from "./types.js";

export const gpipe: ScheduleEntry = {
  name: "gpipe",
  title: "GPipe",
  summary: "every micro-batch forward, then every backward, per stage",
  reference: "https://arxiv.org/abs/1811.06965",
  params: z.object({}).strict(),
  devicesFor: (S) => S,
  formula: "(PP−1)(F+B)",
  generate({ stages }) {
    const M = stages.microBatches;
    return {
      name: "gpipe",
      devices: stages.units.map((_, s) => {
        const l: Action[] = [];
        for (let m = 0; m < M; m++) l.push({ pass: "F", unit: s, mb: m });
        for (let m = 0; m < M; m++) l.push({ pass: "B", unit: s, mb: m });
        return l;
      }),
    };
  },
};
