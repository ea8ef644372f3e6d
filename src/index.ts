/**
 * The frugal library: each capability's plain functions over plain data. The typed errors and the
 * MIP engine are exported at the top level; the tensor engine and the capabilities as namespaces
 * (their names overlap, e.g. `loadPreset`), and each also as a subpath:
 * `import { runPlan } from "frugal/plan"`.
 */
export { type DemoOptions, type DemoResult, runDemo } from "./demo/index.js";
export {
  AbortedError,
  type ExitCode,
  FrugalError,
  type FrugalErrorFields,
  InputError,
  IoError,
  isFrugalError,
  MisuseError,
  SolverError,
  UsageError,
} from "./errors/index.js";
export * as formulate from "./formulate/index.js";
/** LLM clients: an OpenAI-compatible HTTP client (retries, timeouts, concurrency limit, cache), a local GGUF model. */
export * as llm from "./llm/index.js";
export * as merge from "./merge/index.js";
export * from "./mip/index.js";
export * as mole from "./mole/index.js";
export * as plan from "./plan/index.js";
export * as serving from "./serving/index.js";
export * as tensor from "./tensor/index.js";
export type { OnProgress, ProgressEvent } from "./util/progress.js";
