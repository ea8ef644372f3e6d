/**
 * Output-length prediction behind one interface. Offline batch inference knows each request's
 * prompt and its `max_tokens` cap, never its output length; a predictor turns what is known into
 * an estimate that the planning policies (packing by work, longest-first order, the insertion
 * rule's look-ahead) use in place of the truth. The simulator still runs the true lengths.
 */

import type { z } from "zod";
import type { RegistryEntry } from "../../util/registry.js";

/** What is known of a request when its length is predicted. */
export interface LengthQuery {
  /** The request's position in its workload (a key for per-request noise). */
  index: number;
  promptTokens: number;
  /** The request's cap on output tokens (`max_tokens`), when it has one. */
  maxTokens: number | null;
  /** The true output length: known in simulation only, and read only by predictors marked `needsTruth`. */
  outputTokens?: number;
}

/** A (prompt, output) pair of a served request: what predictors are fitted on. */
export interface LengthSample {
  promptTokens: number;
  outputTokens: number;
}

/** One predictor for one run: predictions, conditional remainders and online refits. */
export interface LengthPredictor {
  readonly name: string;
  /** Predicted output tokens, an integer ≥ 1 (≤ `maxTokens` when given). */
  predict(q: LengthQuery): number;
  /**
   * Tokens still to come for a request that has already emitted `generated` tokens (≥ 1): the
   * prediction conditioned on the request having run that long.
   */
  remaining(q: LengthQuery, generated: number): number;
  /**
   * P(more than `t` tokens still to come | `generated` emitted): the predictor's uncertainty, from
   * which a policy computes when the first of several running requests is expected to finish.
   */
  survival(q: LengthQuery, generated: number, t: number): number;
  /** A completed request's true length (a predictor that learns online refits from these). */
  observe(sample: LengthSample): void;
  /** Bumped whenever the predictions change (after a refit): planners re-plan when it moves. */
  readonly version: number;
  /** One line on how the predictor was fitted (for results and reports). */
  describe(): string;
}

/** What a predictor is created from besides its parameters. */
export interface PredictorContext {
  /** Served requests to fit on (a history file, or a previous run's results). */
  history?: readonly LengthSample[];
  /** Where `history` came from, for descriptions. */
  historySource?: string;
}

/** A predictor in the registry: metadata, parameters and a factory. */
export interface PredictorDef<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** Reads the true length (the oracle, the noise model): for studies in simulation only. */
  readonly needsTruth: boolean;
  /** Fits on `ctx.history` when the predictor uses one. */
  readonly usesHistory: boolean;
  create(params: z.output<P>, ctx: PredictorContext): LengthPredictor;
}
