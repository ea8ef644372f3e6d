export * from "./cdf.js";
export * from "./gantt.js";
export * from "./html.js";
export * from "./timeline.js";
