/**
 * Utilization timeline: one row per resource (e.g. a serving client), time on the x axis, each
 * bin shaded by its utilization in [0, 1]. Self-contained inline SVG.
 */
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
  const height = top + rows.length * (rh + 4) + 30;
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
  for (let k = 0; k <= 5; k++) {
    const x = left + (plotW * k) / 5;
    parts.push(`<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#666"/>`);
    parts.push(
      `<text x="${x}" y="${axisY + 16}" font-size="10" text-anchor="middle">${((opts.seconds * k) / 5).toFixed(1)} s</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
