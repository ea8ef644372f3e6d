export * from "./html.js";
export * from "./timeline.js";
export * from "./cdf.js";
export * from "./gantt.js";
