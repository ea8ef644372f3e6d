export * from "./architecture.js";
export * from "./reader.js";
export * from "./writer.js";
