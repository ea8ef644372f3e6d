/**
 * The router of a MoE layer, as each architecture defines it (facts in architectures.json, read
 * from config.json with defaults):
 *   logits = X Rᵀ; scores = softmax(logits) (Mixtral, Qwen, DeepSeek V1/V2) or sigmoid(logits)
 *   (DeepSeek V3); top-k by score (`greedy`), within the best `topk_group` of `n_group` groups
 *   ranked by their best score (`group_limited_greedy`, DeepSeek V2) or by the sum of their two
 *   best bias-corrected scores (`noaux_tc`, DeepSeek V3, where e_score_correction_bias affects the
 *   choice only); weights = the chosen scores, divided by their sum when normalized (Mixtral
 *   always; Qwen and DeepSeek when norm_topk_prob), times routed_scaling_factor (DeepSeek V2 when
 *   not normalized, V3 always).
 * Sources: transformers' MixtralTopKRouter / Qwen2MoeSparseMoeBlock / Qwen3MoeSparseMoeBlock and
 * DeepSeek's MoEGate (modeling_deepseek.py of DeepSeek-V2-Lite and DeepSeek-V3).
 */
import { InputError } from "../errors/index.js";
import { type Matrix, matmul } from "../tensor/index.js";
import { configValue, type RoutingFacts } from "./facts.js";
import { layoutArchitecture, type MoeLayout } from "./layout.js";

/** A router fully resolved for one checkpoint. */
export interface RoutingSpec {
  scoring: "softmax" | "sigmoid";
  method: "greedy" | "group_limited_greedy" | "noaux_tc";
  normalize: boolean;
  scaling: number;
  scalingWhen: "never" | "always" | "unnormalized";
  topK: number;
  groups: { count: number; topK: number } | null;
  /** Where the definition comes from. */
  source: string;
}

/** Experts and weights chosen for each token (n × topK, row-major). */
export interface Routing {
  tokens: number;
  topK: number;
  experts: Int32Array;
  weights: Float32Array;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Resolves the router of a layout from its facts and config.json. */
export function routingSpec(layout: MoeLayout, opts: { topK?: number } = {}): RoutingSpec {
  const arch = layoutArchitecture(layout);
  const facts = layout.facts.routing;
  const over: Partial<RoutingFacts> =
    (layout.modelType !== null ? facts.byModelType?.[layout.modelType] : undefined) ?? {};
  const pick = <T>(s: { default: T; configKey?: string }, check: (v: unknown) => v is T): T => {
    const v = configValue(layout.config, s.configKey);
    return v !== undefined && check(v) ? v : s.default;
  };
  const scoringFacts = over.scoring ?? facts.scoring;
  const scoring = pick(scoringFacts, (v): v is "softmax" | "sigmoid" => v === "softmax" || v === "sigmoid");
  const method = pick(
    over.method ?? facts.method,
    (v): v is RoutingSpec["method"] => v === "greedy" || v === "group_limited_greedy" || v === "noaux_tc",
  );
  const normalize = pick(over.normalize ?? facts.normalize, (v): v is boolean => typeof v === "boolean");
  const scalingFacts = over.scaling ?? facts.scaling;
  const scaling = pick(scalingFacts, (v): v is number => typeof v === "number" && v > 0);
  const topKKey = arch.spec.config.topK;
  const topK = opts.topK ?? positiveInt(configValue(layout.config, topKKey));
  if (topK === undefined)
    throw new InputError({
      where: `${layout.path}: config.json${topKKey ? `: ${topKKey}` : ""}`,
      what: "is missing, so the router's top-k is unknown",
      hint: `give the checkpoint its config.json (with ${topKKey ?? "the experts-per-token key"})`,
    });
  if (topK > layout.experts)
    throw new InputError({
      where: `${layout.path}: config.json: ${topKKey}`,
      what: `top-k ${topK} is more than the ${layout.experts} experts`,
      hint: "fix config.json",
    });
  let groups: RoutingSpec["groups"] = null;
  const g = over.groups ?? facts.groups;
  if (method !== "greedy" && g) {
    const count = positiveInt(configValue(layout.config, g.configKey)) ?? 1;
    const top = positiveInt(configValue(layout.config, g.topKConfigKey)) ?? count;
    if (layout.experts % count !== 0)
      throw new InputError({
        where: `${layout.path}: config.json: ${g.configKey}`,
        what: `${count} groups do not divide ${layout.experts} experts`,
        hint: "fix config.json",
      });
    groups = { count, topK: Math.min(top, count) };
  }
  return {
    scoring,
    method,
    normalize,
    scaling,
    scalingWhen: scalingFacts.when,
    topK,
    groups,
    source: layout.facts.routingSource,
  };
}

/** Routes the rows of X (n × d) with router weights R (E × d) and an optional score bias (E). */
export function route(X: Matrix, R: Matrix, spec: RoutingSpec, bias: Float32Array | null = null): Routing {
  const n = X.rows;
  const E = R.rows;
  const k = spec.topK;
  const logits = matmul(X, R, { transB: true });
  const experts = new Int32Array(n * k);
  const weights = new Float32Array(n * k);
  const scores = new Float64Array(E);
  const choice = new Float64Array(E);
  const order = Array.from({ length: E }, (_, i) => i);
  for (let t = 0; t < n; t++) {
    const row = logits.data.subarray(t * E, (t + 1) * E);
    if (spec.scoring === "softmax") {
      let max = Number.NEGATIVE_INFINITY;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (let e = 0; e < E; e++) {
        scores[e] = Math.exp(row[e]! - max);
        sum += scores[e]!;
      }
      for (let e = 0; e < E; e++) scores[e] = scores[e]! / sum;
    } else for (let e = 0; e < E; e++) scores[e] = 1 / (1 + Math.exp(-row[e]!));
    for (let e = 0; e < E; e++) choice[e] = scores[e]! + (spec.method === "noaux_tc" && bias ? bias[e]! : 0);
    if (spec.groups && spec.method !== "greedy") {
      const { count, topK: keep } = spec.groups;
      const size = E / count;
      const gscore = Array.from({ length: count }, (_, g) => {
        const vals = Array.from(choice.subarray(g * size, (g + 1) * size)).sort((a, b) => b - a);
        return spec.method === "noaux_tc" ? vals[0]! + (vals[1] ?? 0) : vals[0]!;
      });
      const kept = new Set(
        gscore
          .map((s, g) => [s, g] as const)
          .sort((a, b) => b[0] - a[0] || a[1] - b[1])
          .slice(0, keep)
          .map(([, g]) => g),
      );
      for (let e = 0; e < E; e++) if (!kept.has(Math.floor(e / size))) choice[e] = 0;
    }
    order.sort((a, b) => choice[b]! - choice[a]! || a - b);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += scores[order[j]!]!;
    for (let j = 0; j < k; j++) {
      const e = order[j]!;
      let w = scores[e]!;
      if (spec.normalize) w /= sum + 1e-20;
      if (spec.scalingWhen === "always" || (spec.scalingWhen === "unnormalized" && !spec.normalize))
        w *= spec.scaling;
      experts[t * k + j] = e;
      weights[t * k + j] = w;
    }
  }
  return { tokens: n, topK: k, experts, weights };
}

/** The tokens routed to each expert, with their weights. */
export function tokensByExpert(r: Routing, experts: number): { tokens: number[]; weights: number[] }[] {
  const out = Array.from({ length: experts }, () => ({ tokens: [] as number[], weights: [] as number[] }));
  for (let t = 0; t < r.tokens; t++)
    for (let j = 0; j < r.topK; j++) {
      const slot = out[r.experts[t * r.topK + j]!]!;
      slot.tokens.push(t);
      slot.weights.push(r.weights[t * r.topK + j]!);
    }
  return out;
}
