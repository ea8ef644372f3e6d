/**
 * Exact thin SVD in pure TypeScript: one-sided (Hestenes) Jacobi in Float64 with QR
 * preconditioning. For A (m×n, m ≥ n): A = Q R (Householder), then cyclic Jacobi rotations on the
 * columns of R until every pair is orthogonal to `tol` relative to its norms; the columns of R·V
 * are σ_j u_j. References: Hestenes (1958); Demmel, Applied Numerical Linear Algebra, §5.4.3,
 * Alg. 5.5 (one-sided Jacobi); Drmač & Veselić, "New fast and accurate Jacobi SVD algorithm I"
 * (SIAM J. Matrix Anal. Appl. 29(4), 2008), §3 (QR preconditioning). Wide matrices are handled
 * as Aᵀ = V Σ Uᵀ. Accurate to Float32 rounding; O(n³) per sweep, fine up to ~1024².
 */
import type { SvdResult } from "../backend.js";
import { type Matrix, transpose } from "../matrix.js";
import { householderQr64, toColMajor64 } from "./householder.js";

const TOL = 1e-11;
const MAX_SWEEPS = 80;

/**
 * One-sided Jacobi on n columns of length p (column-major in `w`, modified in place).
 * Returns V (column-major n×n) such that the columns of W·V are mutually orthogonal.
 */
export function jacobiColumns(w: Float64Array, p: number, n: number): Float64Array {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const d = new Float64Array(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      const o = j * p;
      for (let i = 0; i < p; i++) s += w[o + i]! * w[o + i]!;
      d[j] = s;
    }
    let rotated = 0;
    for (let a = 0; a < n - 1; a++) {
      const oa = a * p;
      const va = a * n;
      for (let b = a + 1; b < n; b++) {
        const alpha = d[a]!;
        const beta = d[b]!;
        if (alpha === 0 || beta === 0) continue;
        const ob = b * p;
        let gamma = 0;
        for (let i = 0; i < p; i++) gamma += w[oa + i]! * w[ob + i]!;
        if (Math.abs(gamma) <= TOL * Math.sqrt(alpha * beta)) continue;
        rotated++;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < p; i++) {
          const x = w[oa + i]!;
          const y = w[ob + i]!;
          w[oa + i] = c * x - s * y;
          w[ob + i] = s * x + c * y;
        }
        const vb = b * n;
        for (let i = 0; i < n; i++) {
          const x = v[va + i]!;
          const y = v[vb + i]!;
          v[va + i] = c * x - s * y;
          v[vb + i] = s * x + c * y;
        }
        d[a] = alpha - t * gamma;
        d[b] = beta + t * gamma;
      }
    }
    if (rotated === 0) break;
  }
  return v;
}

/** Completes column `j` of a column-major orthonormal set (columns 0..j-1 set) by Gram–Schmidt on unit vectors. */
function completeColumn(u: Float64Array, m: number, j: number, filled: Uint8Array, k: number): void {
  const o = j * m;
  for (let e = 0; e < m; e++) {
    u.fill(0, o, o + m);
    u[o + e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < k; c++) {
        if (c === j || !filled[c]) continue;
        const oc = c * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[oc + i]! * u[o + i]!;
        for (let i = 0; i < m; i++) u[o + i] = u[o + i]! - dot * u[oc + i]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += u[o + i]! * u[o + i]!;
    if (nrm > 0.25) {
      const inv = 1 / Math.sqrt(nrm);
      for (let i = 0; i < m; i++) u[o + i] = u[o + i]! * inv;
      filled[j] = 1;
      return;
    }
  }
}

/** Thin SVD of a tall (m ≥ n) matrix. */
function svdTall(A: Matrix): SvdResult {
  const { rows: m, cols: n } = A;
  const cols = toColMajor64(A);
  let w: Float64Array; // n columns of length n (R) or m (A itself when square)
  let q: Float64Array | undefined;
  if (m > n) {
    const { Q, R } = householderQr64(cols, m, n);
    q = Q; // n columns of length m
    // Columns of R: R is n×n row-major; column j = R[i*n + j].
    w = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) w[j * n + i] = R[i * n + j]!;
  } else {
    w = cols;
  }
  const p = n; // column length in w
  const v = jacobiColumns(w, p, n);
  const sig = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < p; i++) s += w[j * p + i]! * w[j * p + i]!;
    sig[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => sig[b]! - sig[a]!);
  // Small U (column-major p×n), sorted, normalized; zero columns completed orthonormally.
  const us = new Float64Array(p * n);
  const filled = new Uint8Array(n);
  const smax = sig[order[0]!] ?? 0;
  const zeroTol = smax * 1e-30;
  for (let r = 0; r < n; r++) {
    const j = order[r]!;
    if (sig[j]! > zeroTol && sig[j]! > 0) {
      const inv = 1 / sig[j]!;
      for (let i = 0; i < p; i++) us[r * p + i] = w[j * p + i]! * inv;
      filled[r] = 1;
    }
  }
  for (let r = 0; r < n; r++) if (!filled[r]) completeColumn(us, p, r, filled, n);
  // U = Q · us (m×n) or us itself; written row-major Float32.
  const U = new Float32Array(m * n);
  if (q) {
    const acc = new Float64Array(m);
    for (let r = 0; r < n; r++) {
      acc.fill(0);
      for (let l = 0; l < n; l++) {
        const coef = us[r * p + l]!;
        if (coef === 0) continue;
        const ql = l * m;
        for (let i = 0; i < m; i++) acc[i] = acc[i]! + coef * q[ql + i]!;
      }
      for (let i = 0; i < m; i++) U[i * n + r] = acc[i]!;
    }
  } else {
    for (let r = 0; r < n; r++) for (let i = 0; i < m; i++) U[i * n + r] = us[r * p + i]!;
  }
  const S = new Float32Array(n);
  const Vt = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const j = order[r]!;
    S[r] = sig[j]!;
    for (let i = 0; i < n; i++) Vt[r * n + i] = v[j * n + i]!;
  }
  return { U: { rows: m, cols: n, data: U }, S, Vt: { rows: n, cols: n, data: Vt } };
}

/** Thin exact SVD by one-sided Jacobi in Float64 (the TS backend's svd); wide matrices via Aᵀ. */
export function tsSvd(A: Matrix): SvdResult {
  if (A.rows === 0 || A.cols === 0) {
    const k = 0;
    return {
      U: { rows: A.rows, cols: k, data: new Float32Array(0) },
      S: new Float32Array(0),
      Vt: { rows: k, cols: A.cols, data: new Float32Array(0) },
    };
  }
  if (A.rows >= A.cols) return svdTall(A);
  const r = svdTall(transpose(A));
  return { U: transpose(r.Vt), S: r.S, Vt: transpose(r.U) };
}
