export * from "./fit.js";
export * from "./load.js";
export * from "./schema.js";
export * from "./time.js";
