/** Empirical CDF chart: several series of samples as step curves on one axis. Inline SVG. */
import { escapeHtml, paletteColor } from "./html.js";

/** One curve of a CDF chart: a legend label and its samples (any order). */
export interface CdfSeries {
  label: string;
  values: ArrayLike<number>;
}

/** Axis label, title and size (pixels, default 440×280) of a CDF chart. */
export interface CdfOptions {
  xLabel: string;
  title?: string;
  width?: number;
  height?: number;
  /** Clip the x axis at this quantile of all samples (default 0.99) so outliers do not flatten the plot. */
  clipQuantile?: number;
}

/** The empirical CDFs of several series as step curves on one chart, as an inline SVG element. */
export function cdfSvg(series: readonly CdfSeries[], opts: CdfOptions): string {
  const width = opts.width ?? 440;
  const height = opts.height ?? 280;
  const m = { l: 44, r: 12, t: opts.title ? 24 : 10, b: 36 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const all = Float64Array.from(series.flatMap((s) => Array.from(s.values))).sort();
  const xmax = all.length
    ? all[Math.min(all.length - 1, Math.floor((opts.clipQuantile ?? 0.99) * (all.length - 1)))] ||
      all[all.length - 1] ||
      1
    : 1;
  const X = (v: number) => m.l + (Math.min(v, xmax) / xmax) * pw;
  const Y = (p: number) => m.t + (1 - p) * ph;
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${m.l}" y="16" font-size="13">${escapeHtml(opts.title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  for (let k = 0; k <= 4; k++) {
    parts.push(`<text x="${m.l - 4}" y="${Y(k / 4) + 3}" font-size="10" text-anchor="end">${k * 25}%</text>`);
    parts.push(
      `<text x="${m.l + (pw * k) / 4}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${((xmax * k) / 4).toPrecision(3)}</text>`,
    );
  }
  parts.push(
    `<text x="${m.l + pw / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const v = Float64Array.from(s.values).sort();
    const n = v.length;
    const [lo, hi] = [v.at(0), v.at(-1)];
    if (lo === undefined || hi === undefined) return;
    const step = Math.max(1, Math.floor(n / 400));
    const pts: string[] = [`${X(lo).toFixed(1)},${Y(0).toFixed(1)}`];
    for (const [k, x] of v.entries())
      if (k % step === 0) pts.push(`${X(x).toFixed(1)},${Y((k + 1) / n).toFixed(1)}`);
    pts.push(`${X(hi).toFixed(1)},${Y(1).toFixed(1)}`);
    const c = paletteColor(i);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${pts.join(" ")}"/>`);
    parts.push(
      `<rect x="${m.l + 8}" y="${m.t + 6 + i * 14}" width="10" height="3" fill="${c}"/><text x="${m.l + 22}" y="${m.t + 10 + i * 14}" font-size="10">${escapeHtml(s.label)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
