/** The dispatch policies of `serving batch` (the project's one `Registry`). */
import { Registry } from "../../../util/registry.js";
import { hybridDispatch } from "./hybrid.js";
import { leastWorkDispatch, roundRobinDispatch } from "./simple.js";
import type { DispatchConfig, Dispatcher, DispatchItem, DispatchPolicyDef } from "./types.js";

/** Every dispatch policy by name. */
export const dispatchPolicies = new Registry<DispatchPolicyDef>("dispatch policy");
for (const p of [hybridDispatch, roundRobinDispatch, leastWorkDispatch] as DispatchPolicyDef[])
  dispatchPolicies.register(p);

/** The registered dispatch policy names. */
export function dispatchPolicyNames(): string[] {
  return dispatchPolicies.names();
}

/** A dispatcher for `items` with validated parameters; errors name `where`. */
export function createDispatcher(
  name: string,
  items: readonly DispatchItem[],
  config: DispatchConfig,
  params: Record<string, unknown> = {},
  where?: string,
): Dispatcher {
  const def = dispatchPolicies.get(name, where);
  return def.create(
    items,
    config,
    dispatchPolicies.params(name, params, where === undefined ? undefined : `${where} ${name}`),
  );
}
