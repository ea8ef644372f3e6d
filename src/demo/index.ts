export * from "./run.js";
export * from "./section.js";
