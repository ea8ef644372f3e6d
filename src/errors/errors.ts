/**
 * Typed errors. Every error a user can cause is a FrugalError whose message has the shape
 * `<where>: <what went wrong>; <what to do>` (see docs/conventions.md). The fields the message is
 * made from are kept on the error so library callers can handle it without parsing text.
 */

/**
 * How the CLI should exit for an error: 1 = could not do its job, 2 = the command line is wrong,
 * 130 = interrupted (SIGINT/SIGTERM), as a shell reports it.
 */
export type ExitCode = 1 | 2 | 130;

/** What a FrugalError is made from: its message is `<where>: <what>; <hint>`. */
export interface FrugalErrorFields {
  /** A file, a file plus a path inside it (`config.yml: models[1].weight`), or a flag. */
  where: string;
  /** What went wrong, in one clause. */
  what: string;
  /** What the user can do about it. */
  hint: string;
  /** The underlying error (kept as the standard `Error.cause`). */
  cause?: unknown;
}

/**
 * The base of every error a user can cause. Its message is `<where>: <what>; <hint>`; the three
 * parts stay on the error so callers can handle it without parsing text.
 */
export class FrugalError extends Error {
  /** A file, a file plus a path inside it, or a flag. */
  readonly where: string;
  /** What went wrong, in one clause. */
  readonly what: string;
  /** What the user can do about it. */
  readonly hint: string;
  /** A stable, machine-readable kind, e.g. `input`, `usage`, `solver`. */
  readonly kind: string = "frugal";
  /** How the CLI exits when this error ends a command. */
  readonly exitCode: ExitCode = 1;

  constructor(fields: FrugalErrorFields) {
    super(formatMessage(fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.where = fields.where;
    this.what = fields.what;
    this.hint = fields.hint;
  }
}

/** The one-line message `<where>: <what>; <hint>` (an empty `where` or `hint` is left out). */
export function formatMessage(f: Pick<FrugalErrorFields, "where" | "what" | "hint">): string {
  const where = f.where ? `${f.where}: ` : "";
  const hint = f.hint ? `; ${f.hint}` : "";
  return `${where}${f.what}${hint}`;
}

/** The command line itself is wrong (unknown flag, missing argument, bad flag value). Exit 2. */
export class UsageError extends FrugalError {
  override readonly kind = "usage";
  override readonly exitCode = 2 as const;
}

/** A file or config the user gave is missing, unreadable or invalid. */
export class InputError extends FrugalError {
  override readonly kind = "input";
}

/** Reading or writing the file system failed for reasons other than bad content. */
export class IoError extends FrugalError {
  override readonly kind = "io";
}

/** The solver could not be run (not: the model was infeasible, which is a result). */
export class SolverError extends FrugalError {
  override readonly kind = "solver";
}

/** A library function was called with arguments that cannot be right (a programming error). */
export class MisuseError extends FrugalError {
  override readonly kind = "misuse";
}

/** The work was cancelled through an AbortSignal. */
export class AbortedError extends FrugalError {
  override readonly kind = "aborted";
  override readonly exitCode = 130 as const;
  constructor(where = "", what = "the operation was cancelled") {
    super({ where, what, hint: "no output was written" });
  }
}

/** Whether `e` is a FrugalError (an error a user caused, with `where`/`what`/`hint`). */
export function isFrugalError(e: unknown): e is FrugalError {
  return e instanceof FrugalError;
}

/** Throws AbortedError when the signal has fired. Call between units of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, where = ""): void {
  if (signal?.aborted) throw new AbortedError(where);
}
