export * from "./errors.js";
export * from "./zod.js";
