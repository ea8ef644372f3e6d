/**
 * The summary of a batch run: what was measured (makespan, throughput, per-endpoint utilization,
 * latency and time-to-first-token percentiles, the predictor's error) next to what the simulator
 * predicts for the same requests (sim-adapter.ts: the same dispatch policy on simulated servers
 * running the profile's time model, with the output lengths the servers actually produced).
 *
 * Definitions (times in seconds from the run's start, when the first request could be sent):
 * - makespan: the last answer's time; throughput: successful requests and output tokens per second of it;
 * - an endpoint's busy fraction: the share of the makespan with at least one request in flight;
 *   its slot utilization: mean requests in flight / `--max-concurrency` over the makespan;
 * - latency: answer time − release time; TTFT: first streamed output token − release time.
 */
import { type Percentiles, summarize } from "../metrics.js";
import { predictionError } from "../predict/error.js";
import { createPredictor, predictorLabel } from "../predict/spec.js";
import type { SimRun } from "../sim/simulate.js";
import type { DispatchItem } from "./dispatch/types.js";
import type { BatchRecord, BatchRunResult, PreparedBatch } from "./run.js";
import { simulateDispatch } from "./sim-adapter.js";

/** One endpoint's share of a run. */
export interface EndpointSummary {
  url: string;
  /** Requests answered (or failed for good) by it in this run. */
  requests: number;
  outputTokens: number;
  /** Share of the makespan with ≥ 1 request in flight. */
  busyFraction: number;
  /** Mean requests in flight / max concurrency, over the makespan. */
  slotUtilization: number;
}

/** What the simulator predicted for the same requests. */
export interface BatchPrediction {
  makespanSeconds: number;
  /** Measured makespan / predicted − 1 (positive: the run was slower than predicted). */
  relativeError: number;
  status: SimRun["status"];
  /** Per endpoint: the simulated busy fraction. */
  endpointBusyFraction: number[];
  /** The profile whose time model the simulated servers ran. */
  profile: string;
}

/** The summary document of a batch run (also the `--json` output). */
export interface BatchSummary {
  status: BatchRunResult["status"];
  policy: string;
  predictor: { spec: string; description: string };
  requests: {
    total: number;
    /** Already in the results file when the run started (resume). */
    alreadyDone: number;
    sent: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    notSent: number;
  };
  retries: number;
  streamed: boolean;
  maxConcurrency: number;
  promptTokens: { sources: Record<string, number> };
  measured: {
    makespanSeconds: number;
    requestsPerSecond: number;
    outputTokensPerSecond: number;
    endpoints: EndpointSummary[];
    latencySeconds: Percentiles | null;
    ttftSeconds: Percentiles | null;
  };
  /** Error of the predictions the plan used, over the answered requests with a known length. */
  predictionError: ReturnType<typeof predictionError> | null;
  predicted: BatchPrediction | null;
  notes: string[];
}

/** Sweep over [start, end) intervals: the time with ≥ 1 open, and ∫ open count dt, within [0, T]. */
function occupancy(intervals: readonly [number, number][], T: number): { busy: number; area: number } {
  const ev: [number, number][] = [];
  for (const [a, b] of intervals) {
    const s = Math.max(0, Math.min(a, T));
    const e = Math.max(s, Math.min(b, T));
    if (e > s) ev.push([s, 1], [e, -1]);
  }
  ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let last = 0;
  let busy = 0;
  let area = 0;
  for (const [t, d] of ev) {
    if (open > 0) busy += t - last;
    area += open * (t - last);
    open += d;
    last = t;
  }
  return { busy, area };
}

/** The dispatch items of the answered requests, with the output lengths the servers produced. */
export function answeredItems(prepared: PreparedBatch, records: readonly BatchRecord[]): DispatchItem[] {
  const byIndex = new Map(prepared.items.map((it) => [it.index, it]));
  return records.flatMap((r) => {
    const it = byIndex.get(r.index);
    if (!it || r.status !== "ok") return [];
    return [{ ...it, outputTokens: r.outputTokens ?? r.predictedOutputTokens }];
  });
}

/**
 * The simulator's prediction for the requests a run answered (see the header): null when none
 * were answered.
 */
export async function predictRun(run: BatchRunResult, signal?: AbortSignal): Promise<SimRun | null> {
  const p = run.prepared;
  const items = answeredItems(p, run.records);
  if (items.length === 0) return null;
  const predictor = createPredictor(p.predictorSpec, {
    history: p.predictorHistory.samples,
    historySource: p.predictorHistory.source,
    truth: false,
  });
  return simulateDispatch({
    items,
    policy: p.policy,
    policyParams: p.policyParams,
    endpoints: run.endpoints.length,
    maxConcurrency: p.maxConcurrency,
    predictor,
    profile: p.profile,
    signal,
  });
}

/** The summary of a run and, when given, the simulator's prediction for it. */
export function batchSummary(run: BatchRunResult, predicted: SimRun | null): BatchSummary {
  const p = run.prepared;
  const recs = run.records;
  const T = recs.reduce((m, r) => Math.max(m, r.finishedSeconds), 0);
  const ok = recs.filter((r) => r.status === "ok");
  const outTokens = ok.reduce((s, r) => s + (r.outputTokens ?? 0), 0);
  const endpoints = run.endpoints.map((url, j): EndpointSummary => {
    const mine = recs.filter((r) => r.endpoint === j);
    const o = occupancy(
      mine.map((r) => [r.releasedSeconds, r.finishedSeconds]),
      T,
    );
    return {
      url,
      requests: mine.length,
      outputTokens: mine.reduce((s, r) => s + (r.status === "ok" ? (r.outputTokens ?? 0) : 0), 0),
      busyFraction: T > 0 ? o.busy / T : 0,
      slotUtilization: T > 0 ? o.area / (T * p.maxConcurrency) : 0,
    };
  });
  const lat = ok.map((r) => r.finishedSeconds - r.releasedSeconds);
  const ttft = ok.flatMap((r) =>
    r.firstTokenSeconds === null ? [] : [r.firstTokenSeconds - r.releasedSeconds],
  );
  const known = ok.filter((r) => r.outputTokens !== null);
  const err = known.length
    ? predictionError(
        known.map((r) => r.predictedOutputTokens),
        known.map((r) => r.outputTokens as number),
      )
    : null;
  let prediction: BatchPrediction | null = null;
  if (predicted) {
    const M = predicted.makespan;
    prediction = {
      makespanSeconds: M,
      relativeError: M > 0 ? T / M - 1 : 0,
      status: predicted.status,
      endpointBusyFraction: predicted.clients.map((c) => (M > 0 ? c.busySeconds / M : 0)),
      profile: p.profile.name,
    };
  }
  const notes = [...p.notes];
  if (predicted)
    notes.push(
      `the prediction simulates the same dispatch on servers running profile ${p.profile.name} that batch every request in flight (max_num_seqs ≥ ${p.maxConcurrency}), with the output lengths the servers produced`,
    );
  return {
    status: run.status,
    policy: p.policy,
    predictor: { spec: predictorLabel(p.predictorSpec), description: p.predictor.describe() },
    requests: {
      total: p.requests.length,
      alreadyDone: p.requests.length - p.pending.length,
      sent: recs.length + run.cancelled,
      succeeded: ok.length,
      failed: recs.length - ok.length,
      cancelled: run.cancelled,
      notSent: run.notSent,
    },
    retries: run.retries,
    streamed: run.streamed,
    maxConcurrency: p.maxConcurrency,
    promptTokens: { sources: { ...p.tokenSources } },
    measured: {
      makespanSeconds: T,
      requestsPerSecond: T > 0 ? ok.length / T : 0,
      outputTokensPerSecond: T > 0 ? outTokens / T : 0,
      endpoints,
      latencySeconds: lat.length ? summarize(lat) : null,
      ttftSeconds: ttft.length ? summarize(ttft) : null,
    },
    predictionError: err,
    predicted: prediction,
    notes,
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The summary as text for people. */
export function batchSummaryText(s: BatchSummary): string {
  const r = s.requests;
  const m = s.measured;
  const lines = [
    `${s.status}: ${r.succeeded} succeeded, ${r.failed} failed${r.cancelled ? `, ${r.cancelled} cancelled` : ""}${r.notSent ? `, ${r.notSent} not sent` : ""}${r.alreadyDone ? ` (${r.alreadyDone} already in the results file)` : ""} of ${r.total}; ${s.retries} retries`,
    `policy ${s.policy}, predictor ${s.predictor.spec} (${s.predictor.description}), max concurrency ${s.maxConcurrency} per endpoint`,
    `makespan ${m.makespanSeconds.toFixed(2)} s, ${m.requestsPerSecond.toFixed(2)} requests/s, ${m.outputTokensPerSecond.toFixed(1)} output tokens/s`,
  ];
  if (s.predicted)
    lines.push(
      `simulator's prediction for the same requests: ${s.predicted.makespanSeconds.toFixed(2)} s (measured ${s.predicted.relativeError >= 0 ? "+" : ""}${pct(s.predicted.relativeError)}; profile ${s.predicted.profile})`,
    );
  for (const [j, e] of m.endpoints.entries())
    lines.push(
      `  endpoint ${j} ${e.url}: ${e.requests} requests, ${e.outputTokens} output tokens, busy ${pct(e.busyFraction)}, slots ${pct(e.slotUtilization)}${s.predicted ? ` (predicted busy ${pct(s.predicted.endpointBusyFraction[j] ?? 0)})` : ""}`,
    );
  if (m.latencySeconds)
    lines.push(
      `latency p50 ${m.latencySeconds.p50.toFixed(2)} s, p90 ${m.latencySeconds.p90.toFixed(2)} s, max ${m.latencySeconds.max.toFixed(2)} s`,
    );
  if (m.ttftSeconds)
    lines.push(`TTFT p50 ${m.ttftSeconds.p50.toFixed(3)} s, p90 ${m.ttftSeconds.p90.toFixed(3)} s`);
  if (s.predictionError)
    lines.push(
      `output-length prediction: MAE ${s.predictionError.maeTokens.toFixed(1)} tokens, Spearman ${s.predictionError.spearman === null ? "–" : s.predictionError.spearman.toFixed(3)} over ${s.predictionError.requests} requests`,
    );
  const src = Object.entries(s.promptTokens.sources)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} by ${k}`)
    .join(", ");
  if (src) lines.push(`prompt tokens: ${src}`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

/** What `--dry-run` prints: the requests to send, how their prompts were counted, the plan and its predicted makespan. */
export interface BatchPlanDocument {
  requests: { total: number; alreadyDone: number; toSend: number };
  policy: string;
  predictor: { spec: string; description: string };
  maxConcurrency: number;
  promptTokens: { sources: Record<string, number> };
  /** Requests queued per endpoint and their predicted work (seconds under the profile); null when assigned on release. */
  endpoints: { url: string; queued: number | null; predictedWorkSeconds: number | null }[];
  /** The simulator's makespan for the plan with the predicted output lengths (null when nothing is left to send). */
  predictedMakespanSeconds: number | null;
  profile: string;
  notes: string[];
}

/** The plan of a prepared batch (see `BatchPlanDocument`); simulates it with the predicted lengths. */
export async function batchPlanDocument(
  p: PreparedBatch,
  endpoints: readonly string[],
  signal?: AbortSignal,
): Promise<BatchPlanDocument> {
  let predicted: number | null = null;
  if (p.items.length > 0) {
    const items = p.items.map((it) => ({ ...it, outputTokens: p.dispatcher.predicted(it.index) }));
    const run = await simulateDispatch({
      items,
      policy: p.policy,
      policyParams: p.policyParams,
      endpoints: endpoints.length,
      maxConcurrency: p.maxConcurrency,
      predictor: createPredictor(p.predictorSpec, {
        history: p.predictorHistory.samples,
        historySource: p.predictorHistory.source,
        truth: false,
      }),
      profile: p.profile,
      signal,
    });
    predicted = run.makespan;
  }
  return {
    requests: {
      total: p.requests.length,
      alreadyDone: p.requests.length - p.pending.length,
      toSend: p.pending.length,
    },
    policy: p.policy,
    predictor: { spec: predictorLabel(p.predictorSpec), description: p.predictor.describe() },
    maxConcurrency: p.maxConcurrency,
    promptTokens: { sources: { ...p.tokenSources } },
    endpoints: endpoints.map((url, j) => ({
      url,
      queued: p.plan.queues?.[j]?.length ?? null,
      predictedWorkSeconds: p.plan.predictedWorkSeconds?.[j] ?? null,
    })),
    predictedMakespanSeconds: predicted,
    profile: p.profile.name,
    notes: [...p.notes, ...p.plan.notes],
  };
}

/** The plan as text. */
export function batchPlanText(d: BatchPlanDocument): string {
  const lines = [
    `dry run: ${d.requests.toSend} of ${d.requests.total} requests to send${d.requests.alreadyDone ? ` (${d.requests.alreadyDone} already in the results file)` : ""}`,
    `policy ${d.policy}, predictor ${d.predictor.spec} (${d.predictor.description}), max concurrency ${d.maxConcurrency} per endpoint`,
  ];
  for (const [j, e] of d.endpoints.entries())
    lines.push(
      `  endpoint ${j} ${e.url}: ${e.queued === null ? "assigned on release" : `${e.queued} requests queued`}${e.predictedWorkSeconds === null ? "" : `, predicted work ${e.predictedWorkSeconds.toFixed(1)} s`}`,
    );
  if (d.predictedMakespanSeconds !== null)
    lines.push(
      `simulator's prediction with the predicted lengths: makespan ${d.predictedMakespanSeconds.toFixed(1)} s (profile ${d.profile})`,
    );
  const src = Object.entries(d.promptTokens.sources)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} by ${k}`)
    .join(", ");
  if (src) lines.push(`prompt tokens: ${src}`);
  for (const n of d.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}
