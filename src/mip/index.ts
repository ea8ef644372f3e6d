export * from "./expr.js";
export { highsVersion } from "./highs.js";
export * from "./lp-writer.js";
export * from "./model.js";
export * from "./result.js";
export * from "./solve.js";
export * from "./solve-file.js";
