/** The policy comparison as rows, shared by the terminal table and the HTML report. */
import type { CompareResult } from "../compare.js";

/** Columns of the policy comparison table. */
export const POLICY_COLUMNS = [
  "policy",
  "makespan s",
  "slot util %",
  "busy util %",
  "gap to LB %",
  "TTFT p50 s",
  "TPOT p50 s",
  "latency p99 s",
  "output tok/s",
  "preemptions",
  "rejected",
];

/** One row per policy, in `POLICY_COLUMNS` order (utilizations and gaps in percent). */
export function policyRows(r: CompareResult): (string | number | null)[][] {
  return r.policies.map((p) => {
    const m = p.metrics;
    return [
      p.name,
      m.makespanSeconds,
      100 * m.slotUtilization,
      100 * m.busyUtilization,
      m.gapToLowerBound === null ? null : 100 * m.gapToLowerBound,
      m.ttftSeconds.p50,
      m.tpotSeconds.p50,
      m.latencySeconds.p99,
      m.outputTokensPerSecond,
      m.preemptions,
      m.rejected,
    ];
  });
}

/** Where each policy's time above the bound goes, on the client that finishes last (breakdown.ts). */
export const BREAKDOWN_COLUMNS = [
  "policy",
  "client",
  "above LB s",
  "load − LB s",
  "prefill α s",
  "idle slots s",
  "drain s",
  "mixed α s",
  "other s",
  "idle s",
];

/** One row per policy, in `BREAKDOWN_COLUMNS` order (seconds). */
export function breakdownRows(r: CompareResult): (string | number | null)[][] {
  return r.policies.map((p) => {
    const b = p.breakdown;
    return [
      p.name,
      b.criticalClient,
      b.makespanSeconds - b.lowerBoundSeconds,
      b.loadAboveBoundSeconds,
      b.prefillAlphaSeconds,
      b.idleSlotSeconds,
      b.drainSeconds,
      b.mixedAlphaSeconds,
      b.otherLinearSeconds,
      b.idleSeconds,
    ];
  });
}
