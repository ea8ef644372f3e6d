/** Outputs of a comparison: documents, text, tables, per-request CSV, Chrome trace, HTML report. */
export { chromeTrace, chromeTraceInput, chromeTraceParts } from "./chrome-trace.js";
export {
  type ComparisonDocument,
  comparisonDocument,
  type InterruptedPolicyRecord,
  interruptedRecord,
  type PolicyRecord,
  type StudyDocument,
  studyDocument,
} from "./documents.js";
export { type ComparisonFiles, writeComparisonFiles } from "./files.js";
export { BREAKDOWN_COLUMNS, breakdownRows, POLICY_COLUMNS, policyRows } from "./policy-table.js";
export { type ReportExtras, servingReportHtml } from "./report.js";
export { REQUESTS_CSV_HEADER, requestsCsv } from "./requests-csv.js";
export {
  comparisonText,
  fitText,
  GOALS,
  type GoalCheck,
  goalCheck,
  goalsLine,
  studyText,
} from "./text.js";
