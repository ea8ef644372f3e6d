/**
 * `frugal formulate solve` as a library function: run one search strategy on a word problem with
 * an LLM policy and the chosen scorers, solve the chosen complete model (and, by default, every
 * valid leaf, so the tree shows each leaf's objective), and return the tree, the calls by role,
 * the tokens and the time.
 */
import { AbortedError, InputError } from "../../errors/index.js";
import type { Limiter } from "../../llm/http.js";
import { type LlmClient, type LlmUsage, snapshot, usageSince } from "../../llm/types.js";
import type { SolveStatus } from "../../mip/index.js";
import type { OnProgress } from "../../util/progress.js";
import { Rng } from "../../util/random.js";
import { FormulationError } from "../errors.js";
import { type StructuredModel, StructuredModelSchema } from "../schema.js";
import { createPreferenceScorer, createProcessScorer, type ScorerPart } from "../score/registry.js";
import type { PreferenceScorer, ProcessScorer } from "../score/types.js";
import { solveStructured } from "../solve-model.js";
import { type StrategyEntry, strategies } from "./strategies.js";
import { type CallCounts, rootNode, type SearchContext, type TreeNode } from "./tree.js";

/** What a search needs: the question, the clients, the strategy and its parameters, the scorers. */
export interface SearchOptions {
  question: string;
  /** The policy's client. */
  llm: LlmClient;
  /** The judges' client (default: the policy's). */
  judge?: LlmClient;
  /** A strategy name (`bpp`, `beam`, `cot` …). */
  strategy: string;
  /** The strategy's parameters (children, beam …); unknown keys are refused. */
  params?: Record<string, unknown>;
  /** The process reward: scorer names with weights (default llm-judge). */
  prm?: ScorerPart[];
  /** The pairwise preference (default llm-judge). */
  preference?: ScorerPart[];
  /** Policy sampling temperature (default 0.7). */
  temperature?: number;
  /** Most tokens per policy reply (default 4096). */
  maxTokens?: number;
  /** Repair requests per child at most (default 2). */
  repairs?: number;
  /** Seconds HiGHS may spend on one complete model (default 30). */
  solveTimeLimit?: number;
  /** Solve every valid leaf (default) or only the chosen one. */
  solveLeaves?: "all" | "chosen";
  /** Seed of the random choices (strategies with a `seed` parameter take theirs). */
  seed?: number;
  /** The concurrency limit shared with classifier scorers. */
  limiter?: Limiter;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** What a search returns: the chosen model and its optimum, the calls, tokens and seconds, the whole tree. */
export interface SearchResult {
  question: string;
  strategy: string;
  params: Record<string, unknown>;
  /** `chosen`: a complete model was chosen (its solve status is in `chosen.status`); `no_model`: no valid leaf. */
  status: "chosen" | "no_model";
  chosen: {
    id: string;
    model: StructuredModel;
    status: SolveStatus;
    objective: number | null;
    /** Values by column name (non-zero ones). */
    values: Record<string, number> | null;
    warnings: string[];
  } | null;
  /** The calls the strategy's formula gives when every child is valid. */
  expectedCalls: Omit<CallCounts, "repair">;
  calls: CallCounts;
  /** What the clients spent during this search (requests, retries, cache hits, tokens by purpose). */
  usage: LlmUsage;
  tokens: { prompt: number; completion: number };
  seconds: number;
  leaves: { total: number; valid: number; solved: number; objectives: number[] };
  tree: TreeNode[];
  notes: string[];
}

/** A checked search configuration: the strategy, its parameters and the scorers it needs. */
export interface PreparedSearch {
  entry: StrategyEntry;
  params: Record<string, unknown>;
  prm: ProcessScorer | null;
  preference: PreferenceScorer | null;
  /** Remarks collected while searching (unreadable judge replies). */
  notes: string[];
}

/**
 * Checks the strategy name, its parameters and the scorers (names, parameters, what they need)
 * before any call is made; throws the InputError a user can fix.
 */
export function prepareSearch(o: Omit<SearchOptions, "question">): PreparedSearch {
  const entry = strategies.get(o.strategy);
  const params = strategies.params(o.strategy, o.params ?? {}) as Record<string, unknown>;
  const notes: string[] = [];
  const deps = {
    llm: o.judge ?? o.llm,
    limiter: o.limiter,
    note: (w: string) => notes.push(`unreadable judge reply (${w}); counted as 0.5`),
  };
  return {
    entry,
    params,
    prm: entry.needs.prm ? createProcessScorer(o.prm ?? [{ name: "llm-judge", weight: 1 }], deps) : null,
    preference: entry.needs.preference
      ? createPreferenceScorer(o.preference ?? [{ name: "llm-judge", weight: 1 }], deps)
      : null,
    notes,
  };
}

/** Runs a search and solves the chosen model. LLM failures throw LlmError; Ctrl-C AbortedError. */
export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  if (!o.question.trim())
    throw new InputError({ where: "question", what: "is empty", hint: "give the word problem's text" });
  const { entry, params, prm, preference, notes } = prepareSearch(o);
  const judge = o.judge ?? o.llm;
  const solveTimeLimit = o.solveTimeLimit ?? 30;
  const before = [snapshot(o.llm.usage()), judge === o.llm ? null : snapshot(judge.usage())] as const;
  const ctx: SearchContext = {
    question: o.question,
    llm: o.llm,
    prm,
    preference,
    temperature: o.temperature ?? 0.7,
    maxTokens: o.maxTokens ?? 4096,
    repairs: o.repairs ?? 2,
    nodes: new Map([["0", rootNode()]]),
    counts: { policy: 0, repair: 0, prm: 0, preference: 0 },
    notes,
    rng: (() => {
      const r = new Rng(typeof params.seed === "number" ? params.seed : (o.seed ?? 0));
      return () => r.next();
    })(),
    signal: o.signal,
    solveLeaf: (leaf) => solveLeaf(leaf, solveTimeLimit, o.signal),
  };
  const expected = entry.expectedCalls(params);
  const total = expected.policy + expected.prm + expected.preference;
  ctx.onCalls = () =>
    o.onProgress?.({
      label: `${o.strategy}`,
      done: Math.min(total, ctx.counts.policy + ctx.counts.prm + ctx.counts.preference),
      total,
      detail: ctx.counts.repair ? `${ctx.counts.repair} repairs` : undefined,
    });
  ctx.onCalls();
  const leaf = await entry.run(ctx, params);
  if (o.signal?.aborted) throw new AbortedError("formulate");
  const leaves = [...ctx.nodes.values()].filter((n) => n.layer === 3);
  if ((o.solveLeaves ?? "all") === "all")
    for (const l of leaves) if (l.valid && !l.solve) await solveLeaf(l, solveTimeLimit, o.signal);
  let chosen: SearchResult["chosen"] = null;
  if (leaf) {
    for (let n: TreeNode | undefined = leaf; n; n = n.parent ? ctx.nodes.get(n.parent) : undefined)
      n.chosen = true;
    const model = StructuredModelSchema.parse(leaf.model);
    const { objective, status, values } = await solveChosen(model, solveTimeLimit, o.signal);
    leaf.solve = { status, objective };
    chosen = { id: leaf.id, model, status, objective, values, warnings: leaf.warnings };
  }
  const usage = usageSince(o.llm.usage(), before[0]);
  if (before[1]) {
    const j = usageSince(judge.usage(), before[1]);
    for (const k of [
      "calls",
      "samples",
      "httpRequests",
      "cacheHits",
      "retries",
      "promptTokens",
      "completionTokens",
      "usageMissing",
    ] as const)
      usage[k] += j[k];
    for (const [k, v] of Object.entries(j.byPurpose)) usage.byPurpose[k] = v;
  }
  const solvedLeaves = leaves.filter((l) => l.solve?.status === "optimal");
  return {
    question: o.question,
    strategy: o.strategy,
    params,
    status: chosen ? "chosen" : "no_model",
    chosen,
    expectedCalls: expected,
    calls: { ...ctx.counts },
    usage,
    tokens: { prompt: usage.promptTokens, completion: usage.completionTokens },
    seconds: (performance.now() - t0) / 1000,
    leaves: {
      total: leaves.length,
      valid: leaves.filter((l) => l.valid).length,
      solved: solvedLeaves.length,
      objectives: solvedLeaves.map((l) => l.solve!.objective!),
    },
    tree: [...ctx.nodes.values()],
    notes,
  };
}

async function solveLeaf(leaf: TreeNode, timeLimit: number, signal?: AbortSignal): Promise<void> {
  const parsed = StructuredModelSchema.safeParse(leaf.model);
  if (!parsed.success) {
    leaf.solve = { status: "error", objective: null };
    return;
  }
  const r = await solveChosen(parsed.data, timeLimit, signal);
  leaf.solve = { status: r.status, objective: r.objective };
}

async function solveChosen(
  model: StructuredModel,
  timeLimit: number,
  signal?: AbortSignal,
): Promise<{ status: SolveStatus; objective: number | null; values: Record<string, number> | null }> {
  try {
    const { compiled, result } = await solveStructured(model, { inline: true, timeLimit, signal });
    let values: Record<string, number> | null = null;
    if (result.values) {
      values = {};
      for (const [i, c] of compiled.model.columns.entries()) {
        const v = result.values[i] ?? 0;
        if (Math.abs(v) > 1e-9) values[c.name] = v;
      }
    }
    return { status: result.status, objective: result.objective, values };
  } catch (e) {
    if (e instanceof FormulationError) return { status: "error", objective: null, values: null };
    throw e;
  }
}
