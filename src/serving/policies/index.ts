/** Serving policies: the registry (vLLM V0, vLLM V1, Orca, hybrid) and the interface a policy implements. */
export { ROUTINGS, type Routing } from "./common.js";
export { createPolicy, policies, policyNames } from "./registry.js";
export type { PolicyContext, PolicyDef, PolicyInstance, PolicyPlanInfo } from "./types.js";
