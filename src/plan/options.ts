/** Planner options (zod-validated; the `options` block of a preset or the CLI flags). */
import { z } from "zod";

/** Unit → device in the whole-model MIP: see `PlanOptionsSchema.placement`. */
export const PLACEMENTS = ["auto", "fixed", "free"] as const;

/** Planner options: a preset's `options` block, merged with the caller's overrides. */
export const PlanOptionsSchema = z
  .object({
    objective: z.enum(["makespan"]).default("makespan"),
    stages: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("pipeline stages for the chain baselines (default: device count)"),
    memoryLimitBytes: z
      .number()
      .positive()
      .optional()
      .describe("per-device activation limit for the planned schedule"),
    memoryLimitFrom: z
      .string()
      .optional()
      .describe("take the memory limit from this baseline's peak (e.g. dualpipe)"),
    timeLimitSeconds: z
      .number()
      .positive()
      .default(30)
      .describe("seconds for the MIP planner (search + MIP rounds)"),
    nodeLimit: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "branch-and-bound nodes per MIP round: a deterministic work limit (the result then depends on the machine only where the time limit is reached)",
      ),
    gap: z.number().min(0).max(1).default(1e-4),
    seed: z.number().int().min(0).default(0),
    coarsenTo: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("units after greedy merging for graph placements (default 2 × devices)"),
    placement: z
      .enum(PLACEMENTS)
      .default("auto")
      .describe(
        "unit → device in the whole-model MIP: free = assignment variables, fixed = the warm start's; auto = free when the graph has no stage fields and the instance is small",
      ),
    mip: z.boolean().default(true).describe("run the MIP planner (false: baselines and greedy rules only)"),
    oneRankPerStage: z
      .boolean()
      .default(false)
      .describe(
        "every stage (unit) runs all its micro-batches on one device, as PyTorch's pipelining runtime needs (no DualPipe-style second copy); implied by a PyTorch CSV export",
      ),
  })
  .strict();

/** Planner options, defaults filled in. */
export type PlanOptions = z.output<typeof PlanOptionsSchema>;
/** Planner options as written in a preset or passed by a caller. */
export type PlanOptionsInput = z.input<typeof PlanOptionsSchema>;
