/**
 * Run metrics (formulas in docs/metrics.md, serving section). Every time is seconds from the run's
 * origin, the trace's first arrival (sim/simulate.ts). T = makespan = last completion − first
 * arrival; J clients; B = max batch size.
 *   busy utilization  U_busy = Σ_j busy_j / (J·T)
 *   slot utilization  U_slot = Σ_iterations (requests computing in it)·Δt / (J·B·T)
 *   TTFT_i = first token − arrival;  TPOT_i = (finish − first token)/(o_i − 1) for o_i > 1
 *   latency_i = finish − arrival;  throughput = Σ o_i / T (and Σ(p_i + o_i) / T)
 *   gap to lower bound = (T − LB)/LB
 */
import type { RequestOutcome, SimRun } from "./sim/simulate.js";

/** Per-request times in seconds (the one place they are computed). */
export interface RequestTimes {
  /** Time to first token: first token − arrival. */
  ttft: number;
  /** Time per output token after the first: (finish − first token)/(o − 1); null for o = 1. */
  tpot: number | null;
  /** End-to-end latency: finish − arrival. */
  latency: number;
}

/** TTFT, TPOT and latency of a served request; null when it was rejected or did not finish. */
export function requestTimes(r: RequestOutcome): RequestTimes | null {
  if (r.rejected || r.finishTime < 0) return null;
  return {
    ttft: r.firstTokenTime - r.arrival,
    tpot: r.outputTokens > 1 ? (r.finishTime - r.firstTokenTime) / (r.outputTokens - 1) : null,
    latency: r.finishTime - r.arrival,
  };
}

/** The served requests' times, in request order. */
export function servedTimes(run: SimRun): RequestTimes[] {
  const out: RequestTimes[] = [];
  for (const r of run.requests) {
    const t = requestTimes(r);
    if (t) out.push(t);
  }
  return out;
}

/** Mean, percentiles (nearest rank) and maximum of a sample. */
export interface Percentiles {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The metrics of one run (formulas in the header). */
export interface RunMetrics {
  name: string;
  status: SimRun["status"];
  requests: number;
  completed: number;
  rejected: number;
  makespanSeconds: number;
  busyUtilization: number;
  slotUtilization: number;
  /** null when no request was served (see `notes`). */
  ttftSeconds: Percentiles | null;
  /** null when no served request has more than one output token (see `notes`). */
  tpotSeconds: Percentiles | null;
  /** null when no request was served (see `notes`). */
  latencySeconds: Percentiles | null;
  outputTokensPerSecond: number;
  totalTokensPerSecond: number;
  preemptions: number;
  iterations: number;
  events: number;
  wallSeconds: number;
  /** (T − LB)/LB; null without a bound, or when requests were rejected (see `notes`). */
  gapToLowerBound: number | null;
  /** Why a metric is null, one sentence each. */
  notes: string[];
}

/** Nearest-rank percentile of an ascending array (q in [0, 1]). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[k] ?? 0;
}

/** Mean, p50, p90, p99 and max of `values` (zeros for an empty sample; `runMetrics` reports null then). */
export function summarize(values: number[]): Percentiles {
  const a = Float64Array.from(values).sort();
  const mean = a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0;
  return {
    mean,
    p50: percentile(a, 0.5),
    p90: percentile(a, 0.9),
    p99: percentile(a, 0.99),
    max: a.at(-1) ?? 0,
  };
}

/** The metrics of a run; the gap to the bound when `lowerBoundSeconds` is given. */
export function runMetrics(run: SimRun, lowerBoundSeconds: number | null = null): RunMetrics {
  const done = run.requests.filter((r) => !r.rejected && r.finishTime >= 0);
  const times = servedTimes(run);
  const T = Math.max(0, run.makespan); // the run's times count from the first arrival
  const J = run.clients.length;
  const B = run.clients[0]?.spec.maxBatchSize ?? 1;
  let busy = 0;
  let slots = 0;
  let preemptions = 0;
  for (const c of run.clients) {
    busy += c.busySeconds;
    preemptions += c.preemptions;
    const L = c.log;
    for (let k = 0; k < L.start.length; k++)
      slots += (L.prefills[k]! + L.decodes[k]!) * (L.end[k]! - L.start[k]!); // k < every log array's length
  }
  let out = 0;
  let tot = 0;
  for (const r of done) {
    out += r.outputTokens;
    tot += r.outputTokens + r.promptTokens;
  }
  const notes: string[] = [];
  const ttft = times.map((t) => t.ttft);
  const tpot = times.flatMap((t) => (t.tpot === null ? [] : [t.tpot]));
  if (times.length === 0)
    notes.push("ttftSeconds, tpotSeconds and latencySeconds are null: no request was served");
  else if (tpot.length === 0)
    notes.push("tpotSeconds is null: every served request has one output token (TPOT needs two)");
  let gap: number | null = null;
  if (lowerBoundSeconds === null) notes.push("gapToLowerBound is null: no lower bound was given");
  else if (run.rejected > 0)
    notes.push(
      `gapToLowerBound is null: ${run.rejected} request(s) were rejected, and the bound assumes every request is served`,
    );
  else if (!(lowerBoundSeconds > 0))
    notes.push(
      "gapToLowerBound is null: the lower bound is 0 (nothing to serve), a gap relative to it is undefined",
    );
  // Float noise (sums of iteration times vs the bound's closed form) is not a gap.
  else
    gap =
      Math.abs(T - lowerBoundSeconds) <= 1e-9 * lowerBoundSeconds
        ? 0
        : (T - lowerBoundSeconds) / lowerBoundSeconds;
  return {
    name: run.policy,
    status: run.status,
    requests: run.requests.length,
    completed: done.length,
    rejected: run.rejected,
    makespanSeconds: T,
    busyUtilization: T > 0 ? busy / (J * T) : 0,
    slotUtilization: T > 0 ? slots / (J * B * T) : 0,
    ttftSeconds: times.length ? summarize(ttft) : null,
    tpotSeconds: tpot.length ? summarize(tpot) : null,
    latencySeconds: times.length ? summarize(times.map((t) => t.latency)) : null,
    outputTokensPerSecond: T > 0 ? out / T : 0,
    totalTokensPerSecond: T > 0 ? tot / T : 0,
    preemptions,
    iterations: run.iterations,
    events: run.events,
    wallSeconds: run.wallSeconds,
    gapToLowerBound: gap,
    notes,
  };
}
