/** The policy registry (the project's one `Registry`): the four shipped policies, validated at start-up. */
import { Registry } from "../../util/registry.js";
import { hybrid } from "./hybrid.js";
import { orca } from "./orca.js";
import type { PolicyDef, PolicyInstance } from "./types.js";
import { vllmV0 } from "./vllm-v0.js";
import { vllmV1 } from "./vllm-v1.js";

/** Every serving policy by name; `register` adds one (name, summary, reference, params, create). */
export const policies = new Registry<PolicyDef>("policy");
for (const p of [vllmV0, vllmV1, orca, hybrid] as PolicyDef[]) policies.register(p);

/** The registered policy names, in registration order. */
export function policyNames(): string[] {
  return policies.names();
}

/**
 * A policy instance with validated parameters (defaults filled in, unknown parameters rejected).
 * `where` names the place the name and parameters came from in errors (default: "policy").
 */
export function createPolicy(
  name: string,
  params: Record<string, unknown> = {},
  where?: string,
): PolicyInstance {
  const def = policies.get(name, where);
  return def.create(policies.params(name, params, where === undefined ? undefined : `${where} ${name}`));
}
