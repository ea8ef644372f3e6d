/**
 * LoRE-Merging's low-rank estimation (Liu, Wu, Yao, She, Han, Zhong, Yuan, "LoRE-Merging:
 * Exploring Low-Rank Estimation For Large Language Model Merging", arXiv 2502.10749, §3), for the
 * weight matrices θ_1 … θ_n of one tensor:
 *
 *   minimize over θ0, δ_1 … δ_n    F = Σ_i ‖θ0 + δ_i − θ_i‖_F² + μ‖δ_i‖_*
 *
 * with the unsquared nuclear norm (the paper writes it squared; the solver below is exact for
 * this form). For fixed δ the θ0-step is closed-form, θ0 = mean_i(θ_i − δ_i); for fixed θ0 each
 * δ_i is singular value thresholding at τ = μ/2: δ_i = SVT_{μ/2}(θ_i − θ0) (the exact minimizer of
 * ‖δ − M‖_F² + μ‖δ‖_*). The paper's coordinate descent alternates the two. Eliminating δ gives a
 * smooth convex problem in θ0 alone,
 *
 *   h(θ0) = Σ_i H_τ(θ_i − θ0),   H_τ(A) = Σ_k huber_τ(σ_k(A)),  huber_τ(σ) = σ² (σ ≤ τ) or 2τσ − τ²,
 *   ∇h(θ0) = −2 Σ_i (A_i − SVT_τ(A_i)),   Lipschitz constant 2n,
 *
 * and one coordinate-descent sweep is exactly a gradient step of length 1/(2n). Far from the
 * optimum ‖∇h‖ is bounded by 2nτ in spectral norm, so plain sweeps move θ0 by at most τ = μ/2
 * (spectral norm) each and stall when μ is small. This solver therefore runs the same sweeps
 * with Nesterov's acceleration (FISTA, Beck & Teboulle, SIAM J. Imaging Sci. 2(1), 2009) and the
 * gradient restart of O'Donoghue & Candès (Found. Comput. Math. 15, 2015, §3.2), and with
 * continuation on μ (start at μ₀ = the largest singular value of θ_i − θ0, shrink by 0.7 per
 * sweep to the target; Ma, Goldfarb & Chen, Math. Program. 128, 2011, §4). A relative μ is set
 * from the noise level of the θ_i − θ0 (see `noiseEdge`), so μ follows the tensor's scale.
 *
 * Stopping is on the objective, with a certificate: the Lagrange dual of the problem is
 *   maximize D(Y) = Σ_i ⟨Y_i, θ_i⟩ − ‖Y_i‖_F²/4   s.t.  Σ_i Y_i = 0,  ‖Y_i‖_2 ≤ μ,
 * and Y_i = 2s(r_i − r̄) with r_i = A_i − δ_i, r̄ = mean r_i is dual feasible for
 * s ≤ μ / (μ_k + 2‖r̄‖_F) (‖r_i‖_2 ≤ τ_k after thresholding at τ_k), with the best such s in closed
 * form. The relative gap (F − D)/F bounds how far F is above its minimum; the solver stops when
 * it is ≤ `tolerance` (at the target μ) or after `iterations` sweeps.
 *
 * The returned pair (θ0, δ) is consistent: θ0 = mean_i(θ_i − δ_i) for the returned δ, so
 * θ0 + mean_i δ_i equals the plain average of the θ_i exactly (up to rounding).
 */
import { throwIfAborted } from "../../errors/index.js";
import { getBackend, type LinalgBackend } from "../../tensor/index.js";
import {
  newSvtState,
  rethreshold,
  type SvtFactors,
  type SvtState,
  subtractLowRank,
  svtSweep,
} from "./svt.js";

/** Options of `solveLore`. */
export interface LoreSolveOptions {
  /**
   * μ. Relative (default): μ = 2·mu·ν with ν the estimated noise edge of θ_i − θ0 at the start
   * (see `noiseEdge`), so mu = 1 thresholds at τ = ν. Absolute: μ = mu.
   */
  mu: number;
  /** Whether `mu` is absolute (default: relative to the scale s). */
  absolute?: boolean;
  /** Sweep cap. */
  iterations: number;
  /** Relative duality gap to stop at. */
  tolerance: number;
  /** θ0 to start from (e.g. the base model); default the average of the θ_i. */
  init?: Float32Array;
  /** Continuation on μ (default true). */
  continuation?: boolean;
  /** Nesterov acceleration with restart (default true; false gives the paper's plain sweeps). */
  accelerate?: boolean;
  /** SVD choice (see svt.ts). */
  svd?: "auto" | "exact" | "randomized";
  /** Seed of the randomized sketches. */
  seed?: number;
  backend?: LinalgBackend;
  signal?: AbortSignal;
}

/** What `solveLore` returns: θ0, the δ_i as factors, and the run's record. */
export interface LoreSolution {
  /** The estimated θ0 (rows × cols, row-major). */
  theta0: Float32Array;
  /** δ_i as low-rank factors. */
  deltas: SvtFactors[];
  /** Rank of each δ_i. */
  ranks: number[];
  /** Objective F after each sweep (at the target μ). */
  objective: number[];
  /** Relative duality gap after each sweep. */
  gap: number[];
  sweeps: number;
  /** Whether the gap reached the tolerance. */
  converged: boolean;
  /** Whether the solver stopped because F stopped decreasing (float32 precision) before the tolerance. */
  stalled: boolean;
  /** The absolute μ used. */
  mu: number;
  /** The noise edge ν that a relative mu multiplies (τ = mu·ν). */
  scale: number;
}

/** Continuation factor per sweep. */
const SHRINK = 0.7;
/** Stop when F decreased by less than STALL_CHANGE·F over STALL_SWEEPS sweeps (float32 floor). */
const STALL_SWEEPS = 10;
const STALL_CHANGE = 1e-7;

/** Runs the solver on n matrices of one shape (given as rows × cols and row-major data). */
export function solveLore(
  rows: number,
  cols: number,
  thetas: readonly Float32Array[],
  opts: LoreSolveOptions,
): LoreSolution {
  const b = opts.backend ?? getBackend();
  const n = thetas.length;
  const size = rows * cols;
  const accelerate = opts.accelerate ?? true;
  // θ̄, used by the dual bound; y = the point the sweep evaluates; x = the last θ0 iterate.
  const mean = new Float32Array(size);
  for (const t of thetas) for (let j = 0; j < size; j++) mean[j] = mean[j]! + t[j]! / n;
  const y = Float32Array.from(opts.init ?? mean);
  let x = Float32Array.from(y);
  let acc = new Float32Array(size); // r̄, then the new x
  const R = thetas.map(() => new Float32Array(size));
  const states: SvtState[] = thetas.map((_, i) =>
    newSvtState(rows, cols, (opts.seed ?? 0) * 7919 + i * 104729 + 1, { method: opts.svd }),
  );
  const objective: number[] = [];
  const gap: number[] = [];
  let factors: SvtFactors[] = [];
  let muTarget = opts.mu;
  let muK = opts.mu;
  let scale = 0;
  let top = 0;
  let t = 1;
  let sweeps = 0;
  let converged = false;
  let stalled = false;
  let targetSince = 0;
  const continuation = opts.continuation ?? true;

  const invN = 1 / n;
  // A_i = θ_i − y, in the residual buffers (later sweeps fuse this with the momentum step).
  for (const [i, th] of thetas.entries()) {
    const A = R[i]!;
    for (let j = 0; j < size; j++) A[j] = th[j]! - y[j]!;
  }
  for (let k = 0; k < opts.iterations; k++) {
    throwIfAborted(opts.signal, "lore");
    let first: SvtFactors[] | undefined;
    if (k === 0) {
      // Factorize without a threshold to learn the spectra, then set μ from the noise edge.
      first = R.map((A, i) =>
        svtSweep({ rows, cols, data: A }, Number.POSITIVE_INFINITY, states[i]!, { ...opts, backend: b }),
      );
      scale = noiseEdge(rows, cols, R, first);
      top = Math.max(0, ...first.map((f) => f.sigma[0] ?? 0));
      muTarget = opts.absolute ? opts.mu : 2 * opts.mu * scale;
      muK = continuation ? Math.max(muTarget, top) : muTarget;
    }
    const tau = muK / 2;
    factors = R.map(
      (A, i) =>
        (first && rethreshold(first[i]!, tau, states[i]!)) ??
        svtSweep({ rows, cols, data: A }, tau, states[i]!, { ...opts, backend: b }),
    );
    // r_i = A_i − δ_i (one gemm each); then one pass per model for ‖r_i‖² and r̄ += r_i/n. The
    // last model's pass also takes the scalars of the dual bound and of the restart test and turns
    // r̄ into x_new = y + r̄.
    let sumR2 = 0;
    let nuc = 0;
    let rbar2 = 0;
    let rbarAbar = 0; // ⟨r̄, θ̄ − y⟩
    let restartDot = 0; // ⟨y − x_new, x_new − x⟩ = ⟨−r̄, y + r̄ − x⟩
    for (const [i, A] of R.entries()) {
      const f = factors[i]!;
      subtractLowRank({ rows, cols, data: A }, f, 1, b);
      for (const v of f.s) nuc += v;
      let ss = 0;
      if (n === 1 || i === n - 1) {
        const start = n === 1;
        for (let j = 0; j < size; j++) {
          const v = A[j]!;
          ss += v * v;
          const r = Math.fround((start ? 0 : acc[j]!) + v * invN);
          const yj = y[j]!;
          rbar2 += r * r;
          rbarAbar += r * (mean[j]! - yj);
          const xn = Math.fround(yj + r);
          restartDot -= r * (xn - x[j]!);
          acc[j] = xn; // acc now holds x_new
        }
      } else if (i === 0)
        for (let j = 0; j < size; j++) {
          const v = A[j]!;
          ss += v * v;
          acc[j] = v * invN;
        }
      else
        for (let j = 0; j < size; j++) {
          const v = A[j]!;
          ss += v * v;
          acc[j] = acc[j]! + v * invN;
        }
      sumR2 += ss;
    }
    const fit = Math.max(0, sumR2 - n * rbar2);
    const F = fit + muTarget * nuc;
    // D(sY) = s·a − s²·bq with a = 2Σ⟨r_i − r̄, A_i − r̄⟩ = 2(Σ‖r_i‖² + τΣ‖δ_i‖_* − n⟨r̄, Ā⟩), bq = fit.
    const a = 2 * (sumR2 + tau * nuc - n * rbarAbar);
    const sMax = muTarget / (muK + 2 * Math.sqrt(rbar2));
    const s = fit > 0 ? Math.min(sMax, Math.max(0, a / (2 * fit))) : sMax;
    const D = s * a - s * s * fit;
    const g = F > 0 ? Math.max(0, (F - D) / F) : 0;
    objective.push(F);
    gap.push(g);
    sweeps = k + 1;
    const xNew = acc;
    if (muK === muTarget && g <= opts.tolerance) {
      converged = true;
      x = xNew;
      break;
    }
    // At float32's precision the gap can floor above a tight tolerance: stop when F no longer moves.
    if (muK === muTarget && k - targetSince >= STALL_SWEEPS) {
      const before = objective[objective.length - 1 - STALL_SWEEPS]!;
      if (before - F <= STALL_CHANGE * F) {
        stalled = true;
        x = xNew;
        break;
      }
    }
    if (k === opts.iterations - 1) {
      x = xNew;
      break;
    }
    // Momentum step y ← x_new + β(x_new − x), β = (t_k − 1)/t_{k+1}, restarted when the step opposes
    // the gradient; continuation shrinks μ and restarts the momentum when it reaches the target.
    let beta = 0;
    if (accelerate) {
      if (restartDot > 0) t = 1;
      const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      beta = (t - 1) / tNext;
      t = tNext;
    }
    if (continuation && muK > muTarget) {
      muK = Math.max(muTarget, muK * SHRINK);
      if (muK === muTarget) {
        targetSince = k + 1;
        t = 1;
        beta = 0;
      }
    }
    // y and the next sweep's A_i = θ_i − y in one pass.
    stepAndCenter(y, xNew, x, beta, thetas, R);
    acc = x;
    x = xNew;
  }
  return {
    theta0: x,
    deltas: factors,
    ranks: factors.map((f) => f.s.length),
    objective,
    gap,
    sweeps,
    converged,
    stalled,
    mu: muTarget,
    scale,
  };
}

/** y ← x_new + β(x_new − x) and R_i ← θ_i − y, in one pass over the arrays. */
function stepAndCenter(
  y: Float32Array,
  xNew: Float32Array,
  x: Float32Array,
  beta: number,
  thetas: readonly Float32Array[],
  R: readonly Float32Array[],
): void {
  const size = y.length;
  if (thetas.length === 3) {
    // the common case, unrolled
    const [t0, t1, t2] = thetas as [Float32Array, Float32Array, Float32Array];
    const [r0, r1, r2] = R as [Float32Array, Float32Array, Float32Array];
    for (let j = 0; j < size; j++) {
      const xn = xNew[j]!;
      const yj = Math.fround(xn + beta * (xn - x[j]!));
      y[j] = yj;
      r0[j] = t0[j]! - yj;
      r1[j] = t1[j]! - yj;
      r2[j] = t2[j]! - yj;
    }
    return;
  }
  for (let j = 0; j < size; j++) {
    const xn = xNew[j]!;
    y[j] = xn + beta * (xn - x[j]!);
  }
  for (const [i, th] of thetas.entries()) {
    const A = R[i]!;
    for (let j = 0; j < size; j++) A[j] = th[j]! - y[j]!;
  }
}

/**
 * The noise edge ν = σ̂·(√m + √n): the largest singular value an m × n matrix of independent
 * noise with the estimated entry std σ̂ would have (Marchenko–Pastur; Gavish & Donoho, IEEE
 * Trans. Inf. Theory 60(8), 2014, use the same scale). σ̂² is the energy outside the top l'
 * singular values over (m − l')(n − l'), with l' = min(24, min(m, n)/4): exact when the signal
 * (all task vectors together) has rank ≤ l'. The largest estimate over the models is used.
 */
export function noiseEdge(
  rows: number,
  cols: number,
  A: readonly Float32Array[],
  f: readonly SvtFactors[],
): number {
  const kmax = Math.min(rows, cols);
  const lp = Math.max(1, Math.min(24, Math.floor(kmax / 4)));
  let edge = 0;
  for (const [i, a] of A.entries()) {
    const sig = f[i]!.sigma;
    const k = Math.min(lp, sig.length);
    let head = 0;
    for (let j = 0; j < k; j++) head += sig[j]! * sig[j]!;
    const dof = (rows - k) * (cols - k);
    const s2 = dof > 0 ? Math.max(0, sumSquares(a) - head) / dof : 0;
    edge = Math.max(edge, Math.sqrt(s2) * (Math.sqrt(rows) + Math.sqrt(cols)));
  }
  return edge;
}

function sumSquares(a: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * a[j]!;
  return s;
}
