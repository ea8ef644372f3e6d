/**
 * `frugal solve` as a library function: read a CPLEX LP or MPS file (and an optional MIP start),
 * check that it is a model at all, solve it with HiGHS and return the result record the CLI prints.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError, parseWith } from "../errors/index.js";
import { fileReadError, readStructured } from "../util/files.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import type { SolveProgress, SolveResult, SolveStatus } from "./result.js";
import { solveText } from "./solve.js";

/** The file formats `solveFile` reads. */
export const MODEL_FORMATS = ["lp", "mps"] as const;
/** A model file format: CPLEX LP or MPS. */
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** Options of `solveFile` (the flags of `frugal solve`). */
export interface SolveFileOptions {
  /** The file's format; default from its extension (`.mps` is MPS, anything else LP). */
  format?: ModelFormat;
  /** Seconds; status `time_limit` when reached. */
  timeLimit?: number;
  /** Branch-and-bound nodes, a deterministic work limit; status `node_limit` when reached. */
  nodeLimit?: number;
  /** Relative MIP gap at which to stop. */
  gap?: number;
  /** A MIP start file: a JSON/YAML object of variable name → value (partial is fine). */
  start?: string;
  /** Print the solver's log to stderr. */
  log?: boolean;
  /** Keep zero values in `values` (default: only the non-zero ones). */
  allValues?: boolean;
  signal?: AbortSignal;
  /** Solver progress (incumbent, bound, gap) while it runs. */
  onSolverProgress?: (p: SolveProgress) => void;
  onProgress?: OnProgress;
}

/** What `frugal solve --json` prints: the outcome, the values by name, the options and versions. */
export interface SolveFileReport {
  file: string;
  status: SolveStatus;
  objective: number | null;
  bound: number | null;
  gap: number | null;
  seconds: number;
  nodes: number | null;
  /** Values by variable name (non-zero ones unless `allValues`), or null without a solution. */
  values: Record<string, number> | null;
  notes: string[];
  options: {
    format: ModelFormat;
    timeLimit: number | null;
    nodeLimit: number | null;
    gap: number | null;
    start: string | null;
  };
  versions: { frugal: string; solver: string };
}

const StartSchema = z.record(z.string(), z.number().refine(Number.isFinite, "must be a finite number"));

/** Reads a MIP start: a JSON/YAML object of variable name → value (partial is fine). */
async function readStart(file: string): Promise<Record<string, number>> {
  return parseWith(StartSchema, await readStructured(file), file, 'give an object like {"x": 1, "y": 0}');
}

/** A number as LP and MPS files write them (a token that starts with a digit, a sign or a point). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/**
 * Refuses numbers too large for a double (e.g. `1e400`): HiGHS would read them as infinite and
 * fail without saying where. LP names never start with a digit or a point; an MPS name that looks
 * like such a number is refused too (rename it).
 */
function checkNumbers(text: string, file: string): void {
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\\.*$/, "");
    if (!/\d[eE][+-]?\d{3}/.test(line)) continue;
    // tokens: split at spaces and operators, and before a sign that is not an exponent's
    for (const token of line.split(/[\s:<>=*]+|(?<![eE])(?=[+-])/)) {
      const m = NUMBER.exec(token);
      if (!m || Number.isFinite(Number(m[0]))) continue;
      throw new InputError({
        where: `${file}: line ${i + 1}`,
        what: `the number ${m[0]} is too large (beyond ±1.8e308, so not a finite number)`,
        hint: "use a finite coefficient; for no bound write inf or infinity in the Bounds section",
      });
    }
  }
}

/** The format of a model file from its name. */
function formatOf(file: string): ModelFormat {
  return file.toLowerCase().endsWith(".mps") ? "mps" : "lp";
}

/** Solves an LP or MPS file; bad files are InputErrors naming the file, outcomes are values. */
export async function solveFile(file: string, opts: SolveFileOptions = {}): Promise<SolveFileReport> {
  const format = opts.format ?? formatOf(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fileReadError(file, e);
  }
  const text = bytes.toString("utf8");
  const start = opts.start ? await readStart(opts.start) : undefined;
  checkNumbers(text, file);
  // HiGHS reads garbage as an empty model and aborts on some syntax errors: check the shape first.
  if (
    format === "lp" &&
    !/^\s*(max(imi[sz]e|imum)?|min(imi[sz]e|imum)?)\b/im.test(text.replace(/\\.*$/gm, ""))
  )
    throw new InputError({
      where: file,
      what: "not a CPLEX LP file: no Minimize/Maximize section",
      hint: "give an LP file (or --format mps for MPS)",
    });
  const r = await solveText(
    format === "mps" ? new Uint8Array(bytes) : text,
    format,
    {
      timeLimit: opts.timeLimit,
      nodeLimit: opts.nodeLimit,
      gap: opts.gap,
      log: opts.log,
      warmStart: start ? { byName: start } : undefined,
      signal: opts.signal,
      onProgress: opts.onSolverProgress,
    },
    file,
  );
  if (r.names.length === 0)
    throw new InputError({
      where: file,
      what: "the solver found no variables in it",
      hint: `check that it is a valid ${format.toUpperCase()} file`,
    });
  return {
    file,
    status: r.status,
    objective: r.objective,
    bound: r.bound,
    gap: r.gap,
    seconds: r.seconds,
    nodes: r.nodes,
    values: valuesByName(r, !!opts.allValues),
    notes: r.notes,
    options: {
      format,
      timeLimit: opts.timeLimit ?? null,
      nodeLimit: opts.nodeLimit ?? null,
      gap: opts.gap ?? null,
      start: opts.start ?? null,
    },
    versions: { frugal: frugalVersion(), solver: r.solver },
  };
}

function valuesByName(r: SolveResult, all: boolean): Record<string, number> | null {
  if (!r.values) return null;
  const out: Record<string, number> = {};
  r.names.forEach((n, i) => {
    const v = r.values?.[i] ?? 0;
    if (all || Math.abs(v) > 1e-9) out[n] = v;
  });
  return out;
}
