/**
 * The one number formatter of the pictures' labels and ticks, and "nice" tick positions
 * (steps of 1, 2 or 5 × 10^k; Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
 * Labels never show float noise such as `10.999999` or `143.65999999999997`: a value is shown with
 * at most `significant` significant digits (trailing zeros dropped), and ticks with the decimals
 * their step needs.
 */

/** Decimals a multiple of `step` needs (0 for integer steps). */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = 0; d <= 15; d++) {
    const x = step * 10 ** d;
    if (Math.round(x) !== 0 && Math.abs(Math.round(x) - x) <= 1e-9 * x) return d;
  }
  return 15;
}

/**
 * A number for a label: integers as they are, others with at most `significant` significant
 * digits and no trailing zeros; exponent form below 10⁻⁴ and from 10¹⁵; non-finite as "–".
 */
export function formatNumber(v: number, significant = 4): string {
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e15) return v.toExponential(Math.max(0, significant - 2)).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(significant)));
}

/** A tick value with exactly the decimals its step needs (no float noise from t = k·step). */
export function formatTick(v: number, step: number): string {
  const d = stepDecimals(step);
  const s = v.toFixed(d);
  return s === "-0" || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** The nice step (1, 2 or 5 × 10^k) that cuts `span` into about `count` intervals. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  // f carries float noise (0.004 / 2 / 0.001 = 2.000000000000001): compare with a tolerance
  const t = 1 + 1e-9;
  return (f <= t ? 1 : f <= 2 * t ? 2 : f <= 5 * t ? 5 : 10) * mag;
}

/** The next smaller nice step: 5 → 2 → 1 → 0.5 (× 10^k). */
function smallerStep(step: number): number {
  const mag = 10 ** Math.floor(Math.log10(step) + 1e-9);
  const m = Math.round(step / mag);
  return m >= 5 ? 2 * mag : m >= 2 ? mag : mag / 2;
}

/** Nice ticks from `lo` to `hi` (both included when they are multiples of the step): values and step. */
export function niceTicks(lo: number, hi: number, count = 5): { values: number[]; step: number } {
  let step = niceStep(hi - lo, count);
  // A step larger than the range may have no multiple inside it: take smaller nice steps until one
  // does (a step no larger than hi − lo always has one; a few halvings get there).
  for (let tries = 0; ; tries++) {
    const d = stepDecimals(step);
    const first = Math.ceil(lo / step - 1e-9);
    const last = Math.floor(hi / step + 1e-9);
    const values: number[] = [];
    for (let k = first; k <= last; k++) values.push(Number((k * step).toFixed(d)));
    if (values.length > 0 || tries >= 8) return { values, step };
    step = smallerStep(step);
  }
}

/** Ticks of a log axis from `lo` to `hi` (> 0): 1, 2 and 5 × 10^k, or only powers of 10 over wide ranges. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [lo];
  const k0 = Math.floor(Math.log10(lo));
  const k1 = Math.ceil(Math.log10(hi));
  const mantissas = k1 - k0 > 4 ? [1] : [1, 2, 5];
  const out: number[] = [];
  for (let k = k0; k <= k1; k++)
    for (const m of mantissas) {
      const v = Number((m * 10 ** k).toPrecision(1));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out;
}
