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
    // Σ w_i x_i accumulated into the first input (in order, rounded to float32 after every step as a
    // plain loop would), then × 1/Σw fused into the last pass.
    const out = tensors[0]!;
    const n = out.length;
    const w0 = p[0]!.weight;
    const wsum = p.reduce((s, q) => s + q.weight, 0);
    const scale = g.normalize ? 1 / wsum : 1;
    const last = tensors.length - 1;
    if (last === 0) {
      const f = w0 * scale;
      if (f !== 1) for (let j = 0; j < n; j++) out[j] = Math.fround(out[j]! * w0) * scale;
      return { data: out };
    }
    if (w0 !== 1) for (let j = 0; j < n; j++) out[j] = w0 * out[j]!;
    for (let i = 1; i < last; i++) {
      const x = tensors[i]!;
      const w = p[i]!.weight;
      for (let j = 0; j < n; j++) out[j] = out[j]! + w * x[j]!;
    }
    const x = tensors[last]!;
    const w = p[last]!.weight;
    if (scale === 1) for (let j = 0; j < n; j++) out[j] = out[j]! + w * x[j]!;
    else for (let j = 0; j < n; j++) out[j] = Math.fround(out[j]! + w * x[j]!) * scale;
    return { data: out };
  },
};
