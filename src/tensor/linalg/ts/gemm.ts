/**
 * Pure-TypeScript matrix multiply, C ← alpha·op(A)·op(B) + beta·C, row-major Float32.
 * Transposed operands are first copied to row-major (O(mn), small against O(mnk)); the kernel is
 * cache-blocked i-k-j (a KC×NC panel of B stays in L2) with four k-steps per pass over a row of C,
 * which measured ~2.5–3 GFLOPS on one core (see dependencies notes). Large products split the rows
 * of C between this thread and worker threads (gemm-pool.ts), one per extra core.
 */
import { type Matrix, transpose } from "../matrix.js";
import { gemmShape } from "../shapes.js";
import { gemmRowsKernel } from "./gemm-kernel.js";
import { parallelGemmRows } from "./gemm-pool.js";

/** C ← alpha·op(A)·op(B) + beta·C in TypeScript (the TS backend's gemm); C is allocated when not given. */
export function tsGemm(
  transA: boolean,
  transB: boolean,
  A: Matrix,
  B: Matrix,
  alpha = 1,
  beta = 0,
  C?: Matrix,
): Matrix {
  const { M, N, K } = gemmShape(transA, transB, A, B, C);
  const out = C ?? { rows: M, cols: N, data: new Float32Array(M * N) };
  const c = out.data;
  if (!C || beta === 0) c.fill(0);
  else if (beta !== 1) for (let i = 0; i < c.length; i++) c[i] = c[i]! * beta;
  if (K === 0 || M === 0 || N === 0 || alpha === 0) return out;
  const a = (transA ? transpose(A) : A).data;
  const b = (transB ? transpose(B) : B).data;
  if (!parallelGemmRows(a, b, c, M, N, K, alpha)) gemmRowsKernel(a, b, c, 0, M, N, K, alpha);
  return out;
}
