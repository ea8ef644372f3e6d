/** Plain-text tables for human output on stdout. */

/** A table cell: text, a number (formatted), or empty (`-`). */
export type Cell = string | number | null | undefined;

/** Alignment and number format of a plain-text table. */
export interface TableOptions {
  /** Column alignment; numbers default to right, text to left. */
  align?: ("left" | "right")[];
  /** Digits after the point for numbers that are not integers (default 3). */
  digits?: number;
}

/**
 * A cell as text: integers as is, other numbers with `digits` decimals (exponent form below
 * 10^-digits or from 10^9), empty cells and non-finite numbers as `-`.
 */
export function formatCell(v: Cell, digits = 3): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return "-"; // never "NaN"/"Infinity": the result's notes say why
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 10 ** -digits || a >= 1e9)) return v.toExponential(2);
    return v.toFixed(digits);
  }
  return v;
}

/** A plain-text table with a header, a rule and padded columns (numbers right-aligned by default). */
export function renderTable(header: string[], rows: Cell[][], opts: TableOptions = {}): string {
  const digits = opts.digits ?? 3;
  const text = rows.map((r) => r.map((c) => formatCell(c, digits)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const align = header.map(
    (_, i) => opts.align?.[i] ?? (typeof rows[0]?.[i] === "number" ? "right" : "left"),
  );
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === "right" ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...text.map(fmt)].join("\n");
}
