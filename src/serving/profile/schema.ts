/**
 * A serving profile: the per-iteration time model of one client (a model replica, e.g. a
 * tensor-parallel GPU group) and its limits. Shape of the time model as in the serving spec and
 * DistServe's simulator (Zhong et al., OSDI 2024, §4 latency model):
 *   prefill part  = β_p·Σ p_i + γ_p·Σ p_i·(p_i + c_i)   (p_i tokens computed for request i, c_i context already cached)
 *   decode part   = β_d·b + δ_d·Σ ctx_i                  (b decoding requests with contexts ctx_i)
 *   iteration     = α + prefill part + decode part,  α = α_p if any prefill else α_d (max of both when mixed)
 * All coefficients in seconds (per token, per request, per token², per context token).
 */
import { z } from "zod";

/**
 * Upper bounds of the profile's numbers: far above any real hardware, low enough that a typo (an
 * exponent too many) fails at once instead of producing a simulation of centuries or one that runs
 * out of memory. Every coefficient must also be finite (zod rejects Infinity and NaN).
 */
export const PROFILE_LIMITS = {
  /** Seconds of fixed cost of one iteration (α). */
  alphaSeconds: 3600,
  /** Seconds per token, per request, per token² or per context token (β, γ, δ). */
  coefficientSeconds: 60,
  maxBatchSize: 65_536,
  kvBlocks: 1_000_000_000,
  blockSize: 65_536,
  maxBatchedTokens: 100_000_000,
  gpus: 1_000_000,
} as const;

const L = PROFILE_LIMITS;
const seconds = (max: number) => z.number().nonnegative().max(max);
const count = (max: number) => z.number().int().positive().max(max);

/** The per-iteration time model: prefill and decode coefficients (seconds). An iteration must take time. */
export const TimeModelSchema = z.object({
  prefill: z
    .object({
      alpha: seconds(L.alphaSeconds),
      beta: seconds(L.coefficientSeconds),
      gamma: seconds(L.coefficientSeconds).default(0),
    })
    .refine((p) => p.alpha + p.beta + p.gamma > 0, {
      message: "alpha, beta and gamma are all 0: a prefill iteration would take no time",
    }),
  decode: z
    .object({
      alpha: seconds(L.alphaSeconds),
      beta: seconds(L.coefficientSeconds).default(0),
      delta: seconds(L.coefficientSeconds).default(0),
    })
    .refine((d) => d.alpha + d.beta + d.delta > 0, {
      message: "alpha, beta and delta are all 0: a decode iteration would take no time",
    }),
});
/** A validated time model. */
export type TimeModel = z.output<typeof TimeModelSchema>;

/** A client's limits: batch size, KV cache, token budget, watermark. */
export const ClientSpecSchema = z.object({
  /** vLLM `max_num_seqs`: requests in a batch. */
  maxBatchSize: count(L.maxBatchSize),
  /** KV-cache capacity in blocks. */
  kvBlocks: count(L.kvBlocks),
  /** Tokens per KV block (vLLM's default 16). */
  blockSize: count(L.blockSize).default(16),
  /** vLLM `max_num_batched_tokens`: tokens computed in one iteration (prefill budget / chunk budget). */
  maxBatchedTokens: count(L.maxBatchedTokens).default(2048),
  /** Fraction of KV blocks kept free when admitting a new request (vLLM V0 default 0.01). */
  watermark: z.number().min(0).max(0.5).default(0.01),
  /** GPUs per client (documentation and reports only). */
  gpus: count(L.gpus).default(1),
});
/** Validated client limits. */
export type ClientSpec = z.output<typeof ClientSpecSchema>;

/** A profile file (JSON or YAML): name, provenance, time model and client limits. */
export const ProfileSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  /** Where the coefficients come from (measurement, roofline arithmetic, fit), in words. */
  source: z.string().default(""),
  timeModel: TimeModelSchema,
  client: ClientSpecSchema,
  /** Free-form facts (hardware, derivation, calibration) kept with the profile. */
  notes: z.record(z.string(), z.unknown()).optional(),
});
/** A validated profile. */
export type Profile = z.output<typeof ProfileSchema>;
/** A profile as written (defaults not yet filled in). */
export type ProfileInput = z.input<typeof ProfileSchema>;

/** The JSON Schema of a profile file (for editors), generated from `ProfileSchema`. */
export function profileJsonSchema(): Record<string, unknown> {
  return { title: "frugal serving profile", ...z.toJSONSchema(ProfileSchema, { io: "input" }) };
}
