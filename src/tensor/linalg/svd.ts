/**
 * Singular value decompositions on the selected backend.
 *
 * - `svd(A)`: exact thin SVD (LAPACK sgesdd on the native backend, one-sided Jacobi in TS).
 * - `randomizedSvd(A, k)`: the randomized range finder with power iterations of Halko,
 *   Martinsson & Tropp, "Finding structure with randomness" (SIAM Review 53(2), 2011):
 *   Algorithm 4.4 (randomized subspace iteration, re-orthonormalizing by QR after every
 *   product with A or Aᵀ) followed by Algorithm 5.1 (direct SVD of B = QᵀA).
 *   Error bound (their Thm 10.6 / §10.4): E‖A − QQᵀA‖ ≤ (1 + …)^{1/(2q+1)} σ_{k+1}, so a few
 *   power iterations suffice for slowly decaying spectra. Built only on gemm, qr and a small exact
 *   SVD, so it runs on either backend.
 * - `truncatedSvd(A, k)`: picks exact or randomized by size, then keeps the top k.
 */
import { MisuseError, throwIfAborted } from "../../errors/index.js";
import type { OnProgress } from "../../util/progress.js";
import type { LinalgBackend, SvdResult } from "./backend.js";
import { type Matrix, randn, scaleCols, sliceCols, sliceRows } from "./matrix.js";
import { getBackend } from "./select.js";

/** Options of the SVD functions. */
export interface SvdOptions {
  /** Use this backend instead of the selected one. */
  backend?: LinalgBackend;
}

/** Exact thin SVD: A = U diag(S) Vt with k = min(m, n). */
export function svd(A: Matrix, opts: SvdOptions = {}): SvdResult {
  return (opts.backend ?? getBackend()).svd(A);
}

/** Options of `randomizedSvd` (Halko, Martinsson & Tropp 2011). */
export interface RandomizedSvdOptions extends SvdOptions {
  /** Extra sketch columns p (HMT §4.2 recommend 5–10). Default 10. */
  oversample?: number;
  /** Power iterations q (HMT Alg. 4.4). Default 2. */
  powerIterations?: number;
  /** Seed of the Gaussian test matrix. Default 0. */
  seed?: number;
  /** Cancels between products (throws AbortedError). */
  signal?: AbortSignal;
  /** Called after the sketch, each power-iteration half-step and the small SVD. */
  onProgress?: OnProgress;
}

/** Keeps the leading k singular triplets. */
export function truncate(r: SvdResult, k: number): SvdResult {
  if (k >= r.S.length) return r;
  return { U: sliceCols(r.U, 0, k), S: r.S.slice(0, k), Vt: sliceRows(r.Vt, 0, k) };
}

/** Rank-k approximation U_k S_k V_kᵀ by randomized subspace iteration (HMT 2011, Alg. 4.4 + 5.1). */
export function randomizedSvd(A: Matrix, k: number, opts: RandomizedSvdOptions = {}): SvdResult {
  const b = opts.backend ?? getBackend();
  const { rows: m, cols: n } = A;
  const kmax = Math.min(m, n);
  if (!Number.isInteger(k) || k < 1 || k > kmax) {
    throw new MisuseError({
      where: "randomizedSvd",
      what: `rank ${k} is not in 1..${kmax} for a ${m}×${n} matrix`,
      hint: "choose a rank between 1 and min(rows, cols)",
    });
  }
  const l = Math.min(kmax, k + (opts.oversample ?? 10));
  const q = opts.powerIterations ?? 2;
  const total = 2 + 2 * q;
  let step = 0;
  const tick = (label: string) => {
    throwIfAborted(opts.signal, "randomizedSvd");
    opts.onProgress?.({ label, done: ++step, total });
  };
  // Stage A: orthonormal basis Q (m×l) of the range of A.
  const omega = randn(n, l, opts.seed ?? 0);
  let Q = b.qr(b.gemm(false, false, A, omega)).Q; // Y = A Ω
  tick("range sketch");
  for (let i = 0; i < q; i++) {
    const Qt = b.qr(b.gemm(true, false, A, Q)).Q; // Ỹ = Aᵀ Q, n×l
    tick(`power iteration ${i + 1}/${q}`);
    Q = b.qr(b.gemm(false, false, A, Qt)).Q; // Y = A Q̃, m×l
    tick(`power iteration ${i + 1}/${q}`);
  }
  // Stage B: B = Qᵀ A (l×n), small exact SVD, U = Q Ũ.
  const B = b.gemm(true, false, Q, A);
  const small = b.svd(B);
  const U = b.gemm(false, false, Q, small.U);
  tick("small SVD");
  return truncate({ U, S: small.S, Vt: small.Vt }, k);
}

/** Options of `truncatedSvd`: the randomized options plus how to choose the method. */
export interface TruncatedSvdOptions extends RandomizedSvdOptions {
  /** "auto" (default): exact when min(m, n) ≤ 1024 or k > min(m, n)/4, else randomized. */
  method?: "auto" | "exact" | "randomized";
}

/**
 * The leading k singular triplets, computed exactly or by randomized SVD (see `method`); the
 * result says which was used. MisuseError unless 1 ≤ k ≤ min(rows, cols).
 */
export function truncatedSvd(
  A: Matrix,
  k: number,
  opts: TruncatedSvdOptions = {},
): SvdResult & { method: "exact" | "randomized" } {
  const kmax = Math.min(A.rows, A.cols);
  if (!Number.isInteger(k) || k < 1 || k > kmax) {
    throw new MisuseError({
      where: "truncatedSvd",
      what: `rank ${k} is not in 1..${kmax}`,
      hint: "choose a rank between 1 and min(rows, cols)",
    });
  }
  const method = opts.method ?? "auto";
  const exact = method === "exact" || (method === "auto" && (kmax <= 1024 || k > kmax / 4));
  if (exact) return { ...truncate(svd(A, opts), k), method: "exact" };
  return { ...randomizedSvd(A, k, opts), method: "randomized" };
}

/** U diag(S) Vt as a matrix. */
export function reconstruct(r: SvdResult, opts: SvdOptions = {}): Matrix {
  const b = opts.backend ?? getBackend();
  const US = scaleCols({ rows: r.U.rows, cols: r.S.length, data: r.U.data.slice() }, r.S);
  return b.gemm(false, false, US, r.Vt);
}
