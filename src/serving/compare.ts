/**
 * Compare policies on one trace and profile: every policy is simulated, the lower bound is computed
 * (with the packing MIP's dual bound for offline batches), and each policy's gap to it reported.
 *
 * Interrupts: when the AbortSignal fires, the policy being simulated stops and the ones after it
 * are not started. The policies that finished are the result (status `interrupted`); the others
 * are listed in `unfinished` with the reason. A partial simulation is no result: it reports
 * nothing about the requests it did not serve, so its metrics are not computed. With no finished
 * policy the comparison throws AbortedError.
 */
import { AbortedError, throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { type GapBreakdown, gapBreakdown } from "./breakdown.js";
import { checkWorkload } from "./limits.js";
import { type RunMetrics, runMetrics } from "./metrics.js";
import { type LowerBound, lowerBound, lowerBoundWithPacking } from "./offline/bounds.js";
import type { PackOptions } from "./offline/packing.js";
import { checkPolicyParams, type PolicyParams } from "./params.js";
import { createPolicy, policyNames, policies as registry } from "./policies/registry.js";
import type { PolicyPlanInfo } from "./policies/types.js";
import { type PredictionError, predictionError } from "./predict/error.js";
import { type PredictorSetup, simulationPredictor } from "./predict/spec.js";
import type { Profile } from "./profile/schema.js";
import { type SimRun, simulate } from "./sim/simulate.js";
import type { Trace } from "./trace/types.js";

/** Options of `comparePolicies`. */
export interface CompareOptions {
  clients: number;
  /** Policies to simulate, in order; default every registered policy. */
  policies?: string[];
  /** Parameters by policy name. */
  policyParams?: PolicyParams;
  /** Solve the packing MIP for the bound (offline batches only); default true. */
  packingBound?: boolean;
  /** Seconds for the bound's packing MIP (default 10). */
  packingTimeLimit?: number;
  /** Stops the comparison: finished policies are kept, the rest listed as unfinished (see the header). */
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Called when a policy's simulation starts and when it ends (for logs: timing, events/s). */
  onPolicy?: (e: PolicyEvent) => void;
  /** Progress of the bound's packing MIP (seconds, incumbent, bound). */
  onPacking?: PackOptions["onProgress"];
  /** The output-length predictor the policies plan with (a fresh instance per run); default the true lengths. */
  predictor?: PredictorSetup | null;
}

/** A policy's simulation starting or ending (`run` is set when it finished). */
export interface PolicyEvent {
  name: string;
  phase: "start" | "end";
  run?: SimRun;
}

/** One policy's outcome in a comparison. */
export interface PolicyResult {
  name: string;
  metrics: RunMetrics;
  plan?: PolicyPlanInfo;
  /** Where the time above the lower bound goes (critical client; breakdown.ts). */
  breakdown: GapBreakdown;
  /** The predictor's error on the requests this policy asked about; null when it used no lengths or the true ones. */
  prediction: RunPrediction | null;
}

/** A run's predictions against the true lengths. */
export interface RunPrediction {
  predictor: string;
  error: PredictionError;
}

/** The error of the predictions a run's policy asked for (null when it asked none). */
export function runPrediction(run: SimRun, label: string): RunPrediction | null {
  if (!run.predictions) return null;
  const predicted: number[] = [];
  const actual: number[] = [];
  for (const [k, r] of run.requests.entries()) {
    const p = run.predictions.predicted[k] as number;
    if (Number.isNaN(p)) continue;
    predicted.push(p);
    actual.push(r.outputTokens);
  }
  return predicted.length ? { predictor: label, error: predictionError(predicted, actual) } : null;
}

/** A policy that did not finish: interrupted while it ran, or not started. */
export interface UnfinishedPolicy {
  name: string;
  status: "interrupted";
  /** Why, in words (e.g. "interrupted after 3.2 s; its partial simulation is not reported"). */
  reason: string;
}

/** Every policy on one workload, with the lower bound and the runs (for files and reports). */
export interface CompareResult {
  /** `interrupted` when the signal stopped the comparison before every policy finished. */
  status: "completed" | "interrupted";
  trace: string;
  requests: number;
  clients: number;
  profile: string;
  lowerBound: LowerBound;
  /** The policies that finished, in the order asked. */
  policies: PolicyResult[];
  /** The policies that did not finish (empty unless interrupted), in the order asked. */
  unfinished: UnfinishedPolicy[];
  /** The finished policies' runs, in the same order as `policies`. */
  runs: SimRun[];
  /** The predictor the policies planned with (its label), or null for the true lengths. */
  predictor: string | null;
}

/** Whether every request arrives at the same time (an offline batch). */
export function isOfflineBatch(t: Trace): boolean {
  const a = t.requests[0]?.arrival;
  return a !== undefined && t.requests.every((r) => r.arrival === a);
}

/** Simulates each policy on the trace and reports its metrics against the lower bound. */
export async function comparePolicies(
  trace: Trace,
  profile: Profile,
  opts: CompareOptions,
): Promise<CompareResult> {
  const names = opts.policies ?? policyNames();
  for (const name of names) registry.get(name);
  checkPolicyParams(opts.policyParams ?? {});
  checkWorkload(trace, profile, opts.clients);
  const lb =
    opts.packingBound !== false && isOfflineBatch(trace)
      ? await lowerBoundWithPacking(trace, profile, opts.clients, {
          timeLimit: opts.packingTimeLimit ?? 10,
          signal: opts.signal,
          onProgress: opts.onPacking,
        })
      : lowerBound(trace, profile, opts.clients);
  const runs: SimRun[] = [];
  const policies: PolicyResult[] = [];
  const unfinished: UnfinishedPolicy[] = [];
  for (const name of names) {
    if (opts.signal?.aborted) {
      unfinished.push({ name, status: "interrupted", reason: "not started: the comparison was interrupted" });
      continue;
    }
    await new Promise((resolve) => setImmediate(resolve)); // let a pending Ctrl-C be seen
    if (opts.signal?.aborted) {
      unfinished.push({ name, status: "interrupted", reason: "not started: the comparison was interrupted" });
      continue;
    }
    opts.onPolicy?.({ name, phase: "start" });
    const t0 = performance.now();
    let run: SimRun;
    try {
      run = await simulate(trace, profile, createPolicy(name, opts.policyParams?.[name] ?? {}), {
        clients: opts.clients,
        signal: opts.signal,
        onProgress: opts.onProgress,
        predictor: opts.predictor ? simulationPredictor(opts.predictor) : undefined,
      });
    } catch (e) {
      if (!(e instanceof AbortedError)) throw e;
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      unfinished.push({
        name,
        status: "interrupted",
        reason: `interrupted after ${s} s of simulation; a partial run is not reported`,
      });
      opts.onPolicy?.({ name, phase: "end" });
      continue;
    }
    opts.onPolicy?.({ name, phase: "end", run });
    runs.push(run);
    policies.push({
      name,
      metrics: runMetrics(run, lb.seconds),
      plan: run.plan,
      breakdown: gapBreakdown(run, profile, lb.seconds),
      prediction: opts.predictor ? runPrediction(run, opts.predictor.label) : null,
    });
  }
  if (policies.length === 0)
    throwIfAborted(opts.signal, names.length === 1 ? `simulate ${names[0]}` : "compare");
  return {
    status: unfinished.length > 0 ? "interrupted" : "completed",
    trace: trace.name,
    requests: trace.requests.length,
    clients: opts.clients,
    profile: profile.name,
    lowerBound: lb,
    policies,
    unfinished,
    runs,
    predictor: opts.predictor?.label ?? null,
  };
}
