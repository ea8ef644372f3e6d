/**
 * Writes a comparison's files (per-request CSV, Chrome trace, HTML report), each atomically: a
 * temporary sibling renamed when complete (src/util/files.ts), so an interrupted write leaves
 * nothing under the final name. The Chrome trace is streamed in pieces. Only finished runs are in
 * the files: after an interrupt they hold the policies that finished.
 */
import { open } from "node:fs/promises";
import { type WriteOptions, writeFileAtomic } from "../../util/files.js";
import type { CompareResult } from "../compare.js";
import { chromeTraceParts } from "./chrome-trace.js";
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

/** Writes `parts` one after the other into `out` (atomically). */
async function writeParts(out: string, parts: Iterable<string>, opts: WriteOptions): Promise<void> {
  await writeFileAtomic(
    out,
    async (tmp) => {
      const fh = await open(tmp, "w");
      try {
        for (const part of parts) await fh.write(part);
      } finally {
        await fh.close();
      }
    },
    opts,
  );
}

/** Writes the requested files (`notes` go into the report); returns the paths written, in order. */
export async function writeComparisonFiles(
  r: CompareResult,
  files: ComparisonFiles,
  opts: WriteOptions & { notes?: string[] } = {},
): Promise<string[]> {
  const { notes, ...write } = opts;
  const outputs: [string | undefined, () => Iterable<string>][] = [
    [files.requestsCsv, () => [requestsCsv(r.runs)]],
    [files.chromeTrace, () => chromeTraceParts(r.runs)],
    [files.report, () => [servingReportHtml(r, { notes })]],
  ];
  const written: string[] = [];
  for (const [path, parts] of outputs)
    if (path !== undefined) {
      await writeParts(path, parts(), write);
      written.push(path);
    }
  return written;
}
