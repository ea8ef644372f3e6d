/**
 * slerp: spherical linear interpolation between the base model (t = 0) and one other model
 * (t = 1), per tensor, as mergekit/merge_methods/slerp.py (after Shoemake 1985, "Animating
 * rotation with quaternion curves", SIGGRAPH; reference https://en.wikipedia.org/wiki/Slerp):
 *
 *   v̂0 = v0/‖v0‖, v̂1 = v1/‖v1‖ (a norm ≤ 1e-8 leaves the vector as is), d = ⟨v̂0, v̂1⟩
 *   |d| > 0.9995:  lerp  (1 − t)·v0 + t·v1   (nearly (anti)parallel)
 *   else:          θ = arccos d,  (sin((1 − t)θ)·v0 + sin(tθ)·v1) / sin θ
 *
 * Norms and the dot product are over the whole tensor, accumulated in float64.
 */
import { z } from "zod";
import type { MergeMethod } from "./types.js";

const params = z.object({
  t: z.number().optional().describe("interpolation factor: 0 = base_model, 1 = the other model (required)"),
});
const tensorParams = z.object({});

/** Slerp of two equally long vectors at t. Returns the result and whether it fell back to lerp. */
export function slerpVectors(
  t: number,
  v0: Float32Array,
  v1: Float32Array,
  dotThreshold = 0.9995,
  eps = 1e-8,
): { data: Float32Array; lerp: boolean } {
  let n0 = 0;
  let n1 = 0;
  let dot = 0;
  for (let i = 0; i < v0.length; i++) {
    const a = v0[i]!;
    const b = v1[i]!;
    n0 += a * a;
    n1 += b * b;
    dot += a * b;
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  dot /= (n0 > eps ? n0 : 1) * (n1 > eps ? n1 : 1);
  const out = new Float32Array(v0.length);
  if (Math.abs(dot) > dotThreshold) {
    for (let i = 0; i < out.length; i++) out[i] = (1 - t) * v0[i]! + t * v1[i]!;
    return { data: out, lerp: true };
  }
  const theta = Math.acos(dot);
  const sin = Math.sin(theta);
  const s0 = Math.sin(theta - theta * t) / sin;
  const s1 = Math.sin(theta * t) / sin;
  for (let i = 0; i < out.length; i++) out[i] = s0 * v0[i]! + s1 * v1[i]!;
  return { data: out, lerp: false };
}

/** The slerp method. */
export const slerp: MergeMethod<typeof params, typeof tensorParams> = {
  name: "slerp",
  summary: "spherical interpolation between base_model (t = 0) and one other model (t = 1)",
  reference: "https://en.wikipedia.org/wiki/Slerp",
  params,
  tensorParams,
  requiredParams: ["t"],
  base: "required",
  inputs: { min: 2, max: 2 },
  random: false,
  workingCopies: () => 1,
  merge({ tensors, baseIndex, params: g }) {
    const other = baseIndex === 0 ? 1 : 0;
    const r = slerpVectors(g.t ?? 0.5, tensors[baseIndex!]!, tensors[other]!);
    return r.lerp ? { data: r.data, diagnostics: { note: "nearly parallel: linear interpolation" } } : r;
  },
};
