/** The scorer interface: a process reward for partial models, a pairwise preference for complete ones. */
import type { PartialModel } from "../schema.js";

/** What a scorer sees of a node of the search tree. */
export interface ScoredModel {
  /** The node's id in the tree (`0.2.1`), used in cache keys. */
  id: string;
  /** Layers written: 1 sets+parameters, 2 +variables, 3 +objective and constraints (complete). */
  layer: number;
  model: PartialModel;
}

/** What every score call gets: the question and the cancellation signal. */
export interface ScoreContext {
  question: string;
  signal?: AbortSignal;
}

/** Scores a partial model in [0, 1] (the probability that it is correct so far). */
export interface ProcessScorer {
  readonly name: string;
  score(ctx: ScoreContext, node: ScoredModel): Promise<number>;
}

/** P(A ≻ B) in [0, 1] for two complete models. */
export interface PreferenceScorer {
  readonly name: string;
  prefer(ctx: ScoreContext, a: ScoredModel, b: ScoredModel): Promise<number>;
}

/** Clamps a score to [0, 1] (NaN becomes 0.5: no information). */
export function clamp01(v: number): number {
  if (Number.isNaN(v)) return 0.5;
  return Math.min(1, Math.max(0, v));
}
