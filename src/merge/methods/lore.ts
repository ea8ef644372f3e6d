/**
 * lore: LoRE-Merging (Liu et al., arXiv 2502.10749). Per weight matrix, estimate a shared θ0 and
 * low-rank task vectors δ_i from the models alone (solver: ../lore/solver.ts), then
 *
 *   merged = θ0 + λ · combine(δ_1 … δ_n)
 *
 * combine: `sum` Σ w_i δ_i; `mean` Σ w_i δ_i / Σ w_i; `ties` TIES on the δ_i (trim to `density`
 * by magnitude, elect signs by the weighted sum, disjoint mean). With `mean`, equal weights and
 * λ = 1 the result is the plain average of the models (θ0 = mean(θ_i − δ_i) exactly), whatever μ.
 *
 * `base_model` is optional; when given it only seeds θ0 (the solver starts there instead of at the
 * average). Tensors that are not matrices (norms, biases: 0-D and 1-D) fall back to
 * θ0 = the base model's tensor when given, else the average, δ_i = θ_i − θ0, and the same combine.
 * Tensors with more than two dimensions are treated as matrices (leading dimensions flattened).
 */
import { z } from "zod";
import { MergeInputError } from "../errors.js";
import { solveLore } from "../lore/solver.js";
import { subtractLowRank } from "../lore/svt.js";
import { mixDeltas } from "./gta.js";
import { magnitudePrune } from "./sparsify.js";
import type { MergeMethod } from "./types.js";

const params = z.object({
  mu: z
    .number()
    .positive()
    .default(1)
    .describe(
      "nuclear-norm weight: with mu_scale relative, the threshold μ/2 is mu × the estimated noise edge",
    ),
  mu_scale: z
    .enum(["relative", "absolute"])
    .default("relative")
    .describe("whether mu multiplies the tensor's scale or is used as is"),
  iterations: z.number().int().positive().default(100).describe("cap on solver sweeps per tensor"),
  tolerance: z.number().positive().default(1e-4).describe("stop at this relative duality gap"),
  combine: z
    .enum(["sum", "mean", "ties"])
    .default("sum")
    .describe("how the estimated task vectors are merged"),
  lambda: z.number().default(1).describe("scale of the combined task vector"),
  svd: z
    .enum(["auto", "exact", "randomized"])
    .default("auto")
    .describe("SVD used by the thresholding (auto: randomized for large matrices)"),
});
const tensorParams = z.object({
  weight: z.number().default(1).describe("weight of this model's task vector in combine"),
  density: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe("combine: ties keeps this fraction of each task vector"),
});

type Global = z.output<typeof params>;

/** The lore method. */
export const lore: MergeMethod<typeof params, typeof tensorParams> = {
  name: "lore",
  summary: "LoRE-Merging: estimate θ0 and low-rank task vectors (no base model needed)",
  reference: "https://arxiv.org/abs/2502.10749",
  params,
  tensorParams,
  requiredParams: [],
  base: "optional",
  inputs: { min: 2 },
  random: true,
  // inputs n, residuals n, θ̄, y, x, r̄ and the output: n + 5 copies beyond the inputs.
  workingCopies: (n) => n + 5,
  merge({ name, tensors, baseIndex, params: g, tensorParams: tp, shape, rng, signal, sources }) {
    const idx = tensors.map((_, i) => i).filter((i) => i !== baseIndex);
    const thetas = idx.map((i) => tensors[i]!);
    const weights = idx.map((i) => tp[i]!.weight);
    const densities = idx.map((i) => tp[i]!.density);
    const init = baseIndex === null ? undefined : tensors[baseIndex]!;
    const size = thetas[0]!.length;
    if (shape.length < 2) {
      const theta0 = init ? Float32Array.from(init) : average(thetas);
      const deltas = thetas.map((t) => {
        const d = new Float32Array(size);
        for (let j = 0; j < size; j++) d[j] = t[j]! - theta0[j]!;
        return d;
      });
      return { data: combine(theta0, deltas, weights, densities, g), diagnostics: { mode: "vector" } };
    }
    // The solver's SVDs cannot take NaN or ±Inf (LAPACK reports an illegal argument): name the input.
    const bad = tensors.findIndex(hasNonFinite);
    if (bad >= 0)
      throw new MergeInputError({
        where: `tensor ${JSON.stringify(name)}`,
        what: `${sources?.[bad] ? `${sources[bad]} (input ${bad + 1} of ${tensors.length})` : `input ${bad + 1} of ${tensors.length}`} holds NaN or infinite values, which lore's SVDs cannot take`,
        hint: "check that model's weights (frugal inspect), or merge this tensor with another method",
      });
    const cols = shape[shape.length - 1]!;
    const rows = cols === 0 ? 0 : size / cols;
    const sol = solveLore(rows, cols, thetas, {
      mu: g.mu,
      absolute: g.mu_scale === "absolute",
      iterations: g.iterations,
      tolerance: g.tolerance,
      init,
      svd: g.svd,
      seed: Math.floor(rng(0).next() * 2 ** 31),
      signal,
    });
    // Dense δ_i (into the input buffers, no longer needed): δ_i = 0 − (−U s Vt).
    const deltas = sol.deltas.map((f, i) => {
      const d = thetas[i]!.fill(0);
      subtractLowRank({ rows, cols, data: d }, f, -1);
      return d;
    });
    return {
      data: combine(sol.theta0, deltas, weights, densities, g),
      diagnostics: {
        mode: "matrix",
        ranks: sol.ranks,
        sweeps: sol.sweeps,
        converged: sol.converged,
        objective: sol.objective,
        gap: sol.gap,
        mu: sol.mu,
      },
    };
  },
};

function average(xs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(xs[0]!.length);
  for (const x of xs) for (let j = 0; j < out.length; j++) out[j] = out[j]! + x[j]! / xs.length;
  return out;
}

/** θ0 + λ·combine(δ), written into θ0's buffer. */
function combine(
  theta0: Float32Array,
  deltas: Float32Array[],
  weights: number[],
  densities: number[],
  g: Global,
): Float32Array {
  let mixed: Float32Array;
  if (g.combine === "ties") {
    for (const [i, d] of deltas.entries()) magnitudePrune(d, densities[i]!, false);
    mixed = mixDeltas(deltas, weights, "sum", true, g.lambda);
  } else {
    mixed = mixDeltas(deltas, weights, null, g.combine === "mean", g.lambda);
  }
  for (let j = 0; j < theta0.length; j++) theta0[j] = theta0[j]! + mixed[j]!;
  return theta0;
}

/** Whether `x` holds a NaN or an infinity. */
function hasNonFinite(x: Float32Array): boolean {
  // x − x is 0 for every finite x and NaN for NaN and ±Inf.
  let acc = 0;
  for (let j = 0; j < x.length; j++) acc += x[j]! - x[j]!;
  return acc !== 0;
}
