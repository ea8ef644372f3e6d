/**
 * Matrix norms. Frobenius ‖A‖_F = sqrt(Σ a_ij²) (accumulated in Float64). Spectral ‖A‖_2 = σ_1:
 * exact from the SVD, or by power iteration on AᵀA (Golub & Van Loan §8.2.1), which converges
 * at the rate (σ_2/σ_1)^2 per step and needs only products with A and Aᵀ.
 */
import { MisuseError } from "../../errors/index.js";
import type { LinalgBackend } from "./backend.js";
import { type Matrix, randn } from "./matrix.js";
import { getBackend } from "./select.js";

/** ‖A‖_F = sqrt(Σ a_ij²), accumulated in Float64. */
export function frobeniusNorm(A: Matrix | Float32Array): number {
  const d = A instanceof Float32Array ? A : A.data;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return Math.sqrt(s);
}

/** ‖A − B‖_F without allocating A − B. */
export function frobeniusDistance(A: Matrix | Float32Array, B: Matrix | Float32Array): number {
  const a = A instanceof Float32Array ? A : A.data;
  const b = B instanceof Float32Array ? B : B.data;
  if (a.length !== b.length)
    throw new MisuseError({
      where: "frobeniusDistance",
      what: `sizes differ (${a.length} vs ${b.length})`,
      hint: "compare matrices of one shape",
    });
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** ‖A − B‖_F / ‖A‖_F (0 when both are zero). */
export function relativeError(A: Matrix | Float32Array, B: Matrix | Float32Array): number {
  const n = frobeniusNorm(A);
  const d = frobeniusDistance(A, B);
  return n === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : d / n;
}

/** Options of `spectralNorm`. */
export interface SpectralNormOptions {
  /** Use this backend instead of the selected one. */
  backend?: LinalgBackend;
  /** "power" (default) or "exact" (full SVD). */
  method?: "power" | "exact";
  /** Relative change at which power iteration stops. Default 1e-6. */
  tol?: number;
  /** Power iterations at most (default 300); the last estimate is returned when reached. */
  maxIterations?: number;
  /** Seed of the random start vector (default 7). */
  seed?: number;
}

/** ‖A‖_2 = σ_1, by power iteration on AᵀA (default) or exactly from the SVD; 0 for an empty matrix. */
export function spectralNorm(A: Matrix, opts: SpectralNormOptions = {}): number {
  const b = opts.backend ?? getBackend();
  if (A.rows === 0 || A.cols === 0) return 0;
  if (opts.method === "exact") return b.svd(A).S[0] ?? 0;
  const tol = opts.tol ?? 1e-6;
  let x = randn(A.cols, 1, opts.seed ?? 7);
  let est = 0;
  for (let it = 0; it < (opts.maxIterations ?? 300); it++) {
    const nx = frobeniusNorm(x);
    if (nx === 0) return 0;
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! / nx;
    const y = b.gemm(false, false, A, x); // A x
    const sigma = frobeniusNorm(y);
    if (Math.abs(sigma - est) <= tol * sigma) return sigma;
    est = sigma;
    x = b.gemm(true, false, A, y); // Aᵀ A x
  }
  return est;
}
