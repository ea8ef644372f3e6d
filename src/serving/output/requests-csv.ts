/**
 * Per-request CSV of one or more runs: the timing of each request (rejected requests have empty
 * times). `arrival_s`, `first_token_s` and `finish_s` are on the trace's own clock (the run's
 * origin added back), so rows join with the trace; `ttft_s`, `tpot_s` and `latency_s` are durations.
 */
import { requestTimes } from "../metrics.js";
import type { SimRun } from "../sim/simulate.js";

const r6 = (v: number) => String(Math.round(v * 1e6) / 1e6);
const opt = (v: number | null | undefined, origin = 0) =>
  v === null || v === undefined || v < 0 ? "" : r6(origin + v);

/** The CSV header of `requestsCsv`. */
export const REQUESTS_CSV_HEADER =
  "id,policy,client,arrival_s,prompt_tokens,output_tokens,first_token_s,finish_s,ttft_s,tpot_s,latency_s,preemptions,rejected";

/** One CSV (one header) with a row per request of every run, in run order. */
export function requestsCsv(runs: readonly SimRun[]): string {
  const rows: string[] = [REQUESTS_CSV_HEADER];
  for (const run of runs)
    for (const r of run.requests) {
      const head = `${r.id},${run.policy},${r.client},${r6(run.origin + r.arrival)},${r.promptTokens},${r.outputTokens}`;
      if (r.rejected) {
        rows.push(`${head},,,,,,0,1`);
        continue;
      }
      const t = requestTimes(r);
      rows.push(
        `${head},${opt(r.firstTokenTime, run.origin)},${opt(r.finishTime, run.origin)},${opt(t?.ttft)},${opt(t?.tpot)},${opt(t?.latency)},${r.preemptions},0`,
      );
    }
  return `${rows.join("\n")}\n`;
}
