export * from "./cdf.js";
export * from "./gantt.js";
export * from "./html.js";
export { type LineChartOptions, type LineSeries, lineChartSvg } from "./lines.js";
export * from "./timeline.js";
