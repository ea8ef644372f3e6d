/**
 * The frugal library: each capability's plain functions over plain data. The shared engines are
 * exported at the top level; capabilities as namespaces (their names overlap, e.g. `loadPreset`),
 * and each also as a subpath: `import { runPlan } from "frugal/plan"`.
 */
export { runDemo } from "./demo/index.js";
export * from "./errors/index.js";
export * as merge from "./merge/index.js";
export * from "./mip/index.js";
export * as plan from "./plan/index.js";
export * from "./report/index.js";
export * as serving from "./serving/index.js";
export * as tensor from "./tensor/index.js";
