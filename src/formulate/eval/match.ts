/**
 * Answer matching and accuracy. A predicted objective matches the reference when
 * |pred − ref| ≤ max(abs, rel · |ref|); the defaults (rel 1e-4, abs 1e-6) follow the usual
 * rule for these benchmarks and are configurable. Accuracy carries a Wilson score interval
 * (E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA 1927).
 */

/** Answer-matching tolerance: relative and absolute. */
export interface Tolerance {
  /** Relative tolerance (default 1e-4). */
  rel: number;
  /** Absolute tolerance (default 1e-6). */
  abs: number;
}

/** The default tolerance: relative 1e-4 or absolute 1e-6, whichever is looser. */
export const DEFAULT_TOLERANCE: Readonly<Tolerance> = { rel: 1e-4, abs: 1e-6 };

/** Whether `pred` matches `ref` within `tol` (`|pred − ref| ≤ max(abs, rel·|ref|)`). */
export function answersMatch(pred: number | null, ref: number, tol: Tolerance = DEFAULT_TOLERANCE): boolean {
  if (pred === null || !Number.isFinite(pred)) return false;
  return Math.abs(pred - ref) <= Math.max(tol.abs, tol.rel * Math.abs(ref));
}

/** A proportion with its Wilson score interval. */
export interface Proportion {
  successes: number;
  total: number;
  /** successes / total (0 when total is 0). */
  value: number;
  low: number;
  high: number;
  /** The confidence level, e.g. 0.95. */
  level: number;
}

/** The Wilson score interval of `k` successes in `n` trials at 95% (z = 1.959964). */
export function wilsonInterval(k: number, n: number): Proportion {
  const z = 1.959963984540054;
  if (n === 0) return { successes: 0, total: 0, value: 0, low: 0, high: 1, level: 0.95 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return {
    successes: k,
    total: n,
    value: p,
    low: Math.max(0, centre - half),
    high: Math.min(1, centre + half),
    level: 0.95,
  };
}
