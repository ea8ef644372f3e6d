/**
 * Compare policies on one trace and profile: every policy is simulated, the lower bound is computed
 * (with the packing MIP's dual bound for offline batches), and each policy's gap to it reported.
 */
import { throwIfAborted } from "../errors/index.js";
import type { OnProgress } from "../util/progress.js";
import { type GapBreakdown, gapBreakdown } from "./breakdown.js";
import { type RunMetrics, runMetrics } from "./metrics.js";
import { type LowerBound, lowerBound, lowerBoundWithPacking } from "./offline/bounds.js";
import { createPolicy, policyNames } from "./policies/registry.js";
import type { PolicyPlanInfo } from "./policies/types.js";
import type { Profile } from "./profile/schema.js";
import { type SimRun, simulate } from "./sim/simulate.js";
import type { Trace } from "./trace/types.js";

export interface CompareOptions {
  clients: number;
  policies?: string[];
  policyParams?: Record<string, Record<string, unknown>>;
  /** Solve the packing MIP for the bound (offline batches only); default true. */
  packingBound?: boolean;
  packingTimeLimit?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

export interface PolicyResult {
  name: string;
  metrics: RunMetrics;
  plan?: PolicyPlanInfo;
  /** Where the time above the lower bound goes (critical client; breakdown.ts). */
  breakdown: GapBreakdown;
}

export interface CompareResult {
  trace: string;
  requests: number;
  clients: number;
  profile: string;
  lowerBound: LowerBound;
  policies: PolicyResult[];
  runs: SimRun[];
}

export function isOfflineBatch(t: Trace): boolean {
  return t.requests.length > 0 && t.requests.every((r) => r.arrival === t.requests[0]!.arrival);
}

export async function comparePolicies(
  trace: Trace,
  profile: Profile,
  opts: CompareOptions,
): Promise<CompareResult> {
  const names = opts.policies ?? policyNames();
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
