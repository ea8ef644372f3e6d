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
    // Σ w_i x_i in model order, rounded to float32 after every step as a plain accumulation loop
    // would, then × 1/Σw; one pass over the inputs (two and three models unrolled), written into
    // the first input's buffer.
    const out = tensors[0]!;
    const n = out.length;
    const w = p.map((q) => q.weight);
    const wsum = w.reduce((s, x) => s + x, 0);
    const scale = g.normalize ? 1 / wsum : 1;
    const f = Math.fround;
    const [w0, w1, w2] = w as [number, number, number];
    if (tensors.length === 3) {
      const [x0, x1, x2] = tensors as [Float32Array, Float32Array, Float32Array];
      for (let j = 0; j < n; j++) out[j] = f(f(f(w0 * x0[j]!) + w1 * x1[j]!) + w2 * x2[j]!) * scale;
    } else if (tensors.length === 2) {
      const [x0, x1] = tensors as [Float32Array, Float32Array];
      for (let j = 0; j < n; j++) out[j] = f(f(w0 * x0[j]!) + w1 * x1[j]!) * scale;
    } else {
      for (let j = 0; j < n; j++) out[j] = w0 * out[j]!;
      for (let i = 1; i < tensors.length; i++) {
        const x = tensors[i]!;
        const wi = w[i]!;
        for (let j = 0; j < n; j++) out[j] = out[j]! + wi * x[j]!;
      }
      if (scale !== 1) for (let j = 0; j < n; j++) out[j] = out[j]! * scale;
    }
    return { data: out };
  },
};
