/** Per-request CSV of one or more runs: the timing of each request (rejected requests have empty times). */
import { requestTimes } from "../metrics.js";
import type { SimRun } from "../sim/simulate.js";

const r6 = (v: number) => String(Math.round(v * 1e6) / 1e6);
const opt = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? "" : r6(v));

/** The CSV header of `requestsCsv`. */
export const REQUESTS_CSV_HEADER =
  "id,policy,client,arrival_s,prompt_tokens,output_tokens,first_token_s,finish_s,ttft_s,tpot_s,latency_s,preemptions,rejected";

/** One CSV (one header) with a row per request of every run, in run order. */
export function requestsCsv(runs: readonly SimRun[]): string {
  const rows: string[] = [REQUESTS_CSV_HEADER];
  for (const run of runs)
    for (const r of run.requests) {
      const head = `${r.id},${run.policy},${r.client},${r6(r.arrival)},${r.promptTokens},${r.outputTokens}`;
      if (r.rejected) {
        rows.push(`${head},,,,,,0,1`);
        continue;
      }
      const t = requestTimes(r);
      rows.push(
        `${head},${opt(r.firstTokenTime)},${opt(r.finishTime)},${opt(t?.ttft)},${opt(t?.tpot)},${opt(t?.latency)},${r.preemptions},0`,
      );
    }
  return `${rows.join("\n")}\n`;
}
