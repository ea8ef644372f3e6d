/**
 * ZB1P / ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR 2024, arXiv 2401.10241 §3.1):
 * 1F1B with the backward split into input-gradient (I) and weight-gradient (W) passes, W deferred
 * into the bubbles while each stage s keeps 1F1B's in-flight limit of PP − s micro-batches
 * (counted, as in the paper, from forward to input gradient), and at most PP − 1 deferred W per stage.
 * Our memory report counts an activation until its W ends, so ZB1P shows up to 2PP − 1 − s there.
 * Built by the list scheduler with priority I > F > W and that per-stage activation cap, which is
 * how the paper's heuristic fills ZB-H1 (bubble (PP−1)(F+B−2W) on uniform stages; golden-tested).
 */
import { z } from "zod";
import { ScheduleError } from "../errors.js";
import { GREEDY_RULES, greedySchedule } from "../greedy.js";
import { linearPlacement } from "../placement.js";
import type { ScheduleEntry } from "./types.js";

export const zb1p: ScheduleEntry = {
  name: "zb1p",
  title: "ZB1P (ZB-H1)",
  summary:
    "1F1B with the backward split into input and weight gradients, weight steps deferred into the bubbles",
  reference: "https://arxiv.org/abs/2401.10241",
  params: z.object({}).strict(),
  devicesFor: (S) => S,
  formula: "(PP−1)(F+B−2W)",
  generate({ stages, cluster }) {
    const S = stages.units.length;
    const rule = GREEDY_RULES.find((r) => r.name === "bwd-first")!;
    const s = greedySchedule(stages, cluster, linearPlacement(S), rule, {
      memoryCap: stages.units.map((u, st) => (S - st + S - 1) * u.activationBytes),
      unitCap: true,
    });
    if (!s)
      throw new ScheduleError({
        where: "zb1p",
        what: "the 1F1B memory cap deadlocked",
        hint: "this is a bug",
      });
    return { ...s, name: "zb1p" };
  },
};
