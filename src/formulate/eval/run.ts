/**
 * `frugal formulate eval` as a library function: run one search strategy on every problem of a
 * benchmark, compare the chosen model's optimum with the reference (|pred − ref| ≤ max(abs,
 * rel·|ref|)), and report accuracy with a 95% Wilson interval, the calls, tokens and seconds per
 * problem. A problem whose search fails (the server errs, no valid model) is recorded with the
 * reason and the run goes on. Besides accuracy it reports how often the explored tree held a
 * correct leaf, and accuracy on those problems (the paper's protocol, arXiv 2411.17404 §5).
 */
import { AbortedError, throwIfAborted } from "../../errors/index.js";
import type { SolveStatus } from "../../mip/index.js";
import { csvRow } from "../../util/csv.js";
import type { OnProgress } from "../../util/progress.js";
import { frugalVersion } from "../../util/version.js";
import { prepareSearch, runSearch, type SearchOptions } from "../search/run.js";
import type { Problem } from "./datasets.js";
import { answersMatch, DEFAULT_TOLERANCE, type Proportion, type Tolerance, wilsonInterval } from "./match.js";

/** The outcome of one problem. */
export type EvalStatus = "correct" | "wrong" | "no_model" | "failed" | "no_reference";

/** The outcome, calls, tokens and time of one problem. */
export interface EvalRow {
  id: string;
  status: EvalStatus;
  reference: number | null;
  predicted: number | null;
  /** The chosen model's solve status (null without a model). */
  solveStatus: SolveStatus | null;
  /** Whether any solved leaf of the explored tree matched the reference (null without a search). */
  anyLeafCorrect: boolean | null;
  calls: { policy: number; repair: number; prm: number; preference: number };
  tokens: { prompt: number; completion: number };
  httpRequests: number;
  cacheHits: number;
  seconds: number;
  /** Why the problem failed, or a remark. */
  error: string | null;
}

/** Options of an evaluation: a search's options plus the problems, the tolerance and the parallelism. */
export interface EvalOptions extends Omit<SearchOptions, "question" | "onProgress"> {
  problems: Problem[];
  /** Answer-matching tolerance (default relative 1e-4, absolute 1e-6). */
  tolerance?: Tolerance;
  /** Problems searched at once (default 1; the client's concurrency limit still applies). */
  parallel?: number;
  onProgress?: OnProgress;
  /** Called when a problem is done (for logs). */
  onRow?: (row: EvalRow) => void;
}

/** What an evaluation returns: accuracy with intervals, calls and tokens per problem, one row per problem. */
export interface EvalResult {
  strategy: string;
  params: Record<string, unknown>;
  tolerance: Tolerance;
  /** `interrupted` when Ctrl-C stopped the run (the rows are the problems finished). */
  status: "complete" | "interrupted";
  problems: number;
  /** Problems with a reference answer that were run. */
  evaluated: number;
  accuracy: Proportion;
  /** Problems whose explored tree held a correct leaf. */
  treeHasCorrect: Proportion;
  /** Accuracy on the problems whose tree held a correct leaf (the paper's protocol). */
  accuracyWhenTreeCorrect: Proportion;
  failures: number;
  perProblem: {
    policy: number;
    repair: number;
    prm: number;
    preference: number;
    promptTokens: number;
    completionTokens: number;
    seconds: number;
  };
  totals: {
    promptTokens: number;
    completionTokens: number;
    httpRequests: number;
    cacheHits: number;
    seconds: number;
  };
  rows: EvalRow[];
  notes: string[];
  versions: { frugal: string };
}

/** Runs the evaluation. The strategy and scorers are checked before the first problem. */
export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const t0 = performance.now();
  prepareSearch(o);
  const tol = o.tolerance ?? DEFAULT_TOLERANCE;
  const rows: (EvalRow | undefined)[] = new Array(o.problems.length);
  let next = 0;
  let done = 0;
  let interrupted = false;
  let params: Record<string, unknown> = o.params ?? {};
  const report = () => {
    const finished = rows.filter((r): r is EvalRow => r !== undefined);
    const correct = finished.filter((r) => r.status === "correct").length;
    const judged = finished.filter((r) => r.status !== "no_reference").length;
    o.onProgress?.({ label: "eval", done, total: o.problems.length, detail: `${correct}/${judged} correct` });
  };
  const worker = async () => {
    for (;;) {
      if (o.signal?.aborted) {
        interrupted = true;
        return;
      }
      const k = next++;
      const p = o.problems[k];
      if (!p) return;
      const row = await runOne(o, p, tol);
      if (row === null) {
        interrupted = true;
        return;
      }
      if (row.params) params = row.params;
      rows[k] = row.row;
      done++;
      o.onRow?.(row.row);
      report();
    }
  };
  report();
  await Promise.all(Array.from({ length: Math.max(1, o.parallel ?? 1) }, worker));
  const finished = rows.filter((r): r is EvalRow => r !== undefined);
  const judged = finished.filter((r) => r.status !== "no_reference");
  const correct = judged.filter((r) => r.status === "correct").length;
  const treeOk = judged.filter((r) => r.anyLeafCorrect === true);
  const mean = (f: (r: EvalRow) => number) =>
    judged.length ? judged.reduce((s, r) => s + f(r), 0) / judged.length : 0;
  const sum = (f: (r: EvalRow) => number) => finished.reduce((s, r) => s + f(r), 0);
  const notes: string[] = [];
  const noRef = finished.filter((r) => r.status === "no_reference").length;
  if (noRef) notes.push(`${noRef} problem(s) have no usable reference answer and are not counted`);
  if (interrupted) notes.push(`interrupted after ${finished.length} of ${o.problems.length} problems`);
  return {
    strategy: o.strategy,
    params,
    tolerance: tol,
    status: interrupted ? "interrupted" : "complete",
    problems: o.problems.length,
    evaluated: judged.length,
    accuracy: wilsonInterval(correct, judged.length),
    treeHasCorrect: wilsonInterval(treeOk.length, judged.length),
    accuracyWhenTreeCorrect: wilsonInterval(
      treeOk.filter((r) => r.status === "correct").length,
      treeOk.length,
    ),
    failures: judged.filter((r) => r.status === "failed").length,
    perProblem: {
      policy: mean((r) => r.calls.policy),
      repair: mean((r) => r.calls.repair),
      prm: mean((r) => r.calls.prm),
      preference: mean((r) => r.calls.preference),
      promptTokens: mean((r) => r.tokens.prompt),
      completionTokens: mean((r) => r.tokens.completion),
      seconds: mean((r) => r.seconds),
    },
    totals: {
      promptTokens: sum((r) => r.tokens.prompt),
      completionTokens: sum((r) => r.tokens.completion),
      httpRequests: sum((r) => r.httpRequests),
      cacheHits: sum((r) => r.cacheHits),
      seconds: (performance.now() - t0) / 1000,
    },
    rows: finished,
    notes,
    versions: { frugal: frugalVersion() },
  };
}

const emptyRow = (p: Problem): EvalRow => ({
  id: p.id,
  status: "no_reference",
  reference: p.answer,
  predicted: null,
  solveStatus: null,
  anyLeafCorrect: null,
  calls: { policy: 0, repair: 0, prm: 0, preference: 0 },
  tokens: { prompt: 0, completion: 0 },
  httpRequests: 0,
  cacheHits: 0,
  seconds: 0,
  error: null,
});

/** One problem; null when interrupted. Any other failure is recorded in the row. */
async function runOne(
  o: EvalOptions,
  p: Problem,
  tol: Tolerance,
): Promise<{ row: EvalRow; params?: Record<string, unknown> } | null> {
  const row = emptyRow(p);
  if (p.answer === null) {
    row.error = p.note ?? "no reference answer";
    return { row };
  }
  const t0 = performance.now();
  const before = o.llm.usage();
  try {
    throwIfAborted(o.signal, "eval");
    const r = await runSearch({ ...o, question: p.question, onProgress: undefined });
    row.calls = r.calls;
    row.tokens = r.tokens;
    row.httpRequests = r.usage.httpRequests;
    row.cacheHits = r.usage.cacheHits;
    row.anyLeafCorrect = r.leaves.objectives.some((v) => answersMatch(v, p.answer as number, tol));
    if (!r.chosen) {
      row.status = "no_model";
      row.error = "no valid complete model in the tree";
    } else {
      row.solveStatus = r.chosen.status;
      row.predicted = r.chosen.objective;
      row.status = answersMatch(r.chosen.objective, p.answer, tol) ? "correct" : "wrong";
      if (r.chosen.status !== "optimal") row.error = `the chosen model is ${r.chosen.status}`;
    }
    row.seconds = (performance.now() - t0) / 1000;
    return { row, params: r.params };
  } catch (e) {
    if (e instanceof AbortedError || o.signal?.aborted) return null;
    const after = o.llm.usage();
    row.status = "failed";
    row.error = e instanceof Error ? e.message : String(e);
    row.httpRequests = after.httpRequests - before.httpRequests;
    row.tokens = {
      prompt: after.promptTokens - before.promptTokens,
      completion: after.completionTokens - before.completionTokens,
    };
    row.seconds = (performance.now() - t0) / 1000;
    return { row };
  }
}

const CSV_HEADER = [
  "id",
  "status",
  "reference",
  "predicted",
  "solve_status",
  "any_leaf_correct",
  "policy_calls",
  "repair_calls",
  "prm_calls",
  "preference_calls",
  "prompt_tokens",
  "completion_tokens",
  "http_requests",
  "cache_hits",
  "seconds",
  "error",
];

/** The per-problem CSV (one row per problem, a header first). */
export function evalCsv(r: EvalResult): string {
  const cell = (v: string | number | boolean | null) =>
    v === null ? "" : typeof v === "number" ? v : String(v);
  const lines = [csvRow(CSV_HEADER)];
  for (const x of r.rows)
    lines.push(
      csvRow(
        [
          x.id,
          x.status,
          x.reference,
          x.predicted,
          x.solveStatus,
          x.anyLeafCorrect,
          x.calls.policy,
          x.calls.repair,
          x.calls.prm,
          x.calls.preference,
          x.tokens.prompt,
          x.tokens.completion,
          x.httpRequests,
          x.cacheHits,
          x.seconds.toFixed(3),
          x.error,
        ].map(cell),
      ),
    );
  return `${lines.join("\n")}\n`;
}
