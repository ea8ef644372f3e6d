/** Writes a comparison's files (per-request CSV, Chrome trace, HTML report), each atomically. */
import { type WriteOptions, writeAtomic } from "../../util/files.js";
import type { CompareResult } from "../compare.js";
import { chromeTrace } from "./chrome-trace.js";
import { servingReportHtml } from "./report.js";
import { requestsCsv } from "./requests-csv.js";

/** The files a comparison can write; each is optional. */
export interface ComparisonFiles {
  /** Per-request timings of every run (CSV). */
  requestsCsv?: string;
  /** Every iteration as Chrome-trace JSON (opens in Perfetto). */
  chromeTrace?: string;
  /** A self-contained HTML report. */
  report?: string;
}

/** Writes the requested files (`notes` go into the report); returns the paths written, in order. */
export async function writeComparisonFiles(
  r: CompareResult,
  files: ComparisonFiles,
  opts: WriteOptions & { notes?: string[] } = {},
): Promise<string[]> {
  const { notes, ...write } = opts;
  const outputs: [string | undefined, () => string][] = [
    [files.requestsCsv, () => requestsCsv(r.runs)],
    [files.chromeTrace, () => chromeTrace(r.runs)],
    [files.report, () => servingReportHtml(r, { notes })],
  ];
  const written: string[] = [];
  for (const [path, text] of outputs)
    if (path !== undefined) {
      await writeAtomic(path, text(), write);
      written.push(path);
    }
  return written;
}
