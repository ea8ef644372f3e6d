/**
 * The hybrid method's Lagrangian insertion rule (Pang et al., arXiv 2502.15763; our reading in
 * docs/serving.md, "Hybrid, online rule") as far as a client can apply it. A client cannot choose a
 * server's iterations; it chooses when to release new requests into an endpoint's batch. Releasing
 * f requests while D run costs one insertion stall (α_p for servers that prefill in separate
 * iterations, max(0, α_p − α_d) for servers that mix prefills into decode iterations, as vLLM V1
 * and SGLang do); holding them back idles f slots, each priced at its share α_d/(D + f) of every
 * decode iteration, for Δ iterations until the next running request is predicted to finish, when a
 * later release would take them together with the freed slot. So:
 *   release now  ⇔  D = 0, or nothing to gain by waiting (every queued request fits now),
 *                   or f·Δ·α_d/(D + f) ≥ λ·stall   (waiting would idle more than the stall costs),
 *                   or the idle cost already paid since the slots freed, f·k·α_d/(D + f) after k
 *                      iterations, reaches λ·stall (a finish predicted too early cannot hold the slots forever).
 * With a stall of 0 (mixing servers whose prefill α is no larger than decode's) the rule always
 * releases: the hybrid then differs from plain list scheduling by its packing and order only.
 */

/** The inputs of one decision for one endpoint. */
export interface InsertionState {
  /** Requests in flight (D). */
  running: number;
  /** Free slots that queued requests could take now (f > 0). */
  free: number;
  /** Requests queued for this endpoint. */
  queued: number;
  /** Predicted iterations until the next running request finishes (Δ ≥ 1). */
  untilNextFinish: number;
  /** Iterations since the slots freed (k ≥ 0). */
  waitedIterations: number;
  /** Fixed cost of a decode iteration (α_d, seconds). */
  alphaDecode: number;
  /** The stall one insertion causes (seconds). */
  stall: number;
  /** Price of the stall relative to idle slots (λ ≥ 0). */
  lambda: number;
}

/** "now", or how many more iterations to hold the slots (after which the rule releases). */
export type InsertionDecision = { release: true } | { release: false; waitIterations: number };

/** The rule of the header. */
export function insertionDecision(s: InsertionState): InsertionDecision {
  if (s.running === 0 || s.free <= 0 || s.queued <= s.free) return { release: true };
  const target = s.lambda * s.stall;
  if (target <= 0) return { release: true };
  const perIteration = (s.free * s.alphaDecode) / (s.running + s.free);
  if (perIteration <= 0) return { release: false, waitIterations: s.untilNextFinish };
  if (s.untilNextFinish * perIteration >= target) return { release: true };
  const paidAt = Math.ceil(target / perIteration);
  if (s.waitedIterations >= paidAt) return { release: true };
  return { release: false, waitIterations: Math.min(s.untilNextFinish, paidAt - s.waitedIterations) };
}
