/**
 * Self-contained HTML pages and SVG pictures for the commands' reports. Internal: the library's
 * users get HTML from the capabilities (e.g. `scheduleHtml`, `servingReportHtml`), not from here.
 */
export { type CdfOptions, type CdfScale, type CdfSeries, cdfScale, cdfSvg } from "./cdf.js";
export {
  type ChromeTraceInput,
  chromeTraceChunks,
  chromeTraceEvents,
  chromeTraceJson,
  chromeTraceProblems,
  type TraceCounter,
  type TraceProcess,
  type TraceSlice,
  toMicroseconds,
} from "./chrome-trace.js";
export { formatNumber, formatTick, logTicks, niceStep, niceTicks, stepDecimals } from "./format.js";
export {
  curvesSvg,
  GANTT_CSS,
  type GanttBar,
  type GanttCurve,
  type GanttOptions,
  type GanttRow,
  ganttPage,
  ganttSvg,
  legendHtml,
} from "./gantt.js";
export { escapeHtml, htmlPage, htmlTable, PALETTE, type PageOptions, paletteColor } from "./html.js";
export { type LineChartOptions, type LineSeries, lineChartSvg } from "./lines.js";
export { binIntervals, type TimelineOptions, type TimelineRow, timelineSvg } from "./timeline.js";
