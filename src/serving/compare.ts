/**
 * Compare policies on one trace and profile: every policy is simulated, the lower bound is computed
 * (with the packing MIP's dual bound for offline batches), and each policy's gap to it reported.
 */
import { throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { type GapBreakdown, gapBreakdown } from "./breakdown.js";
import { type RunMetrics, runMetrics } from "./metrics.js";
import { type LowerBound, lowerBound, lowerBoundWithPacking } from "./offline/bounds.js";
import { checkPolicyParams, type PolicyParams } from "./params.js";
import { createPolicy, policyNames, policies as registry } from "./policies/registry.js";
import type { PolicyPlanInfo } from "./policies/types.js";
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
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** One policy's outcome in a comparison. */
export interface PolicyResult {
  name: string;
  metrics: RunMetrics;
  plan?: PolicyPlanInfo;
  /** Where the time above the lower bound goes (critical client; breakdown.ts). */
  breakdown: GapBreakdown;
}

/** Every policy on one workload, with the lower bound and the runs (for files and reports). */
export interface CompareResult {
  trace: string;
  requests: number;
  clients: number;
  profile: string;
  lowerBound: LowerBound;
  policies: PolicyResult[];
  runs: SimRun[];
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
  const lb =
    opts.packingBound !== false && isOfflineBatch(trace)
      ? await lowerBoundWithPacking(trace, profile, opts.clients, {
          timeLimit: opts.packingTimeLimit ?? 10,
          signal: opts.signal,
        })
      : lowerBound(trace, profile, opts.clients);
  const runs: SimRun[] = [];
  const policies: PolicyResult[] = [];
  for (const name of names) {
    throwIfAborted(opts.signal, "compare");
    const run = await simulate(trace, profile, createPolicy(name, opts.policyParams?.[name] ?? {}), {
      clients: opts.clients,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    runs.push(run);
    policies.push({
      name,
      metrics: runMetrics(run, lb.seconds),
      plan: run.plan,
      breakdown: gapBreakdown(run, profile, lb.seconds),
    });
  }
  return {
    trace: trace.name,
    requests: trace.requests.length,
    clients: opts.clients,
    profile: profile.name,
    lowerBound: lb,
    policies,
    runs,
  };
}
