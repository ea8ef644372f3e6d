/**
 * The MIP engine: a modeling layer (variables, linear expressions and constraints), a CPLEX LP
 * writer, and one adapter to HiGHS that solves in a worker thread with time and node limits, a
 * MIP start and cancellation. `solveFile` is `frugal solve` as a library function.
 */
export { expr, LinExpr, sum, type Term, type Var } from "./expr.js";
export { highsVersion } from "./highs.js";
export { isValidLpName, type LpText, type LpWriteOptions, toLpText } from "./lp-writer.js";
export {
  type Column,
  type Comparison,
  Model,
  type Row,
  type Sense,
  type VarSpec,
  type VarType,
} from "./model.js";
export type { SolveOptions, SolveProgress, SolveResult, SolveStatus, WarmStart } from "./result.js";
export { solveModel, solveText } from "./solve.js";
export {
  MODEL_FORMATS,
  type ModelFormat,
  type SolveFileOptions,
  type SolveFileReport,
  solveFile,
} from "./solve-file.js";
