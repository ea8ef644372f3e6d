/** Per-request CSV of a run: timing of each request (rejected requests have empty times). */
import type { SimRun } from "../sim/simulate.js";

const r6 = (v: number) => String(Math.round(v * 1e6) / 1e6);

export function requestsCsv(run: SimRun): string {
  const head =
    "id,policy,client,arrival_s,prompt_tokens,output_tokens,first_token_s,finish_s,ttft_s,tpot_s,latency_s,preemptions,rejected";
  const rows = run.requests.map((r) => {
    if (r.rejected)
      return `${r.id},${run.policy},${r.client},${r6(r.arrival)},${r.promptTokens},${r.outputTokens},,,,,,0,1`;
    const tpot = r.outputTokens > 1 ? r6((r.finishTime - r.firstTokenTime) / (r.outputTokens - 1)) : "";
    return `${r.id},${run.policy},${r.client},${r6(r.arrival)},${r.promptTokens},${r.outputTokens},${r6(r.firstTokenTime)},${r6(r.finishTime)},${r6(r.firstTokenTime - r.arrival)},${tpot},${r6(r.finishTime - r.arrival)},${r.preemptions},0`;
  });
  return `${head}\n${rows.join("\n")}\n`;
}
