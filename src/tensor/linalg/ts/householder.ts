/**
 * Householder QR in Float64 (Golub & Van Loan, Matrix Computations, 4th ed., Alg. 5.2.1), thin
 * form: A (m×n) = Q (m×k) R (k×n), k = min(m, n). Columns are stored contiguously (the matrix is
 * held transposed) so every reflector touches contiguous memory. Q is formed by backward
 * accumulation of the reflectors (GVL §5.1.6). R's diagonal may be negative, as in LAPACK.
 */
import type { QrResult } from "../backend.js";
import type { Matrix } from "../matrix.js";

/** Column-major Float64 QR: returns Q's columns (k vectors of length m) and R (k×n row-major). */
export function householderQr64(
  cols: Float64Array,
  m: number,
  n: number,
): { Q: Float64Array; R: Float64Array; k: number } {
  const k = Math.min(m, n);
  const w = cols; // column j at w[j*m .. j*m+m)
  const vs = new Float64Array(k * m); // reflector j in vs[j*m + j .. j*m + m), unit norm
  const isId = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    const cj = j * m;
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += w[cj + i]! * w[cj + i]!;
    const norm = Math.sqrt(norm2);
    const x0 = w[cj + j]!;
    const vj = j * m;
    if (norm === 0) {
      isId[j] = 1;
      continue;
    }
    const alpha = x0 >= 0 ? -norm : norm;
    // v = x - alpha e1, normalized
    vs[vj + j] = x0 - alpha;
    for (let i = j + 1; i < m; i++) vs[vj + i] = w[cj + i]!;
    let vn2 = 0;
    for (let i = j; i < m; i++) vn2 += vs[vj + i]! * vs[vj + i]!;
    if (vn2 === 0) {
      isId[j] = 1;
      continue;
    }
    const inv = 1 / Math.sqrt(vn2);
    for (let i = j; i < m; i++) vs[vj + i] = vs[vj + i]! * inv;
    // column j becomes alpha e1
    w[cj + j] = alpha;
    for (let i = j + 1; i < m; i++) w[cj + i] = 0;
    for (let c = j + 1; c < n; c++) {
      const cc = c * m;
      let dot = 0;
      for (let i = j; i < m; i++) dot += vs[vj + i]! * w[cc + i]!;
      dot *= 2;
      if (dot !== 0) for (let i = j; i < m; i++) w[cc + i] = w[cc + i]! - dot * vs[vj + i]!;
    }
  }
  const R = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) R[i * n + c] = w[c * m + i]!;
  // Q = H_0 … H_{k-1} [I_k; 0], accumulated backwards; column c of Q at Q[c*m ..).
  const Q = new Float64Array(k * m);
  for (let c = 0; c < k; c++) Q[c * m + c] = 1;
  for (let j = k - 1; j >= 0; j--) {
    if (isId[j]) continue;
    const vj = j * m;
    for (let c = j; c < k; c++) {
      const cc = c * m;
      let dot = 0;
      for (let i = j; i < m; i++) dot += vs[vj + i]! * Q[cc + i]!;
      dot *= 2;
      if (dot !== 0) for (let i = j; i < m; i++) Q[cc + i] = Q[cc + i]! - dot * vs[vj + i]!;
    }
  }
  return { Q, R, k };
}

/** Row-major Float32 → column-major Float64. */
export function toColMajor64(a: Matrix): Float64Array {
  const { rows: m, cols: n, data } = a;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) out[j * m + i] = data[o + j]!;
  }
  return out;
}

/** Column-major Float64 (k columns of length m) → row-major Float32 m×k. */
export function fromColMajor64(cols: Float64Array, m: number, k: number): Matrix {
  const out = new Float32Array(m * k);
  for (let c = 0; c < k; c++) {
    const cc = c * m;
    for (let i = 0; i < m; i++) out[i * k + c] = cols[cc + i]!;
  }
  return { rows: m, cols: k, data: out };
}

/** Thin QR of a Float32 matrix through Float64 Householder (the TS backend's qr). */
export function tsQr(A: Matrix): QrResult {
  const { rows: m, cols: n } = A;
  const { Q, R, k } = householderQr64(toColMajor64(A), m, n);
  return { Q: fromColMajor64(Q, m, k), R: { rows: k, cols: n, data: Float32Array.from(R) } };
}
