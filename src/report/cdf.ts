/**
 * Empirical CDF chart: several series of samples as step curves on one axis. Inline SVG.
 * The x axis shows the whole range of the samples, tail included: linear from 0 when the samples
 * span less than `logRatio` (default 50×) from the smallest positive value to the largest, else
 * logarithmic from the smallest to the largest (a long tail stays visible without flattening the
 * body of the distribution). The axis label says which.
 */
import { formatNumber, formatTick, logTicks, niceTicks } from "./format.js";
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
  /** Use a log x axis when max / (smallest positive sample) exceeds this (default 50); Infinity: always linear. */
  logRatio?: number;
}

/** The x scale of a CDF chart: linear from 0, or logarithmic over the samples' range. */
export interface CdfScale {
  kind: "linear" | "log";
  lo: number;
  hi: number;
  ticks: { value: number; label: string }[];
}

/** The x scale that shows every sample (see the header). */
export function cdfScale(sorted: ArrayLike<number>, logRatio = 50): CdfScale {
  const n = sorted.length;
  const max = n ? (sorted[n - 1] ?? 0) : 0;
  let minPos = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const v = sorted[k] ?? 0;
    if (v > 0) {
      minPos = v;
      break;
    }
  }
  const allPositive = n > 0 && (sorted[0] ?? 0) > 0;
  if (allPositive && max / minPos > logRatio) {
    const values = logTicks(minPos, max);
    return {
      kind: "log",
      lo: minPos,
      hi: max,
      ticks: values.map((value) => ({ value, label: formatNumber(value) })),
    };
  }
  const top = max > 0 ? max : 1;
  const { values, step } = niceTicks(0, top, 4);
  const last = values.at(-1) ?? 0;
  const hi = last < top ? last + step : last;
  if (last < top) values.push(hi);
  return {
    kind: "linear",
    lo: 0,
    hi,
    ticks: values.map((value) => ({ value, label: formatTick(value, step) })),
  };
}

/** The empirical CDFs of several series as step curves on one chart, as an inline SVG element. */
export function cdfSvg(series: readonly CdfSeries[], opts: CdfOptions): string {
  const width = opts.width ?? 440;
  const height = opts.height ?? 280;
  const m = { l: 44, r: 14, t: opts.title ? 24 : 10, b: 36 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const all = Float64Array.from(series.flatMap((s) => Array.from(s.values))).sort();
  const scale = cdfScale(all, opts.logRatio ?? 50);
  const X =
    scale.kind === "log"
      ? (v: number) =>
          m.l +
          ((Math.log10(Math.max(v, scale.lo)) - Math.log10(scale.lo)) / Math.log10(scale.hi / scale.lo)) * pw
      : (v: number) => m.l + (v / scale.hi) * pw;
  const Y = (p: number) => m.t + (1 - p) * ph;
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${m.l}" y="16" font-size="13">${escapeHtml(opts.title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  for (let k = 0; k <= 4; k++)
    parts.push(`<text x="${m.l - 4}" y="${Y(k / 4) + 3}" font-size="10" text-anchor="end">${k * 25}%</text>`);
  for (const t of scale.ticks) {
    const x = X(t.value).toFixed(1);
    parts.push(
      `<line class="xtick" x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 3}" stroke="#888"/><text x="${x}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${t.label}</text>`,
    );
  }
  const xLabel = scale.kind === "log" ? `${opts.xLabel}, log scale` : opts.xLabel;
  parts.push(
    `<text class="xlabel" x="${m.l + pw / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const v = Float64Array.from(s.values).sort();
    const n = v.length;
    const [lo, hi] = [v.at(0), v.at(-1)];
    if (lo === undefined || hi === undefined) return;
    const step = Math.max(1, Math.floor(n / 400));
    const pts: string[] = [`${X(lo).toFixed(1)},${Y(0).toFixed(1)}`];
    for (const [k, x] of v.entries())
      if (k % step === 0 || k === n - 1) pts.push(`${X(x).toFixed(1)},${Y((k + 1) / n).toFixed(1)}`);
    const c = paletteColor(i);
    parts.push(
      `<polyline class="cdf" fill="none" stroke="${c}" stroke-width="1.6" points="${pts.join(" ")}"><title>${escapeHtml(s.label)}: max ${formatNumber(hi)}</title></polyline>`,
    );
    parts.push(
      `<rect x="${m.l + 8}" y="${m.t + 6 + i * 14}" width="10" height="3" fill="${c}"/><text x="${m.l + 22}" y="${m.t + 10 + i * 14}" font-size="10">${escapeHtml(s.label)}</text>`,
    );
  });
  return `<svg class="cdf" data-scale="${scale.kind}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
