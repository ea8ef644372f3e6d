/**
 * Gantt charts as inline SVG (rows = devices, one bar per action, idle time shown hatched), with an
 * optional step-curve panel below (e.g. live memory per device). Styled after DualPipe's schedule
 * figure: colored passes, micro-batch numbers inside the bars, overlapped chunks as two-tone bars.
 */
import { formatNumber, formatTick, niceTicks } from "./format.js";
import { escapeHtml, htmlPage } from "./html.js";

/** One bar of a Gantt row: an action from `start` to `end` (same time unit as the whole chart). */
export interface GanttBar {
  start: number;
  end: number;
  /** Text inside the bar (e.g. the micro-batch number). */
  label: string;
  /** The category that gives the bar its colour. */
  category: string;
  /** A second category drawn on the lower half (overlapped chunks). */
  category2?: string;
  /** Tooltip. */
  title?: string;
}

/** One row of a Gantt chart (a device), with its bars. */
export interface GanttRow {
  name: string;
  bars: GanttBar[];
}

/** A step curve under a Gantt chart: [time, value] points, each value held until the next point. */
export interface GanttCurve {
  name: string;
  points: [number, number][];
}

/** What a Gantt chart shows: rows of bars, the categories (colour, legend label), optional curves below. */
export interface GanttOptions {
  rows: GanttRow[];
  categories: { name: string; color: string; label: string }[];
  /** Time span shown (default: the last bar end). */
  end?: number;
  /** Step curves drawn in a panel under the chart (e.g. live memory per device). */
  curves?: GanttCurve[];
  /** The curve panel's axis label and heading. */
  curveLabel?: string;
  /** Horizontal line on the curve panel (e.g. a memory limit). */
  curveLimit?: number;
  /** Width in pixels (default 1180). */
  width?: number;
}

const ROW_H = 26;
const LEFT = 78;

/** The Gantt chart as an inline SVG element: one row per device, idle time hatched, a time axis. */
export function ganttSvg(o: GanttOptions): string {
  const width = o.width ?? 1180;
  const end = o.end ?? Math.max(1e-9, ...o.rows.flatMap((r) => r.bars.map((b) => b.end)));
  const plotW = width - LEFT - 12;
  const x = (t: number) => LEFT + (t / end) * plotW;
  const color = new Map(o.categories.map((c) => [c.name, c.color]));
  const top = 8;
  const h = top + o.rows.length * ROW_H + 28;
  const parts: string[] = [];
  parts.push(
    `<defs><pattern id="idle" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fafafa"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d9d9d9" stroke-width="2"/></pattern></defs>`,
  );
  o.rows.forEach((row, i) => {
    const y = top + i * ROW_H;
    parts.push(
      `<text x="${LEFT - 8}" y="${y + ROW_H / 2 + 4}" text-anchor="end" font-size="12">${escapeHtml(row.name)}</text>`,
    );
    parts.push(
      `<rect class="idle" x="${LEFT}" y="${y + 2}" width="${plotW}" height="${ROW_H - 4}" fill="url(#idle)"/>`,
    );
    for (const b of row.bars) {
      const bx = x(b.start);
      const bw = Math.max(0.5, x(b.end) - bx);
      const fill = color.get(b.category) ?? "#999";
      const tip = b.title ? `<title>${escapeHtml(b.title)}</title>` : "";
      parts.push(
        `<rect class="bar" data-cat="${escapeHtml(b.category)}" x="${bx.toFixed(2)}" y="${y + 2}" width="${bw.toFixed(2)}" height="${ROW_H - 4}" fill="${fill}" stroke="#fff" stroke-width="0.6">${tip}</rect>`,
      );
      if (b.category2)
        parts.push(
          `<rect x="${bx.toFixed(2)}" y="${y + ROW_H / 2}" width="${bw.toFixed(2)}" height="${ROW_H / 2 - 2}" fill="${color.get(b.category2) ?? "#999"}" stroke="#fff" stroke-width="0.6" pointer-events="none"/>`,
        );
      if (bw > 9)
        parts.push(
          `<text x="${(bx + bw / 2).toFixed(2)}" y="${y + ROW_H / 2 + 4}" text-anchor="middle" font-size="10" fill="#111" pointer-events="none">${escapeHtml(b.label)}</text>`,
        );
    }
  });
  const axisY = top + o.rows.length * ROW_H + 4;
  parts.push(`<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + plotW}" y2="${axisY}" stroke="#888"/>`);
  parts.push(timeTicks(end, x, axisY));
  return `<svg class="gantt" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">${parts.join("")}</svg>`;
}

/** The curve panel as an inline SVG element on the chart's time axis; "" when there are no curves. */
export function curvesSvg(o: GanttOptions): string {
  if (!o.curves || o.curves.length === 0) return "";
  const width = o.width ?? 1180;
  const end = o.end ?? Math.max(1e-9, ...o.rows.flatMap((r) => r.bars.map((b) => b.end)));
  const plotW = width - LEFT - 12;
  const H = 178;
  const maxV = Math.max(1e-9, o.curveLimit ?? 0, ...o.curves.flatMap((c) => c.points.map((p) => p[1])));
  const x = (t: number) => LEFT + (t / end) * plotW;
  const y = (v: number) => 8 + (1 - v / maxV) * (H - 48);
  const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8c6d1f", "#000000"];
  const parts: string[] = [];
  o.curves.forEach((c, i) => {
    let d = "";
    let prev = 0;
    for (const [t, v] of c.points) {
      d += d === "" ? `M${x(t).toFixed(1)},${y(v).toFixed(1)}` : `H${x(t).toFixed(1)}V${y(v).toFixed(1)}`;
      prev = v;
    }
    d += `H${x(end).toFixed(1)}V${y(prev).toFixed(1)}`;
    parts.push(
      `<path class="curve" d="${d}" fill="none" stroke="${palette[i % palette.length]}" stroke-width="1.4"><title>${escapeHtml(c.name)}</title></path>`,
    );
  });
  if (o.curveLimit !== undefined && Number.isFinite(o.curveLimit))
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(o.curveLimit)}" y2="${y(o.curveLimit)}" stroke="#D55E00" stroke-dasharray="4 3"/><text x="${LEFT + plotW}" y="${y(o.curveLimit) + 13}" text-anchor="end" font-size="11" fill="#D55E00">limit ${formatNumber(o.curveLimit)}</text>`,
    );
  const axisY = y(0);
  parts.push(`<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + plotW}" y2="${axisY}" stroke="#888"/>`);
  parts.push(timeTicks(end, x, axisY));
  parts.push(
    `<text x="${LEFT - 8}" y="${y(maxV) + 4}" text-anchor="end" font-size="11">${formatNumber(maxV)}</text><text x="${LEFT - 8}" y="${y(0) + 4}" text-anchor="end" font-size="11">0</text>`,
  );
  parts.push(
    `<text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${escapeHtml(o.curveLabel ?? "")}</text>`,
  );
  // Legend: one swatch per curve, under the axis.
  let lx = LEFT;
  o.curves.forEach((c, i) => {
    const color = palette[i % palette.length];
    parts.push(
      `<g class="curve-legend"><rect x="${lx}" y="${H - 12}" width="14" height="3" fill="${color}"/><text x="${lx + 18}" y="${H - 8}" font-size="11">${escapeHtml(c.name)}</text></g>`,
    );
    lx += 26 + 7 * c.name.length;
  });
  return `<svg class="curves" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}">${parts.join("")}</svg>`;
}

/** The legend of a Gantt chart's categories (plus idle) as HTML. */
export function legendHtml(o: GanttOptions): string {
  // A category whose bars carry a second category on their lower half gets the same two-tone swatch.
  const lower = new Map<string, string>();
  for (const row of o.rows)
    for (const b of row.bars)
      if (b.category2 !== undefined && !lower.has(b.category)) lower.set(b.category, b.category2);
  const color = new Map(o.categories.map((c) => [c.name, c.color]));
  const swatch = (c: { name: string; color: string }) => {
    const c2 = lower.get(c.name);
    const bg =
      c2 === undefined
        ? c.color
        : `linear-gradient(to bottom,${c.color} 0 50%,${color.get(c2) ?? "#999"} 50% 100%)`;
    return `<i data-cat="${escapeHtml(c.name)}" style="background:${bg}"></i>`;
  };
  return `<div class="legend">${o.categories
    .map((c) => `<span>${swatch(c)}${escapeHtml(c.label)}</span>`)
    .join("")}<span><i class="idle-swatch"></i>idle (bubble)</span></div>`;
}

/** The CSS the legend and charts need (`ganttPage` includes it). */
export const GANTT_CSS = `.legend{display:flex;gap:14px;margin:6px 0 4px;font-size:12px}.legend i{display:inline-block;width:14px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}.legend .idle-swatch{background:repeating-linear-gradient(45deg,#fafafa 0 3px,#d9d9d9 3px 5px)}svg.gantt,svg.curves{display:block;max-width:100%;height:auto}`;

/** A whole page: title, summary HTML, legend, chart, curves. */
export function ganttPage(title: string, subtitle: string, summaryHtml: string, o: GanttOptions): string {
  return htmlPage(
    { title, subtitle, css: GANTT_CSS },
    `${summaryHtml}${legendHtml(o)}${ganttSvg(o)}${o.curves ? `<h2>${escapeHtml(o.curveLabel ?? "")}</h2>${curvesSvg(o)}` : ""}`,
  );
}

/** Tick marks and labels of a time axis from 0 to `end` at height `axisY` (nice steps, no float noise). */
function timeTicks(end: number, x: (t: number) => number, axisY: number): string {
  const { values, step } = niceTicks(0, end, 10);
  return values
    .map(
      (t) =>
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${axisY}" y2="${axisY + 4}" stroke="#888"/><text class="tick" x="${x(t).toFixed(1)}" y="${axisY + 16}" text-anchor="middle" font-size="11" fill="#555">${formatTick(t, step)}</text>`,
    )
    .join("");
}
