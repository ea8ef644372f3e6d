/**
 * The prompts: the policy writes one layer of the structured model at a time (BPP-Search §3: sets
 * and parameters, then variables, then objective and constraints); the judges score a partial
 * model (process reward) or compare two complete ones (pairwise preference). Every reply is JSON
 * with a schema given both in the prompt and as `response_format`.
 */
import { z } from "zod";
import type { ChatMessage, ResponseSchema } from "../llm/types.js";
import { jsonSchemaOf, LAYER_KEYS, LAYER_SCHEMAS, type LayerName, type PartialModel } from "./schema.js";

const FORMAT = `A model is JSON with five keys, written in this order:
- "sets": [{"name", "description", "data"}], data is a list of elements (numbers or labels) or a range "1..N".
- "parameters": [{"name", "description", "domain", "data"}], domain like "i in I, j in J" ("" for a scalar); data is a
  number, or nested lists with one level per domain set in domain order (or objects keyed by set elements).
- "variables": [{"name", "description", "domain", "type"}], type CONTINUOUS, INTEGER or BINARY; variables are >= 0
  unless "lower" says otherwise ("lower": null for a free variable; "upper" for an upper bound).
- "objective": {"name", "description", "sense": "min" or "max", "function"}.
- "constraints": [{"name", "description", "domain", "function"}], one element per family of constraints; its domain
  binds the indices it ranges over.
"function" is linear mathematics: sums sum_{i in I} c_i * x_i (or \\sum_{i \\in I} c_{i} x_{i}), indices x_{i,j} or x[i,j],
conditions sum_{j in J: j != i}, index shifts x_{t-1}, products of numbers and parameters with variables, and one of
<=, >=, = in constraints (chains like 0 <= x_i <= u_i are allowed). Never multiply two variables together.
Use only declared names; every index must be bound by the element's domain or by a sum.`;

const EXAMPLE = `Example (a plant ships to markets at least their demand, at least cost):
{"sets": [{"name": "P", "description": "plants", "data": ["seattle", "san_diego"]},
          {"name": "M", "description": "markets", "data": ["new_york", "chicago"]}],
 "parameters": [{"name": "supply", "description": "cases a plant can ship", "domain": "p in P", "data": [350, 600]},
                {"name": "demand", "description": "cases a market needs", "domain": "m in M", "data": [325, 300]},
                {"name": "cost", "description": "cost per case", "domain": "p in P, m in M", "data": [[2.5, 1.7], [2.5, 1.8]]}],
 "variables": [{"name": "x", "description": "cases shipped", "domain": "p in P, m in M", "type": "CONTINUOUS"}],
 "objective": {"name": "total_cost", "description": "shipping cost", "sense": "min",
               "function": "sum_{p in P} sum_{m in M} cost_{p,m} * x_{p,m}"},
 "constraints": [{"name": "capacity", "description": "ship at most the supply", "domain": "p in P",
                  "function": "sum_{m in M} x_{p,m} <= supply_p"},
                 {"name": "need", "description": "meet each demand", "domain": "m in M",
                  "function": "sum_{p in P} x_{p,m} >= demand_m"}]}`;

const LAYER_TASK: Record<LayerName, string> = {
  sets_parameters:
    'Write the first layer: the sets (index sets of the problem) and the parameters (every number the problem gives, with its data). Reply with JSON {"sets": [...], "parameters": [...]}.',
  variables:
    'Write the next layer: the decision variables, each with its domain and type (INTEGER when the problem asks for whole numbers, BINARY for yes/no decisions). Reply with JSON {"variables": [...]}.',
  objective_constraints:
    'Write the last layer: the objective and every constraint of the problem, using only the sets, parameters and variables above. Reply with JSON {"objective": {...}, "constraints": [...]}.',
};

/** The system prompt of the policy. */
export function policySystemPrompt(): string {
  return `You are an expert in operations research. You turn word problems into optimization models, written in a structured JSON format one layer at a time.\n\n${FORMAT}\n\n${EXAMPLE}\n\nReply with one JSON object only, no prose.`;
}

/** Renders a partial model as compact JSON lines (one element per line), for prompts. */
export function renderPartial(m: PartialModel): string {
  const parts: string[] = [];
  for (const key of ["sets", "parameters", "variables", "objective", "constraints"] as const) {
    const v = m[key];
    if (v === undefined) continue;
    if (Array.isArray(v)) parts.push(`"${key}": [\n${v.map((e) => `  ${JSON.stringify(e)}`).join(",\n")}\n]`);
    else parts.push(`"${key}": ${JSON.stringify(v)}`);
  }
  return `{\n${parts.join(",\n")}\n}`;
}

/** The messages asking the policy for one layer. */
export function layerMessages(question: string, partial: PartialModel, layer: LayerName): ChatMessage[] {
  const sofar = Object.keys(partial).length === 0 ? "(nothing yet)" : renderPartial(partial);
  return [
    { role: "system", content: policySystemPrompt() },
    {
      role: "user",
      content: `Problem:\n${question.trim()}\n\nModel so far:\n${sofar}\n\n${LAYER_TASK[layer]}`,
    },
  ];
}

/** The message that sends a problem with the last reply back to the policy. */
export function repairMessage(problem: string, layer: LayerName): ChatMessage {
  return {
    role: "user",
    content: `That reply cannot be used:\n${problem}\n\nReply again with the corrected JSON object only, with the keys ${LAYER_KEYS[layer].join(" and ")}.`,
  };
}

const layerSchemas = new Map<LayerName, ResponseSchema>();

/** The structured-output schema of one layer's reply (computed once per layer). */
export function layerSchema(layer: LayerName): ResponseSchema {
  let r = layerSchemas.get(layer);
  if (!r) {
    const { $schema: _, ...schema } = jsonSchemaOf(LAYER_SCHEMAS[layer]);
    r = { name: layer, schema };
    layerSchemas.set(layer, r);
  }
  return r;
}

/** A process reward judge's reply: the probability that the partial model is correct so far. */
export const PrmReplySchema = z.object({ score: z.number().min(0).max(1) });
/** A preference judge's reply: the probability that model A is better than model B. */
export const PreferenceReplySchema = z.object({ probability_a_better: z.number().min(0).max(1) });

function schemaOf(name: string, s: z.ZodType): ResponseSchema {
  const { $schema: _, ...schema } = z.toJSONSchema(s) as Record<string, unknown>;
  return { name, schema };
}

/** The structured-output schema of a process reward judge. */
export const PRM_SCHEMA = schemaOf("process_reward", PrmReplySchema);
/** The structured-output schema of a preference judge. */
export const PREFERENCE_SCHEMA = schemaOf("pairwise_preference", PreferenceReplySchema);

const JUDGE_SYSTEM = `You are a meticulous reviewer of optimization models written in this structured JSON format:\n\n${FORMAT}`;

/** The messages asking a judge to score a partial model (process reward). */
export function prmMessages(question: string, partial: PartialModel, layers: string): ChatMessage[] {
  return [
    { role: "system", content: JUDGE_SYSTEM },
    {
      role: "user",
      content: `Problem:\n${question.trim()}\n\nPartial model (${layers}):\n${renderPartial(partial)}\n\nIs everything written so far correct and complete for this problem (right sets, numbers, domains, types, and for a full model the right objective and constraints)? Reply with JSON {"score": p}, where p is the probability (0 to 1) that it is correct.`,
    },
  ];
}

/** The messages asking a judge which of two complete models is better (pairwise preference). */
export function preferenceMessages(question: string, a: PartialModel, b: PartialModel): ChatMessage[] {
  return [
    { role: "system", content: JUDGE_SYSTEM },
    {
      role: "user",
      content: `Problem:\n${question.trim()}\n\nModel A:\n${renderPartial(a)}\n\nModel B:\n${renderPartial(b)}\n\nWhich model formulates the problem correctly? Reply with JSON {"probability_a_better": p}, where p is the probability (0 to 1) that model A is the better one.`,
    },
  ];
}

/** The text a classifier endpoint scores: the question and the (partial) model, or two of them. */
export function classifierText(question: string, a: PartialModel, b?: PartialModel): string {
  const head = `Problem:\n${question.trim()}\n\n`;
  return b === undefined
    ? `${head}Model:\n${renderPartial(a)}`
    : `${head}Model A:\n${renderPartial(a)}\n\nModel B:\n${renderPartial(b)}`;
}
