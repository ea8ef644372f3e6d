/** `frugal mole`: MoE checkpoints converted to Mixture of Latent Experts and back, reported and analyzed. */

export {
  type Analysis,
  type AnalysisRow,
  type AnalyzeOptions,
  analyzeConfig,
  analyzeConfigFile,
  analyzePreset,
  analyzePresetNames,
  MolePresetSchema,
} from "./analyze.js";
export {
  CALIBRATION_TENSOR,
  type Calibration,
  calibrationTensorName,
  openCalibration,
} from "./calibration.js";
export { type ConvertResult, type ConvertRunOptions, convertCheckpoint } from "./convert.js";
export {
  CalibrationError,
  ExpertShapeError,
  MissingRouterError,
  MoleFormatError,
  MoleOptionsError,
  RankError,
  UnknownLayoutError,
} from "./errors.js";
export { type ExpandOptions, type ExpandResult, expandCheckpoint } from "./expand.js";
export {
  finishGroup,
  type GroupBasis,
  type GroupFactors,
  type GroupSource,
  gramBasis,
  roundTo,
  svdBasis,
} from "./factorize.js";
export { MOE_ARCHITECTURES, type MoeArchitecture, type MoeFacts, moeArchitecture } from "./facts.js";
export {
  expertLatentName,
  fusedLatentName,
  MOLE_FORMAT,
  type MoleConfig,
  MoleConfigSchema,
  type MoleGroupRecord,
  type MoleKindRecord,
  type MoleLayerRecord,
  moleConfigJsonSchema,
  sharedLatentName,
} from "./format.js";
export {
  type DenseExpert,
  gatherRows,
  type MoleLayerWeights,
  moeForward,
  moleForward,
  type SharedExpert,
  swiglu,
} from "./forward.js";
export {
  type ExpertMatrix,
  expertLikeNames,
  KINDS,
  type Kind,
  type MoeLayer,
  type MoeLayout,
  resolveLayout,
} from "./layout.js";
export { type FactorizationMethod, factorizationMethods } from "./methods.js";
export { type MoleCheckpoint, openMole } from "./mole-checkpoint.js";
export {
  type ConversionPlan,
  type ConvertOptions,
  type ConvertTask,
  type CopiedTensor,
  DEFAULT_KINDS,
  DEFAULT_RANK_RULE,
  expertGroups,
  latentParams,
  planConversion,
  type ResolvedOptions,
  resolveOptions,
} from "./plan.js";
export { maxRank, type RankContext, type RankRule, rankRules } from "./rank-rules.js";
export {
  type KindRow,
  type LayerRow,
  type MoleReport,
  type ReportOptions,
  reportConversion,
} from "./report.js";
export { KIND_TABLE_HEADER, kindTableRows, reportHtml, spectrumCharts } from "./report-html.js";
export { analysisRows, conversionRows, planRows } from "./results.js";
export { type Routing, type RoutingSpec, route, routingSpec, tokensByExpert } from "./routing.js";
export { spectrumSample } from "./spectrum.js";
export { type Whitening, whitening } from "./whitening.js";
