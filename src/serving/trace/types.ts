/** A serving workload: requests with an arrival time and prompt/output token counts. */

/** One request of a trace. */
export interface Request {
  /** 0-based index in the trace (stable id used in every output). */
  id: number;
  /** Arrival time in seconds from the start of the trace (0 for an offline batch). */
  arrival: number;
  /** Prompt (context) tokens, ≥ 1. */
  promptTokens: number;
  /** Output (generated) tokens, ≥ 1; the simulator uses the true value. */
  outputTokens: number;
}

/** A workload: requests sorted by arrival. */
export interface Trace {
  /** A short name for reports (file name, preset name, generator). */
  name: string;
  /** Where the trace came from (file path, generator and seed). */
  source: string;
  /** Sorted by (arrival, id). */
  requests: Request[];
}

/** Sorts by arrival, then id, and renumbers ids 0..n-1 in that order when `renumber`. */
export function normalizeTrace(name: string, source: string, requests: Request[], renumber = false): Trace {
  const sorted = [...requests].sort((a, b) => a.arrival - b.arrival || a.id - b.id);
  if (renumber) sorted.forEach((r, i) => (r.id = i));
  return { name, source, requests: sorted };
}

/** Summary statistics of a trace (for tables and reports). */
export interface TraceStats {
  requests: number;
  promptTokens: number;
  outputTokens: number;
  meanPromptTokens: number;
  meanOutputTokens: number;
  maxPromptTokens: number;
  maxOutputTokens: number;
  durationSeconds: number;
}

/** Counts, means and maxima of a trace's lengths, and its duration. */
export function traceStats(t: Trace): TraceStats {
  let p = 0;
  let o = 0;
  let mp = 0;
  let mo = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const r of t.requests) {
    p += r.promptTokens;
    o += r.outputTokens;
    mp = Math.max(mp, r.promptTokens);
    mo = Math.max(mo, r.outputTokens);
    first = Math.min(first, r.arrival);
    last = Math.max(last, r.arrival);
  }
  const n = t.requests.length;
  return {
    requests: n,
    promptTokens: p,
    outputTokens: o,
    meanPromptTokens: n ? p / n : 0,
    meanOutputTokens: n ? o / n : 0,
    maxPromptTokens: mp,
    maxOutputTokens: mo,
    durationSeconds: n ? last - first : 0,
  };
}
