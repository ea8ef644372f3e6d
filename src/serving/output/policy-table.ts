/** The policy comparison as rows, shared by the terminal table and the HTML report. */
import type { CompareResult } from "../compare.js";

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
