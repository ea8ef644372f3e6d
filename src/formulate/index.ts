/**
 * `frugal formulate`: word problems to solved optimization models, by BPP-Search (Wang et al.,
 * arXiv 2411.17404). A structured model (sets, parameters, variables, objective, constraints with
 * `function` strings) is compiled to the MIP layer and solved by HiGHS; an LLM writes it layer by
 * layer in a tree search ranked by a process reward model and a pairwise preference model.
 */

/** Compiling a structured model to a MIP, and checking the layers of a partial one. */
export {
  type ColumnInfo,
  type CompiledModel,
  type CompileOptions,
  checkLayers,
  columnName,
  compileModel,
} from "./compile.js";
/** A structured model as lines of text. */
export { modelLines } from "./describe.js";
/** Errors: a model that does not parse or compile; an endpoint that fails. */
export { FormulationError, type FormulationProblem } from "./errors.js";
/** Benchmark files (MAMO, IndustryOR, NL4OPT) as problems with reference answers. */
export {
  DATASET_FORMATS,
  type Dataset,
  type DatasetFormat,
  loadDataset,
  type Problem,
  readAnswer,
} from "./eval/datasets.js";
/** Answer matching with a stated tolerance, and accuracy with a Wilson interval. */
export {
  answersMatch,
  DEFAULT_TOLERANCE,
  type Proportion,
  type Tolerance,
  wilsonInterval,
} from "./eval/match.js";
/** NL4OPT annotations as linear programs (the reference answers of the dev set). */
export {
  type AnnotatedLp,
  annotatedLp,
  type Nl4optRecord,
  Nl4optRecordSchema,
  readAnnotatedNumber,
} from "./eval/nl4opt.js";
/** Running a strategy over a benchmark: accuracy, calls, tokens; the per-problem CSV. */
export {
  type EvalOptions,
  type EvalResult,
  type EvalRow,
  type EvalStatus,
  evalCsv,
  runEval,
} from "./eval/run.js";
/** The expression language of `function` and `domain` strings. */
export * as expr from "./expr/index.js";
/** The policy's and the judges' prompts and reply schemas. */
export {
  layerMessages,
  layerSchema,
  policySystemPrompt,
  preferenceMessages,
  prmMessages,
  renderPartial,
} from "./prompts.js";
/** HTML: the search trace (the tree with its scores) and the evaluation report. */
export { evalReportHtml, searchTraceHtml, treeSvg } from "./report.js";
/** The structured model's schema and its layers. */
export {
  ConstraintSchema,
  FULL_MODEL_SCHEMA,
  jsonSchemaOf,
  LAYER_KEYS,
  LAYER_SCHEMAS,
  LAYERS,
  type LayerName,
  ObjectiveSchema,
  ParameterSchema,
  type PartialModel,
  SetSchema,
  type StructuredConstraint,
  type StructuredModel,
  type StructuredModelInput,
  StructuredModelSchema,
  type StructuredObjective,
  type StructuredParameter,
  type StructuredSet,
  type StructuredVariable,
  structuredModelJsonSchema,
  VariableSchema,
} from "./schema.js";
/** Scorers: process rewards and pairwise preferences (LLM judge, HTTP classifier, solver verifier). */
export * as score from "./score/index.js";
/** Search strategies and running one on a word problem. */
export {
  type CallCounts,
  type PreparedSearch,
  prepareSearch,
  runSearch,
  type SearchOptions,
  type SearchResult,
  type StrategyEntry,
  strategies,
  type TreeNode,
} from "./search/index.js";
/** Reading, compiling and solving a structured model file. */
export {
  readStructuredModel,
  type SolveModelFileOptions,
  type SolveModelReport,
  type SolveStructuredOptions,
  type StructuredSolution,
  solveModelFile,
  solveStructured,
} from "./solve-model.js";
