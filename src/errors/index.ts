/** Typed errors (`FrugalError` and its subclasses) and zod validation that names the file and path. */
export {
  AbortedError,
  type ExitCode,
  FrugalError,
  type FrugalErrorFields,
  formatMessage,
  InputError,
  IoError,
  isFrugalError,
  MisuseError,
  SolverError,
  throwIfAborted,
  UsageError,
} from "./errors.js";
export { formatPath, parseWith } from "./zod.js";
