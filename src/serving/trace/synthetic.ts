/**
 * Synthetic traces with a seed: Poisson arrivals (exponential inter-arrival times at `ratePerSecond`,
 * or all at 0 for an offline batch) and log-normal or uniform token lengths, clipped to [min, max].
 */
import { z } from "zod";
import { parseWith } from "../../errors/index.js";
import { Rng } from "../../util/random.js";
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
export type LengthDist = z.input<typeof Length>;

export const SyntheticSchema = z.object({
  requests: z.number().int().positive(),
  /** Requests per second; omit or 0 for an offline batch (all arrive at 0). */
  ratePerSecond: z.number().nonnegative().default(0),
  prompt: Length,
  output: Length,
  seed: z.number().int().default(0),
});
export type SyntheticOptions = z.input<typeof SyntheticSchema>;

function draw(d: z.output<typeof Length>, rng: Rng): number {
  if (d.kind === "constant") return d.value;
  if (d.kind === "uniform") return rng.int(Math.min(d.min, d.max), Math.max(d.min, d.max));
  const v = Math.round(d.median * Math.exp(d.sigma * rng.normal()));
  return Math.min(d.max, Math.max(d.min, v));
}

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

/** A random subset of k requests of a trace (ids kept), for studies. */
export function subsetTrace(t: Trace, k: number, seed: number): Trace {
  const idx = new Rng(seed).sample(t.requests.length, Math.min(k, t.requests.length));
  return {
    name: `${t.name}[${k}@${seed}]`,
    source: t.source,
    requests: idx.map((i) => ({ ...t.requests[i]! })),
  };
}
