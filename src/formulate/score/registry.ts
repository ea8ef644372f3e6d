/**
 * The scorer registry: `llm-judge`, `classifier` and `solver`, each usable as a process reward
 * (`prm`) and as a pairwise preference. A scorer spec names one or several with weights:
 * `llm-judge`, `solver`, `llm-judge=0.7,solver=0.3`.
 */
import { z } from "zod";
import { InputError } from "../../errors/index.js";
import type { Limiter } from "../../llm/http.js";
import type { LlmClient } from "../../llm/types.js";
import { Registry, type RegistryEntry } from "../../util/registry.js";
import { classifierPreferenceScorer, classifierProcessScorer } from "./classifier.js";
import { combinedPreferenceScorer, combinedProcessScorer } from "./combine.js";
import { llmPreferenceScorer, llmProcessScorer } from "./llm-judge.js";
import { verifierPreferenceScorer, verifierProcessScorer } from "./solver.js";
import type { PreferenceScorer, ProcessScorer } from "./types.js";

/** What a scorer may need: the judge's LLM client, a place to note unreadable replies. */
export interface ScorerDeps {
  llm: LlmClient | null;
  /** Shared with the policy client, so scorers and policy share the concurrency limit. */
  limiter?: Limiter;
  note?: (what: string) => void;
}

/** A registered scorer: its parameters and how to build it as a process reward or a preference. */
export interface ScorerEntry<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  process(params: z.output<P>, deps: ScorerDeps): ProcessScorer;
  preference(params: z.output<P>, deps: ScorerDeps): PreferenceScorer;
}

function needLlm(deps: ScorerDeps, name: string): LlmClient {
  if (!deps.llm)
    throw new InputError({
      where: `scorer ${name}`,
      what: "needs an LLM endpoint",
      hint: "give the LLM endpoint (or use the solver scorer)",
    });
  return deps.llm;
}

function needUrl(url: string, name: string): string {
  if (!/^https?:\/\/\S+$/.test(url))
    throw new InputError({
      where: `scorer ${name} parameters: url`,
      what: url ? `${JSON.stringify(url)} is not an http(s) URL` : "is missing",
      hint: "give the classifier endpoint's URL, e.g. http://localhost:8080/predict",
    });
  return url;
}

const judgeParams = z.object({
  temperature: z.number().min(0).max(2).default(0).describe("sampling temperature of the judge"),
  maxTokens: z.number().int().positive().default(256).describe("most tokens of a judge's reply"),
});
const classifierParams = z.object({
  url: z.string().default("").describe("the classifier endpoint (POST {inputs: text})"),
  positiveLabel: z
    .string()
    .default("^(LABEL_1|1|correct|positive|true|yes|A)$")
    .describe("regular expression of the positive label"),
});
const solverParams = z.object({
  timeLimit: z.number().positive().default(10).describe("seconds HiGHS may spend on a complete model"),
});

/** Every scorer by name. */
export const scorers = new Registry<ScorerEntry>("scorer");

/** Registers an entry whose functions take its own parameters' type (the registry stores them untyped). */
function define<P extends z.ZodObject>(e: ScorerEntry<P>): void {
  scorers.register(e as unknown as ScorerEntry);
}

define({
  name: "llm-judge",
  summary: "an LLM asked for P(correct) of a partial model, or P(A better than B)",
  reference: "https://arxiv.org/abs/2411.17404",
  params: judgeParams,
  process: (p, d) => llmProcessScorer(needLlm(d, "llm-judge"), { ...p, onUnreadable: d.note }),
  preference: (p, d) => llmPreferenceScorer(needLlm(d, "llm-judge"), { ...p, onUnreadable: d.note }),
});

define({
  name: "classifier",
  summary:
    "an HTTP classifier endpoint answering a probability (e.g. a fine-tuned PRM served by text-embeddings-inference)",
  reference: "https://arxiv.org/abs/2411.17404",
  params: classifierParams,
  process: (p, d) =>
    classifierProcessScorer({
      url: needUrl(p.url, "classifier"),
      positiveLabel: p.positiveLabel,
      limiter: d.limiter,
    }),
  preference: (p, d) =>
    classifierPreferenceScorer({
      url: needUrl(p.url, "classifier"),
      positiveLabel: p.positiveLabel,
      limiter: d.limiter,
    }),
});

define({
  name: "solver",
  summary:
    "compiles the (partial) model and, when complete, solves it: infeasible, unbounded or failing models score low",
  reference: "https://highs.dev",
  params: solverParams,
  process: (p) => verifierProcessScorer(p),
  preference: (p) => verifierPreferenceScorer(p),
});

/** One part of a scorer spec. */
export interface ScorerPart {
  name: string;
  weight: number;
  params?: Record<string, unknown>;
}

/** Parses `llm-judge`, `solver` or `llm-judge=0.7,solver=0.3` (names checked, weights > 0). */
export function parseScorerSpec(spec: string, where: string): ScorerPart[] {
  const parts = spec.split(",").map((s) => s.trim());
  if (parts.some((p) => p === ""))
    throw new InputError({
      where,
      what: `${JSON.stringify(spec)} has an empty item`,
      hint: "write name or name=weight, comma-separated",
    });
  const out = parts.map((p) => {
    const [name, w] = p.split("=");
    const weight = w === undefined ? 1 : Number(w);
    if (!Number.isFinite(weight) || weight <= 0)
      throw new InputError({
        where,
        what: `the weight of ${name} is not a positive number`,
        hint: "write name=weight, e.g. llm-judge=0.7",
      });
    scorers.get(name!, where);
    return { name: name!, weight };
  });
  if (new Set(out.map((p) => p.name)).size !== out.length)
    throw new InputError({ where, what: "names a scorer twice", hint: "give each scorer once" });
  return out;
}

/** Builds the process scorer of a spec. */
export function createProcessScorer(parts: ScorerPart[], deps: ScorerDeps): ProcessScorer {
  return combinedProcessScorer(
    parts.map((p) => ({
      scorer: scorers.get(p.name).process(scorers.params(p.name, p.params ?? {}), deps),
      weight: p.weight,
    })),
  );
}

/** Builds the preference scorer of a spec. */
export function createPreferenceScorer(parts: ScorerPart[], deps: ScorerDeps): PreferenceScorer {
  return combinedPreferenceScorer(
    parts.map((p) => ({
      scorer: scorers.get(p.name).preference(scorers.params(p.name, p.params ?? {}), deps),
      weight: p.weight,
    })),
  );
}
