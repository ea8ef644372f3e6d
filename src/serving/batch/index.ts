/** `serving batch`: OpenAI Batch API files run on OpenAI-compatible endpoints by a dispatch policy. */
export { dispatchPolicies, dispatchPolicyNames } from "./dispatch/registry.js";
export type { Dispatcher, DispatchItem, DispatchPlan } from "./dispatch/types.js";
export {
  BATCH_URLS,
  type BatchInputLine,
  type BatchOutputLine,
  batchInputJsonSchema,
  batchOutputJsonSchema,
  isSuccess,
} from "./format.js";
export { type BatchRequest, parseBatchInput, readBatchInput } from "./input.js";
export { batchReportHtml } from "./report.js";
export { parseResults, ResultsWriter } from "./results.js";
export {
  BATCH_DEFAULTS,
  type BatchOptions,
  type BatchRecord,
  type BatchRunResult,
  formatEta,
  type PreparedBatch,
  prepareBatch,
  runBatch,
} from "./run.js";
export { dispatchPolicy, simulateDispatch } from "./sim-adapter.js";
export {
  answeredItems,
  type BatchPlanDocument,
  type BatchPrediction,
  type BatchSummary,
  batchPlanDocument,
  batchPlanText,
  batchSummary,
  batchSummaryText,
  type EndpointSummary,
  predictRun,
} from "./summary.js";
export { countPromptTokens, type TokenizerChoice, type TokenSource } from "./tokens.js";
