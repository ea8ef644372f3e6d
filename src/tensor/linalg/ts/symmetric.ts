/**
 * Symmetric kernels in pure TypeScript.
 *
 * - `tsSyrk`: the Gram matrix AᵀA or AAᵀ through the blocked gemm (both triangles are computed
 *   with the same products in the same order, so the result is exactly symmetric).
 * - `tsSymEig`: the cyclic Jacobi eigenvalue method in Float64 (Golub & Van Loan, Matrix
 *   Computations, 4th ed., §8.5.2–8.5.3, Alg. 8.5.3 with the threshold strategy of §8.5.5):
 *   rotations annihilate every off-diagonal entry in turn until the off-diagonal norm is below
 *   1e-15 of the Frobenius norm. O(n³) per sweep, a handful of sweeps: fine up to a few hundred;
 *   the native backend (LAPACK ssyevd) is for large matrices.
 */
import type { SymEigResult } from "../backend.js";
import { checkSquare, syrkShape } from "../eigen-shapes.js";
import type { Matrix } from "../matrix.js";
import { tsGemm } from "./gemm.js";

export function tsSyrk(trans: boolean, A: Matrix, alpha = 1, beta = 0, C?: Matrix): Matrix {
  syrkShape(trans, A, C);
  return tsGemm(trans, !trans, A, A, alpha, beta, C);
}

const MAX_SWEEPS = 60;

export function tsSymEig(A: Matrix): SymEigResult {
  const n = checkSquare(A, "symEig");
  const a = new Float64Array(n * n);
  // Symmetrize from the lower triangle (as LAPACK with UPLO='L' reads it).
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = A.data[i * n + j]!;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  const stop = 1e-30 * total;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (2 * off <= stop) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // Symmetric Schur decomposition of the 2×2 block (GVL Alg. 8.5.1).
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // rows p and q of a (then columns, by symmetry)
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          // eigenvectors are the columns of V; keep V row-major as V[k][p]
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]!);
  const values = new Float32Array(n);
  const vt = new Float32Array(n * n);
  for (const [i, j] of order.entries()) {
    values[i] = a[j * n + j]!;
    for (let k = 0; k < n; k++) vt[i * n + k] = v[k * n + j]!;
  }
  return { values, vectorsT: { rows: n, cols: n, data: vt } };
}
