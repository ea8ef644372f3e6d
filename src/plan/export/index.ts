export * from "./chrome-trace.js";
export * from "./html.js";
export * from "./torch-csv.js";
