/** What a solve returns: an outcome as a value, never an exception for infeasible/unbounded/a limit. */
import { z } from "zod";

/**
 * How a solve ended: `optimal` (proved), `time_limit` / `node_limit` (stopped by `timeLimit` /
 * `nodeLimit`; the best solution so far, if any, is in `values`), `infeasible`, `unbounded`,
 * `interrupted` (the AbortSignal fired), `error` (the solver failed; see `notes`).
 */
export type SolveStatus =
  | "optimal"
  | "time_limit"
  | "node_limit"
  | "infeasible"
  | "unbounded"
  | "interrupted"
  | "error";

/** The outcome of one solve, as a value. */
export interface SolveResult {
  status: SolveStatus;
  /** Objective of the best solution found, or null when there is none. */
  objective: number | null;
  /** Best proven bound on the objective (MIP dual bound; equals objective for a solved LP), or null. */
  bound: number | null;
  /** Relative gap |objective − bound| / max(|objective|, tiny), or null without both. */
  gap: number | null;
  /** Values by variable index (length = number of variables), or null without a solution. */
  values: Float64Array | null;
  /** Variable names by index (for LP/MPS input where the caller does not know them). */
  names: string[];
  /** Wall-clock seconds of the solve. */
  seconds: number;
  /** Branch-and-bound nodes (MIP only). */
  nodes: number | null;
  /** Human-readable remarks (e.g. "warm start accepted", "solver message: …"). */
  notes: string[];
  /** The solver and its version, e.g. "HiGHS 1.15.1". */
  solver: string;
  /** Raw HiGHS model status text, for diagnosis. */
  solverStatus: string;
}

/** The plain-data solve options, validated by `solveModel`/`solveText` (unknown keys are refused). */
export const SolveOptionsSchema = z
  .object({
    /** Seconds; default no limit. Results then depend on the machine's speed. */
    timeLimit: z.number().positive().optional(),
    /**
     * Branch-and-bound nodes (HiGHS `mip_max_nodes`); default no limit. A deterministic work
     * limit: the same model, options and seed give the same result on any machine. Status
     * `node_limit` when reached.
     */
    nodeLimit: z.number().int().min(1).optional(),
    /** Relative MIP gap at which to stop; HiGHS default 1e-4. */
    gap: z.number().min(0).max(1).optional(),
    /** Threads: the WebAssembly build is single-threaded; any value other than 1 is noted and ignored. */
    threads: z.number().int().positive().optional(),
    /** Random seed for the solver. */
    seed: z.number().int().min(0).optional(),
    /** Print the solver's log to stderr. */
    log: z.boolean().optional(),
    /** Run the solve inline instead of in a worker thread (no progress, no cancellation while solving). */
    inline: z.boolean().optional(),
    /**
     * Run in the one long-lived solver thread, kept between solves: for many small solves in a row
     * (no thread start per solve) that must stay cancellable while HiGHS works.
     */
    reuseWorker: z.boolean().optional(),
  })
  .strict();

/** The plain-data part of `SolveOptions`. */
export type SolveOptionsBase = z.infer<typeof SolveOptionsSchema>;

/** A MIP start: values by variable index or by name; a partial start is completed by HiGHS. */
export type WarmStart =
  | { byIndex: ReadonlyMap<number, number> | ArrayLike<number> }
  | { byName: Readonly<Record<string, number>> };

/** What the solver reports while it runs (to `onProgress`). */
export interface SolveProgress {
  seconds: number;
  /** Best objective found so far (null before the first). */
  incumbent: number | null;
  bound: number | null;
  gap: number | null;
  nodes: number | null;
}

/** Options of `solveModel`/`solveText`: limits, gap, seed, a MIP start, cancellation, progress. */
export interface SolveOptions extends SolveOptionsBase {
  warmStart?: WarmStart;
  signal?: AbortSignal;
  onProgress?: (p: SolveProgress) => void;
}

/** Relative gap |objective − bound| / |objective| (the denominator floored at 1e-9); null without both. */
export function relativeGap(objective: number | null, bound: number | null): number | null {
  if (objective === null || bound === null || !Number.isFinite(objective) || !Number.isFinite(bound))
    return null;
  const diff = Math.abs(objective - bound);
  if (diff === 0) return 0;
  return diff / Math.max(Math.abs(objective), 1e-9);
}
