/** The schedule as a self-contained HTML Gantt page (devices as rows, memory curves below). */
import { escapeHtml, formatNumber, type GanttOptions, ganttPage, htmlTable } from "../../report/index.js";
import { comparisonRow } from "../report.js";
import type { SimResult } from "../simulate.js";
import { type PlanTable, planTable } from "../table.js";
import type { UnitGraph } from "../units.js";

/** The colours and legend of the passes. */
export const PASS_COLORS = [
  { name: "F", color: "#F4B183", label: "forward (F)" },
  { name: "B", color: "#8FAADC", label: "full backward (B)" },
  { name: "I", color: "#9DC3E6", label: "input gradient (I = B − W)" },
  { name: "W", color: "#A9D18E", label: "weight gradient (W)" },
  { name: "FB", color: "#F4B183", label: "overlapped F&B (top F, bottom B)" },
];

/** A simulated schedule as Gantt rows (one per device) with live-activation curves. */
export function ganttOptions(ug: UnitGraph, sim: SimResult, memoryLimit?: number): GanttOptions {
  const unitId = (u: number | undefined) => ug.units[u ?? -1]?.id ?? String(u);
  const span = (a: { start: number; end: number }) => `${formatNumber(a.start)}–${formatNumber(a.end)}`;
  return {
    rows: sim.devices.map((d, i) => ({
      name: `device ${i}`,
      bars: d.timeline.map((a) => ({
        start: a.start,
        end: a.end,
        label: a.pass === "FB" ? `${a.mb}|${a.mb2}` : String(a.mb),
        category: a.pass,
        ...(a.pass === "FB" ? { category2: "B" } : {}),
        title:
          a.pass === "FB"
            ? `F mb ${a.mb} of ${unitId(a.unit)} & B mb ${a.mb2} of ${unitId(a.unit2)}: ${span(a)}`
            : `${a.pass} mb ${a.mb} of ${unitId(a.unit)}: ${span(a)}`,
      })),
    })),
    categories: PASS_COLORS,
    end: sim.makespan,
    curves: sim.devices.map((d, i) => ({ name: `device ${i}`, points: d.memory })),
    curveLabel: "live activations",
    ...(memoryLimit !== undefined ? { curveLimit: memoryLimit } : {}),
  };
}

/**
 * The page of one schedule. `table` is the comparison it was chosen from (`planTable`); without
 * one, the page shows this schedule's own row.
 */
export function scheduleHtml(
  ug: UnitGraph,
  sim: SimResult,
  name: string,
  subtitle: string,
  memoryLimit?: number,
  notes: string[] = [],
  table?: PlanTable,
): string {
  const limit = sim.devices.map(() => memoryLimit ?? Number.POSITIVE_INFINITY);
  const t = table ?? planTable([comparisonRow({ name, kind: "baseline", sim }, limit)]);
  const n = notes.map((x) => `<div class="note">${escapeHtml(x)}</div>`).join("");
  return ganttPage(
    `Schedule: ${name}`,
    subtitle,
    htmlTable(t.header, t.rows) + n,
    ganttOptions(ug, sim, memoryLimit),
  );
}
