/**
 * The linear-algebra backend interface: the three kernels everything else is built on. Two
 * implementations: `native` (OpenBLAS/LAPACK through a Node-API addon) and `ts` (pure
 * TypeScript, always available, the reference in tests). All matrices are row-major Float32.
 */
import type { Matrix } from "./matrix.js";

/** A thin SVD A = U diag(S) Vt (or its leading k triplets). */
export interface SvdResult {
  /** m×k, orthonormal columns (k = min(m, n), or the requested rank). */
  U: Matrix;
  /** k singular values, descending, ≥ 0. */
  S: Float32Array;
  /** k×n, orthonormal rows. */
  Vt: Matrix;
}

/** A thin QR factorization A = Q R. */
export interface QrResult {
  /** m×k with orthonormal columns, k = min(m, n). */
  Q: Matrix;
  /** k×n upper trapezoidal. */
  R: Matrix;
}

/** The eigendecomposition of a symmetric matrix. */
export interface SymEigResult {
  /** n eigenvalues, descending. */
  values: Float32Array;
  /** n×n; row i is the unit eigenvector of values[i]. */
  vectorsT: Matrix;
}

/** The linear-algebra backends: `native` (OpenBLAS/LAPACK addon) and `ts` (pure TypeScript). */
export type BackendName = "native" | "ts";

/** A linear-algebra backend: gemm, thin QR and thin SVD on row-major Float32 matrices, synchronous. */
export interface LinalgBackend {
  /** Which backend this is. */
  readonly name: BackendName;
  /** C ← alpha·op(A)·op(B) + beta·C (C allocated when not given; beta ignored then). Returns C. */
  gemm(
    transA: boolean,
    transB: boolean,
    A: Matrix,
    B: Matrix,
    alpha?: number,
    beta?: number,
    C?: Matrix,
  ): Matrix;
  /** Thin Householder QR. */
  qr(A: Matrix): QrResult;
  /** Thin exact SVD. */
  svd(A: Matrix): SvdResult;
  /**
   * Gram matrix, C ← alpha·AᵀA + beta·C (`trans`, C is n×n for A m×n) or alpha·AAᵀ + beta·C
   * (C is m×m); the full symmetric C is stored (C allocated when not given; beta ignored then).
   */
  syrk(trans: boolean, A: Matrix, alpha?: number, beta?: number, C?: Matrix): Matrix;
  /** Eigendecomposition of a symmetric matrix (only the lower triangle is read by some backends). */
  symEig(A: Matrix): SymEigResult;
  /** Threads this backend computes with. */
  threads(): number;
}
