/**
 * What every command shares: global flags, the error → exit-code mapping, JSON output, progress.
 * Conventions (docs/conventions.md): stdout carries only the result (a table, or exactly one JSON
 * document with --json); progress, logs and warnings go to stderr. Exit 0 ok (an infeasible or
 * time-limited outcome is still a result), 1 could not do the job, 2 the command line is wrong.
 */
import type { Command } from "commander";
import { FrugalError, UsageError } from "../errors/index.js";
import { cliProgressSink, type ProgressSink } from "../util/progress.js";

export interface GlobalFlags {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Adds the flags every command has. */
export function withCommonFlags(cmd: Command, verbose?: string): Command {
  cmd
    .option("--json", "print exactly one JSON document on stdout")
    .option("-q, --quiet", "no progress or log lines on stderr");
  // Only commands that have more to say offer --verbose, with what it adds.
  if (verbose) cmd.option("-v, --verbose", verbose);
  return cmd.option("--debug", "show stack traces on errors");
}

/** Adds an "Examples:" block to a command's --help. */
export function withExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
}

/** Writes the result: JSON when asked, else the human text. Always ends with a newline. */
export function emit(flags: GlobalFlags, json: unknown, human: () => string): void {
  if (flags.json) process.stdout.write(`${JSON.stringify(json, jsonReplacer, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** JSON has no NaN/Infinity or typed arrays: map them to null / plain arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

/** Logs a line to stderr unless quiet. */
export function log(flags: GlobalFlags, line: string): void {
  if (!flags.quiet) process.stderr.write(`${line}\n`);
}

export function progressFor(flags: GlobalFlags): ProgressSink {
  return cliProgressSink({ quiet: flags.quiet });
}

/** Prints an error as one line (`frugal: error: …`) and returns the exit code. */
export function reportError(e: unknown, debug: boolean): number {
  if (e instanceof FrugalError) {
    process.stderr.write(`frugal: error: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    // An error about a flag's value (the library names the place the CLI gave it) is a usage error.
    return e.exitCode === 1 && /^--[a-z]/.test(e.where) ? 2 : e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(
    `frugal: error: internal error: ${err?.message ?? String(e)}; this is a bug, please report it with the output of --debug\n`,
  );
  if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

/** Exit code of a command that was interrupted (SIGINT/SIGTERM), as a shell reports it. */
export const INTERRUPTED_EXIT = 130;

let interrupted = false;

/**
 * An AbortSignal that fires on SIGINT/SIGTERM: long work stops, returns its best result so far
 * (status `interrupted`) or writes nothing, and the command exits 130. A second signal exits 130 at
 * once; temporary files being written are removed on the way out (src/util/files.ts).
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const { signals, dispose } = interruptStages([
    "frugal: interrupted; stopping (press Ctrl-C again to quit at once)",
  ]);
  const [signal = new AbortController().signal] = signals;
  return { signal, dispose };
}

/**
 * Ctrl-C in stages, for work that can stop more or less gently (e.g. stop sending requests, then
 * cancel those in flight): the k-th SIGINT/SIGTERM prints `messages[k]` to stderr and aborts
 * `signals[k]`; one more signal after the last stage exits 130 at once. The command exits 130.
 */
export function interruptStages(messages: readonly string[]): {
  signals: AbortSignal[];
  dispose: () => void;
} {
  const controllers = messages.map(() => new AbortController());
  let stage = 0;
  const onSig = () => {
    const c = controllers[stage];
    const message = messages[stage];
    if (!c || message === undefined) process.exit(INTERRUPTED_EXIT);
    stage++;
    interrupted = true;
    process.stderr.write(`${message}\n`);
    c.abort();
  };
  process.on("SIGINT", onSig);
  process.on("SIGTERM", onSig);
  return {
    signals: controllers.map((c) => c.signal),
    dispose: () => {
      process.off("SIGINT", onSig);
      process.off("SIGTERM", onSig);
    },
  };
}

export function usage(where: string, what: string, hint: string): UsageError {
  return new UsageError({ where, what, hint });
}

/**
 * Wraps a command action: runs it, maps errors to one stderr line and an exit code.
 * The action receives the command's merged options (globals included).
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.optsWithGlobals() as GlobalFlags;
    try {
      await fn(...(args as A));
    } catch (e) {
      process.exitCode = reportError(e, !!flags.debug);
    }
    if (interrupted) process.exitCode = INTERRUPTED_EXIT;
  };
}
