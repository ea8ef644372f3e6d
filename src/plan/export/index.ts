/** Exports of a schedule: PyTorch compute-only CSV, Chrome trace, HTML Gantt page. */
export { toChromeTrace } from "./chrome-trace.js";
export { ganttOptions, PASS_COLORS, scheduleHtml } from "./html.js";
export { parseTorchCsv, TORCH_ACTION_RE, torchExportProblem, toTorchCsv } from "./torch-csv.js";
