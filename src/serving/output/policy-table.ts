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

/** A row of `name` and empty cells: a policy that did not finish. */
const emptyRow = (name: string, columns: number) => [
  name,
  ...Array.from({ length: columns - 1 }, () => null),
];

/**
 * One row per policy, in `POLICY_COLUMNS` order (utilizations and gaps in percent); null where a
 * metric is undefined (the metrics' `notes` say why) and for policies that did not finish.
 */
export function policyRows(r: CompareResult): (string | number | null)[][] {
  return [
    ...r.policies.map((p) => {
      const m = p.metrics;
      return [
        p.name,
        m.makespanSeconds,
        100 * m.slotUtilization,
        100 * m.busyUtilization,
        m.gapToLowerBound === null ? null : 100 * m.gapToLowerBound,
        m.ttftSeconds?.p50 ?? null,
        m.tpotSeconds?.p50 ?? null,
        m.latencySeconds?.p99 ?? null,
        m.outputTokensPerSecond,
        m.preemptions,
        m.rejected,
      ];
    }),
    ...r.unfinished.map((u) => emptyRow(`${u.name} (interrupted)`, POLICY_COLUMNS.length)),
  ];
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

/** One row per finished policy, in `BREAKDOWN_COLUMNS` order (seconds). */
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
