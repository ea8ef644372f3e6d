/**
 * Model merging: mergekit's YAML configs and merge methods (linear, task arithmetic, TIES, DARE,
 * breadcrumbs, DELLA, slerp, model stock, passthrough) and LoRE-Merging, streamed tensor by
 * tensor over Hugging Face safetensors checkpoints.
 */

export { mergeConfigJsonSchema } from "./config/json-schema.js";
export {
  loadMergeConfig,
  type MergeConfig,
  type ModelInput,
  type ParseConfigOptions,
  parseMergeConfig,
  type SliceSpec,
  type SourceSpec,
} from "./config/load.js";
export {
  evaluateSetting,
  interpolate,
  layerPosition,
  matchesFilter,
  type ParameterLevel,
  type ParameterValue,
  type ResolvedParameter,
  resolveParameter,
} from "./config/parameters.js";
export {
  DTYPE_NAMES,
  type ParameterSetting,
  type Parameters,
  type RawMergeConfig,
} from "./config/schema.js";
export { MergeConfigError, MergeInputError } from "./errors.js";
export {
  checkOutput,
  type ExecuteOptions,
  type ExecuteResult,
  executeMerge,
  formatEta,
  type OpenedInputs,
  openInputs,
  readTask,
  streamSeed,
} from "./executor.js";
export { type LayerName, layerCounts, mainStack, outsidePosition, parseLayerName } from "./layers.js";
export { type LoreSolution, type LoreSolveOptions, noiseEdge, solveLore } from "./lore/solver.js";
export {
  newSvtState,
  type SvtFactors,
  type SvtOptions,
  type SvtState,
  subtractLowRank,
  svtSweep,
} from "./lore/svt.js";
export {
  type LoreSummary,
  loreSummary,
  type MergeOptions,
  type MergeRunResult,
  mergeFromConfig,
} from "./merge.js";
export { type Consensus, gtaMethod, mixDeltas, type Sparsification, sparsifyDelta } from "./methods/gta.js";
export { modelStockRatio } from "./methods/model-stock.js";
export { mergeMethodNames, mergeMethods } from "./methods/registry.js";
export { slerpVectors } from "./methods/slerp.js";
export {
  dellaPrune,
  keepRankRange,
  magnitudeOutliersPrune,
  magnitudePrune,
  randomPrune,
  rescaleL1,
  selectAbs,
} from "./methods/sparsify.js";
export type {
  AnyMergeMethod,
  BaseUse,
  MergeMethod,
  ParameterProblem,
  TensorMergeDiagnostics,
  TensorMergeInput,
  TensorMergeOutput,
} from "./methods/types.js";
export { PLAN_HEADER, planJson, planRows, planSummaryLines, taskParamsText } from "./plan-view.js";
export {
  type InputCheckpoint,
  type MemoryEstimate,
  type MergePlan,
  type MergeTask,
  type Mismatch,
  type PlanOptions,
  PlanOptionsSchema,
  planMerge,
  SHAPE_MISMATCH_POLICIES,
  type ShapeMismatchPolicy,
  type TaskInput,
} from "./planner.js";
export {
  type MergeReport,
  type MergeReportOptions,
  mergeReport,
  mergeReportHtml,
  REPORT_HEADER,
  reportRows,
  signConflicts,
  type TaskVectorStats,
  type TensorReport,
  taskVectorStats,
} from "./report.js";
export {
  llamaTensorShapes,
  type PlantedCheckpoints,
  type PlantedOptions,
  type PlantedTensor,
  plantedConfig,
  plantedTensors,
  writePlantedCheckpoints,
} from "./synthetic.js";
