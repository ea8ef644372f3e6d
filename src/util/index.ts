export * from "./files.js";
export * from "./progress.js";
export * from "./random.js";
export * from "./table.js";
export * from "./version.js";
