/** The cache-blocked Float32 gemm kernel shared by the calling thread and the gemm workers. */

/**
 * The kernel on rows [i0, i1) of C: c += alpha·a·b, a M×K, b K×N, c M×N (row-major).
 * Self-contained (no free variables): its source text also runs in the worker threads.
 */
export function gemmRowsKernel(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  i0: number,
  i1: number,
  N: number,
  K: number,
  alpha: number,
): void {
  const KC = 256;
  const NC = 1024;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const j1 = Math.min(N, j0 + NC);
      for (let i = i0; i < i1; i++) {
        const ai = i * K;
        const ci = i * N;
        let k = k0;
        for (; k + 3 < k1; k += 4) {
          const a0 = alpha * (a[ai + k] as number);
          const a1 = alpha * (a[ai + k + 1] as number);
          const a2 = alpha * (a[ai + k + 2] as number);
          const a3 = alpha * (a[ai + k + 3] as number);
          const b0 = k * N;
          const b1 = b0 + N;
          const b2 = b1 + N;
          const b3 = b2 + N;
          for (let j = j0; j < j1; j++) {
            c[ci + j] =
              (c[ci + j] as number) +
              a0 * (b[b0 + j] as number) +
              a1 * (b[b1 + j] as number) +
              a2 * (b[b2 + j] as number) +
              a3 * (b[b3 + j] as number);
          }
        }
        for (; k < k1; k++) {
          const a0 = alpha * (a[ai + k] as number);
          const b0 = k * N;
          for (let j = j0; j < j1; j++) c[ci + j] = (c[ci + j] as number) + a0 * (b[b0 + j] as number);
        }
      }
    }
  }
}
