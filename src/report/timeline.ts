/**
 * Utilization timeline: one row per resource (e.g. a serving client), time on the x axis, each
 * bin shaded by its utilization in [0, 1] (opacity of one colour), with the colour scale drawn
 * under the axis. Self-contained inline SVG.
 */
import { formatTick, niceTicks } from "./format.js";
import { escapeHtml, paletteColor } from "./html.js";

/** One row of a utilization timeline: a resource and its utilization per time bin. */
export interface TimelineRow {
  label: string;
  /** Utilization per equal-width time bin, each in [0, 1]. */
  bins: ArrayLike<number>;
}

/** Time span, size (pixels, default 900 wide, 18 per row), colour and title of a timeline. */
export interface TimelineOptions {
  /** Seconds covered by all bins. */
  seconds: number;
  width?: number;
  rowHeight?: number;
  color?: string;
  title?: string;
  /** The time axis's label (default "seconds"). */
  axisLabel?: string;
  /** The colour scale's label (default "utilization"). */
  scaleLabel?: string;
}

/** Bins interval data [start, end) weighted by `value` into `n` equal bins over [0, seconds]. */
export function binIntervals(
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
  values: ArrayLike<number>,
  seconds: number,
  n: number,
): Float64Array {
  const bins = new Float64Array(n);
  if (seconds <= 0) return bins;
  const w = seconds / n;
  for (let k = 0; k < starts.length; k++) {
    const a = starts[k]!;
    const b = ends[k]!;
    let i = Math.max(0, Math.floor(a / w));
    while (i < n && i * w < b) {
      const lo = Math.max(a, i * w);
      const hi = Math.min(b, (i + 1) * w);
      if (hi > lo) bins[i]! += (values[k]! * (hi - lo)) / w;
      i++;
    }
  }
  return bins;
}

/** Utilization timelines as an inline SVG element: one row per resource, each bin shaded by its utilization. */
export function timelineSvg(rows: readonly TimelineRow[], opts: TimelineOptions): string {
  const width = opts.width ?? 900;
  const rh = opts.rowHeight ?? 18;
  const left = 90;
  const plotW = width - left - 20;
  const top = opts.title ? 24 : 8;
  const height = top + rows.length * (rh + 4) + 78;
  const color = opts.color ?? paletteColor(0);
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${left}" y="16" font-size="13">${escapeHtml(opts.title)}</text>`);
  rows.forEach((row, r) => {
    const y = top + r * (rh + 4);
    parts.push(
      `<text x="${left - 6}" y="${y + rh * 0.7}" font-size="11" text-anchor="end">${escapeHtml(row.label)}</text>`,
    );
    parts.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${rh}" fill="#f3f3f3"/>`);
    const bins = Array.from(row.bins);
    const bw = plotW / Math.max(1, bins.length);
    for (const [i, b] of bins.entries()) {
      const u = Math.max(0, Math.min(1, b));
      if (u <= 0) continue;
      parts.push(
        `<rect x="${(left + i * bw).toFixed(2)}" y="${y}" width="${(bw + 0.3).toFixed(2)}" height="${rh}" fill="${color}" fill-opacity="${u.toFixed(3)}"><title>${(100 * u).toFixed(1)}%</title></rect>`,
      );
    }
  });
  const axisY = top + rows.length * (rh + 4) + 4;
  const { values, step } = niceTicks(0, opts.seconds, 6);
  for (const t of values) {
    const x = (left + (plotW * t) / Math.max(opts.seconds, 1e-12)).toFixed(1);
    parts.push(`<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#666"/>`);
    parts.push(
      `<text x="${x}" y="${axisY + 16}" font-size="10" text-anchor="middle">${formatTick(t, step)}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${left + plotW / 2}" y="${axisY + 30}" font-size="10" text-anchor="middle">${escapeHtml(opts.axisLabel ?? "seconds")}</text>`,
  );
  // The colour scale: 0% → 100% in the rows' colour, five labelled stops.
  const ly = axisY + 40;
  const lw = 160;
  const gid = `tl-scale-${Math.abs(hashOf(color + (opts.title ?? "")))}`;
  parts.push(
    `<defs><linearGradient id="${gid}"><stop offset="0" stop-color="${color}" stop-opacity="0"/><stop offset="1" stop-color="${color}" stop-opacity="1"/></linearGradient></defs>`,
    `<g class="color-scale"><text x="${left - 6}" y="${ly + 9}" font-size="10" text-anchor="end">${escapeHtml(opts.scaleLabel ?? "utilization")}</text><rect x="${left}" y="${ly}" width="${lw}" height="10" fill="#f3f3f3"/><rect x="${left}" y="${ly}" width="${lw}" height="10" fill="url(#${gid})" stroke="#ccc"/>`,
  );
  for (let k = 0; k <= 4; k++)
    parts.push(
      `<text x="${left + (lw * k) / 4}" y="${ly + 22}" font-size="9" text-anchor="middle">${k * 25}%</text>`,
    );
  parts.push("</g>");
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}

/** A small string hash (ids of gradients, unique per chart on a page). */
function hashOf(s: string): number {
  let h = 0;
  for (const c of s) h = (Math.imul(h, 31) + (c.codePointAt(0) ?? 0)) | 0;
  return h;
}
