/**
 * `frugal formulate solve-model` as a library function: read a structured model (JSON or YAML),
 * validate it, compile it to a MIP, optionally write it as a CPLEX LP file (so it also runs in
 * `frugal solve` or any other solver), solve it with HiGHS and return the result record.
 */
import { parseWith } from "../errors/index.js";
import { type SolveResult, type SolveStatus, solveModel, toLpText } from "../mip/index.js";
import { checkOutputPaths, readStructured, writeAtomic } from "../util/files.js";
import { frugalVersion } from "../util/version.js";
import { type CompiledModel, compileModel } from "./compile.js";
import { FormulationError } from "./errors.js";
import { answersMatch, DEFAULT_TOLERANCE, type Tolerance } from "./eval/match.js";
import { type StructuredModel, StructuredModelSchema } from "./schema.js";

/** Reads and validates a structured model file (JSON, or YAML by extension). */
export async function readStructuredModel(file: string): Promise<StructuredModel> {
  return parseWith(
    StructuredModelSchema,
    await readStructured(file),
    file,
    "see schemas/formulate-model.schema.json for the format",
  );
}

/** Options of a solve: solver limits, inline or in a worker, cancellation. */
export interface SolveStructuredOptions {
  /** Seconds; default 60. */
  timeLimit?: number;
  gap?: number;
  /** Solve in this thread (no worker start-up; no cancellation while HiGHS runs). */
  inline?: boolean;
  signal?: AbortSignal;
  /** The model's name in LP files and messages. */
  name?: string;
}

/** A compiled and solved structured model. */
export interface StructuredSolution {
  compiled: CompiledModel;
  result: SolveResult;
}

/** Compiles and solves a validated structured model; compile problems throw FormulationError. */
export async function solveStructured(
  sm: StructuredModel,
  opts: SolveStructuredOptions = {},
): Promise<StructuredSolution> {
  const compiled = compileModel(sm, { name: opts.name });
  const result = await solveModel(compiled.model, {
    timeLimit: opts.timeLimit ?? 60,
    gap: opts.gap,
    inline: opts.inline,
    signal: opts.signal,
  });
  return { compiled, result };
}

/** Options of `solveModelFile`: a solve's options plus the LP export and the reference tolerance. */
export interface SolveModelFileOptions extends SolveStructuredOptions {
  /** Write the compiled model as a CPLEX LP file here. */
  exportLp?: string;
  /** Overwrite an existing LP file. */
  force?: boolean;
  /** Keep zero values in `values`. */
  allValues?: boolean;
  /** Tolerance for comparing with the reference answer recorded in the file's `source`. */
  tolerance?: Tolerance;
}

/** What `frugal formulate solve-model --json` prints. */
export interface SolveModelReport {
  file: string;
  status: SolveStatus;
  objective: number | null;
  bound: number | null;
  gap: number | null;
  seconds: number;
  nodes: number | null;
  /** Values by column name (`x(1,Steak)`; non-zero ones unless `allValues`), or null. */
  values: Record<string, number> | null;
  size: { variables: number; integers: number; constraints: number; nonzeros: number };
  /** The reference answer recorded in the file's `source`, and whether the objective matches it. */
  reference: { dataset: string; id: string | number; answer: number; matches: boolean } | null;
  /** Repairs the compiler made (implicit `*`, inferred sets …). */
  warnings: string[];
  notes: string[];
  exportLp: string | null;
  options: { timeLimit: number; gap: number | null; tolerance: Tolerance };
  versions: { frugal: string; solver: string };
}

/** Reads, compiles, (exports) and solves a structured model file. */
export async function solveModelFile(
  file: string,
  opts: SolveModelFileOptions = {},
): Promise<SolveModelReport> {
  if (opts.exportLp)
    checkOutputPaths([{ path: opts.exportLp, flag: "--export-lp" }], { force: opts.force, inputs: [file] });
  const sm = await readStructuredModel(file);
  let sol: StructuredSolution;
  const timeLimit = opts.timeLimit ?? 60;
  try {
    const compiled = compileModel(sm, { name: opts.name ?? file });
    if (opts.exportLp) {
      const lp = toLpText(compiled.model, { names: "escape" });
      await writeAtomic(opts.exportLp, lp.text, { force: opts.force, inputs: [file] });
    }
    const result = await solveModel(compiled.model, {
      timeLimit,
      gap: opts.gap,
      inline: opts.inline,
      signal: opts.signal,
    });
    sol = { compiled, result };
  } catch (e) {
    if (e instanceof FormulationError) throw e.inFile(file);
    throw e;
  }
  const { compiled, result: r } = sol;
  const tol = opts.tolerance ?? DEFAULT_TOLERANCE;
  const values: Record<string, number> | null = r.values ? {} : null;
  if (r.values && values)
    compiled.model.columns.forEach((c, i) => {
      const v = r.values?.[i] ?? 0;
      if (opts.allValues || Math.abs(v) > 1e-9) values[c.name] = v;
    });
  const m = compiled.model;
  return {
    file,
    status: r.status,
    objective: r.objective,
    bound: r.bound,
    gap: r.gap,
    seconds: r.seconds,
    nodes: r.nodes,
    values,
    size: {
      variables: m.numVars,
      integers: m.numIntegers,
      constraints: m.numConstraints,
      nonzeros: m.numNonzeros,
    },
    reference: sm.source
      ? {
          dataset: sm.source.dataset,
          id: sm.source.id,
          answer: sm.source.answer,
          matches: answersMatch(r.objective, sm.source.answer, tol),
        }
      : null,
    warnings: compiled.warnings,
    notes: r.notes,
    exportLp: opts.exportLp ?? null,
    options: { timeLimit, gap: opts.gap ?? null, tolerance: tol },
    versions: { frugal: frugalVersion(), solver: r.solver },
  };
}
