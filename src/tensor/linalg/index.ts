export * from "./backend.js";
export * from "./matrix.js";
export * from "./native.js";
export * from "./norms.js";
export * from "./ops.js";
export * from "./select.js";
export * from "./svd.js";
export * from "./svt.js";
export { tsBackend } from "./ts/index.js";
