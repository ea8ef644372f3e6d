/** The policy registry: metadata (name, summary, reference URL, zod params) validated at registration. */
import { z } from "zod";
import { MisuseError, parseWith, UsageError } from "../../errors/index.js";
import { hybrid } from "./hybrid.js";
import { orca } from "./orca.js";
import type { PolicyDef, PolicyInstance } from "./types.js";
import { vllmV0 } from "./vllm-v0.js";
import { vllmV1 } from "./vllm-v1.js";

const Meta = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  summary: z.string().min(1),
  reference: z.string().url(),
});

const registry = new Map<string, PolicyDef>();

export function registerPolicy(def: PolicyDef): void {
  parseWith(Meta, { name: def.name, summary: def.summary, reference: def.reference }, `policy ${def.name}`);
  if (registry.has(def.name))
    throw new MisuseError({
      where: "registerPolicy",
      what: `policy "${def.name}" is already registered`,
      hint: "pick another name",
    });
  registry.set(def.name, def);
}

for (const p of [vllmV0, vllmV1, orca, hybrid] as PolicyDef[]) registerPolicy(p);

export function policyNames(): string[] {
  return [...registry.keys()];
}

export function getPolicy(name: string): PolicyDef {
  const p = registry.get(name);
  if (!p)
    throw new UsageError({
      where: "--policy",
      what: `unknown policy "${name}"`,
      hint: `use one of ${policyNames().join(", ")}`,
    });
  return p;
}

export function listPolicies(): { name: string; summary: string; reference: string }[] {
  return [...registry.values()].map(({ name, summary, reference }) => ({ name, summary, reference }));
}

/** Creates a policy instance with validated parameters. */
export function createPolicy(name: string, params: Record<string, unknown> = {}): PolicyInstance {
  const def = getPolicy(name);
  return def.create(parseWith(def.params, params, `policy ${name} parameters`));
}
