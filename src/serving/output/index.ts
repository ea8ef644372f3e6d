export * from "./chrome-trace.js";
export * from "./policy-table.js";
export * from "./report.js";
export * from "./requests-csv.js";
