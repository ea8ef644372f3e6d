/** The schedule as a self-contained HTML Gantt page (devices as rows, memory curves below). */
import { escapeHtml, type GanttOptions, ganttPage, htmlTable } from "../../report/index.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";

export const PASS_COLORS = [
  { name: "F", color: "#F4B183", label: "forward (F)" },
  { name: "B", color: "#8FAADC", label: "full backward (B)" },
  { name: "I", color: "#9DC3E6", label: "input gradient (I = B − W)" },
  { name: "W", color: "#A9D18E", label: "weight gradient (W)" },
  { name: "FB", color: "#F4B183", label: "overlapped F&B (top F, bottom B)" },
];

export function ganttOptions(ug: UnitGraph, sim: SimResult, memoryLimit?: number): GanttOptions {
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
            ? `F mb ${a.mb} of ${ug.units[a.unit]!.id} & B mb ${a.mb2} of ${ug.units[a.unit2!]!.id}: ${a.start}–${a.end}`
            : `${a.pass} mb ${a.mb} of ${ug.units[a.unit]!.id}: ${a.start}–${a.end}`,
      })),
    })),
    categories: PASS_COLORS,
    end: sim.makespan,
    curves: sim.devices.map((d, i) => ({ name: `device ${i}`, points: d.memory })),
    curveLabel: "live activations",
    ...(memoryLimit !== undefined ? { curveLimit: memoryLimit } : {}),
  };
}

export function scheduleHtml(
  ug: UnitGraph,
  sim: SimResult,
  name: string,
  subtitle: string,
  memoryLimit?: number,
  notes: string[] = [],
): string {
  const summary = htmlTable(
    ["schedule", "makespan", "bubble max", "bubble mean", "bubble ratio", "peak memory"],
    [[name, sim.makespan, sim.bubbleMax, sim.bubbleMean, sim.bubbleRatio, sim.peakMemoryBytes]],
  );
  const n = notes.map((x) => `<div class="note">${escapeHtml(x)}</div>`).join("");
  return ganttPage(`Schedule: ${name}`, subtitle, summary + n, ganttOptions(ug, sim, memoryLimit));
}
