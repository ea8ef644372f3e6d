/**
 * Scorers served as HTTP classifiers: the paper's PRM and preference model are sequence
 * classifiers (arXiv 2411.17404 §4), and a fine-tuned one is typically served by Hugging Face
 * text-embeddings-inference (`POST /predict` with `{"inputs": TEXT}`) or any endpoint that answers
 * a probability. The answer may be a number, `{"probability": p}`, `{"score": p}`, or a list of
 * `{label, score}` (also nested once, as TEI answers a batch); the positive label's score is used.
 */

import { LlmError } from "../../llm/errors.js";
import { type Limiter, postJson, type RetryPolicy } from "../../llm/http.js";
import { classifierText } from "../prompts.js";
import {
  clamp01,
  type PreferenceScorer,
  type ProcessScorer,
  type ScoreContext,
  type ScoredModel,
} from "./types.js";

/** Where a classifier scorer posts and which label is positive. */
export interface ClassifierOptions {
  url: string;
  /** A regular expression matching the positive label (default LABEL_1, 1, correct, positive, true, yes, A). */
  positiveLabel: string;
  retry?: Partial<RetryPolicy>;
  limiter?: Limiter;
  headers?: Record<string, string>;
}

/** Reads a probability out of a classifier's answer. */
export function readProbability(json: unknown, positive: RegExp): number | null {
  if (typeof json === "number") return json;
  if (Array.isArray(json)) {
    if (json.length === 1 && Array.isArray(json[0])) return readProbability(json[0], positive);
    if (json.length === 1 && typeof json[0] === "number") return json[0];
    const labelled = json.filter(
      (x): x is { label: unknown; score: number } =>
        typeof x === "object" && x !== null && typeof (x as { score?: unknown }).score === "number",
    );
    const pos = labelled.find((x) => positive.test(String(x.label)));
    if (pos) return pos.score;
    if (labelled.length === 1) return labelled[0]!.score;
    return null;
  }
  if (json && typeof json === "object") {
    const o = json as Record<string, unknown>;
    for (const k of ["probability", "prob", "score", "p"])
      if (typeof o[k] === "number") return o[k] as number;
  }
  return null;
}

async function classify(o: ClassifierOptions, text: string, signal?: AbortSignal): Promise<number> {
  const r = await postJson(
    o.url,
    { inputs: text },
    { ...o.retry, headers: o.headers, limiter: o.limiter, signal },
  );
  const p = readProbability(r.json, new RegExp(o.positiveLabel, "i"));
  if (p === null || !Number.isFinite(p))
    throw new LlmError(
      {
        where: o.url,
        what: `the classifier's answer holds no probability (${JSON.stringify(r.json).slice(0, 120)})`,
        hint: 'answer a number, {"probability": p} or [{"label": …, "score": p}]',
      },
      r.status,
      r.attempts,
    );
  return clamp01(p);
}

/** A process reward model served as a classifier (P(correct) of question + partial model). */
export function classifierProcessScorer(o: ClassifierOptions): ProcessScorer {
  return {
    name: "classifier",
    score: (ctx: ScoreContext, node: ScoredModel) =>
      classify(o, classifierText(ctx.question, node.model), ctx.signal),
  };
}

/** A preference model served as a classifier (P(A ≻ B) of question + model A + model B). */
export function classifierPreferenceScorer(o: ClassifierOptions): PreferenceScorer {
  return {
    name: "classifier",
    prefer: (ctx: ScoreContext, a: ScoredModel, b: ScoredModel) =>
      classify(o, classifierText(ctx.question, a.model, b.model), ctx.signal),
  };
}
