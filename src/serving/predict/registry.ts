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
      remaining: (q, g) => plainRemaining(predict(q), g, q),
      observe() {},
      describe: () => `true lengths × exp(${params.sigma}·Z), seed ${params.seed}`,
    };
  },
};

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
