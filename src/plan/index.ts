/**
 * `frugal plan` as a library: operator-level parallelism planning. Inputs (a graph and a cluster,
 * or a built-in preset) → every baseline schedule and greedy rule → the FDJSSP MIP planner → a run
 * record, its JSON documents, tables and files.
 */
export type { Candidate, CandidateKind } from "./candidates.js";
export { type Cluster, type ClusterInput, parseCluster } from "./cluster.js";
export { PlanInputError, ScheduleError } from "./errors.js";
export { scheduleHtml, toChromeTrace, torchExportProblem, toTorchCsv } from "./export/index.js";
export {
  type ChainOptions,
  type MoeOptions,
  type MultimodalOptions,
  moeStack,
  multimodal,
  transformerChain,
} from "./generators.js";
export { type Graph, type GraphInput, parseGraph } from "./graph.js";
export {
  mergeOptions,
  type PlanInputs,
  type PlanOverrides,
  type PlanSource,
  resolvePlanInputs,
} from "./inputs.js";
export { PLACEMENTS, type PlanOptions, type PlanOptionsInput, PlanOptionsSchema } from "./options.js";
export { loadPreset, type PlanPreset, presetList, presetNames } from "./presets.js";
export {
  type CompareReport,
  type ComparisonRow,
  compareReport,
  comparisonRows,
  type InputsRecord,
  inputsRecord,
  type MipRecord,
  mipRecord,
  type PlanDocument,
  planDocument,
  type RunStatus,
  runStatus,
  type ScheduleRecord,
} from "./report.js";
export { type MipReport, type PlanRun, type PlanRunOptions, runPlan } from "./run.js";
export type { Action, Pass, Schedule } from "./schedule.js";
export { type BaselineContext, baselines, SCHEDULES, type ScheduleEntry } from "./schedules/index.js";
export { type SimResult, simulate } from "./simulate.js";
export { type PlanTable, planTable } from "./table.js";
export { type Unit, type UnitGraph, unitsFromGraph } from "./units.js";
export { type PlanOutputs, writePlanOutputs } from "./write.js";
