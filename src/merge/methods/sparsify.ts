/**
 * Sparsification of task vectors, as mergekit does it (mergekit/sparsify.py), on Float32 data:
 *
 * - magnitude (TIES, Yadav et al. 2023, arXiv 2306.01708, §3 "Trim"): keep the k = ⌊density·N⌋
 *   entries of largest |x|, zero the rest.
 * - random (DARE, Yu et al. 2023, arXiv 2311.03099, §3): keep each entry with probability density.
 * - magnitude_outliers (Model Breadcrumbs, Davari & Belilovsky 2023, arXiv 2312.06795, §3): drop
 *   the γ·N largest |x| and the smallest until density·N remain.
 * - della_magprune (DELLA, Deep et al. 2024, arXiv 2406.11617, §3 "MagPrune"): within each row,
 *   rank entries by |x|; keep entry j with probability p_j = density − ε + 2ε·(rank_j − 1)/(n − 1).
 *
 * Rescale (mergekit's `rescale: true`): multiply the kept entries by ‖x‖₁ / ‖x ⊙ m‖₁, so the task
 * vector keeps its L1 norm (unless either norm is below 1e-7). DARE's paper divides by density
 * instead; the two agree in expectation.
 *
 * Ties in |x| are broken by index (the first of equal entries counts as the smaller). One
 * difference from mergekit, on purpose: breadcrumbs with ⌊γ·N⌋ = 0 keeps the top entries
 * (mergekit's slice `indices[n_bot:-0]` keeps nothing, zeroing the whole task vector).
 */
import type { Rng } from "../../util/random.js";

/** Multiplies `masked` (x ⊙ m) by ‖x‖₁ / ‖x ⊙ m‖₁ in place, given ‖x‖₁; no-op under 1e-7. */
export function rescaleL1(masked: Float32Array, before: number): Float32Array {
  let after = 0;
  for (let i = 0; i < masked.length; i++) after += Math.abs(masked[i]!);
  if (before < 1e-7 || after < 1e-7) return masked;
  const s = before / after;
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! * s;
  return masked;
}

function l1(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!);
  return s;
}

/**
 * The k-th smallest (0-based) of |x| and how many entries are strictly smaller, by radix
 * selection on the bits of |x| (for non-negative floats the bit patterns order like the values):
 * a histogram of the upper 16 bits finds the bucket, a second of the lower 16 bits within it the
 * value. Two linear passes, no copy, no reordering.
 */
export function selectAbs(x: Float32Array, k: number): { value: number; bits: number; less: number } {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const hist = new Uint32Array(65536);
  for (let i = 0; i < u.length; i++) hist[(u[i]! & 0x7fffffff) >>> 16]! += 1;
  let top = 0;
  let below = 0;
  while (below + hist[top]! <= k) below += hist[top++]!;
  hist.fill(0);
  for (let i = 0; i < u.length; i++) {
    const b = u[i]! & 0x7fffffff;
    if (b >>> 16 === top) hist[b & 0xffff]! += 1;
  }
  let low = 0;
  while (below + hist[low]! <= k) below += hist[low++]!;
  const bits = ((top << 16) | low) >>> 0;
  const f = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
  return { value: f, bits, less: below };
}

/**
 * Zeroes every entry of `x` whose ascending rank by |x| (ties by index) is outside [lo, hi).
 * Returns the number kept. O(N): two radix selections and one pass.
 */
export function keepRankRange(x: Float32Array, lo: number, hi: number): number {
  const n = x.length;
  lo = Math.max(0, lo);
  hi = Math.min(n, hi);
  if (lo >= hi) {
    x.fill(0);
    return 0;
  }
  if (lo === 0 && hi === n) return n;
  // a = |x| bits at rank lo (first kept), b = at rank hi − 1 (last kept); -1 / 2^32 when unbounded.
  const A = lo > 0 ? selectAbs(x, lo) : { bits: -1, less: 0 };
  const B = hi < n ? selectAbs(x, hi - 1) : { bits: 2 ** 32, less: n };
  const a = A.bits;
  const b = B.bits;
  const u = new Uint32Array(x.buffer, x.byteOffset, n);
  let seenA = 0;
  let seenB = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const v = u[i]! & 0x7fffffff;
    let keep: boolean;
    if (v < a || v > b) keep = false;
    else if (v > a && v < b) keep = true;
    else {
      // v equals a or b: its rank is (count below v) + (equal entries before it).
      const rank = v === a ? A.less + seenA++ : B.less + seenB++;
      keep = rank >= lo && rank < hi;
    }
    if (keep) kept++;
    else x[i] = 0;
  }
  return kept;
}

/** TIES trim: keeps the ⌊density·N⌋ largest |x| (in place). density ≥ 1 keeps all. */
export function magnitudePrune(x: Float32Array, density: number, rescale: boolean): Float32Array {
  if (density >= 1) return x;
  const before = rescale ? l1(x) : 0;
  const k = Math.floor(density * x.length);
  keepRankRange(x, x.length - k, x.length);
  return rescale ? rescaleL1(x, before) : x;
}

/** Breadcrumbs: drops the ⌊γ·N⌋ largest and the smallest |x| until ⌊density·N⌋ remain (in place). */
export function magnitudeOutliersPrune(
  x: Float32Array,
  density: number,
  gamma: number,
  rescale: boolean,
): Float32Array {
  if (density >= 1) return x;
  const n = x.length;
  const before = rescale ? l1(x) : 0;
  const target = Math.floor(density * n);
  let nTop = Math.floor(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  keepRankRange(x, nBot, n - nTop);
  return rescale ? rescaleL1(x, before) : x;
}

/** DARE: keeps each entry with probability density (a seeded Bernoulli mask), in place. */
export function randomPrune(x: Float32Array, density: number, rescale: boolean, rng: Rng): Float32Array {
  if (density >= 1) return x;
  const before = rescale ? l1(x) : 0;
  for (let i = 0; i < x.length; i++) if (!(rng.next() < density)) x[i] = 0;
  return rescale ? rescaleL1(x, before) : x;
}

/**
 * DELLA MagPrune on the rows of a `rows × cols` view (a vector is one row): entry j of a row with
 * ascending magnitude rank r_j ∈ 1..n is kept with probability density − ε + 2ε·(r_j − 1)/(n − 1)
 * (a one-entry row: probability density). In place.
 */
export function dellaPrune(
  x: Float32Array,
  cols: number,
  density: number,
  epsilon: number,
  rescale: boolean,
  rng: Rng,
): Float32Array {
  if (density >= 1) return x;
  if (density <= 0) return x.fill(0);
  const before = rescale ? l1(x) : 0;
  const rows = cols === 0 ? 0 : x.length / cols;
  // Sort keys: the bits of |x| (monotone for non-negative floats) × 2^b + column index, exact in float64.
  const bits = Math.max(1, Math.ceil(Math.log2(cols + 1)));
  if (bits > 22) return dellaPruneSlow(x, cols, density, epsilon, rescale, rng, before);
  const scale = 2 ** bits;
  const keys = new Float64Array(cols);
  const absBits = new Uint32Array(1);
  const absF = new Float32Array(absBits.buffer);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) {
      absF[0] = Math.abs(x[o + j]!);
      keys[j] = absBits[0]! * scale + j;
    }
    keys.sort();
    for (let rank = 0; rank < cols; rank++) {
      const j = keys[rank]! % scale;
      const norm = cols > 1 ? rank / (cols - 1) : 0.5;
      const p = density - epsilon + norm * 2 * epsilon;
      if (!(rng.next() < p)) x[o + j] = 0;
    }
  }
  return rescale ? rescaleL1(x, before) : x;
}

/** dellaPrune for rows too long for the packed sort keys (over 4M columns): an index sort. */
function dellaPruneSlow(
  x: Float32Array,
  cols: number,
  density: number,
  epsilon: number,
  rescale: boolean,
  rng: Rng,
  before: number,
): Float32Array {
  const rows = x.length / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const order = Array.from({ length: cols }, (_, j) => j).sort(
      (p, q) => Math.abs(x[o + p]!) - Math.abs(x[o + q]!) || p - q,
    );
    for (const [rank, j] of order.entries()) {
      const p = density - epsilon + (rank / (cols - 1)) * 2 * epsilon;
      if (!(rng.next() < p)) x[o + j] = 0;
    }
  }
  return rescale ? rescaleL1(x, before) : x;
}
