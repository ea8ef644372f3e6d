/** Line charts (several series of (x, y) points on shared axes, optional log-scaled y). Inline SVG. */
import { escapeHtml, PALETTE } from "./html.js";

/** One series of a line chart. */
export interface LineSeries {
  label: string;
  points: readonly [number, number][];
}

/** Axes and size of a line chart. */
export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  title?: string;
  /** Log-scale the y axis (non-positive values are dropped). */
  logY?: boolean;
  width?: number;
  height?: number;
}

/** A line chart with a legend, as a self-contained SVG element. */
export function lineChartSvg(series: readonly LineSeries[], opts: LineChartOptions): string {
  const width = opts.width ?? 440;
  const height = opts.height ?? 260;
  const m = { l: 56, r: 12, t: opts.title ? 24 : 10, b: 36 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const keep = (y: number) => Number.isFinite(y) && (!opts.logY || y > 0);
  const pts = series.flatMap((s) => s.points.filter(([, y]) => keep(y)));
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => (opts.logY ? Math.log10(y) : y));
  const xmin = xs.length ? Math.min(...xs) : 0;
  const xmax = xs.length ? Math.max(...xs) : 1;
  let ymin = ys.length ? Math.min(...ys) : 0;
  let ymax = ys.length ? Math.max(...ys) : 1;
  if (!opts.logY) ymin = Math.min(0, ymin);
  if (ymax === ymin) ymax = ymin + 1;
  const X = (x: number) => m.l + ((x - xmin) / (xmax - xmin || 1)) * pw;
  const Y = (y: number) => m.t + (1 - ((opts.logY ? Math.log10(y) : y) - ymin) / (ymax - ymin)) * ph;
  const fmtY = (v: number) => (opts.logY ? (10 ** v).toExponential(1) : Number(v.toPrecision(3)).toString());
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${m.l}" y="16" font-size="13">${escapeHtml(opts.title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  for (let k = 0; k <= 4; k++) {
    const yv = ymin + ((ymax - ymin) * k) / 4;
    const yPix = m.t + (1 - k / 4) * ph;
    parts.push(`<text x="${m.l - 4}" y="${yPix + 3}" font-size="10" text-anchor="end">${fmtY(yv)}</text>`);
    parts.push(
      `<text x="${m.l + (pw * k) / 4}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${Number((xmin + ((xmax - xmin) * k) / 4).toPrecision(3))}</text>`,
    );
  }
  parts.push(
    `<text x="${m.l + pw / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`,
    `<text x="12" y="${m.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.t + ph / 2})">${escapeHtml(opts.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    const p = s.points.filter(([, y]) => keep(y)).map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
    if (p.length)
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${p.join(" ")}"/>`);
    parts.push(
      `<rect x="${m.l + pw - 150}" y="${m.t + 6 + i * 14}" width="10" height="3" fill="${c}"/><text x="${m.l + pw - 136}" y="${m.t + 10 + i * 14}" font-size="10">${escapeHtml(s.label)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
