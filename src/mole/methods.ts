/**
 * Factorization methods, a registry: how the spectral basis of a stacked group is computed
 * (see factorize.ts for the algorithms and their accuracy and memory).
 */
import { z } from "zod";
import { Registry, type RegistryEntry } from "../util/registry.js";
import { type BasisOptions, type GroupBasis, type GroupSource, gramBasis, svdBasis } from "./factorize.js";

/** A factorization method of the registry. */
export interface FactorizationMethod<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** The method needs the rank before it runs (a sketch of that size): only fixed-rank rules. */
  readonly needsRankFirst: boolean;
  /** Whether the stacked group (k·p·d floats) is held in memory. */
  readonly holdsStack: boolean;
  basis(src: GroupSource, params: z.output<P>, opts: BasisOptions & { rank?: number }): Promise<GroupBasis>;
}

const gramMethod: FactorizationMethod = {
  name: "gram",
  summary: "Gram matrix Σ W̃ᵀW̃ (syrk) expert by expert + symmetric eigensolver; never stacks the group",
  reference: "https://epubs.siam.org/doi/book/10.1137/1.9781421407944",
  params: z.object({}),
  needsRankFirst: false,
  holdsStack: false,
  basis: (src, _p, opts) => gramBasis(src, opts),
};

const exactMethod: FactorizationMethod = {
  name: "exact",
  summary: "thin SVD of the stacked group (LAPACK sgesdd); memory k·p·d",
  reference: "https://www.netlib.org/lapack/explore-html/d4/dca/group__gesdd.html",
  params: z.object({}),
  needsRankFirst: false,
  holdsStack: true,
  basis: (src, _p, opts) => svdBasis(src, opts),
};

const RandomizedParams = z.object({
  oversample: z.number().int().min(0).default(10).describe("extra sketch columns"),
  powerIterations: z.number().int().min(0).default(2).describe("power iterations q"),
  seed: z.number().int().min(0).default(0).describe("seed of the Gaussian test matrix"),
});

const randomizedMethod: FactorizationMethod<typeof RandomizedParams> = {
  name: "randomized",
  summary: "randomized SVD of the stacked group (Halko–Martinsson–Tropp 2011, Alg. 4.4 + 5.1)",
  reference: "https://arxiv.org/abs/0909.4061",
  params: RandomizedParams,
  needsRankFirst: true,
  holdsStack: true,
  basis: (src, p, opts) =>
    svdBasis(src, {
      ...opts,
      randomized: {
        rank: opts.rank ?? 1,
        oversample: p.oversample,
        powerIterations: p.powerIterations,
        seed: p.seed,
      },
    }),
};

/** The factorization methods, by name. */
export const factorizationMethods = new Registry<FactorizationMethod>("factorization method");
for (const m of [gramMethod, exactMethod, randomizedMethod] as FactorizationMethod[])
  factorizationMethods.register(m);
