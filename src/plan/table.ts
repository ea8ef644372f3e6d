/**
 * The one row builder for plan tables: the terminal (`frugal plan`), the HTML report and the demo
 * show the same columns, built from the same comparison records.
 */
import type { ComparisonRow } from "./report.js";

/** A table: a header and rows of cells (numbers are formatted by the renderer). */
export interface PlanTable {
  header: string[];
  rows: (string | number | null)[][];
}

/** The columns of a plan table. */
export const PLAN_TABLE_HEADER = [
  "schedule",
  "devices",
  "makespan",
  "bubble max",
  "bubble mean",
  "ratio",
  "peak mem",
  "fits",
  "formula",
  "status",
  "gap",
  "seconds",
];

const KIND_ORDER = { baseline: 0, greedy: 1, mip: 2 } as const;

/** One row of a plan table. */
export function tableRow(r: ComparisonRow): (string | number | null)[] {
  return [
    r.name,
    r.devices,
    r.makespanSeconds,
    r.bubbleMaxSeconds,
    r.bubbleMeanSeconds,
    r.bubbleRatio,
    r.peakMemoryMaxBytes,
    r.fitsMemoryLimit ? "yes" : "no",
    r.formula ?? "",
    r.status ?? "",
    r.gap,
    r.solveSeconds,
  ];
}

/**
 * The table of a comparison: baselines, then greedy rules, then the MIP, each by makespan.
 * `greedy: "best"` keeps only the shortest greedy rule that fits (for short summaries).
 */
export function planTable(rows: readonly ComparisonRow[], opts: { greedy?: "all" | "best" } = {}): PlanTable {
  let shown = [...rows];
  if (opts.greedy === "best") {
    const [best] = shown
      .filter((r) => r.kind === "greedy" && r.fitsMemoryLimit)
      .sort((a, b) => a.makespanSeconds - b.makespanSeconds);
    shown = shown.filter((r) => r.kind !== "greedy" || r === best);
  }
  shown.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.makespanSeconds - b.makespanSeconds);
  return { header: [...PLAN_TABLE_HEADER], rows: shown.map(tableRow) };
}
