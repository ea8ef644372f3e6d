/**
 * `frugal mole analyze`: the analytic parameter, FLOP-per-token and memory comparison of an MoE
 * model and its MoLE conversion, from shapes only (the paper's efficiency analysis, §4 of arXiv
 * 2503.23100, in the formulation of docs/mole.md). The model is a Hugging Face config.json, or a
 * shipped preset (presets/mole/*.preset.json: the shape keys of a published config.json).
 *
 * Per MoE layer and converted kind, with groups of k_g experts, p the expert intermediate size and
 * d the hidden size: parameters Σ_g (k_g·p·r + r·d) instead of E·p·d; per token, the shared
 * latent B_g x (r·d multiply-adds) once for each group the token reaches plus A^i (p·r) for each
 * of its top-K experts, instead of K·p·d. With uniform routing a token reaches group g with
 * probability 1 − C(E − k_g, K) / C(E, K). FLOPs = 2 × multiply-adds of the weight matrices
 * (attention scores over `context` tokens added separately).
 */
import { z } from "zod";
import { InputError, parseWith } from "../errors/index.js";
import { dtypeBytes, type WritableDType } from "../tensor/index.js";
import { loadPresetSpec, presetNames } from "../util/presets.js";
import { frugalVersion } from "../util/version.js";
import { configValue, MOE_ARCHITECTURES, type MoeArchitecture } from "./facts.js";
import { KINDS, type Kind } from "./layout.js";
import { expertGroups, latentParams } from "./plan.js";
import { rankRules } from "./rank-rules.js";

/** A shipped model-shape preset. */
export const MolePresetSchema = z.object({
  name: z.string(),
  description: z.string(),
  source: z.string().url(),
  config: z.record(z.string(), z.unknown()),
});

/** The names of the shipped model-shape presets. */
export function analyzePresetNames(): string[] {
  return presetNames("mole");
}

/** Options of the analysis: how r is chosen, groups, converted kinds, dtype and context length. */
export interface AnalyzeOptions {
  /** Rank rule: `rank` or `target-ratio` (rules that need the spectrum need weights) [target-ratio 0.5]. */
  rankRule?: { name: string; params?: Record<string, unknown> };
  groupSize?: number | null;
  kinds?: readonly Kind[];
  dtype?: WritableDType;
  /** Context length for the attention-score FLOPs [4096]. */
  context?: number;
}

/** One side of the comparison. */
export interface AnalysisRow {
  name: "MoE" | "MoLE";
  totalParams: number;
  nonEmbeddingParams: number;
  expertParams: number;
  activeParamsPerToken: number;
  flopsPerToken: number;
  attentionFlopsPerToken: number;
  weightBytes: number;
}

/** The analytic comparison of an MoE model and its MoLE conversion (what `frugal mole analyze --json` prints). */
export interface Analysis {
  model: string;
  source: string | null;
  architecture: string;
  shape: {
    layers: number;
    moeLayers: number;
    hidden: number;
    expertIntermediate: number;
    experts: number;
    topK: number;
    sharedIntermediate: number;
    vocab: number;
  };
  options: {
    rankRule: { name: string; params: Record<string, unknown> };
    groupSize: number | null;
    kinds: Kind[];
    dtype: WritableDType;
    context: number;
  };
  rank: number;
  groups: number;
  /** Expected groups a token reaches per MoE layer (uniform routing). */
  groupsReached: number;
  rows: AnalysisRow[];
  savings: {
    totalParams: number;
    expertParams: number;
    activeParams: number;
    flops: number;
    weightBytes: number;
  };
  notes: string[];
  versions: { frugal: string };
}

function binomRatio(E: number, k: number, K: number): number {
  // C(E−k, K) / C(E, K) = Π_{i<K} (E−k−i)/(E−i)
  let r = 1;
  for (let i = 0; i < K; i++) r *= Math.max(0, E - k - i) / (E - i);
  return r;
}

function architectureFor(config: Record<string, unknown>, where: string): MoeArchitecture {
  const mt = typeof config.model_type === "string" ? config.model_type : null;
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  const hit = MOE_ARCHITECTURES.find(
    (a) =>
      !a.facts.familyFromModelType &&
      ((mt !== null && a.spec.modelTypes.includes(mt)) ||
        archs.some((x) => a.spec.configArchitectures.includes(String(x)))),
  );
  if (!hit)
    throw new InputError({
      where: `${where}: model_type`,
      what: `${mt === null ? "is missing" : `"${mt}" is not an MoE architecture of the table`}`,
      hint: `use a config.json with model_type ${MOE_ARCHITECTURES.flatMap((a) => a.spec.modelTypes).join(", ")}`,
    });
  return hit;
}

/** Analyzes a config.json object. */
export function analyzeConfig(
  config: Record<string, unknown>,
  opts: AnalyzeOptions = {},
  where = "config.json",
  model = where,
): Analysis {
  const arch = architectureFor(config, where);
  const keys = arch.spec.config;
  const num = (key: string | undefined, dflt?: number): number => {
    const v = configValue(config, key);
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (dflt !== undefined) return dflt;
    throw new InputError({
      where: `${where}: ${key ?? "?"}`,
      what: "is missing or not a number",
      hint: `give a config.json of a ${arch.spec.label} model`,
    });
  };
  const d = num(keys.hidden);
  const layers = num(keys.layers);
  const vocab = num(keys.vocab);
  const E = num(keys.experts);
  const K = num(keys.topK);
  const p = num(keys.expertIntermediate);
  const heads = num(keys.heads);
  const kvHeads = num(keys.kvHeads, heads);
  const headDim = num(keys.headDim, d / heads);
  const tie = configValue(config, keys.tieEmbeddings) === true;
  const denseI = num(keys.denseIntermediate, 0);
  const rules = arch.facts.moeLayers;
  const firstDense = num(rules.firstDenseKey ?? undefined, 0);
  const step = num(rules.stepKey ?? undefined, 1);
  const exclude = new Set(
    ((configValue(config, rules.excludeKey ?? undefined) as unknown[]) ?? []).map(Number),
  );
  const isMoe = (i: number) =>
    i >= firstDense && !exclude.has(i) && (step <= 1 || (i + rules.stepOffset) % step === 0);
  const moeLayers = Array.from({ length: layers }, (_, i) => i).filter(isMoe).length;
  const sharedIntermediate = keys.sharedIntermediate
    ? num(keys.sharedIntermediate, 0)
    : keys.sharedExperts
      ? num(keys.sharedExperts, 0) * p
      : 0;
  const sharedGate = arch.facts.sharedExpertGate !== null && sharedIntermediate > 0 ? d : 0;
  // attention
  const kvLora = configValue(config, keys.kvLoraRank);
  let attn: number;
  let qkDim: number;
  let vDim: number;
  if (typeof kvLora === "number") {
    const qLora = configValue(config, keys.qLoraRank);
    const nope = num(keys.qkNopeHeadDim);
    const rope = num(keys.qkRopeHeadDim);
    const v = num(keys.vHeadDim);
    const q =
      typeof qLora === "number"
        ? d * qLora + qLora + qLora * heads * (nope + rope)
        : d * heads * (nope + rope);
    attn = q + d * (kvLora + rope) + kvLora + kvLora * heads * (nope + v) + heads * v * d;
    qkDim = heads * (nope + rope);
    vDim = heads * v;
  } else {
    attn = 2 * d * heads * headDim + 2 * d * kvHeads * headDim;
    if (arch.facts.attention.qkvBias) attn += heads * headDim + 2 * kvHeads * headDim;
    if (arch.facts.attention.qkNorm) attn += 2 * headDim;
    qkDim = heads * headDim;
    vDim = heads * headDim;
  }
  const norms = 2 * d;
  const experts = 3 * E * p * d;
  const moeLayer = E * d + experts + 3 * d * sharedIntermediate + sharedGate;
  const denseLayer = 3 * d * denseI;
  const embed = vocab * d * (tie ? 1 : 2);
  const total =
    layers * (attn + norms) + moeLayers * moeLayer + (layers - moeLayers) * denseLayer + embed + d;
  const activeMoe = E * d + 3 * K * p * d + 3 * d * sharedIntermediate + sharedGate;
  // Active parameters count the embedding row looked up (as model cards do); FLOPs do not.
  const active =
    layers * (attn + norms) + moeLayers * activeMoe + (layers - moeLayers) * denseLayer + embed + d;
  const lookup = tie ? 0 : vocab * d;
  const context = opts.context ?? 4096;
  const attentionFlops = layers * 2 * context * (qkDim + vDim);
  // MoLE
  const ruleChoice = opts.rankRule ?? { name: "target-ratio", params: { ratio: 0.5 } };
  const rule = rankRules.get(ruleChoice.name, "--rank rule");
  if (rule.needsSpectrum)
    throw new InputError({
      where: "rank rule",
      what: `${rule.name} needs the singular values of real weights`,
      hint: "analyze works from shapes only: use a rank or a target ratio",
    });
  const params = rankRules.params(rule.name, ruleChoice.params ?? {});
  const groupSize = opts.groupSize ?? null;
  const groups = expertGroups(E, groupSize);
  const kinds: Kind[] = [...new Set<Kind>(opts.kinds ?? ["gate", "up"])].sort(
    (a, b) => KINDS.indexOf(a) - KINDS.indexOf(b),
  );
  const rank = rule.choose(params, {
    groupSizes: groups.map((g) => g.length),
    p,
    d,
    where: `${model}: rank`,
  });
  const reached = groups.reduce((a, g) => a + (1 - binomRatio(E, g.length, K)), 0);
  const perKindBefore = E * p * d;
  const perKindAfter = latentParams(groups, p, d, rank);
  const activeKindBefore = K * p * d;
  const activeKindAfter = reached * rank * d + K * p * rank;
  const nk = kinds.length;
  const moleTotal = total - moeLayers * nk * (perKindBefore - perKindAfter);
  const moleActive = active - moeLayers * nk * (activeKindBefore - activeKindAfter);
  const dtype = opts.dtype ?? "BF16";
  const bytes = dtypeBytes(dtype);
  const row = (name: "MoE" | "MoLE", t: number, a: number, ex: number): AnalysisRow => ({
    name,
    totalParams: t,
    nonEmbeddingParams: t - embed,
    expertParams: ex,
    activeParamsPerToken: a,
    flopsPerToken: 2 * (a - lookup - norms * layers - d),
    attentionFlopsPerToken: attentionFlops,
    weightBytes: t * bytes,
  });
  const moe = row("MoE", total, active, moeLayers * experts);
  const mole = row(
    "MoLE",
    moleTotal,
    moleActive,
    moeLayers * (experts - nk * (perKindBefore - perKindAfter)),
  );
  const notes: string[] = [];
  if (perKindAfter >= perKindBefore) notes.push(`rank ${rank} saves no parameters: k·p·r + r·d ≥ k·p·d`);
  if (activeKindAfter >= activeKindBefore)
    notes.push(
      `at rank ${rank} a token's expert compute grows (${Math.round(activeKindAfter)} vs ${activeKindBefore} multiply-adds per kind): B_g x is shared by too few experts per token`,
    );
  notes.push(
    "active parameters and FLOPs assume uniform routing for the groups a token reaches; embeddings are looked up, not multiplied",
  );
  return {
    model,
    source: typeof config._source === "string" ? config._source : null,
    architecture: arch.spec.name,
    shape: {
      layers,
      moeLayers,
      hidden: d,
      expertIntermediate: p,
      experts: E,
      topK: K,
      sharedIntermediate,
      vocab,
    },
    options: { rankRule: { name: rule.name, params }, groupSize, kinds, dtype, context },
    rank,
    groups: groups.length,
    groupsReached: reached,
    rows: [moe, mole],
    savings: {
      totalParams: 1 - mole.totalParams / moe.totalParams,
      expertParams: 1 - mole.expertParams / moe.expertParams,
      activeParams: 1 - mole.activeParamsPerToken / moe.activeParamsPerToken,
      flops: 1 - mole.flopsPerToken / moe.flopsPerToken,
      weightBytes: 1 - mole.weightBytes / moe.weightBytes,
    },
    notes,
    versions: { frugal: frugalVersion() },
  };
}

/** Analyzes a shipped preset by name. */
export function analyzePreset(name: string, opts: AnalyzeOptions = {}): Analysis {
  const preset = loadPresetSpec("mole", name, MolePresetSchema, "--arch");
  return {
    ...analyzeConfig(preset.config, opts, `presets/mole/${name}.preset.json: config`, name),
    source: preset.source,
  };
}

/** Validates a config.json object read from a file. */
export function analyzeConfigFile(raw: unknown, file: string, opts: AnalyzeOptions = {}): Analysis {
  const config = parseWith(z.record(z.string(), z.unknown()), raw, file, "give a Hugging Face config.json");
  return analyzeConfig(config, opts, file, file);
}
