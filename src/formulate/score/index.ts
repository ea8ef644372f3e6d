/** Scorers behind one interface: process rewards for partial models, pairwise preferences for complete ones. */

/** Scorers served as HTTP classifiers. */
export {
  type ClassifierOptions,
  classifierPreferenceScorer,
  classifierProcessScorer,
  readProbability,
} from "./classifier.js";
/** Weighted combinations. */
export { combinedPreferenceScorer, combinedProcessScorer, type Weighted } from "./combine.js";
/** LLM-as-judge scorers. */
export { type JudgeOptions, llmPreferenceScorer, llmProcessScorer } from "./llm-judge.js";
/** The registry and scorer specs (`llm-judge=0.7,solver=0.3`). */
export {
  createPreferenceScorer,
  createProcessScorer,
  parseScorerSpec,
  type ScorerDeps,
  type ScorerEntry,
  type ScorerPart,
  scorers,
} from "./registry.js";
/** The solver-grounded verifier. */
export {
  type VerifierOptions,
  verifierPreferenceScorer,
  verifierProcessScorer,
  verifierScore,
} from "./solver.js";
/** The interfaces. */
export {
  clamp01,
  type PreferenceScorer,
  type ProcessScorer,
  type ScoreContext,
  type ScoredModel,
} from "./types.js";
