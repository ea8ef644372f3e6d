/**
 * `frugal serving` as a library: traces, profiles, a discrete-event serving simulator, policies
 * (vLLM V0/V1, Orca, the hybrid offline-online method), offline packing and lower bounds, and the
 * documents, text and files the command prints and writes.
 */
export { type ClientBreakdown, type GapBreakdown, gapBreakdown } from "./breakdown.js";
export {
  type CompareOptions,
  type CompareResult,
  comparePolicies,
  type PolicyEvent,
  type PolicyResult,
  type UnfinishedPolicy,
} from "./compare.js";
export { ProfileError, TraceError } from "./errors.js";
export { checkTrace, checkWorkload, minIterations, SERVING_LIMITS } from "./limits.js";
export { type Percentiles, type RequestTimes, type RunMetrics, requestTimes, runMetrics } from "./metrics.js";
export {
  type LowerBound,
  lowerBound,
  lowerBoundWithPacking,
  type Packing,
  type PackOptions,
  type PackResult,
  packMakespan,
  requestBoundWork,
  requestChain,
  requestWork,
  type WorkProfile,
} from "./offline/index.js";
export {
  BREAKDOWN_COLUMNS,
  breakdownRows,
  type ComparisonDocument,
  type ComparisonFiles,
  chromeTrace,
  chromeTraceInput,
  chromeTraceParts,
  comparisonDocument,
  comparisonText,
  fitText,
  GOALS,
  type GoalCheck,
  goalCheck,
  goalsLine,
  type InterruptedPolicyRecord,
  interruptedRecord,
  POLICY_COLUMNS,
  type PolicyRecord,
  policyRows,
  REQUESTS_CSV_HEADER,
  type ReportExtras,
  requestsCsv,
  type StudyDocument,
  servingReportHtml,
  studyDocument,
  studyText,
  writeComparisonFiles,
} from "./output/index.js";
export { checkPolicyParams, mergePolicyParams, type PolicyParams, policyParamsFromPairs } from "./params.js";
export {
  createPolicy,
  type PolicyContext,
  type PolicyDef,
  type PolicyInstance,
  type PolicyPlanInfo,
  policies,
  policyNames,
  ROUTINGS,
  type Routing,
} from "./policies/index.js";
export { loadPreset, type Preset, PresetSchema, type PresetSpec, servingPresetNames } from "./presets.js";
export {
  builtinProfile,
  type ClientSpec,
  DEFAULT_PROFILE,
  type FitProfileOptions,
  type FitProfileResult,
  type FitResult,
  type FitRow,
  fitProfile,
  fitTimeModel,
  type IterationShape,
  iterationSeconds,
  type PhaseFit,
  PROFILE_LIMITS,
  type Profile,
  type ProfileInput,
  ProfileSchema,
  parseFitCsv,
  profileNames,
  readFitCsv,
  readProfile,
  resolveProfile,
  type TimeModel,
} from "./profile/index.js";
export {
  type Batch,
  type BatchItem,
  type Client,
  type ClientView,
  type IterationLog,
  type RequestOutcome,
  type Seq,
  type SeqState,
  type SeqView,
  type SimRun,
  type SimulateOptions,
  simulate,
} from "./sim/index.js";
export { runStudy, type Stat, type StudyCase, type StudyOptions, type StudyResult } from "./study.js";
export {
  GSM8K_ATTRIBUTION,
  GSM8K_PROMPT_TEMPLATE,
  type Gsm8kOptions,
  gsm8kTrace,
  type LengthDist,
  LOGNORMAL_TRACE_DEFAULTS,
  type LognormalTraceOptions,
  lognormalTrace,
  parseCsvTrace,
  parseJsonlTrace,
  type Request,
  readGsm8kTrace,
  readTrace,
  type SyntheticOptions,
  subsetTrace,
  syntheticTrace,
  type Trace,
  type TraceStats,
  traceStats,
  traceToCsv,
} from "./trace/index.js";
export {
  calibrationNotes,
  DEFAULT_CLIENTS,
  DEFAULT_STUDY_PRESET,
  resolveWorkload,
  type Workload,
  type WorkloadOptions,
} from "./workload.js";
