/** `frugal serving`: traces, time models, a discrete-event serving simulator, policies, offline packing. */
export * from "./breakdown.js";
export * from "./compare.js";
export * from "./errors.js";
export * from "./metrics.js";
export * from "./offline/index.js";
export * from "./output/index.js";
export * from "./policies/index.js";
export * from "./presets.js";
export * from "./profile/index.js";
export * from "./sim/index.js";
export * from "./study.js";
export * from "./trace/index.js";
