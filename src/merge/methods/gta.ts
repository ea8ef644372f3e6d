/**
 * Generalized task arithmetic, mergekit's one implementation behind task_arithmetic, ties,
 * dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties, della and della_linear
 * (mergekit/merge_methods/generalized_task_arithmetic.py):
 *
 *   δ_i = θ_i − θ_base                         (task vectors; the base model's own entry is skipped)
 *   δ_i ← sparsify(δ_i; density_i, …)          (magnitude | random | magnitude_outliers | della_magprune)
 *   w_i δ_i                                     (weighted)
 *   consensus (TIES §3 "Elect"): s = sign(Σ_i w_i δ_i) (0 counts as +), m_i = [sign(w_i δ_i) = s]
 *   Δ = Σ_i m_i w_i δ_i,  divisor = Σ_i m_i w_i (entrywise; 0 → 1)    — with consensus
 *   Δ = Σ_i w_i δ_i,      divisor = Σ_i w_i (|·| < 1e-8 → 1)           — without
 *   Δ ← Δ / divisor if normalize;  Δ ← λ·Δ;   θ = θ_base + Δ
 *
 * Task arithmetic: Ilharco et al. 2023 (arXiv 2212.04089). TIES: Yadav et al. 2023 (arXiv
 * 2306.01708), "disjoint mean" = consensus + normalize. DARE: Yu et al. 2023 (arXiv 2311.03099).
 */
import { z } from "zod";
import type { Rng } from "../../util/random.js";
import { dellaPrune, magnitudeOutliersPrune, magnitudePrune, randomPrune } from "./sparsify.js";
import type { MergeMethod, TensorMergeInput, TensorMergeOutput } from "./types.js";

/** How each task vector is sparsified (mergekit's SparsificationMethod). */
export type Sparsification = "magnitude" | "random" | "magnitude_outliers" | "della_magprune" | null;
/** How signs are elected (mergekit's ConsensusMethod; `sum` is TIES's). */
export type Consensus = "sum" | "count" | null;

/** Global parameters of every GTA method (mergekit names and defaults; normalize/rescale per method). */
function gtaParams(normalize: boolean, rescale: boolean) {
  return z.object({
    int8_mask: z
      .boolean()
      .default(false)
      .describe("accepted for compatibility; masks are always compact here, so it changes nothing"),
    normalize: z
      .boolean()
      .default(normalize)
      .describe("divide the summed task vectors by the summed weights"),
    rescale: z
      .boolean()
      .default(rescale)
      .describe("rescale sparsified task vectors to their original L1 norm"),
    lambda: z.number().default(1).describe("scale of the merged task vector"),
  });
}

/** Per-model parameters of a GTA method. */
function gtaTensorParams(sparsification: Sparsification) {
  const base = {
    weight: z.number().describe("weight of this model's task vector (required)"),
    density: z.number().min(0).max(1).default(1).describe("fraction of the task vector kept"),
  };
  if (sparsification === "magnitude_outliers")
    return z.object({
      ...base,
      gamma: z.number().min(0).max(1).default(0.01).describe("fraction of largest entries dropped"),
    });
  if (sparsification === "della_magprune")
    return z.object({
      ...base,
      epsilon: z.number().min(0).default(0.15).describe("spread of keep probabilities around density"),
    });
  return z.object(base);
}

interface GtaGlobal {
  int8_mask: boolean;
  normalize: boolean;
  rescale: boolean;
  lambda: number;
}
interface GtaTensor {
  weight: number;
  density: number;
  gamma?: number;
  epsilon?: number;
}

/** Sparsifies one task vector in place. */
export function sparsifyDelta(
  delta: Float32Array,
  cols: number,
  method: Sparsification,
  p: GtaTensor,
  rescale: boolean,
  rng: Rng,
): Float32Array {
  switch (method) {
    case null:
      return delta;
    case "magnitude":
      return magnitudePrune(delta, p.density, rescale);
    case "random":
      return randomPrune(delta, p.density, rescale, rng);
    case "magnitude_outliers":
      return magnitudeOutliersPrune(delta, p.density, p.gamma ?? 0.01, rescale);
    case "della_magprune":
      return dellaPrune(delta, cols, p.density, p.epsilon ?? 0.15, rescale, rng);
  }
}

/**
 * Mixes weighted task vectors: Σ w_i δ_i (or its sign-consensus part) divided by the weights when
 * `normalize`, times λ. Returns the mixed delta (a new array).
 */
export function mixDeltas(
  deltas: readonly Float32Array[],
  weights: readonly number[],
  consensus: Consensus,
  normalize: boolean,
  lambda: number,
): Float32Array {
  const n = deltas[0]?.length ?? 0;
  const out = new Float32Array(n);
  const k = deltas.length;
  if (consensus === null) {
    let wsum = 0;
    for (const w of weights) wsum += w;
    if (Math.abs(wsum) < 1e-8) wsum = 1;
    const scale = (normalize ? 1 / wsum : 1) * lambda;
    for (let i = 0; i < k; i++) {
      const d = deltas[i]!;
      const w = weights[i]!;
      for (let j = 0; j < n; j++) out[j] = out[j]! + w * d[j]!;
    }
    if (scale !== 1) for (let j = 0; j < n; j++) out[j] = out[j]! * scale;
    return out;
  }
  // Elect: s_j = sign(Σ_i w_i δ_ij) (sum) or sign(Σ_i sign(w_i δ_ij)) (count); 0 counts as +.
  const elect = new Float32Array(n);
  for (let i = 0; i < k; i++) {
    const d = deltas[i]!;
    const w = weights[i]!;
    if (consensus === "sum") for (let j = 0; j < n; j++) elect[j] = elect[j]! + w * d[j]!;
    else for (let j = 0; j < n; j++) elect[j] = elect[j]! + Math.sign(w * d[j]!);
  }
  // Sum the agreeing entries and their weights (the divisor of the disjoint mean).
  const div = new Float32Array(n);
  for (let i = 0; i < k; i++) {
    const d = deltas[i]!;
    const w = weights[i]!;
    for (let j = 0; j < n; j++) {
      const v = w * d[j]!;
      if ((v > 0 && elect[j]! >= 0) || (v < 0 && elect[j]! < 0)) {
        out[j] = out[j]! + v;
        div[j] = div[j]! + w;
      }
    }
  }
  for (let j = 0; j < n; j++) {
    const dv = div[j]! === 0 ? 1 : div[j]!;
    out[j] = (normalize ? out[j]! / dv : out[j]!) * lambda;
  }
  return out;
}

/** One GTA merge of a tensor. */
function gtaMerge(
  sparsification: Sparsification,
  consensus: Consensus,
  input: TensorMergeInput<GtaGlobal, GtaTensor>,
): TensorMergeOutput {
  const { tensors, baseIndex, params, tensorParams, shape } = input;
  const base = tensors[baseIndex!]!;
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const deltas: Float32Array[] = [];
  const weights: number[] = [];
  for (const [i, x] of tensors.entries()) {
    if (i === baseIndex) continue;
    for (let j = 0; j < x.length; j++) x[j] = x[j]! - base[j]!;
    const p = tensorParams[i]!;
    deltas.push(sparsifyDelta(x, cols, sparsification, p, params.rescale, input.rng(i)));
    weights.push(p.weight);
  }
  if (deltas.length === 0) return { data: base };
  const mixed = mixDeltas(deltas, weights, consensus, params.normalize, params.lambda);
  for (let j = 0; j < mixed.length; j++) mixed[j] = base[j]! + mixed[j]!;
  return { data: mixed };
}

interface GtaSpec {
  name: string;
  summary: string;
  reference: string;
  sparsification: Sparsification;
  consensus: Consensus;
  normalize: boolean;
  rescale: boolean;
}

/** Builds one GTA method entry (mergekit registers eight of them with these defaults). */
export function gtaMethod(spec: GtaSpec): MergeMethod {
  const tensorParams = gtaTensorParams(spec.sparsification);
  return {
    name: spec.name,
    summary: spec.summary,
    reference: spec.reference,
    params: gtaParams(spec.normalize, spec.rescale),
    tensorParams,
    requiredParams: [],
    base: "required",
    inputs: { min: 2 },
    random: spec.sparsification === "random" || spec.sparsification === "della_magprune",
    workingCopies: () => 3,
    validate(_global, perModel) {
      if (spec.sparsification !== "della_magprune") return undefined;
      for (const [i, p] of perModel.entries()) {
        const q = p as unknown as GtaTensor;
        const eps = q.epsilon ?? 0.15;
        if (q.density < 1 && q.density > 0 && (q.density + eps >= 1 || q.density - eps <= 0))
          return {
            source: i,
            param: "epsilon",
            what: `density ${q.density} ± epsilon ${eps} leaves (0, 1)`,
            hint: "choose epsilon < min(density, 1 − density) (as mergekit requires)",
          };
      }
      return undefined;
    },
    merge: (input) =>
      gtaMerge(
        spec.sparsification,
        spec.consensus,
        input as unknown as TensorMergeInput<GtaGlobal, GtaTensor>,
      ),
  };
}
