/**
 * The search tree of BPP-Search (arXiv 2411.17404 §3): the question is the root (layer 0); layer 1
 * holds sets and parameters, layer 2 variables, layer 3 objective and constraints (the leaves are
 * complete models). `expand` asks the policy for n children of a node in one request (n samples);
 * a child whose reply cannot be read or does not compile is sent back with the error (up to
 * `repairs` times) and is kept, marked invalid, if it still fails. `scoreNodes` asks the process
 * reward of every valid node; `rankByPreference` asks the pairwise preference of every ordered
 * pair of valid leaves and gives each its mean win probability.
 */
import { throwIfAborted } from "../../errors/index.js";
import { formatPath } from "../../errors/zod.js";
import { extractJson } from "../../llm/json.js";
import type { ChatMessage, LlmClient } from "../../llm/types.js";
import type { SolveStatus } from "../../mip/index.js";
import { checkLayers } from "../compile.js";
import { FormulationError } from "../errors.js";
import { layerMessages, layerSchema, repairMessage } from "../prompts.js";
import { LAYER_SCHEMAS, LAYERS, type LayerName, type PartialModel } from "../schema.js";
import type { PreferenceScorer, ProcessScorer } from "../score/types.js";

/** One node of the tree. */
export interface TreeNode {
  /** `0` for the root, `0.2` its third child, `0.2.1` … */
  id: string;
  parent: string | null;
  /** 0 question, 1 sets and parameters, 2 variables, 3 objective and constraints. */
  layer: number;
  /** The model up to and including this node's layer. */
  model: PartialModel;
  /** Whether the layer was read and the model up to it compiles. */
  valid: boolean;
  /** Why it is invalid (the last error after the repairs). */
  error: string | null;
  /** Repairs the compiler made (implicit `*` …). */
  warnings: string[];
  /** Repair requests it took. */
  repairs: number;
  /** Process reward, when asked. */
  prm: number | null;
  /** Mean win probability against the other final leaves, when asked. */
  preference: number | null;
  /** The solver's verdict on a complete model, when solved. */
  solve: { status: SolveStatus; objective: number | null } | null;
  /** On the path to the chosen leaf. */
  chosen: boolean;
}

/** The calls a search made, by role. */
export interface CallCounts {
  /** Children generated (samples asked of the policy). */
  policy: number;
  /** Repair requests (a reply sent back with its error). */
  repair: number;
  /** Process reward evaluations. */
  prm: number;
  /** Pairwise preference evaluations. */
  preference: number;
}

/** The state a strategy works on: the clients, scorers, tree, call counts and randomness of one search. */
export interface SearchContext {
  question: string;
  llm: LlmClient;
  prm: ProcessScorer | null;
  preference: PreferenceScorer | null;
  /** Temperature of the policy's samples. */
  temperature: number;
  maxTokens: number;
  /** Repair requests per child at most. */
  repairs: number;
  nodes: Map<string, TreeNode>;
  counts: CallCounts;
  notes: string[];
  rng: () => number;
  signal?: AbortSignal;
  /** Compiles and solves a complete model, setting the leaf's `solve`. */
  solveLeaf: (leaf: TreeNode) => Promise<void>;
  /** Called after each batch of calls. */
  onCalls?: () => void;
}

/** The root node (the question). */
export function rootNode(): TreeNode {
  return {
    id: "0",
    parent: null,
    layer: 0,
    model: {},
    valid: true,
    error: null,
    warnings: [],
    repairs: 0,
    prm: null,
    preference: null,
    solve: null,
    chosen: false,
  };
}

/** Reads one layer's reply and checks the model up to it: the new model, or the problem as text for the LLM. */
export function interpretLayer(
  text: string,
  layer: LayerName,
  base: PartialModel,
): { ok: true; model: PartialModel; warnings: string[] } | { ok: false; error: string } {
  const j = extractJson(text);
  if (!j.ok) return { ok: false, error: j.error };
  const parsed = LAYER_SCHEMAS[layer].safeParse(j.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = formatPath(issue.path);
    return { ok: false, error: `${path ? `${path}: ` : ""}${issue.message}` };
  }
  const model: PartialModel = { ...base, ...(parsed.data as PartialModel) };
  try {
    return { ok: true, model, warnings: checkLayers(model).warnings };
  } catch (e) {
    if (e instanceof FormulationError) return { ok: false, error: e.repairText() };
    throw e;
  }
}

async function makeChild(
  ctx: SearchContext,
  parent: TreeNode,
  id: string,
  first: string,
  layer: LayerName,
  base: ChatMessage[],
): Promise<TreeNode> {
  const node: TreeNode = {
    ...rootNode(),
    id,
    parent: parent.id,
    layer: parent.layer + 1,
    model: parent.model,
  };
  let text = first;
  let messages = base;
  for (let attempt = 0; ; attempt++) {
    const r = interpretLayer(text, layer, parent.model);
    if (r.ok) {
      node.model = r.model;
      node.valid = true;
      node.error = null;
      node.warnings = r.warnings;
      return node;
    }
    node.valid = false;
    node.error = r.error;
    if (attempt >= ctx.repairs) return node;
    throwIfAborted(ctx.signal, "formulate");
    messages = [...messages, { role: "assistant", content: text }, repairMessage(r.error, layer)];
    node.repairs++;
    ctx.counts.repair++;
    const res = await ctx.llm.complete(
      {
        messages,
        temperature: ctx.temperature,
        maxTokens: ctx.maxTokens,
        responseFormat: layerSchema(layer),
        purpose: "repair",
        cacheKey: `repair:${id}:${attempt + 1}`,
      },
      ctx.signal,
    );
    ctx.onCalls?.();
    text = res.contents[0] ?? "";
  }
}

/** Asks the policy for `k` children of `parent` (one request, k samples), repairing bad replies. */
export async function expand(ctx: SearchContext, parent: TreeNode, k: number, tag = ""): Promise<TreeNode[]> {
  throwIfAborted(ctx.signal, "formulate");
  const layer = LAYERS[parent.layer];
  if (!layer || k < 1) return [];
  const base = layerMessages(ctx.question, parent.model, layer);
  const start = [...ctx.nodes.values()].filter((n) => n.parent === parent.id).length;
  const res = await ctx.llm.complete(
    {
      messages: base,
      n: k,
      temperature: ctx.temperature,
      maxTokens: ctx.maxTokens,
      responseFormat: layerSchema(layer),
      purpose: "policy",
      cacheKey: `policy:${parent.id}:${start}${tag}`,
    },
    ctx.signal,
  );
  ctx.counts.policy += k;
  ctx.onCalls?.();
  // ids are fixed before the children are read, so the tree does not depend on completion order
  const ids = res.contents.map((_, i) => `${parent.id}.${start + i}`);
  for (const id of ids)
    ctx.nodes.set(id, {
      ...rootNode(),
      id,
      parent: parent.id,
      layer: parent.layer + 1,
      model: parent.model,
      valid: false,
      error: "pending",
    });
  const children = await Promise.all(
    res.contents.map((text, i) => makeChild(ctx, parent, ids[i]!, text, layer, base)),
  );
  for (const c of children) ctx.nodes.set(c.id, c);
  return children;
}

/** Asks the process reward of every valid node (invalid nodes score 0 without a call). */
export async function scoreNodes(ctx: SearchContext, nodes: TreeNode[]): Promise<void> {
  const prm = ctx.prm;
  if (!prm) throw new Error("scoreNodes without a process scorer");
  throwIfAborted(ctx.signal, "formulate");
  await Promise.all(
    nodes.map(async (n) => {
      if (!n.valid) {
        n.prm = 0;
        return;
      }
      ctx.counts.prm++;
      n.prm = await prm.score(
        { question: ctx.question, signal: ctx.signal },
        { id: n.id, layer: n.layer, model: n.model },
      );
    }),
  );
  ctx.onCalls?.();
}

/**
 * Pairwise preference over the valid leaves: P(a ≻ b) for every ordered pair (both orders, so a
 * judge's position bias cancels; `symmetric: false` asks each unordered pair once and uses
 * P(b ≻ a) = 1 − P(a ≻ b)). Each leaf's score is its mean win probability against the others.
 */
export async function rankByPreference(
  ctx: SearchContext,
  leaves: TreeNode[],
  symmetric: boolean,
): Promise<void> {
  const pref = ctx.preference;
  if (!pref) throw new Error("rankByPreference without a preference scorer");
  throwIfAborted(ctx.signal, "formulate");
  const valid = leaves.filter((l) => l.valid);
  for (const l of leaves) if (!l.valid) l.preference = 0;
  const m = valid.length;
  if (m === 1) valid[0]!.preference = 1;
  if (m < 2) return;
  const p = Array.from({ length: m }, () => new Float64Array(m));
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      if (i === j || (!symmetric && j < i)) continue;
      const [a, b] = [valid[i]!, valid[j]!];
      ctx.counts.preference++;
      jobs.push(
        pref
          .prefer(
            { question: ctx.question, signal: ctx.signal },
            { id: a.id, layer: a.layer, model: a.model },
            { id: b.id, layer: b.layer, model: b.model },
          )
          .then((v) => {
            p[i]![j] = v;
          }),
      );
    }
  await Promise.all(jobs);
  ctx.onCalls?.();
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) {
      if (i === j) continue;
      const pij = symmetric ? (p[i]![j]! + (1 - p[j]![i]!)) / 2 : j > i ? p[i]![j]! : 1 - p[j]![i]!;
      s += pij;
    }
    valid[i]!.preference = s / (m - 1);
  }
}

/** The node with the highest value of `key` among valid ones (the first on ties), or null. */
export function best(nodes: TreeNode[], key: (n: TreeNode) => number | null): TreeNode | null {
  let out: TreeNode | null = null;
  let v = Number.NEGATIVE_INFINITY;
  for (const n of nodes) {
    if (!n.valid) continue;
    const x = key(n) ?? Number.NEGATIVE_INFINITY;
    if (x > v) {
      v = x;
      out = n;
    }
  }
  return out;
}

/** The `b` valid nodes with the highest process reward (stable on ties). */
export function topByPrm(nodes: TreeNode[], b: number): TreeNode[] {
  return nodes
    .filter((n) => n.valid)
    .map((n, i) => ({ n, i }))
    .sort((x, y) => (y.n.prm ?? 0) - (x.n.prm ?? 0) || x.i - y.i)
    .slice(0, b)
    .map((x) => x.n);
}
