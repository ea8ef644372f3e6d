/**
 * The one adapter to HiGHS (Huangfu & Hall, "Parallelizing the dual revised simplex method",
 * Math. Prog. Comp. 2018; the MIP solver of HiGHS 1.x), through the `highs` npm package
 * (HiGHS compiled to WebAssembly). No other module imports `highs`.
 *
 * Runs synchronously in whatever thread calls it; `solve.ts` calls it from a worker thread so the
 * caller's event loop stays free for progress and cancellation (a shared flag read in HiGHS's
 * interrupt callbacks).
 */

import type { Highs, ModelData } from "highs";
import * as highsModule from "highs";
import type { SolverInput } from "./payload.js";
import { relativeGap, type SolveProgress, type SolveResult, type SolveStatus } from "./result.js";

let solverPromise: Promise<Highs> | undefined;

function solver(): Promise<Highs> {
  // The package's types describe its CommonJS build; under ESM the loader is the default export.
  type Loader = () => Promise<Highs>;
  const mod = highsModule as unknown as { default: Loader | { default: Loader } };
  const load = typeof mod.default === "function" ? mod.default : mod.default.default;
  const p = solverPromise ?? load();
  solverPromise = p;
  return p;
}

/** The version of the HiGHS build in use, e.g. "1.15.1". */
export async function highsVersion(): Promise<string> {
  return (await solver()).version.string;
}

/** What the adapter takes: limits, gap, seed, a MIP start, cancellation and progress. */
export interface AdapterOptions {
  timeLimit?: number;
  /** Branch-and-bound nodes (`mip_max_nodes`): a deterministic work limit. */
  nodeLimit?: number;
  gap?: number;
  seed?: number;
  log?: boolean;
  /** Sparse MIP start by column index. */
  warmIndices?: Int32Array;
  warmValues?: Float64Array;
  /** MIP start by column name (for LP/MPS input). */
  warmByName?: Record<string, number>;
  /** Where `log` lines go (default: stderr of this thread). */
  onLog?: (line: string) => void;
  /** Polled in interrupt callbacks; returning true stops the solve with status `interrupted`. */
  shouldStop?: () => boolean;
  onProgress?: (p: SolveProgress) => void;
  /** Minimum milliseconds between progress reports. */
  progressEveryMs?: number;
}

/** What the adapter returns: a SolveResult plus whether the model had integer variables. */
export interface AdapterResult extends SolveResult {
  isMip: boolean;
}

/** The WebAssembly heap is capped at 2 GiB; an abort above this size is taken as exhaustion. */
const HEAP_NEARLY_FULL = 1.5 * 2 ** 30;

/** Thrown when the WebAssembly heap cannot hold the model. */
export class HeapExhausted extends Error {}

/** Thrown when HiGHS cannot read LP/MPS input. */
export class ModelReadError extends Error {}

/** Thrown when HiGHS read the model but refused to solve it (its log's ERROR lines are the message). */
export class ModelRejected extends ModelReadError {}

type HighsModel = ReturnType<Highs["createModel"]>;

/** Solves one model with HiGHS in the calling thread: load, set options, MIP start, run, read the outcome. */
export async function solveWithHighs(input: SolverInput, opts: AdapterOptions = {}): Promise<AdapterResult> {
  const highs = await solver();
  const t0 = performance.now();
  const notes: string[] = [];
  let model: HighsModel | undefined;
  try {
    model = loadModel(highs, input);
    setOptions(model, opts);
    const names = columnNames(model, input);
    const isMip = hasIntegers(highs, model);
    setMipStart(model, names, opts, notes);
    run(highs, model, opts, notes, t0);
    return {
      ...readOutcome(highs, model, isMip, notes),
      names,
      isMip,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    throw asAdapterError(highs, e);
  } finally {
    try {
      model?.dispose();
    } catch {
      // a model in an aborted runtime cannot be disposed; the runtime is dropped in asAdapterError
    }
  }
}

function loadModel(highs: Highs, input: SolverInput): HighsModel {
  if (input.kind === "arrays") return highs.createModel(toModelData(highs, input));
  try {
    return highs.createModel({ format: input.format, data: input.data });
  } catch (e) {
    if (/Aborted\(|RuntimeError/.test(String(e))) solverPromise = undefined;
    const msg = String((e as Error)?.message ?? e);
    // HiGHS's readers abort without a message on a syntax error; say what we know.
    throw new ModelReadError(
      /Aborted\(/.test(msg)
        ? `HiGHS's ${input.format.toUpperCase()} reader rejected it; it reports no line`
        : msg,
    );
  }
}

function setOptions(model: HighsModel, opts: AdapterOptions): void {
  model.options.set({ output_flag: true, log_to_console: !!opts.log });
  if (opts.timeLimit !== undefined) model.options.set("time_limit", opts.timeLimit);
  if (opts.nodeLimit !== undefined) model.options.set("mip_max_nodes", opts.nodeLimit);
  if (opts.gap !== undefined) model.options.set("mip_rel_gap", opts.gap);
  if (opts.seed !== undefined) model.options.set("random_seed", opts.seed);
}

/** Column names: the payload's, or read back from the model for LP/MPS text. */
function columnNames(model: HighsModel, input: SolverInput): string[] {
  if (input.kind === "arrays") return input.colNames;
  const { numCols } = model.getDimensions();
  return Array.from({ length: numCols }, (_, j) => model.getColName(j));
}

function hasIntegers(highs: Highs, model: HighsModel): boolean {
  const { numCols } = model.getDimensions();
  for (let j = 0; j < numCols; j++)
    if (model.getColIntegrality(j) !== highs.constants.variableType.continuous) return true;
  return false;
}

/** Hands the MIP start (by index, or by name resolved against `names`) to HiGHS. */
function setMipStart(
  model: HighsModel,
  names: readonly string[],
  opts: AdapterOptions,
  notes: string[],
): void {
  let indices = opts.warmIndices;
  let values = opts.warmValues;
  if (opts.warmByName) {
    const idx: number[] = [];
    const val: number[] = [];
    for (const [name, v] of Object.entries(opts.warmByName)) {
      const j = names.indexOf(name);
      if (j < 0) notes.push(`warm start: no variable named "${name}", ignored`);
      else {
        idx.push(j);
        val.push(v);
      }
    }
    indices = Int32Array.from(idx);
    values = Float64Array.from(val);
  }
  if (!indices || !values || indices.length === 0) return;
  model.setSolution({ indices, values });
  notes.push(`warm start given for ${indices.length} of ${names.length} variables`);
}

/** Runs the solver with callbacks: progress, interrupts, and whether HiGHS accepted the MIP start. */
function run(highs: Highs, model: HighsModel, opts: AdapterOptions, notes: string[], t0: number): void {
  const cb = highs.constants.callbackType;
  const every = opts.progressEveryMs ?? 250;
  let lastReport = 0;
  let incumbent: number | null = null;
  const report = (data: {
    running_time?: number;
    mip_dual_bound?: number;
    mip_gap?: number;
    mip_node_count?: bigint;
  }) => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (now - lastReport < every) return;
    lastReport = now;
    const bound = finiteOrNull(data.mip_dual_bound);
    opts.onProgress({
      seconds: data.running_time ?? (now - t0) / 1000,
      incumbent,
      bound,
      gap: relativeGap(incumbent, bound),
      nodes: data.mip_node_count === undefined ? null : Number(data.mip_node_count),
    });
  };
  const stop = opts.shouldStop;
  const errors: string[] = [];
  const callbacks: Parameters<HighsModel["run"]>[0] = {
    [cb.logging](e) {
      const msg = (e as { message?: string }).message ?? "";
      if (opts.log) {
        const line = msg.endsWith("\n") ? msg : `${msg}\n`;
        if (opts.onLog) opts.onLog(line);
        else process.stderr.write(line);
      }
      const err = /^\s*ERROR:\s*(.*\S)/.exec(msg);
      if (err?.[1] && errors.length < 5) errors.push(err[1]);
      const m = /MIP start solution is (feasible|infeasible)(?:, objective value is (\S+))?/.exec(msg);
      if (m)
        notes.push(
          m[1] === "feasible"
            ? `warm start accepted (objective ${Number(m[2])})`
            : "warm start rejected: infeasible",
        );
    },
    [cb.mipImprovingSolution](e) {
      incumbent = finiteOrNull(e.data.objective_function_value ?? e.data.mip_primal_bound);
      report(e.data);
    },
    [cb.mipInterrupt](e) {
      report(e.data);
      if (stop?.()) e.interrupt();
    },
    [cb.simplexInterrupt](e) {
      if (stop?.()) e.interrupt();
    },
    [cb.ipmInterrupt](e) {
      if (stop?.()) e.interrupt();
    },
  };
  try {
    model.run(callbacks);
  } catch (e) {
    // a model HiGHS refuses (e.g. an infinite cost) fails the run; its log says why
    if (errors.length > 0 && !/Aborted\(|RuntimeError/.test(String(e)))
      throw new ModelRejected(errors.join("; "));
    throw e;
  }
}

type Outcome = Omit<AdapterResult, "names" | "isMip" | "seconds">;

/** Status, objective, bound, gap, values and node count after a run. */
function readOutcome(highs: Highs, model: HighsModel, isMip: boolean, notes: string[]): Outcome {
  const code = model.getModelStatus();
  const ms = highs.constants.modelStatus;
  const solverStatus = Object.entries(ms).find(([, v]) => v === code)?.[0] ?? String(code);
  const hasPrimal = Number(model.info.get("primal_solution_status")) === 2;
  const objective = hasPrimal ? model.getObjectiveValue() : null;
  const values = hasPrimal ? model.getSolution().colValue : null;
  let bound: number | null = null;
  let nodes: number | null = null;
  if (isMip) {
    bound = finiteOrNull(Number(model.info.get("mip_dual_bound")));
    nodes = Number(model.info.get("mip_node_count"));
  } else if (code === ms.optimal) bound = objective;
  const status = statusOf(highs, code, solverStatus, notes);
  if (status === "optimal" && bound === null) bound = objective;
  if (status === "unbounded") {
    // HiGHS's point on the ray is no optimum: there is no objective value to report
    notes.push(
      "the objective is unbounded: it can be improved without limit, so there is no optimal value; check the variable bounds and constraints",
    );
    return {
      status,
      solverStatus,
      objective: null,
      bound: null,
      gap: null,
      values: null,
      nodes,
      notes,
      solver: `HiGHS ${highs.version.string}`,
    };
  }
  return {
    status,
    solverStatus,
    objective,
    bound,
    gap: status === "optimal" && objective !== null ? 0 : relativeGap(objective, bound),
    values,
    nodes,
    notes,
    solver: `HiGHS ${highs.version.string}`,
  };
}

/**
 * HiGHS's model status as ours. `solutionLimit` is what HiGHS reports when `mip_max_nodes` (the
 * only such limit set here) stops the search.
 */
function statusOf(highs: Highs, code: number, solverStatus: string, notes: string[]): SolveStatus {
  const ms = highs.constants.modelStatus;
  switch (code) {
    case ms.optimal:
    case ms.empty:
      return "optimal";
    case ms.infeasible:
      return "infeasible";
    case ms.unbounded:
      return "unbounded";
    case ms.unboundedOrInfeasible:
      notes.push(
        "the solver proved the model infeasible or unbounded without telling which; check the bounds",
      );
      return "infeasible";
    case ms.timeLimit:
      return "time_limit";
    case ms.solutionLimit:
      return "node_limit";
    case ms.interrupted:
      return "interrupted";
    default:
      notes.push(`solver ended with status ${solverStatus}`);
      return "error";
  }
}

/** After a WebAssembly abort the runtime is unusable: drops it, and names heap exhaustion as such. */
function asAdapterError(highs: Highs, e: unknown): unknown {
  if (e instanceof ModelReadError) return e;
  const aborted = /Aborted\(|RuntimeError/.test(String(e));
  if (aborted) solverPromise = undefined;
  // A failed allocation inside HiGHS surfaces as a bare abort; near the 2 GiB cap, call it that.
  let heapBytes = 0;
  try {
    heapBytes = highs.memoryBytes;
  } catch {
    // the runtime may be too broken to answer
  }
  if (isHeapError(e) || (aborted && heapBytes >= HEAP_NEARLY_FULL))
    return new HeapExhausted(
      `${String((e as Error)?.message ?? e)} (heap ${(heapBytes / 2 ** 20).toFixed(0)} MiB)`,
    );
  return e;
}

function toModelData(highs: Highs, p: Extract<SolverInput, { kind: "arrays" }>): ModelData {
  return {
    numCols: p.numCols,
    numRows: p.numRows,
    sense:
      p.sense === "maximize"
        ? highs.constants.objectiveSense.maximize
        : highs.constants.objectiveSense.minimize,
    offset: p.offset,
    colCost: p.colCost,
    colLower: p.colLower,
    colUpper: p.colUpper,
    rowLower: p.rowLower,
    rowUpper: p.rowUpper,
    matrix: {
      format: "csr",
      numRows: p.numRows,
      numCols: p.numCols,
      starts: p.starts,
      indices: p.indices,
      values: p.values,
    },
    integrality: p.integrality,
    colNames: p.colNames,
    rowNames: p.rowNames,
    modelName: p.name,
  };
}

function finiteOrNull(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}

function isHeapError(e: unknown): boolean {
  const s = String((e as Error)?.message ?? e);
  return (
    e instanceof RangeError ||
    /out of memory|Cannot enlarge memory|Aborted\(OOM\)|memory access out of bounds/i.test(s)
  );
}
