/**
 * How good a predictor was: mean absolute error in tokens, mean relative error, and Spearman's rank
 * correlation between predicted and true lengths (what longest-first ordering and packing need:
 * the order of the requests, more than their exact lengths). Ranks of ties are averaged
 * (Spearman 1904; the Pearson correlation of the ranks).
 */

/** The error of a set of predictions against the true lengths. */
export interface PredictionError {
  /** Requests compared. */
  requests: number;
  /** Mean |predicted − true| in tokens. */
  maeTokens: number;
  /** Mean |predicted − true| / true. */
  meanRelativeError: number;
  /** Mean predicted − true in tokens (positive: predictions too long). */
  biasTokens: number;
  /** Spearman rank correlation in [−1, 1]; null when either side is constant or fewer than 2 requests. */
  spearman: number | null;
}

/** Ranks 1..n of `v`, ties sharing their average rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (v[a] as number) - (v[b] as number));
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1] as number] === v[order[i] as number]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k] as number] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation of two equal-length samples; null when either is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = (x[i] as number) - mx;
    const b = (y[i] as number) - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation (null when undefined). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  return pearson(ranks(x), ranks(y));
}

/** MAE, relative error, bias and rank correlation of `predicted` against `actual`. */
export function predictionError(predicted: ArrayLike<number>, actual: ArrayLike<number>): PredictionError {
  const n = Math.min(predicted.length, actual.length);
  let abs = 0;
  let rel = 0;
  let bias = 0;
  for (let i = 0; i < n; i++) {
    const p = predicted[i] as number;
    const a = actual[i] as number;
    abs += Math.abs(p - a);
    rel += Math.abs(p - a) / Math.max(1, a);
    bias += p - a;
  }
  return {
    requests: n,
    maeTokens: n ? abs / n : 0,
    meanRelativeError: n ? rel / n : 0,
    biasTokens: n ? bias / n : 0,
    spearman:
      n >= 2
        ? spearman(
            Array.from({ length: n }, (_, i) => predicted[i] as number),
            Array.from({ length: n }, (_, i) => actual[i] as number),
          )
        : null,
  };
}
