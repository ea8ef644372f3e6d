/**
 * Policy parameters by policy name (`{ hybrid: { lambda: 1 } }`): from `policy.name=value` text,
 * merged over a preset's, and checked against the policy registry (unknown policies and unknown or
 * invalid parameters are typed errors naming `where`).
 */
import { InputError } from "../errors/index.js";
import { policies } from "./policies/registry.js";

/** Parameters by policy name, as given (each is validated by the policy's zod schema). */
export type PolicyParams = Record<string, Record<string, unknown>>;

/** `"true"`/`"false"` → boolean, a finite number → number, anything else stays text. */
export function paramValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/**
 * Parses `policy.name=value` pairs (`name=value` belongs to `policy` when given) into parameters by
 * policy, and validates them against the registry. `where` names where the pairs came from.
 */
export function policyParamsFromPairs(
  pairs: readonly string[],
  policy?: string,
  where = "policy parameters",
): PolicyParams {
  const out: PolicyParams = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const dot = key.lastIndexOf(".");
    const name = dot >= 0 ? key.slice(0, dot) : policy;
    if (eq < 0 || !name || dot === key.length - 1)
      throw new InputError({
        where,
        what: `"${pair}" is not policy.name=value`,
        hint: "write e.g. hybrid.lambda=0.5",
      });
    const params = out[name] ?? {};
    params[key.slice(dot + 1)] = paramValue(pair.slice(eq + 1));
    out[name] = params;
  }
  checkPolicyParams(out, where);
  return out;
}

/** `extra` over `base`, policy by policy and parameter by parameter. */
export function mergePolicyParams(base: PolicyParams, extra: PolicyParams): PolicyParams {
  const out: PolicyParams = { ...base };
  for (const [name, params] of Object.entries(extra)) out[name] = { ...(out[name] ?? {}), ...params };
  return out;
}

/** Checks every policy name and its parameters against the registry; errors name `where`. */
export function checkPolicyParams(params: PolicyParams, where = "policy parameters"): void {
  for (const [name, p] of Object.entries(params)) {
    policies.get(name, where);
    policies.params(name, p, `${where} ${name}`);
  }
}
