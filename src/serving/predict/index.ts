/** Output-length predictors: the interface, the registry, quantile buckets, error measures. */
export { BucketModel, type BucketStatistic } from "./buckets.js";
export { type PredictionError, pearson, predictionError, ranks, spearman } from "./error.js";
export { type LengthHistory, readLengthHistory, samplesFromResults } from "./history.js";
export { SeqLengths } from "./lengths.js";
export { predictorNames, predictors } from "./registry.js";
export {
  createPredictor,
  ORACLE,
  type PredictorSetup,
  type PredictorSpec,
  parsePredictorSpec,
  predictorLabel,
  predictorSetup,
  simulationPredictor,
} from "./spec.js";
export type { LengthPredictor, LengthQuery, LengthSample, PredictorContext, PredictorDef } from "./types.js";
