/**
 * The output-length predictors (the project's one `Registry`):
 * - `oracle`: the true length (what the simulator's policies used before predictors; simulation only);
 * - `max-tokens`: the request's `max_tokens` cap (or `cap` when it has none): length-blind;
 * - `buckets`: quantile buckets by prompt length, fitted on a history (a trace or a previous run's
 *   results) and refitted online as requests complete;
 * - `noise`: the true length times a log-normal error exp(σ·Z), Z ~ N(0, 1) per request, seeded
 *   (for studies of how much of a policy's gain survives prediction error; simulation only).
 */
import { z } from "zod";
import { MisuseError } from "../../errors/index.js";
import { Rng } from "../../util/random.js";
import { Registry } from "../../util/registry.js";
import { BucketModel } from "./buckets.js";
import type { LengthPredictor, LengthQuery, LengthSample, PredictorDef } from "./types.js";

/** Every predictor by name. */
export const predictors = new Registry<PredictorDef>("predictor");

const clampTo = (v: number, q: LengthQuery) =>
  Math.max(1, Math.min(Math.round(v), q.maxTokens ?? Number.POSITIVE_INFINITY));

function truthOf(q: LengthQuery, name: string): number {
  if (q.outputTokens === undefined)
    throw new MisuseError({
      where: `predictor ${name}`,
      what: "asked for a request whose true length is unknown",
      hint: "use it in simulation only (createPredictor refuses it elsewhere)",
    });
  return q.outputTokens;
}

/** Survival of a remainder known for sure: 1 while fewer than `remaining` tokens have come, then 0. */
const sureSurvival = (remaining: number, t: number) => (remaining > t ? 1 : 0);

/** The remainder of a fixed prediction after `generated` tokens (at least one more). */
const plainRemaining = (predicted: number, generated: number, q: LengthQuery) =>
  Math.max(1, Math.min(predicted - generated, (q.maxTokens ?? Number.POSITIVE_INFINITY) - generated));

const OracleParams = z.object({});
const oracle: PredictorDef<typeof OracleParams> = {
  name: "oracle",
  summary: "the true output length (simulation only)",
  reference: "https://arxiv.org/abs/2502.15763",
  params: OracleParams,
  needsTruth: true,
  usesHistory: false,
  create(): LengthPredictor {
    return {
      name: "oracle",
      version: 0,
      predict: (q) => truthOf(q, "oracle"),
      remaining: (q, g) => Math.max(1, truthOf(q, "oracle") - g),
      survival: (q, g, t) => sureSurvival(truthOf(q, "oracle") - g, t),
      observe() {},
      describe: () => "the true lengths",
    };
  },
};

const MaxTokensParams = z.object({
  cap: z.number().int().positive().default(1024).describe("the prediction for a request without max_tokens"),
});
const maxTokens: PredictorDef<typeof MaxTokensParams> = {
  name: "max-tokens",
  summary: "the request's max_tokens cap (length-blind)",
  reference: "https://platform.openai.com/docs/api-reference/chat/create",
  params: MaxTokensParams,
  needsTruth: false,
  usesHistory: false,
  create(params): LengthPredictor {
    const predict = (q: LengthQuery) => q.maxTokens ?? params.cap;
    return {
      name: "max-tokens",
      version: 0,
      predict,
      remaining: (q, g) => plainRemaining(predict(q), g, q),
      survival: (q, g, t) => sureSurvival(plainRemaining(predict(q), g, q), t),
      observe() {},
      describe: () => `max_tokens, else ${params.cap}`,
    };
  },
};

const BucketParams = z.object({
  buckets: z.number().int().positive().default(8).describe("prompt-length buckets (equal counts)"),
  minPerBucket: z.number().int().positive().default(20).describe("fewest samples per bucket"),
  statistic: z
    .union([z.literal("mean"), z.number().gt(0).lt(1)])
    .default("mean")
    .describe('"mean" or a quantile in (0, 1) of the bucket\'s output lengths'),
  refit: z.boolean().default(true).describe("refit online from completed requests"),
  refitEvery: z
    .number()
    .int()
    .positive()
    .default(32)
    .describe("refit after this many completions (or 10% more samples, whichever is more)"),
  prior: z
    .number()
    .int()
    .positive()
    .default(256)
    .describe("the prediction before any sample (capped by max_tokens)"),
});
const buckets: PredictorDef<typeof BucketParams> = {
  name: "buckets",
  summary: "quantile buckets by prompt length, fitted on a history and refitted online",
  reference: "https://arxiv.org/abs/2306.06000",
  params: BucketParams,
  needsTruth: false,
  usesHistory: true,
  create(params, ctx): LengthPredictor {
    const samples: LengthSample[] = [...(ctx.history ?? [])];
    const refitModel = () =>
      BucketModel.fit(samples, {
        buckets: params.buckets,
        minPerBucket: params.minPerBucket,
        statistic: params.statistic,
      });
    let model = refitModel();
    let sinceFit = 0;
    let version = 0;
    const estimate = (q: LengthQuery) => (model ? model.estimate(q.promptTokens) : params.prior);
    return {
      name: "buckets",
      get version() {
        return version;
      },
      predict: (q) => clampTo(estimate(q), q),
      remaining(q, g) {
        const r = model?.remaining(q.promptTokens, g) ?? null;
        const cap = (q.maxTokens ?? Number.POSITIVE_INFINITY) - g;
        return Math.max(1, Math.min(Math.round(r ?? estimate(q) - g), cap));
      },
      survival(q, g, t) {
        const cap = (q.maxTokens ?? Number.POSITIVE_INFINITY) - g;
        if (t >= cap) return 0;
        const v = model?.survival(q.promptTokens, g, t) ?? null;
        return v ?? sureSurvival(Math.round(estimate(q) - g), t);
      },
      observe(s) {
        if (!params.refit) return;
        samples.push(s);
        sinceFit++;
        if (sinceFit >= Math.max(params.refitEvery, 0.1 * (samples.length - sinceFit))) {
          model = refitModel();
          sinceFit = 0;
          version++;
        }
      },
      describe() {
        const from = ctx.historySource
          ? ` fitted on ${ctx.history?.length ?? 0} requests of ${ctx.historySource}`
          : " (no history)";
        return `${model ? model.rows().length : 0} prompt-length buckets${from}${params.refit ? `, refitted online (${samples.length} samples now)` : ""}`;
      },
    };
  },
};

const NoiseParams = z.object({
  sigma: z.number().nonnegative().default(0.5).describe("σ of the log-normal error"),
  seed: z.number().int().nonnegative().default(1),
});
const noise: PredictorDef<typeof NoiseParams> = {
  name: "noise",
  summary: "the true length times a seeded log-normal error exp(σ·Z) (simulation only)",
  reference: "https://arxiv.org/abs/2306.06000",
  params: NoiseParams,
  needsTruth: true,
  usesHistory: false,
  create(params): LengthPredictor {
    const predict = (q: LengthQuery) => {
      const z = params.sigma === 0 ? 0 : new Rng(hashSeed(params.seed, q.index)).normal();
      return clampTo(truthOf(q, "noise") * Math.exp(params.sigma * z), q);
    };
    return {
      name: "noise",
      version: 0,
      predict,
      remaining: (q, g) => lognormalRemaining(predict(q), params.sigma, g, q),
      survival(q, g, t) {
        const p = predict(q);
        if (t >= (q.maxTokens ?? Number.POSITIVE_INFINITY) - g) return 0;
        if (params.sigma === 0) return sureSurvival(p - g, t);
        // o | p is log-normal around p: P(o > x) = Φ(−ln(x/p)/σ), conditioned on o > g
        const sf = (x: number) => (x <= 0 ? 1 : normalCdf(-Math.log(x / p) / params.sigma));
        const base = sf(g);
        return base > 1e-12 ? sf(g + t) / base : 0;
      },
      observe() {},
      describe: () => `true lengths × exp(${params.sigma}·Z), seed ${params.seed}`,
    };
  },
};

/** The standard normal distribution function (Abramowitz–Stegun 7.1.26 for erf; |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Tokens still to come under the noise model's own error: given the prediction p, the truth is
 * log-normal around it, o = p·exp(σ·Z'), so E[o | o > g] = p·e^{σ²/2}·Φ(σ − z)/Φ(−z) with
 * z = ln(g/p)/σ; the remainder is that minus g (at least 1). A request that outlives its prediction
 * is expected to run on, rather than to finish at the next step.
 */
function lognormalRemaining(p: number, sigma: number, g: number, q: LengthQuery): number {
  if (sigma === 0 || g <= 0) return plainRemaining(p, g, q);
  const z = Math.log(g / p) / sigma;
  const tail = normalCdf(-z);
  const mean = tail > 1e-12 ? (p * Math.exp((sigma * sigma) / 2) * normalCdf(sigma - z)) / tail : g + 1;
  return Math.max(1, Math.min(Math.round(mean - g), (q.maxTokens ?? Number.POSITIVE_INFINITY) - g));
}

/** A per-request seed from the run's seed and the request's index (splitmix-style mixing). */
function hashSeed(seed: number, index: number): number {
  let h = (seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

for (const p of [oracle, maxTokens, buckets, noise] as PredictorDef[]) predictors.register(p);

/** The registered predictor names. */
export function predictorNames(): string[] {
  return predictors.names();
}
