/** Iteration time under a profile's linear time model (see schema.ts for the formula). */
import type { TimeModel } from "./schema.js";

/** What an iteration computes, in the terms the time model charges. */
export interface IterationShape {
  /** Σ p_i: tokens computed by prefill (or prefill chunks) in this iteration. */
  prefillTokens: number;
  /** Σ p_i·(p_i + c_i): the quadratic attention term. */
  prefillSquares: number;
  /** Requests decoding one token each. */
  decodes: number;
  /** Σ context tokens of the decoding requests. */
  decodeContext: number;
}

/** Seconds of one iteration of shape `s` under time model `m` (the formula in schema.ts). */
export function iterationSeconds(m: TimeModel, s: IterationShape): number {
  const hasP = s.prefillTokens > 0;
  const hasD = s.decodes > 0;
  if (!hasP && !hasD) return 0;
  const alpha =
    hasP && hasD ? Math.max(m.prefill.alpha, m.decode.alpha) : hasP ? m.prefill.alpha : m.decode.alpha;
  return (
    alpha +
    m.prefill.beta * s.prefillTokens +
    m.prefill.gamma * s.prefillSquares +
    m.decode.beta * s.decodes +
    m.decode.delta * s.decodeContext
  );
}

/** Time of one prefill-only iteration over whole prompts `lens`. */
export function prefillSeconds(m: TimeModel, lens: readonly number[]): number {
  let t = 0;
  let q = 0;
  for (const l of lens) {
    t += l;
    q += l * l;
  }
  return iterationSeconds(m, { prefillTokens: t, prefillSquares: q, decodes: 0, decodeContext: 0 });
}

/** Time of one decode-only iteration of `b` requests with total context `ctx`. */
export function decodeSeconds(m: TimeModel, b: number, ctx: number): number {
  return iterationSeconds(m, { prefillTokens: 0, prefillSquares: 0, decodes: b, decodeContext: ctx });
}
