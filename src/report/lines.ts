/** Line and bar charts on numeric axes (optionally log-scaled y), with vertical markers. Inline SVG. */
import { formatTick, niceTicks } from "./format.js";
import { escapeHtml, PALETTE } from "./html.js";

export interface LineSeries {
  label: string;
  points: readonly (readonly [number, number])[];
  /** Draw bars instead of a line. */
  bars?: boolean;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  title?: string;
  width?: number;
  height?: number;
  logY?: boolean;
  /** Vertical markers at x with a label (e.g. the chosen rank). */
  markers?: readonly { x: number; label: string }[];
}

export function lineChartSvg(series: readonly LineSeries[], opts: LineChartOptions): string {
  const width = opts.width ?? 440;
  const height = opts.height ?? 240;
  const m = { l: 56, r: 12, t: opts.title ? 24 : 10, b: 36 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y).filter((y) => Number.isFinite(y) && (!opts.logY || y > 0));
  const xmin = Math.min(...xs, ...(opts.markers ?? []).map((k) => k.x));
  const xmax = Math.max(...xs, ...(opts.markers ?? []).map((k) => k.x));
  const fy = (y: number) => (opts.logY ? Math.log10(y) : y);
  let ylo = ys.length ? Math.min(...ys.map(fy)) : 0;
  let yhi = ys.length ? Math.max(...ys.map(fy)) : 1;
  if (!opts.logY) ylo = Math.min(0, ylo);
  if (yhi === ylo) yhi = ylo + 1;
  if (opts.logY) [ylo, yhi] = [Math.floor(ylo), Math.ceil(yhi)];
  const bar = series.some((s) => s.bars);
  const span = xmax - xmin || 1;
  const X = (x: number) => m.l + (bar ? ((x - xmin + 0.5) / (span + 1)) * pw : ((x - xmin) / span) * pw);
  const Y = (y: number) => m.t + (1 - (fy(y) - ylo) / (yhi - ylo)) * ph;
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${m.l}" y="16" font-size="13">${escapeHtml(opts.title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  const yNice = niceTicks(ylo, yhi, 4);
  const yt = opts.logY ? Array.from({ length: yhi - ylo + 1 }, (_, i) => ylo + i) : yNice.values;
  for (const v of yt) {
    const y = m.t + (1 - (v - ylo) / (yhi - ylo)) * ph;
    const label = opts.logY ? `1e${v}` : formatTick(v, yNice.step);
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${m.l - 4}" y="${(y + 3).toFixed(1)}" font-size="10" text-anchor="end">${label}</text>`,
    );
  }
  const integral = xs.every((x) => Number.isInteger(x));
  const xNice = niceTicks(xmin, xmax, Math.min(6, Math.max(1, Math.round(span))));
  for (const v of xNice.values.filter((x) => !integral || Number.isInteger(x))) {
    parts.push(
      `<text x="${X(v).toFixed(1)}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${formatTick(v, integral ? Math.max(1, xNice.step) : xNice.step)}</text>`,
    );
  }
  parts.push(
    `<text x="${m.l + pw / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`,
    `<text x="12" y="${m.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.t + ph / 2})">${escapeHtml(opts.yLabel)}</text>`,
  );
  const bw = bar ? Math.max(2, pw / (span + 1) / (series.length + 0.5)) : 0;
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!opts.logY || y > 0));
    if (s.bars) {
      for (const [x, y] of pts) {
        const x0 = X(x) - (bw * series.length) / 2 + i * bw;
        const y0 = Y(y);
        const base = opts.logY ? m.t + ph : Y(0);
        parts.push(
          `<rect x="${x0.toFixed(1)}" y="${Math.min(y0, base).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(base - y0).toFixed(1)}" fill="${c}"><title>${escapeHtml(`${s.label}: ${x} → ${y}`)}</title></rect>`,
        );
      }
    } else if (pts.length) {
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ")}"/>`,
      );
    }
    const lx = m.l + pw - 118;
    parts.push(
      `<rect x="${lx}" y="${m.t + 6 + i * 14}" width="10" height="3" fill="${c}"/><text x="${lx + 14}" y="${m.t + 10 + i * 14}" font-size="10" paint-order="stroke" stroke="#fff" stroke-width="3">${escapeHtml(s.label)}</text>`,
    );
  });
  for (const k of opts.markers ?? []) {
    const x = X(k.x);
    parts.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${m.t}" y2="${m.t + ph}" stroke="#D55E00" stroke-dasharray="4 3"/><text x="${(x + 3).toFixed(1)}" y="${m.t + ph - 4}" font-size="10" fill="#D55E00">${escapeHtml(k.label)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
