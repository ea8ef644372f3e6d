/**
 * model_stock: Jang, Yun & Han, "Model Stock: All we need is just a few fine-tuned models"
 * (ECCV 2024, arXiv 2403.19522), §3 eq. (3)–(4), as mergekit/merge_methods/model_stock.py:
 *
 *   offsets δ_i = w_i − w_0 (w_0 = base), cos θ = mean over pairs i < j of ⟨δ_i, δ_j⟩ / max(‖δ_i‖‖δ_j‖, 1e-6)
 *   (clamped to [−1, 1]),  t = N cos θ / (1 + (N − 1) cos θ),  w = t·mean_i w_i + (1 − t)·w_0.
 *
 * With `filter_wise: true` the ratio is computed per row (last dimension) instead of per tensor.
 */
import { z } from "zod";
import type { MergeMethod } from "./types.js";

const params = z.object({
  filter_wise: z.boolean().default(false).describe("one ratio per row instead of per tensor"),
});
const tensorParams = z.object({});

/** The interpolation ratio t = N c / (1 + (N − 1) c) for N models with mean pairwise cosine c. */
export function modelStockRatio(n: number, cos: number): number {
  const den = 1 + (n - 1) * cos;
  return den === 0 ? 0 : (n * cos) / den;
}

/** Merges rows [r0, r0+len) … of w0 and ws into out, with one ratio per segment of `len` entries. */
function mergeSegments(w0: Float32Array, ws: Float32Array[], out: Float32Array, len: number): number[] {
  const n = ws.length;
  const ratios: number[] = [];
  for (let o = 0; o < w0.length; o += len) {
    const norms = ws.map((w) => {
      let s = 0;
      for (let j = o; j < o + len; j++) {
        const d = w[j]! - w0[j]!;
        s += d * d;
      }
      return Math.sqrt(s);
    });
    let cosSum = 0;
    let pairs = 0;
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        let dot = 0;
        const wa = ws[a]!;
        const wb = ws[b]!;
        for (let j = o; j < o + len; j++) dot += (wa[j]! - w0[j]!) * (wb[j]! - w0[j]!);
        const c = dot / Math.max(norms[a]! * norms[b]!, 1e-6);
        cosSum += Math.max(-1, Math.min(1, c));
        pairs++;
      }
    const t = modelStockRatio(n, pairs ? cosSum / pairs : 0);
    ratios.push(t);
    for (let j = o; j < o + len; j++) {
      let avg = 0;
      for (const w of ws) avg += w[j]!;
      avg /= n;
      out[j] = t * avg + (1 - t) * w0[j]!;
    }
  }
  return ratios;
}

/** The model_stock method. */
export const modelStock: MergeMethod<typeof params, typeof tensorParams> = {
  name: "model_stock",
  summary: "interpolate the base toward the average by the models' angle (Model Stock)",
  reference: "https://arxiv.org/abs/2403.19522",
  params,
  tensorParams,
  requiredParams: [],
  base: "required",
  inputs: { min: 3 },
  random: false,
  workingCopies: () => 1,
  merge({ tensors, baseIndex, params: g, shape }) {
    const w0 = tensors[baseIndex!]!;
    const ws = tensors.filter((_, i) => i !== baseIndex);
    const out = new Float32Array(w0.length);
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const ratios = mergeSegments(w0, ws, out, g.filter_wise ? Math.max(1, cols) : Math.max(1, w0.length));
    return {
      data: out,
      diagnostics: g.filter_wise ? {} : { note: `t = ${ratios[0]?.toPrecision(4) ?? "-"}` },
    };
  },
};
