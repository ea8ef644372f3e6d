/**
 * The HTML report of a batch run (`--report`): the summary table, per-endpoint timelines of slot
 * utilization (requests in flight / max concurrency), measured and as the simulator predicted
 * them, and latency and TTFT CDFs, measured next to predicted. Self-contained, through src/report.
 */
import { cdfSvg } from "../../report/cdf.js";
import { escapeHtml, htmlPage, htmlTable } from "../../report/html.js";
import { binIntervals, timelineSvg } from "../../report/timeline.js";
import { servedTimes } from "../metrics.js";
import type { SimRun } from "../sim/simulate.js";
import type { BatchRunResult } from "./run.js";
import type { BatchSummary } from "./summary.js";

const BINS = 240;

/** The report as one HTML page. */
export function batchReportHtml(
  run: BatchRunResult,
  summary: BatchSummary,
  predicted: SimRun | null,
): string {
  const m = summary.measured;
  const pr = summary.predicted;
  const T = Math.max(m.makespanSeconds, pr?.makespanSeconds ?? 0, 1e-9);
  const B = summary.maxConcurrency;
  const predTimes = predicted ? servedTimes(predicted) : [];
  const finishes = run.records.filter((r) => r.status === "ok").map((r) => r.finishedSeconds);
  const predFinishes = predTimes.map((t) => t.latency); // every simulated request arrives at 0
  const median = (v: number[]) => {
    const a = [...v].sort((x, y) => x - y);
    return a.length ? (a[Math.floor(0.5 * (a.length - 1))] as number) : null;
  };
  const rows: (string | number | null)[][] = [
    ["makespan (s)", m.makespanSeconds, pr?.makespanSeconds ?? null],
    ["requests / s", m.requestsPerSecond, pr ? summary.requests.succeeded / pr.makespanSeconds : null],
    ["median completion time (s)", median(finishes), predicted ? median(predFinishes) : null],
    ["latency from release p50 (s)", m.latencySeconds?.p50 ?? null, null],
    ["latency from release p90 (s)", m.latencySeconds?.p90 ?? null, null],
    ["TTFT from release p50 (s)", m.ttftSeconds?.p50 ?? null, null],
    ...m.endpoints.map((e, j): (string | number | null)[] => [
      `endpoint ${j} busy`,
      e.busyFraction,
      pr?.endpointBusyFraction[j] ?? null,
    ]),
  ];
  const table = htmlTable(["", "measured", "simulator's prediction"], rows, 3);
  const measuredRows = run.endpoints.map((_url, j) => {
    const mine = run.records.filter((r) => r.endpoint === j);
    return {
      label: `endpoint ${j}`,
      bins: binIntervals(
        mine.map((r) => r.releasedSeconds),
        mine.map((r) => r.finishedSeconds),
        mine.map(() => 1 / B),
        T,
        BINS,
      ),
    };
  });
  let timelines = timelineSvg(measuredRows, {
    seconds: T,
    title: "measured: requests in flight / max concurrency, per endpoint",
    axisLabel: "seconds from the start of the run",
    scaleLabel: "slot utilization",
  });
  if (predicted) {
    const simRows = predicted.clients.map((c) => {
      const L = c.log;
      const vals = Float64Array.from(L.prefills, (p, k) => (p + (L.decodes[k] ?? 0)) / B);
      return { label: `endpoint ${c.index}`, bins: binIntervals(L.start, L.end, vals, T, BINS) };
    });
    timelines += timelineSvg(simRows, {
      seconds: T,
      title: "simulator's prediction: requests in an iteration / max concurrency, per endpoint",
      axisLabel: "seconds from the start of the run",
      scaleLabel: "slot utilization",
    });
  }
  const ok = run.records.filter((r) => r.status === "ok");
  const completion = cdfSvg(
    [
      { label: "measured", values: finishes },
      ...(predFinishes.length ? [{ label: "predicted", values: predFinishes }] : []),
    ],
    { xLabel: "completion time from the start of the run (s)", title: "Completion-time CDF" },
  );
  const latency = cdfSvg(
    [{ label: "measured", values: ok.map((r) => r.finishedSeconds - r.releasedSeconds) }],
    {
      xLabel: "latency from the request's release (s)",
      title: "Latency CDF",
    },
  );
  const measuredTtft = ok.flatMap((r) =>
    r.firstTokenSeconds === null ? [] : [r.firstTokenSeconds - r.releasedSeconds],
  );
  const ttft = measuredTtft.length
    ? cdfSvg([{ label: "measured", values: measuredTtft }], {
        xLabel: "time to first token from the request's release (s)",
        title: "TTFT CDF",
      })
    : "<p>No TTFT: answers were not streamed.</p>";
  const notes = summary.notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("");
  const r = summary.requests;
  const body = `${notes}
<p>${r.succeeded} succeeded, ${r.failed} failed, ${r.cancelled} cancelled, ${r.notSent} not sent, ${r.alreadyDone} already in the results file, of ${r.total}; ${summary.retries} retries.
Policy ${escapeHtml(summary.policy)}, predictor ${escapeHtml(summary.predictor.spec)} (${escapeHtml(summary.predictor.description)}).</p>
<h2>Measured and predicted</h2>${table}
<p>Completion times count from the start of the run in both columns; latency and TTFT count from each request's release by the client (measured only: the simulator's requests wait with the dispatcher, not on a clock the server sees).</p>
<h2>Endpoint timelines</h2>${timelines}
<h2>Distributions</h2>${completion}${latency}${ttft}`;
  return htmlPage(
    {
      title: "frugal serving batch",
      subtitle: `${r.total} requests, ${run.endpoints.length} endpoints, status ${summary.status}`,
    },
    body,
  );
}
