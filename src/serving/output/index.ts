export * from "./chrome-trace.js";
export * from "./report.js";
export * from "./requests-csv.js";
