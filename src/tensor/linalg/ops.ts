/** Matrix products and QR on the selected backend (see select.ts). */
import type { LinalgBackend, QrResult } from "./backend.js";
import type { Matrix } from "./matrix.js";
import { getBackend } from "./select.js";

/** Options of `matmul`: transposes, scale, backend. */
export interface MatmulOptions {
  /** Use Aᵀ. */
  transA?: boolean;
  /** Use Bᵀ. */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Use this backend instead of the selected one. */
  backend?: LinalgBackend;
}

/** alpha · op(A) · op(B) as a new matrix, on the selected backend. */
export function matmul(A: Matrix, B: Matrix, opts: MatmulOptions = {}): Matrix {
  return (opts.backend ?? getBackend()).gemm(!!opts.transA, !!opts.transB, A, B, opts.alpha ?? 1);
}

/** Thin Householder QR: A = Q R with Q m×k orthonormal columns, R k×n upper, k = min(m, n). */
export function qr(A: Matrix, opts: { backend?: LinalgBackend } = {}): QrResult {
  return (opts.backend ?? getBackend()).qr(A);
}
