/** The HTML report of a comparison: policy table, gap breakdown, per-client slot-utilization timelines, TTFT/TPOT/latency CDFs. */
import { cdfSvg } from "../../report/cdf.js";
import { escapeHtml, htmlPage, htmlTable } from "../../report/html.js";
import { binIntervals, timelineSvg } from "../../report/timeline.js";
import type { CompareResult } from "../compare.js";
import { type RequestTimes, servedTimes } from "../metrics.js";
import { BREAKDOWN_COLUMNS, breakdownRows, POLICY_COLUMNS, policyRows } from "./policy-table.js";

/** Title, subtitle and notes shown above the report's tables. */
export interface ReportExtras {
  title?: string;
  subtitle?: string;
  notes?: string[];
}

/** The comparison as one self-contained HTML page. */
export function servingReportHtml(r: CompareResult, extras: ReportExtras = {}): string {
  const table = htmlTable(POLICY_COLUMNS, policyRows(r), 2);
  const gapTable = htmlTable(BREAKDOWN_COLUMNS, breakdownRows(r), 2);
  const T = Math.max(...r.policies.map((p) => p.metrics.makespanSeconds), 1e-9);
  const timelines = r.runs
    .map((run) => {
      const B = run.clients[0]?.spec.maxBatchSize ?? 1;
      const tl = run.clients.map((c) => {
        const L = c.log;
        const vals = Float64Array.from(L.prefills, (p, k) => (p + (L.decodes[k] ?? 0)) / B);
        return { label: `client ${c.index}`, bins: binIntervals(L.start, L.end, vals, T, 240) };
      });
      return timelineSvg(tl, {
        seconds: T,
        title: `${run.policy}: batch-slot utilization per client`,
        axisLabel: "seconds from the first arrival",
        scaleLabel: "slot utilization",
      });
    })
    .join("");
  const served = r.runs.map((run) => ({ label: run.policy, times: servedTimes(run) }));
  const cdf = (pick: (t: RequestTimes) => number | null, xLabel: string, title: string) =>
    cdfSvg(
      served.map(({ label, times }) => ({
        label,
        values: times.flatMap((t) => {
          const v = pick(t);
          return v === null ? [] : [v];
        }),
      })),
      { xLabel, title },
    );
  const ttft = cdf((t) => t.ttft, "time to first token (s)", "TTFT CDF");
  const tpot = cdf((t) => t.tpot, "time per output token (s)", "TPOT CDF");
  const lat = cdf((t) => t.latency, "end-to-end latency (s)", "Latency CDF");
  const lb = r.lowerBound;
  const allNotes = [
    ...(extras.notes ?? []),
    ...(r.status === "interrupted"
      ? [
          `Interrupted: ${r.policies.length} of ${r.policies.length + r.unfinished.length} policies finished; the report shows those.`,
        ]
      : []),
    ...r.unfinished.map((u) => `${u.name}: ${u.reason}.`),
    ...r.policies.flatMap((p) =>
      p.metrics.notes.filter((n) => !n.includes("no lower bound was given")).map((n) => `${p.name}: ${n}.`),
    ),
  ];
  const notes = allNotes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("");
  const body = `${notes}
<h2>Policies</h2>${table}
<p>Lower bound ${lb.seconds.toFixed(2)} s (work ${lb.workSeconds.toFixed(2)} s, chain ${lb.chainSeconds.toFixed(2)} s${lb.packingSeconds === null ? "" : `, packing ${lb.packingSeconds.toFixed(2)} s`}, KV memory ${lb.memorySeconds.toFixed(2)} s, release ${lb.releaseSeconds.toFixed(2)} s; binding: ${lb.binding}).
Slot utilization = Σ requests computing × iteration time / (clients × max batch × makespan); busy = Σ client busy time / (clients × makespan).</p>
<h2>Where the time above the bound goes</h2>${gapTable}
<p>On the client that finishes last: its load (bound work of its requests) minus the bound, then the fixed
iteration costs the bound does not charge — prefill-only iterations with fewer than B members, decode
iterations with idle slots while requests could still be inserted, the drain after the last prefill, mixed
iterations — other linear terms (recomputation, whole-prompt attention) and idle time.</p>
<h2>Utilization timelines</h2>${timelines}
<h2>Latency distributions</h2>${ttft}${tpot}${lat}`;
  return htmlPage(
    {
      title: extras.title ?? `frugal serving: ${r.trace}`,
      subtitle: extras.subtitle ?? `${r.requests} requests, ${r.clients} clients, profile ${r.profile}`,
    },
    body,
  );
}
