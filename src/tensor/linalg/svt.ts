/**
 * Singular value thresholding, the proximal operator of the nuclear norm:
 *   D_τ(A) = U diag(max(σ_i − τ, 0)) Vᵀ  =  argmin_X ½‖X − A‖_F² + τ‖X‖_*
 * Cai, Candès & Shen, "A Singular Value Thresholding Algorithm for Matrix Completion"
 * (SIAM J. Optim. 20(4), 2010), §2.1, Theorem 2.1. With `rank` set, only the top `rank`
 * triplets are computed (randomized SVD when large), which is exact whenever at most `rank`
 * singular values exceed τ.
 */
import { MisuseError } from "../../errors/index.js";
import type { SvdResult } from "./backend.js";
import { type Matrix, sliceCols, sliceRows } from "./matrix.js";
import { reconstruct, svd, type TruncatedSvdOptions, truncatedSvd } from "./svd.js";

/** The result of singular value thresholding: D_τ(A), its factors and its rank. */
export interface SvtResult {
  /** D_τ(A). */
  matrix: Matrix;
  /** The factors of D_τ(A): singular values after shrinkage (zeros dropped). */
  factors: SvdResult;
  /** Number of singular values above τ. */
  rank: number;
}

/** Soft-thresholds singular values: max(σ_i − τ, 0) for each. */
export function shrink(S: Float32Array, tau: number): Float32Array {
  return S.map((s) => Math.max(s - tau, 0));
}

/**
 * D_τ(A) = U diag(max(σ_i − τ, 0)) Vᵀ, the proximal operator of τ‖·‖_* (Cai, Candès & Shen
 * 2010, Thm 2.1). With `rank`, only that many triplets are computed. MisuseError unless τ ≥ 0.
 */
export function singularValueThreshold(
  A: Matrix,
  tau: number,
  opts: TruncatedSvdOptions & { rank?: number } = {},
): SvtResult {
  if (!(tau >= 0))
    throw new MisuseError({ where: "singularValueThreshold", what: `τ = ${tau}`, hint: "τ must be ≥ 0" });
  const full = opts.rank === undefined ? svd(A, opts) : truncatedSvd(A, opts.rank, opts);
  const s = shrink(full.S, tau);
  // The shrunk values are descending: the rank is the length of the positive prefix.
  const firstZero = s.findIndex((v) => !(v > 0));
  const k = firstZero === -1 ? s.length : firstZero;
  const factors: SvdResult = { U: sliceCols(full.U, 0, k), S: s.slice(0, k), Vt: sliceRows(full.Vt, 0, k) };
  const matrix: Matrix =
    k === 0
      ? { rows: A.rows, cols: A.cols, data: new Float32Array(A.rows * A.cols) }
      : reconstruct(factors, opts);
  return { matrix, factors, rank: k };
}
