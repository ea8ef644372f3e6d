/** Errors of the serving area: a bad trace or profile is an InputError that names the file and line. */
import { InputError } from "../errors/index.js";

/** A trace file row that cannot be read (names the file and its 1-based line number). */
export class TraceError extends InputError {}

/** A time-model profile or fit input that is invalid. */
export class ProfileError extends InputError {}

/** A batch input or results file that cannot be used (names the file and its 1-based line number). */
export class BatchFileError extends InputError {}
