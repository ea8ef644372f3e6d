/**
 * Singular value thresholding for LoRE's sweeps, warm-started across sweeps.
 *
 * SVT_τ(A) = U diag((σ − τ)₊) Vᵀ needs only the singular triplets with σ > τ. For large matrices
 * they come from randomized subspace iteration (Halko, Martinsson & Tropp, SIAM Review 53(2),
 * 2011, Alg. 4.4 + 5.1): a sketch Y = A·Ω of width l, Q = orth(Y), B = QᵀA, SVD of B. The right
 * singular basis of one sweep seeds the next sweep's sketch (Y = A·V_prev), so every sweep adds
 * one power iteration to a subspace that is already close (the matrices change little between
 * sweeps). When the l-th singular value of the sketch is still above τ the sketch may have missed
 * some, so l doubles and the sketch restarts (Cai, Candès & Shen 2010, §5.1.1 grow the rank the
 * same way). Small matrices, or ranks above a quarter of min(m, n), use the exact SVD (LAPACK
 * sgesdd on the native backend).
 *
 * The result's residual A − SVT_τ(A) is orthogonal to SVT_τ(A) whenever the kept triplets are
 * exact singular triplets of QQᵀA, so ⟨A − δ, δ⟩ = τ·‖δ‖_* holds for the randomized result too
 * (the solver's duality gap uses it).
 */
import { getBackend, type LinalgBackend, type Matrix, randn } from "../../tensor/index.js";

/** SVD factors of the thresholded matrix: δ = U diag(s) Vt, s = (σ − τ)₊ > 0. */
export interface SvtFactors {
  /** m × k. */
  U: Matrix;
  /** k shrunk singular values (σ − τ), descending, all > 0. */
  s: Float64Array;
  /** k × n. */
  Vt: Matrix;
  /** The singular values computed before shrinking (the top l), for spectra. */
  sigma: Float64Array;
  /** Whether the exact SVD was used. */
  exact: boolean;
}

/** Per-matrix state carried from one sweep to the next. */
export interface SvtState {
  /** Right singular basis (n × l) of the previous sweep; undefined before the first. */
  V?: Matrix;
  /** Sketch width. */
  l: number;
  /** Seed of the next fresh sketch. */
  seed: number;
  /** Set once the rank outgrows the randomized path: use the exact SVD from now on. */
  exact: boolean;
}

/** Which SVD `svtSweep` uses, and on which backend. */
export interface SvtOptions {
  backend?: LinalgBackend;
  /** "auto" (default): exact when min(m, n) ≤ 128 or the rank needs l > min(m, n)/4. */
  method?: "auto" | "exact" | "randomized";
}

/** Minimum sketch columns beyond the kept rank. */
const OVERSAMPLE = 8;
/** Sketch width of the first sweep. */
export const INITIAL_WIDTH = 32;
/** Power iterations of a fresh (cold) sketch. */
const COLD_POWER = 2;

/** A fresh state for an m × n matrix. */
export function newSvtState(rows: number, cols: number, seed: number, opts: SvtOptions = {}): SvtState {
  const kmax = Math.min(rows, cols);
  const exact = opts.method === "exact" || (opts.method !== "randomized" && kmax <= 128);
  return { l: Math.min(kmax, INITIAL_WIDTH), seed, exact };
}

function orth(b: LinalgBackend, Y: Matrix): Matrix {
  return b.qr(Y).Q;
}

/** Thin factorization A ≈ U diag(σ) Vt of width l from a sketch basis (cold or warm). */
function sketchSvd(
  b: LinalgBackend,
  A: Matrix,
  st: SvtState,
): { U: Matrix; sigma: Float32Array; Vt: Matrix; V: Matrix } {
  const l = st.l;
  let Q: Matrix;
  if (st.V && st.V.cols === l) {
    Q = orth(b, b.gemm(false, false, A, st.V)); // warm: one power step from the last basis
  } else {
    const omega = randn(A.cols, l, st.seed++);
    Q = orth(b, b.gemm(false, false, A, omega));
    for (let i = 0; i < COLD_POWER; i++) {
      const Z = orth(b, b.gemm(true, false, A, Q));
      Q = orth(b, b.gemm(false, false, A, Z));
    }
  }
  // Z = AᵀQ (n × l) = Bᵀ; SVD of the tall-skinny Z: Z = Uz Sz Vzᵀ, so B = Vz Sz Uzᵀ.
  const Z = b.gemm(true, false, A, Q);
  const z = b.svd(Z);
  const U = b.gemm(false, false, Q, transposeSmall(z.Vt)); // Q·Vz, m × l
  return { U, sigma: z.S, Vt: transposeSmall(z.U), V: z.U };
}

function transposeSmall(a: Matrix): Matrix {
  const out = new Float32Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return { rows: a.cols, cols: a.rows, data: out };
}

/**
 * Thresholds A at τ, updating the state for the next call. `tau = Infinity` factorizes without
 * thresholding (the caller learns the top singular value first, then calls `threshold`).
 */
export function svtSweep(A: Matrix, tau: number, st: SvtState, opts: SvtOptions = {}): SvtFactors {
  const b = opts.backend ?? getBackend();
  const kmax = Math.min(A.rows, A.cols);
  if (kmax === 0) return emptyFactors(A);
  for (;;) {
    if (st.exact) {
      const r = b.svd(A);
      return keep(r.U, r.S, r.Vt, tau, true);
    }
    const f = sketchSvd(b, A, st);
    st.V = f.V;
    const k = countAbove(f.sigma, tau);
    if (k > st.l - OVERSAMPLE && st.l < kmax) {
      // The sketch may have missed triplets above τ: widen it and start cold.
      const next = Math.min(kmax, 2 * st.l);
      st.V = undefined;
      st.l = next;
      if (opts.method !== "randomized" && next > kmax / 4) st.exact = true;
      continue;
    }
    return keep(f.U, f.sigma, f.Vt, tau, false);
  }
}

/**
 * Thresholds factors computed with τ = ∞ at a finite τ, when they hold every triplet above τ
 * (exact SVD, or a sketch with room to spare); undefined when the sketch must be widened.
 */
export function rethreshold(f: SvtFactors, tau: number, st: SvtState): SvtFactors | undefined {
  const k = countAbove(f.sigma, tau);
  const kmax = Math.min(f.U.rows, f.Vt.cols);
  if (!f.exact && k > st.l - OVERSAMPLE && st.l < kmax) return undefined;
  const S = f.sigma;
  return keep(f.U, S, f.Vt, tau, f.exact);
}

function countAbove(s: ArrayLike<number>, tau: number): number {
  let k = 0;
  while (k < s.length && s[k]! > tau) k++;
  return k;
}

function keep(U: Matrix, S: ArrayLike<number>, Vt: Matrix, tau: number, exact: boolean): SvtFactors {
  const sigma = Float64Array.from(S);
  const k = Number.isFinite(tau) ? countAbove(S, tau) : S.length;
  const s = new Float64Array(k);
  for (let j = 0; j < k; j++) s[j] = Number.isFinite(tau) ? S[j]! - tau : S[j]!;
  const Uk = new Float32Array(U.rows * k);
  for (let i = 0; i < U.rows; i++) Uk.set(U.data.subarray(i * U.cols, i * U.cols + k), i * k);
  return {
    U: { rows: U.rows, cols: k, data: Uk },
    s,
    Vt: { rows: k, cols: Vt.cols, data: Vt.data.slice(0, k * Vt.cols) },
    sigma,
    exact,
  };
}

function emptyFactors(A: Matrix): SvtFactors {
  return {
    U: { rows: A.rows, cols: 0, data: new Float32Array(0) },
    s: new Float64Array(0),
    Vt: { rows: 0, cols: A.cols, data: new Float32Array(0) },
    sigma: new Float64Array(0),
    exact: true,
  };
}

/**
 * C ← C − α·U diag(s) Vt, in place (one gemm). With α = 1 it turns A into the residual A − δ.
 */
export function subtractLowRank(
  C: Matrix,
  f: Pick<SvtFactors, "U" | "s" | "Vt">,
  alpha = 1,
  backend?: LinalgBackend,
): void {
  const k = f.s.length;
  if (k === 0) return;
  const b = backend ?? getBackend();
  const US = { rows: f.U.rows, cols: k, data: new Float32Array(f.U.rows * k) };
  for (let i = 0; i < US.rows; i++)
    for (let j = 0; j < k; j++) US.data[i * k + j] = f.U.data[i * k + j]! * f.s[j]!;
  b.gemm(false, false, US, f.Vt, -alpha, 1, C);
}
