/**
 * Symmetric kernels on the selected backend: the Gram matrix (`gram`, BLAS ssyrk natively) and the
 * symmetric eigendecomposition (`symmetricEigen`, LAPACK ssyevd natively, cyclic Jacobi in TS).
 * Together they give the SVD of a tall stack S (m×n, m ≫ n) from its n×n Gram matrix:
 * SᵀS = V Σ² Vᵀ, at the cost of squaring the condition number (Golub & Van Loan §8.6.3 on the
 * normal-equations approach; see docs/mole.md for the measured accuracy).
 */
import type { LinalgBackend, SymEigResult } from "./backend.js";
import type { Matrix } from "./matrix.js";
import { getBackend } from "./select.js";

/** Options of `gram`: which product, scaling, and an optional matrix to accumulate into. */
export interface GramOptions {
  /** AᵀA (true, default) or AAᵀ (false). */
  trans?: boolean;
  alpha?: number;
  /** Accumulate into this matrix: C ← alpha·Gram + beta·C. */
  into?: Matrix;
  beta?: number;
  backend?: LinalgBackend;
}

/** The Gram matrix alpha·AᵀA (or alpha·AAᵀ), full and symmetric; accumulates into `into` when given. */
export function gram(A: Matrix, opts: GramOptions = {}): Matrix {
  return (opts.backend ?? getBackend()).syrk(
    opts.trans ?? true,
    A,
    opts.alpha ?? 1,
    opts.beta ?? (opts.into ? 1 : 0),
    opts.into,
  );
}

/** Eigenvalues (descending) and eigenvectors (rows of vectorsT) of a symmetric matrix. */
export function symmetricEigen(A: Matrix, opts: { backend?: LinalgBackend } = {}): SymEigResult {
  return (opts.backend ?? getBackend()).symEig(A);
}
