/** Spectra kept in mole_config.json: singular values at up to 64 ranks, log-spaced, for the report's charts. */

/** σ_i at 1-based ranks 1, 2, … (log-spaced, always including the last) from σ_i² values. */
export function spectrumSample(
  eigen: Float64Array,
  points = 64,
): { ranks: number[]; values: number[]; count: number } {
  const n = eigen.length;
  const ranks = new Set<number>();
  if (n > 0) {
    for (let i = 0; i < points; i++) ranks.add(Math.max(1, Math.round(n ** (i / Math.max(1, points - 1)))));
    ranks.add(n);
  }
  const sorted = [...ranks].sort((a, b) => a - b);
  return {
    ranks: sorted,
    values: sorted.map((r) => Number(Math.sqrt(Math.max(eigen[r - 1]!, 0)).toPrecision(5))),
    count: n,
  };
}
