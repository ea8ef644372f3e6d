/**
 * linear: the weighted average Σ w_i θ_i / Σ w_i (or the plain weighted sum with
 * `normalize: false`), as mergekit/merge_methods/linear.py. "Model soups", Wortsman et al. 2022
 * (arXiv 2203.05482), §3.
 */
import { z } from "zod";
import { type WeightedSum, weightedSumF32 } from "../weighted-sum.js";
import type { MergeMethod } from "./types.js";

const params = z.object({
  normalize: z.boolean().default(true).describe("divide by the sum of the weights"),
});
const tensorParams = z.object({
  weight: z.number().describe("weight of this model (required)"),
});

/** Σ w_i θ_i × (1/Σ w_i, or 1 without normalize). */
function linearSum(
  global: z.output<typeof params>,
  perModel: readonly z.output<typeof tensorParams>[],
): WeightedSum {
  const weights = perModel.map((q) => q.weight);
  const wsum = weights.reduce((s, x) => s + x, 0);
  return { weights, scale: global.normalize ? 1 / wsum : 1 };
}

/** The linear method. */
export const linear: MergeMethod<typeof params, typeof tensorParams> = {
  name: "linear",
  summary: "weighted average of the models (model soup)",
  reference: "https://arxiv.org/abs/2203.05482",
  params,
  tensorParams,
  requiredParams: [],
  base: "unused",
  inputs: { min: 1 },
  random: false,
  workingCopies: () => 1,
  validate(global, perModel) {
    const sum = perModel.reduce((s, p) => s + p.weight, 0);
    if (global.normalize && sum === 0)
      return {
        source: 0,
        param: "weight",
        what: "the weights sum to 0, so the average is undefined",
        hint: "give weights with a non-zero sum, or set normalize: false",
      };
    return undefined;
  },
  weightedSum: linearSum,
  merge({ tensors, tensorParams, params }) {
    // Σ w_i x_i in model order, rounded to float32 after every step as a plain accumulation loop
    // would, then × 1/Σw, in one pass written into the first input's buffer (weighted-sum.ts).
    return { data: weightedSumF32(tensors, linearSum(params, tensorParams)) };
  },
};
