/**
 * Canned completions for the scripted server (test double; nothing here ships): a deterministic
 * "policy" and "judges" for one toy problem, each reply a function of the request alone, so the
 * tree is the same whatever order concurrent requests arrive in.
 *
 * Policy, sample i of a request:
 *   layer 1: sets P = {a, b}, profit = (3, 5), cap = 10 + i
 *   layer 2: x over P, described "v<i>"
 *   layer 3: max Σ profit·x s.t. Σ x ≤ cap, x_a ≥ i; the capacity constraint is described
 *            "leaf:<cap>:<v>:<i>" → optimum 5·cap − 2·i
 * Process reward: layer 1 (cap − 9)/10; layer 2 adds 0.5 / 0.65 / 0.4 for v0 / v1 / v2;
 *   a leaf 0.9 − 0.1·i + 0.05·(cap − 11) (best: cap 12, i = 0, objective 60).
 * Preference: the leaf "11:1:2" (objective 51) beats every other; others tie.
 */
import type { Action, Recorded } from "../../helpers/scripted-server.js";

export const TOY_QUESTION =
  "A workshop makes products a and b, earning 3 and 5 per unit. It can make at most 12 units in total. Maximize profit.";

/** The leaf the preference judge prefers, and its objective. */
export const PREFERRED_LEAF = "11:1:2";
export const PREFERRED_OBJECTIVE = 51;
/** The leaf the process reward prefers among the final leaves (cap 12, i = 0): objective 60. */
export const PRM_BEST_OBJECTIVE = 60;

export type Layer = "sets_parameters" | "variables" | "objective_constraints";

/** Which layer a policy request (or a repair request) asks for. */
export function layerOf(req: Recorded): Layer | null {
  if (
    req.schema === "sets_parameters" ||
    req.schema === "variables" ||
    req.schema === "objective_constraints"
  )
    return req.schema;
  const all = JSON.stringify(req.body?.messages ?? []);
  if (
    /Write the first layer|keys sets and parameters/.test(req.user) ||
    (/keys sets and parameters/.test(all) && /cannot be used/.test(req.user))
  )
    return "sets_parameters";
  if (/Write the next layer|keys variables/.test(req.user)) return "variables";
  if (/Write the last layer|keys objective and constraints/.test(req.user)) return "objective_constraints";
  return null;
}

function capOf(text: string): number {
  const m = /"name":"cap"[^}]*"data":(\d+)/.exec(text);
  return m ? Number(m[1]) : 10;
}
function vOf(text: string): number {
  const m = /"description":"v(\d)"/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The policy's i-th sample for a layer, given the model so far (in the prompt). */
export function policyReply(layer: Layer, prompt: string, i: number): string {
  if (layer === "sets_parameters")
    return JSON.stringify({
      sets: [{ name: "P", description: "products", data: ["a", "b"] }],
      parameters: [
        { name: "profit", description: "profit per unit", domain: "p in P", data: [3, 5] },
        { name: "cap", description: "capacity", domain: "", data: 10 + i },
      ],
    });
  if (layer === "variables")
    return JSON.stringify({
      variables: [{ name: "x", description: `v${i}`, domain: "p in P", type: "CONTINUOUS" }],
    });
  const cap = capOf(prompt);
  const v = vOf(prompt);
  return JSON.stringify({
    objective: { name: "profit", sense: "max", function: "sum_{p in P} profit_p * x_p" },
    constraints: [
      { name: "capacity", description: `leaf:${cap}:${v}:${i}`, function: "sum_{p in P} x_p <= cap" },
      { name: "least_a", description: "a minimum of a", function: `x_{a} >= ${i}` },
    ],
  });
}

function leafOf(text: string): { cap: number; v: number; i: number; key: string } | null {
  const m = /leaf:(\d+):(\d):(\d)/.exec(text);
  return m ? { cap: Number(m[1]), v: Number(m[2]), i: Number(m[3]), key: `${m[1]}:${m[2]}:${m[3]}` } : null;
}

/** The process reward of the partial model in a judge prompt. */
export function prmScore(text: string): number {
  const leaf = leafOf(text);
  if (leaf) return 0.9 - 0.1 * leaf.i + 0.05 * (leaf.cap - 11);
  const cap = capOf(text);
  const base = (cap - 9) / 10;
  if (!/"name":"x"/.test(text)) return base;
  return base + ([0.5, 0.65, 0.4][vOf(text)] ?? 0);
}

/** P(A ≻ B) of a preference prompt. */
export function preference(text: string): number {
  const at = text.indexOf("Model B:");
  const a = leafOf(text.slice(0, at));
  const b = leafOf(text.slice(at));
  const f = (x: { key: string } | null) => (x?.key === PREFERRED_LEAF ? 1 : 0);
  return 0.5 + 0.4 * (f(a) - f(b));
}

/** The toy world's answer to any request (policy, repair, judges), honouring `n`. */
export function toyAnswer(req: Recorded): Action {
  if (req.schema === "process_reward" || /Reply with JSON \{"score": p\}/.test(req.user))
    return { kind: "reply", contents: [JSON.stringify({ score: prmScore(req.user) })] };
  if (req.schema === "pairwise_preference" || /probability_a_better/.test(req.user))
    return { kind: "reply", contents: [JSON.stringify({ probability_a_better: preference(req.user) })] };
  const layer = layerOf(req);
  if (!layer) return { kind: "status", status: 400, body: "toy world: cannot tell the layer" };
  // a repair request re-asks the same sample: the first user message holds the model so far
  const first =
    (req.body?.messages ?? []).find((m: { role: string }) => m.role === "user")?.content ?? req.user;
  // a broken sample carries "#<i>" (see brokenReply); its repair is sample i done right
  const bad =
    [...(req.body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === "assistant")
      ?.content ?? "";
  const repairOf = /cannot be used/.test(req.user) ? Number(/#(\d+)/.exec(bad)?.[1] ?? 0) : null;
  const contents = Array.from({ length: req.n }, (_, i) => policyReply(layer, first, repairOf ?? i));
  return { kind: "reply", contents };
}

/** Ways a policy reply can be broken. */
export type Breakage = "prose" | "truncated" | "schema" | "compile";

/** A broken version of sample i of a layer (it carries "#i" so its repair can be sample i). */
export function brokenReply(kind: Breakage, layer: Layer, i: number): string {
  switch (kind) {
    case "prose":
      return `I think the answer is to make as many b as possible (#${i}).`;
    case "truncated":
      return `Here is the layer #${i}: {"${layer === "variables" ? "variables" : "sets"}": [{"name": "P", "data": [`;
    case "schema":
      return JSON.stringify(
        layer === "variables"
          ? { variables: [{ description: `#${i}` }] }
          : { sets: "P", parameters: [], note: `#${i}` },
      );
    case "compile":
      return JSON.stringify({
        sets: [{ name: "P", description: `#${i}`, data: ["a", "b"] }],
        parameters: [{ name: "profit", domain: "p in Q", data: [3, 5] }],
      });
  }
}
