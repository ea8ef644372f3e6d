/**
 * Run metrics (formulas in docs/metrics.md, serving section). T = makespan = last completion −
 * first arrival; J clients; B = max batch size.
 *   busy utilization  U_busy = Σ_j busy_j / (J·T)
 *   slot utilization  U_slot = Σ_iterations (requests computing in it)·Δt / (J·B·T)
 *   TTFT_i = first token − arrival;  TPOT_i = (finish − first token)/(o_i − 1) for o_i > 1
 *   latency_i = finish − arrival;  throughput = Σ o_i / T (and Σ(p_i + o_i) / T)
 *   gap to lower bound = (T − LB)/LB
 */
import type { SimRun } from "./sim/simulate.js";

export interface Percentiles {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RunMetrics {
  name: string;
  status: SimRun["status"];
  requests: number;
  completed: number;
  rejected: number;
  makespanSeconds: number;
  busyUtilization: number;
  slotUtilization: number;
  ttftSeconds: Percentiles;
  tpotSeconds: Percentiles;
  latencySeconds: Percentiles;
  outputTokensPerSecond: number;
  totalTokensPerSecond: number;
  preemptions: number;
  iterations: number;
  events: number;
  wallSeconds: number;
  /** (T − LB)/LB, null without a bound. */
  gapToLowerBound: number | null;
}

/** Nearest-rank percentile of an ascending array (q in [0, 1]). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[k]!;
}

export function summarize(values: number[]): Percentiles {
  const a = Float64Array.from(values).sort();
  const mean = a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0;
  return {
    mean,
    p50: percentile(a, 0.5),
    p90: percentile(a, 0.9),
    p99: percentile(a, 0.99),
    max: a.length ? a[a.length - 1]! : 0,
  };
}

export function runMetrics(run: SimRun, lowerBoundSeconds: number | null = null): RunMetrics {
  const done = run.requests.filter((r) => !r.rejected && r.finishTime >= 0);
  const first = run.requests.length ? Math.min(...run.requests.map((r) => r.arrival)) : 0;
  const T = Math.max(0, run.makespan - first);
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
      slots += (L.prefills[k]! + L.decodes[k]!) * (L.end[k]! - L.start[k]!);
  }
  let out = 0;
  let tot = 0;
  for (const r of done) {
    out += r.outputTokens;
    tot += r.outputTokens + r.promptTokens;
  }
  return {
    name: run.policy,
    status: run.status,
    requests: run.requests.length,
    completed: done.length,
    rejected: run.rejected,
    makespanSeconds: T,
    busyUtilization: T > 0 ? busy / (J * T) : 0,
    slotUtilization: T > 0 ? slots / (J * B * T) : 0,
    ttftSeconds: summarize(done.map((r) => r.firstTokenTime - r.arrival)),
    tpotSeconds: summarize(
      done
        .filter((r) => r.outputTokens > 1)
        .map((r) => (r.finishTime - r.firstTokenTime) / (r.outputTokens - 1)),
    ),
    latencySeconds: summarize(done.map((r) => r.finishTime - r.arrival)),
    outputTokensPerSecond: T > 0 ? out / T : 0,
    totalTokensPerSecond: T > 0 ? tot / T : 0,
    preemptions,
    iterations: run.iterations,
    events: run.events,
    wallSeconds: run.wallSeconds,
    gapToLowerBound:
      lowerBoundSeconds && lowerBoundSeconds > 0 ? (T - lowerBoundSeconds) / lowerBoundSeconds : null,
  };
}
