/**
 * Synthetic traces with a seed: Poisson arrivals (exponential inter-arrival times at `ratePerSecond`,
 * or all at 0 for an offline batch) and log-normal or uniform token lengths, clipped to [min, max].
 */
import { z } from "zod";
import { parseWith } from "../../errors/index.js";
import { Rng } from "../../util/random.js";
import { SERVING_LIMITS } from "../limits.js";
import { normalizeTrace, type Request, type Trace } from "./types.js";

const Length = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("lognormal"),
    median: z.number().positive(),
    sigma: z.number().nonnegative(),
    min: z.number().int().positive().default(1),
    max: z.number().int().positive().default(32768),
  }),
  z.object({
    kind: z.literal("uniform"),
    min: z.number().int().positive(),
    max: z.number().int().positive(),
  }),
  z.object({ kind: z.literal("constant"), value: z.number().int().positive() }),
]);
/** A token-length distribution: log-normal (median, σ, clipped), uniform, or constant. */
export type LengthDist = z.input<typeof Length>;

/** Options of `syntheticTrace`. */
export const SyntheticSchema = z.object({
  requests: z.number().int().positive().max(SERVING_LIMITS.requests),
  /** Requests per second; omit or 0 for an offline batch (all arrive at 0). */
  ratePerSecond: z.number().nonnegative().default(0),
  prompt: Length,
  output: Length,
  seed: z.number().int().default(0),
});
/** Options of `syntheticTrace` (as given; defaults filled in by the schema). */
export type SyntheticOptions = z.input<typeof SyntheticSchema>;

/** Defaults of `lognormalTrace`: median prompt and output tokens, and σ of both. */
export const LOGNORMAL_TRACE_DEFAULTS = { promptMedian: 256, outputMedian: 128, sigma: 0.8 } as const;

/** Options of `lognormalTrace`: both lengths log-normal with one σ. */
export interface LognormalTraceOptions {
  requests: number;
  /** Requests per second; 0 (default) for an offline batch. */
  ratePerSecond?: number;
  /** Median prompt tokens (default 256, clipped to 8192). */
  promptMedian?: number;
  /** Median output tokens (default 128, clipped to 4096). */
  outputMedian?: number;
  /** σ of both log-normal lengths (default 0.8). */
  sigma?: number;
  seed?: number;
}

/** A synthetic trace with log-normal prompt and output lengths (what `serving trace synthetic` builds). */
export function lognormalTrace(o: LognormalTraceOptions): Trace {
  const d = LOGNORMAL_TRACE_DEFAULTS;
  const sigma = o.sigma ?? d.sigma;
  return syntheticTrace({
    requests: o.requests,
    ratePerSecond: o.ratePerSecond ?? 0,
    prompt: { kind: "lognormal", median: o.promptMedian ?? d.promptMedian, sigma, max: 8192 },
    output: { kind: "lognormal", median: o.outputMedian ?? d.outputMedian, sigma, max: 4096 },
    seed: o.seed ?? 0,
  });
}

function draw(d: z.output<typeof Length>, rng: Rng): number {
  if (d.kind === "constant") return d.value;
  if (d.kind === "uniform") return rng.int(Math.min(d.min, d.max), Math.max(d.min, d.max));
  const v = Math.round(d.median * Math.exp(d.sigma * rng.normal()));
  return Math.min(d.max, Math.max(d.min, v));
}

/** A seeded synthetic trace (see the header). */
export function syntheticTrace(opts: SyntheticOptions): Trace {
  const o = parseWith(SyntheticSchema, opts, "synthetic trace options");
  const rng = new Rng(o.seed);
  const reqs: Request[] = [];
  let t = 0;
  for (let i = 0; i < o.requests; i++) {
    if (o.ratePerSecond > 0 && i > 0) t += rng.exponential(o.ratePerSecond);
    reqs.push({ id: i, arrival: t, promptTokens: draw(o.prompt, rng), outputTokens: draw(o.output, rng) });
  }
  return normalizeTrace(`synthetic-${o.requests}-seed${o.seed}`, `synthetic(${JSON.stringify(o)})`, reqs);
}

/**
 * A random subset of k requests of a trace, for studies: in sample order, stably sorted by arrival
 * (the simulator takes arrivals in order), ids renumbered 0..k−1.
 */
export function subsetTrace(t: Trace, k: number, seed: number): Trace {
  const idx = new Rng(seed).sample(t.requests.length, Math.min(k, t.requests.length));
  const requests = idx
    .flatMap((i) => {
      const r = t.requests[i];
      return r ? [{ ...r }] : [];
    })
    .sort((a, b) => a.arrival - b.arrival);
  for (const [i, r] of requests.entries()) r.id = i;
  return { name: `${t.name}[${k}@${seed}]`, source: t.source, requests };
}
