/**
 * Rank rules: how r is chosen for one layer and kind (one r for every group of the layer, so
 * fused 3-D latents stay rectangular and the shape of a layer is one number). Each rule is a
 * registry entry with its parameters:
 *   rank          r fixed.
 *   energy        the smallest r keeping a fraction e of the spectral energy Σ_{i≤r} σ_i² / Σ σ_i²
 *                 in every group.
 *   max-error     the smallest r with relative Frobenius error √(Σ_{i>r} σ_i² / Σ σ_i²) ≤ e in
 *                 every group (Eckart–Young: the truncated SVD's error is the tail of the spectrum).
 *   target-ratio  the largest r with Σ_g (k_g·p·r + r·d) ≤ x · Σ_g k_g·p·d: parameters after / before.
 * σ_i are the singular values of the stacked group (of the whitened stack with calibration).
 */
import { z } from "zod";
import { Registry, type RegistryEntry } from "../util/registry.js";
import { RankError } from "./errors.js";

/** What a rank rule sees for one layer and kind. */
export interface RankContext {
  /** Experts in each group. */
  groupSizes: readonly number[];
  /** Expert intermediate size p and hidden size d. */
  p: number;
  d: number;
  /** σ_i² of each group's stack, descending (present when the rule needs the spectrum). */
  spectra?: readonly Float64Array[];
  /** Names the layer and kind in errors, e.g. `layer 3 gate`. */
  where: string;
}

/** A rank rule of the registry. */
export interface RankRule<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** Whether `choose` needs the singular values (known only while converting). */
  readonly needsSpectrum: boolean;
  /** The one-line description of a parameter set, e.g. `energy ≥ 0.99`. */
  describe(params: z.output<P>): string;
  choose(params: z.output<P>, ctx: RankContext): number;
}

/** The largest rank any group of the layer can have: min over groups of min(k·p, d). */
export function maxRank(ctx: Pick<RankContext, "groupSizes" | "p" | "d">): number {
  return Math.min(...ctx.groupSizes.map((k) => Math.min(k * ctx.p, ctx.d)));
}

function bySpectrum(ctx: RankContext, ok: (kept: number, tail: number, total: number) => boolean): number {
  const limit = maxRank(ctx);
  let r = 1;
  for (const s of ctx.spectra ?? []) {
    let total = 0;
    for (const v of s) total += Math.max(v, 0);
    if (total === 0) continue;
    let kept = 0;
    let g = limit;
    for (let i = 0; i < Math.min(limit, s.length); i++) {
      kept += Math.max(s[i]!, 0);
      if (ok(kept, Math.max(total - kept, 0), total)) {
        g = i + 1;
        break;
      }
    }
    r = Math.max(r, g);
  }
  return Math.min(r, limit);
}

const rank: RankRule<z.ZodObject<{ rank: z.ZodDefault<z.ZodNumber> }>> = {
  name: "rank",
  summary: "a fixed rank r for every layer",
  reference: "https://arxiv.org/abs/2503.23100",
  params: z.object({ rank: z.number().int().min(1).default(256).describe("the rank r") }),
  needsSpectrum: false,
  describe: (p) => `r = ${p.rank}`,
  choose(p, ctx) {
    const limit = maxRank(ctx);
    if (p.rank > limit) {
      const k = Math.min(...ctx.groupSizes);
      throw new RankError({
        where: ctx.where,
        what: `rank ${p.rank} is larger than possible: a group of ${k} expert(s) stacks to ${k * ctx.p}×${ctx.d}, whose rank is at most ${limit}`,
        hint: `choose a rank ≤ ${limit}, or larger groups`,
      });
    }
    return p.rank;
  },
};

const energy: RankRule<z.ZodObject<{ energy: z.ZodDefault<z.ZodNumber> }>> = {
  name: "energy",
  summary: "the smallest r keeping a fraction of the spectral energy Σσ² of every group",
  reference: "https://arxiv.org/abs/2503.23100",
  params: z.object({
    energy: z.number().gt(0).max(1).default(0.99).describe("fraction of Σσ² to keep"),
  }),
  needsSpectrum: true,
  describe: (p) => `energy ≥ ${p.energy}`,
  choose: (p, ctx) => bySpectrum(ctx, (kept, _tail, total) => kept >= p.energy * total * (1 - 1e-12)),
};

const maxError: RankRule<z.ZodObject<{ maxError: z.ZodDefault<z.ZodNumber> }>> = {
  name: "max-error",
  summary: "the smallest r whose relative Frobenius error is at most e in every group",
  reference: "https://en.wikipedia.org/wiki/Low-rank_approximation",
  params: z.object({
    maxError: z.number().min(0).lt(1).default(0.05).describe("largest relative Frobenius error"),
  }),
  needsSpectrum: true,
  describe: (p) => `relative error ≤ ${p.maxError}`,
  choose: (p, ctx) => bySpectrum(ctx, (_kept, tail, total) => Math.sqrt(tail / total) <= p.maxError),
};

const targetRatio: RankRule<z.ZodObject<{ ratio: z.ZodDefault<z.ZodNumber> }>> = {
  name: "target-ratio",
  summary: "the largest r whose expert parameters are at most a fraction x of the original",
  reference: "https://arxiv.org/abs/2503.23100",
  params: z.object({
    ratio: z.number().gt(0).max(1).default(0.5).describe("parameters after / before"),
  }),
  needsSpectrum: false,
  describe: (p) => `parameter ratio ≤ ${p.ratio}`,
  choose(p, ctx) {
    const before = ctx.groupSizes.reduce((a, k) => a + k * ctx.p * ctx.d, 0);
    const perRank = ctx.groupSizes.reduce((a, k) => a + k * ctx.p + ctx.d, 0);
    const r = Math.floor((p.ratio * before) / perRank);
    if (r < 1)
      throw new RankError({
        where: ctx.where,
        what: `a parameter ratio of ${p.ratio} leaves no rank (rank 1 already costs ${(perRank / before).toPrecision(3)} of the parameters)`,
        hint: "choose a larger ratio",
      });
    return Math.min(r, maxRank(ctx));
  },
};

/** The rank rules, by name. */
export const rankRules = new Registry<RankRule>("rank rule");
for (const r of [rank, energy, maxError, targetRatio] as RankRule[]) rankRules.register(r);

/** A rank rule with its validated parameters. */
export interface RankChoice {
  rule: string;
  params: Record<string, unknown>;
}
