/**
 * The paper's 100-case study (Pang et al. §5): random request subsets of a trace, each simulated
 * under the baseline and the hybrid policy; the improvement in utilization (percentage points) and
 * in makespan is summarised by mean / min / max over the cases.
 *
 * Interrupts: when the AbortSignal fires, the case being simulated is dropped and no further case
 * starts; the finished cases are the result (status `interrupted`, summaries over them). With no
 * finished case the study throws AbortedError.
 */
import { AbortedError, throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { runPrediction } from "./compare.js";
import { type RunMetrics, runMetrics } from "./metrics.js";
import { lowerBound } from "./offline/bounds.js";
import { checkPolicyParams, type PolicyParams } from "./params.js";
import { createPolicy, policies } from "./policies/registry.js";
import type { PredictionError } from "./predict/error.js";
import { createPredictor, type PredictorSetup, simulationPredictor } from "./predict/spec.js";
import type { Profile } from "./profile/schema.js";
import { simulate } from "./sim/simulate.js";
import { subsetTrace } from "./trace/synthetic.js";
import type { Trace } from "./trace/types.js";

/** Options of `runStudy`. */
export interface StudyOptions {
  cases: number;
  clients: number;
  /** Requests per case; default: uniform in [n/4, n] of the trace (drawn per case). */
  requestsPerCase?: number;
  /** Seed of the first case; case k uses seed + k (default 1). */
  seed?: number;
  /** Default "vllm-v0". */
  baseline?: string;
  /** Default "hybrid" (with LPT packing unless its parameters say otherwise). */
  candidate?: string;
  policyParams?: PolicyParams;
  /** Stops the study: finished cases are kept (see the header). */
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Called with each finished case (for logs). */
  onCase?: (c: StudyCase) => void;
  /** The output-length predictor both policies plan with (a fresh instance per run); default the true lengths. */
  predictor?: PredictorSetup | null;
  /**
   * Noise levels σ to sweep: the candidate also runs with the `noise` predictor (true length ×
   * exp(σ·Z), seeded by the case) at each σ, to see how much of its gain survives prediction error.
   */
  sigmas?: number[];
}

/** One random case: its subset and both policies' numbers. */
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
  /** The candidate's makespan with the noise predictor at each σ of the sweep (in `sigmas` order). */
  sigmaMakespanSeconds: number[];
  /** The candidate's makespan with true lengths (the sweep's reference; = candidate's without a predictor). */
  oracleMakespanSeconds: number;
  /** The candidate's prediction error in this case (null with true lengths). */
  prediction: PredictionError | null;
}

/** One σ of the sweep, over the cases: the candidate's gain with noisy lengths. */
export interface SigmaPoint {
  sigma: number;
  makespanReduction: Stat;
  /** Mean makespan reduction at this σ over the mean with true lengths (1 = all the gain survives). */
  gainRetained: number | null;
  candidateGapToLowerBound: Stat;
  wins: number;
}

/** Mean, minimum and maximum over the cases. */
export interface Stat {
  mean: number;
  min: number;
  max: number;
}

/** The study: every case and the summaries. */
export interface StudyResult {
  /** `interrupted` when the signal stopped the study before every case finished. */
  status: "completed" | "interrupted";
  trace: string;
  /** Cases asked for; `cases` holds the finished ones (fewer when interrupted). */
  casesRequested: number;
  cases: StudyCase[];
  baseline: string;
  candidate: string;
  utilizationGainPoints: Stat;
  makespanReduction: Stat;
  candidateGapToLowerBound: Stat;
  wins: number;
  /** The predictor the policies planned with, or null for the true lengths. */
  predictor: string | null;
  /** The candidate's prediction error over the cases (mean/min/max of MAE and Spearman), or null. */
  predictionError: { maeTokens: Stat; spearman: Stat } | null;
  /** The σ sweep (empty when none was asked). */
  sigmaSweep: SigmaPoint[];
  /** Why the result is partial, when it is. */
  notes: string[];
}

const stat = (v: number[]): Stat => ({
  mean: v.reduce((s, x) => s + x, 0) / v.length,
  min: Math.min(...v),
  max: Math.max(...v),
});

function predictionStats(cases: readonly StudyCase[]): StudyResult["predictionError"] {
  const errs = cases.flatMap((c) => (c.prediction ? [c.prediction] : []));
  if (errs.length === 0) return null;
  const rho = errs.flatMap((e) => (e.spearman === null ? [] : [e.spearman]));
  return {
    maeTokens: stat(errs.map((e) => e.maeTokens)),
    spearman: rho.length ? stat(rho) : { mean: 0, min: 0, max: 0 },
  };
}

function sigmaPoint(cases: readonly StudyCase[], sigma: number, k: number): SigmaPoint {
  const reduction = cases.map(
    (c) => (c.baselineMakespanSeconds - (c.sigmaMakespanSeconds[k] as number)) / c.baselineMakespanSeconds,
  );
  const base = stat(
    cases.map((c) => (c.baselineMakespanSeconds - c.oracleMakespanSeconds) / c.baselineMakespanSeconds),
  ).mean;
  const r = stat(reduction);
  return {
    sigma,
    makespanReduction: r,
    gainRetained: base > 0 ? r.mean / base : null,
    candidateGapToLowerBound: stat(
      cases.map((c) => ((c.sigmaMakespanSeconds[k] as number) - c.lowerBoundSeconds) / c.lowerBoundSeconds),
    ),
    wins: cases.filter((c) => (c.sigmaMakespanSeconds[k] as number) < c.baselineMakespanSeconds).length,
  };
}

/** Runs the study: `opts.cases` random subsets of `trace`, baseline against candidate. */
export async function runStudy(trace: Trace, profile: Profile, opts: StudyOptions): Promise<StudyResult> {
  const baseline = opts.baseline ?? "vllm-v0";
  const candidate = opts.candidate ?? "hybrid";
  const params = opts.policyParams ?? {};
  checkPolicyParams(params);
  // The study packs by LPT (a hundred MIPs would dominate the run) unless told otherwise.
  const lpt = "packing" in policies.get(candidate).params.shape ? { packing: "lpt" } : {};
  const baselineParams = params[baseline] ?? {};
  const candidateParams = { ...lpt, ...(params[candidate] ?? {}) };
  createPolicy(baseline, baselineParams);
  createPolicy(candidate, candidateParams);
  const seed0 = opts.seed ?? 1;
  const n = trace.requests.length;
  const cases: StudyCase[] = [];
  const sim = { clients: opts.clients, signal: opts.signal };
  const withPredictor = () =>
    opts.predictor ? { ...sim, predictor: simulationPredictor(opts.predictor) } : sim;
  const sigmas = opts.sigmas ?? [];
  for (let k = 0; k < opts.cases; k++) {
    await new Promise((resolve) => setImmediate(resolve)); // let a pending Ctrl-C be seen
    if (opts.signal?.aborted) break;
    const seed = seed0 + k;
    const size =
      opts.requestsPerCase ??
      Math.max(1, Math.floor(n / 4) + ((seed * 2654435761) % (n - Math.floor(n / 4) + 1)));
    const sub = subsetTrace(trace, Math.min(n, size), seed);
    const lb = lowerBound(sub, profile, opts.clients).seconds;
    let b: RunMetrics;
    let c: RunMetrics;
    let prediction: PredictionError | null = null;
    let oracleMakespanSeconds = 0;
    const sigmaMakespanSeconds: number[] = [];
    try {
      b = runMetrics(
        await simulate(sub, profile, createPolicy(baseline, baselineParams), withPredictor()),
        lb,
      );
      const cRun = await simulate(sub, profile, createPolicy(candidate, candidateParams), withPredictor());
      c = runMetrics(cRun, lb);
      if (opts.predictor) prediction = runPrediction(cRun, opts.predictor.label)?.error ?? null;
      oracleMakespanSeconds =
        opts.predictor && sigmas.length
          ? runMetrics(await simulate(sub, profile, createPolicy(candidate, candidateParams), sim), lb)
              .makespanSeconds
          : c.makespanSeconds;
      for (const sigma of sigmas) {
        const noisy = createPredictor({ name: "noise", params: { sigma, seed } }, { truth: true });
        const run = await simulate(sub, profile, createPolicy(candidate, candidateParams), {
          ...sim,
          predictor: noisy,
        });
        sigmaMakespanSeconds.push(runMetrics(run, lb).makespanSeconds);
      }
    } catch (e) {
      if (e instanceof AbortedError) break;
      throw e;
    }
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
      sigmaMakespanSeconds,
      oracleMakespanSeconds,
      prediction,
    });
    opts.onCase?.(cases[cases.length - 1] as StudyCase);
    opts.onProgress?.({ label: "study", done: k + 1, total: opts.cases });
  }
  if (cases.length === 0) throwIfAborted(opts.signal, "study");
  const interrupted = cases.length < opts.cases;
  return {
    status: interrupted ? "interrupted" : "completed",
    trace: trace.name,
    casesRequested: opts.cases,
    cases,
    baseline,
    candidate,
    utilizationGainPoints: stat(cases.map((c) => c.utilizationGainPoints)),
    makespanReduction: stat(cases.map((c) => c.makespanReduction)),
    candidateGapToLowerBound: stat(
      cases.map((c) => (c.candidateMakespanSeconds - c.lowerBoundSeconds) / c.lowerBoundSeconds),
    ),
    wins: cases.filter((c) => c.candidateMakespanSeconds < c.baselineMakespanSeconds).length,
    predictor: opts.predictor?.label ?? null,
    predictionError: predictionStats(cases),
    sigmaSweep: sigmas.map((sigma, k) => sigmaPoint(cases, sigma, k)),
    notes: interrupted
      ? [
          `interrupted after ${cases.length} of ${opts.cases} cases: the summaries are over the finished cases; the case that was running is dropped`,
        ]
      : [],
  };
}
