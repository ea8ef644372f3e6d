export * from "./common.js";
export * from "./hybrid.js";
export * from "./orca.js";
export * from "./registry.js";
export * from "./types.js";
export * from "./vllm-v0.js";
export * from "./vllm-v1.js";
