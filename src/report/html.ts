/**
 * Self-contained HTML pages (inline CSS and SVG, no network) shared by every command's report.
 * Area-specific pictures (Gantt charts, timelines, CDFs) live in their own files beside this one.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes `& < > " '` so text is safe in HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const BASE_CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#1d1d1f;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:12px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #eee;text-align:right} th{background:#f6f6f8}
td:first-child,th:first-child{text-align:left}
.note{background:#f6f8fa;border-left:3px solid #8aa;padding:6px 10px;margin:8px 0}
svg text{font-family:system-ui,sans-serif}
`;

/** The title, subtitle and extra CSS of an HTML page. */
export interface PageOptions {
  title: string;
  /** A line under the title: inputs, versions, date. */
  subtitle?: string;
  /** Extra CSS for this page. */
  css?: string;
}

/** Wraps body HTML in a complete, self-contained page. */
export function htmlPage(opts: PageOptions, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(opts.title)}</title><style>${BASE_CSS}${opts.css ?? ""}</style></head>
<body><h1>${escapeHtml(opts.title)}</h1>${opts.subtitle ? `<div class="meta">${escapeHtml(opts.subtitle)}</div>` : ""}
${body}
</body></html>
`;
}

/** An HTML table from a header and rows; numbers with `digits` decimals, null and non-finite numbers as "–". */
export function htmlTable(header: string[], rows: (string | number | null)[][], digits = 3): string {
  const cell = (v: string | number | null) =>
    v === null || (typeof v === "number" && !Number.isFinite(v))
      ? "–"
      : typeof v === "number"
        ? Number.isInteger(v)
          ? String(v)
          : v.toFixed(digits)
        : escapeHtml(v);
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The i-th colour of PALETTE, starting again after the last. */
export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? "#000000";
}

/** A categorical palette (colour-blind friendly, Okabe–Ito order). */
export const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#000000",
];
