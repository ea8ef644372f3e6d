/**
 * LLM-as-judge scorers: the process reward and the pairwise preference asked of a chat model (the
 * same endpoint as the policy or another one). The paper trains classifiers for both (Qwen2.5-Math
 * 1.5B, score = sigmoid of the "correct" logit, arXiv 2411.17404 §4); a judge prompt is the
 * training-free stand-in. One request per score; a reply that cannot be read counts as 0.5 (no
 * information) and is noted, so call counts stay exact.
 */
import { extractJson } from "../../llm/json.js";
import type { LlmClient } from "../../llm/types.js";
import {
  PREFERENCE_SCHEMA,
  PRM_SCHEMA,
  PreferenceReplySchema,
  PrmReplySchema,
  preferenceMessages,
  prmMessages,
} from "../prompts.js";
import {
  clamp01,
  type PreferenceScorer,
  type ProcessScorer,
  type ScoreContext,
  type ScoredModel,
} from "./types.js";

/** Sampling options of a judge. */
export interface JudgeOptions {
  temperature: number;
  maxTokens: number;
  /** Called when a reply cannot be read (it then counts as 0.5). */
  onUnreadable?: (what: string) => void;
}

const LAYER_WORDS = [
  "nothing",
  "sets and parameters",
  "sets, parameters and variables",
  "the complete model",
];

/** A process reward model as an LLM judge. */
export function llmProcessScorer(llm: LlmClient, o: JudgeOptions): ProcessScorer {
  return {
    name: "llm-judge",
    async score(ctx: ScoreContext, node: ScoredModel): Promise<number> {
      const r = await llm.complete(
        {
          messages: prmMessages(ctx.question, node.model, LAYER_WORDS[node.layer] ?? "partial"),
          temperature: o.temperature,
          maxTokens: o.maxTokens,
          responseFormat: PRM_SCHEMA,
          purpose: "prm",
          cacheKey: `prm:${node.id}`,
        },
        ctx.signal,
      );
      const j = extractJson(r.contents[0] ?? "");
      const p = j.ok ? PrmReplySchema.safeParse(j.value) : null;
      if (!p?.success) {
        o.onUnreadable?.(`process reward of ${node.id}: ${j.ok ? "no score in [0, 1]" : j.error}`);
        return 0.5;
      }
      return clamp01(p.data.score);
    },
  };
}

/** A pairwise preference model as an LLM judge. */
export function llmPreferenceScorer(llm: LlmClient, o: JudgeOptions): PreferenceScorer {
  return {
    name: "llm-judge",
    async prefer(ctx: ScoreContext, a: ScoredModel, b: ScoredModel): Promise<number> {
      const r = await llm.complete(
        {
          messages: preferenceMessages(ctx.question, a.model, b.model),
          temperature: o.temperature,
          maxTokens: o.maxTokens,
          responseFormat: PREFERENCE_SCHEMA,
          purpose: "preference",
          cacheKey: `preference:${a.id}:${b.id}`,
        },
        ctx.signal,
      );
      const j = extractJson(r.contents[0] ?? "");
      const p = j.ok ? PreferenceReplySchema.safeParse(j.value) : null;
      if (!p?.success) {
        o.onUnreadable?.(
          `preference of ${a.id} over ${b.id}: ${j.ok ? "no probability in [0, 1]" : j.error}`,
        );
        return 0.5;
      }
      return clamp01(p.data.probability_a_better);
    },
  };
}
