/**
 * Pure-TypeScript matrix multiply, C ← alpha·op(A)·op(B) + beta·C, row-major Float32.
 * Transposed operands are first copied to row-major (O(mn), small against O(mnk)); the kernel is
 * cache-blocked i-k-j (a KC×NC panel of B stays in L2) with four k-steps per pass over a row of C,
 * which measured ~2.5–3 GFLOPS on one core (see dependencies notes).
 */
import { type Matrix, transpose } from "../matrix.js";
import { gemmShape } from "../shapes.js";

const KC = 256;
const NC = 1024;

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
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const j1 = Math.min(N, j0 + NC);
      for (let i = 0; i < M; i++) {
        const ai = i * K;
        const ci = i * N;
        let k = k0;
        for (; k + 3 < k1; k += 4) {
          const a0 = alpha * a[ai + k]!;
          const a1 = alpha * a[ai + k + 1]!;
          const a2 = alpha * a[ai + k + 2]!;
          const a3 = alpha * a[ai + k + 3]!;
          const b0 = k * N;
          const b1 = b0 + N;
          const b2 = b1 + N;
          const b3 = b2 + N;
          for (let j = j0; j < j1; j++) {
            c[ci + j] = c[ci + j]! + a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
          }
        }
        for (; k < k1; k++) {
          const a0 = alpha * a[ai + k]!;
          const b0 = k * N;
          for (let j = j0; j < j1; j++) c[ci + j] = c[ci + j]! + a0 * b[b0 + j]!;
        }
      }
    }
  }
  return out;
}
