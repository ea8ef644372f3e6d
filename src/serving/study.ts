/**
 * The paper's 100-case study (Pang et al. §5): random request subsets of a trace, each simulated
 * under the baseline and the hybrid policy; the improvement in utilization (percentage points) and
 * in makespan is summarised by mean / min / max over the cases.
 */
import { throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { runMetrics } from "./metrics.js";
import { lowerBound } from "./offline/bounds.js";
import { createPolicy } from "./policies/registry.js";
import type { Profile } from "./profile/schema.js";
import { simulate } from "./sim/simulate.js";
import { subsetTrace } from "./trace/synthetic.js";
import type { Trace } from "./trace/types.js";

export interface StudyOptions {
  cases: number;
  clients: number;
  /** Requests per case; default: uniform in [n/4, n] of the trace (drawn per case). */
  requestsPerCase?: number;
  seed?: number;
  baseline?: string;
  candidate?: string;
  policyParams?: Record<string, Record<string, unknown>>;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

export interface StudyCase {
  seed: number;
  requests: number;
  baselineMakespanSeconds: number;
  candidateMakespanSeconds: number;
  baselineUtilization: number;
  candidateUtilization: number;
  utilizationGainPoints: number;
  makespanReduction: number;
  lowerBoundSeconds: number;
}

export interface Stat {
  mean: number;
  min: number;
  max: number;
}

export interface StudyResult {
  trace: string;
  cases: StudyCase[];
  baseline: string;
  candidate: string;
  utilizationGainPoints: Stat;
  makespanReduction: Stat;
  candidateGapToLowerBound: Stat;
  wins: number;
}

const stat = (v: number[]): Stat => ({
  mean: v.reduce((s, x) => s + x, 0) / v.length,
  min: Math.min(...v),
  max: Math.max(...v),
});

export async function runStudy(trace: Trace, profile: Profile, opts: StudyOptions): Promise<StudyResult> {
  const baseline = opts.baseline ?? "vllm-v0";
  const candidate = opts.candidate ?? "hybrid";
  const seed0 = opts.seed ?? 1;
  const n = trace.requests.length;
  const cases: StudyCase[] = [];
  for (let k = 0; k < opts.cases; k++) {
    throwIfAborted(opts.signal, "study");
    const seed = seed0 + k;
    const size =
      opts.requestsPerCase ??
      Math.max(1, Math.floor(n / 4) + ((seed * 2654435761) % (n - Math.floor(n / 4) + 1)));
    const sub = subsetTrace(trace, Math.min(n, size), seed);
    sub.requests.forEach((r, i) => (r.id = i));
    const lb = lowerBound(sub, profile, opts.clients).seconds;
    const params = opts.policyParams ?? {};
    const b = runMetrics(
      await simulate(sub, profile, createPolicy(baseline, params[baseline] ?? {}), { clients: opts.clients }),
      lb,
    );
    const c = runMetrics(
      await simulate(
        sub,
        profile,
        createPolicy(candidate, { packing: "lpt", ...(params[candidate] ?? {}) }),
        { clients: opts.clients },
      ),
      lb,
    );
    cases.push({
      seed,
      requests: sub.requests.length,
      baselineMakespanSeconds: b.makespanSeconds,
      candidateMakespanSeconds: c.makespanSeconds,
      baselineUtilization: b.slotUtilization,
      candidateUtilization: c.slotUtilization,
      utilizationGainPoints: 100 * (c.slotUtilization - b.slotUtilization),
      makespanReduction: (b.makespanSeconds - c.makespanSeconds) / b.makespanSeconds,
      lowerBoundSeconds: lb,
    });
    opts.onProgress?.({ label: "study", done: k + 1, total: opts.cases });
  }
  return {
    trace: trace.name,
    cases,
    baseline,
    candidate,
    utilizationGainPoints: stat(cases.map((c) => c.utilizationGainPoints)),
    makespanReduction: stat(cases.map((c) => c.makespanReduction)),
    candidateGapToLowerBound: stat(
      cases.map((c) => (c.candidateMakespanSeconds - c.lowerBoundSeconds) / c.lowerBoundSeconds),
    ),
    wins: cases.filter((c) => c.candidateMakespanSeconds < c.baselineMakespanSeconds).length,
  };
}
