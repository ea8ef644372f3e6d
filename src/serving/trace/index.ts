/** Traces: readers (CSV, the Azure 2023 format, JSONL), GSM8K, synthetic workloads, statistics. */
export {
  GSM8K_ATTRIBUTION,
  GSM8K_PROMPT_TEMPLATE,
  type Gsm8kOptions,
  gsm8kTrace,
  readGsm8kTrace,
} from "./gsm8k.js";
export { parseCsvTrace, parseJsonlTrace } from "./parse.js";
export { readTrace, traceToCsv } from "./read.js";
export {
  type LengthDist,
  LOGNORMAL_TRACE_DEFAULTS,
  type LognormalTraceOptions,
  lognormalTrace,
  type SyntheticOptions,
  subsetTrace,
  syntheticTrace,
} from "./synthetic.js";
export { type Request, type Trace, type TraceStats, traceStats } from "./types.js";
