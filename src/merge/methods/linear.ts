/**
 * linear: the weighted average Σ w_i θ_i / Σ w_i (or the plain weighted sum with
 * `normalize: false`), as mergekit/merge_methods/linear.py. "Model soups", Wortsman et al. 2022
 * (arXiv 2203.05482), §3.
 */
import { z } from "zod";
import type { MergeMethod } from "./types.js";

const params = z.object({
  normalize: z.boolean().default(true).describe("divide by the sum of the weights"),
});
const tensorParams = z.object({
  weight: z.number().describe("weight of this model (required)"),
});

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
  merge({ tensors, tensorParams: p, params: g }) {
    const n = tensors[0]!.length;
    const out = new Float32Array(n);
    let wsum = 0;
    for (const [i, x] of tensors.entries()) {
      const w = p[i]!.weight;
      wsum += w;
      for (let j = 0; j < n; j++) out[j] = out[j]! + w * x[j]!;
    }
    if (g.normalize) {
      const s = 1 / wsum;
      for (let j = 0; j < n; j++) out[j] = out[j]! * s;
    }
    return { data: out };
  },
};
