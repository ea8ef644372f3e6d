/**
 * Factorization of one group of experts for one kind: W̃^i ≈ A^i B with a shared B (r×d), where
 * W̃^i is the expert's p×d gate/up matrix, or the transpose of its d×p down matrix (the transposed
 * construction W_down^i = C A_out^i, C = Bᵀ). Stacking S = [W̃^1; …; W̃^k] (kp × d), the
 * Frobenius-optimal factors are the rank-r truncated SVD of S (Eckart–Young): B = V_rᵀ and
 * A^i = the i-th p-row block of U_r Σ_r = W̃^i V_r. With calibration the same holds for the
 * whitened stack S L (see whitening.ts).
 *
 * Methods (a registry, `methods.ts`):
 *   gram        never forms S: accumulates G = Σ_i W̃^iᵀ W̃^i (d×d, BLAS syrk) expert by expert, takes
 *               its eigendecomposition G = V Σ² Vᵀ (LAPACK ssyevd), then reads the experts again
 *               for A^i = W̃^i V_r. Memory: one expert, G and V. When k·p < d the k·p × k·p Gram
 *               S Sᵀ = U Σ² Uᵀ is smaller: then A = U_r, B = U_rᵀ S. Accuracy: the normal
 *               equations square the condition number (Golub & Van Loan §5.3.7): singular values
 *               below ~√ε_f32 · σ_1 ≈ 3e-4 σ_1 are not resolved, which costs nothing for a
 *               truncation above that level; measured errors are in docs/mole.md.
 *   exact       stacks S and takes its thin SVD (LAPACK sgesdd): the reference, memory k·p·d.
 *   randomized  stacks S and runs the randomized SVD of Halko, Martinsson & Tropp (2011).
 * A and B are rounded to the stored dtype before the error is measured, so the recorded error is
 * the error of what is written.
 */
import { MisuseError, throwIfAborted } from "../errors/index.js";
import {
  fromFloat32,
  getBackend,
  gram,
  type Matrix,
  matmul,
  randomizedSvd,
  svd,
  symmetricEigen,
  toFloat32,
  transpose,
  type WritableDType,
} from "../tensor/index.js";
import type { Whitening } from "./whitening.js";

/** Where a group's expert matrices come from. */
export interface GroupSource {
  experts: readonly number[];
  /** p and d: every W̃^i is p×d. */
  p: number;
  d: number;
  /** Down projections are read as d×p and used transposed. */
  transposed: boolean;
  /** Reads expert e's matrix as stored (p×d, or d×p when transposed), possibly into a reused buffer. */
  read(e: number, into?: Float32Array): Promise<Matrix>;
}

/** A group's spectral basis, computed before the rank is chosen. */
export interface GroupBasis {
  source: GroupSource;
  /** σ_i² of the (whitened) stack, descending; min(k·p, d) values (fewer for randomized). */
  spectrum: Float64Array;
  /** Σ σ_i² (= ‖S‖_F², in the whitened norm when calibrated). */
  total: number;
  whitening: Whitening | null;
  state:
    | { side: "cols"; vectorsT: Matrix }
    | { side: "rows"; vectorsT: Matrix; stack: Matrix }
    | { side: "svd"; U: Matrix; S: Float32Array; Vt: Matrix };
}

/** The factors of one group, as stored. */
export interface GroupFactors {
  rank: number;
  /** B (r×d); stored as is for gate/up and transposed (C = Bᵀ, d×r) for down. */
  B: Matrix;
  /** Per expert: A^i (p×r) for gate/up, A_out^i (r×p) for down. */
  latents: Matrix[];
  relativeError: number;
  /** ‖S‖_F² and ‖S − A B‖_F² of the group (plain Frobenius), for aggregating errors. */
  normSquared: number;
  errorSquared: number;
  predictedRelativeError: number;
  energy: number;
}

export interface BasisOptions {
  whitening?: Whitening | null;
  signal?: AbortSignal;
  where: string;
}

/** Rounds data to a dtype's precision (the values that will be stored). */
export function roundTo(data: Float32Array, dtype: WritableDType): Float32Array {
  return dtype === "F32" ? data : toFloat32(fromFloat32(data, dtype), dtype, data);
}

function orient(W: Matrix, transposed: boolean): Matrix {
  return transposed ? transpose(W) : W;
}

/** Stacks the group (kp × d), whitened when asked. */
async function stack(src: GroupSource, w: Whitening | null, signal?: AbortSignal): Promise<Matrix> {
  const { p, d } = src;
  const S: Matrix = {
    rows: src.experts.length * p,
    cols: d,
    data: new Float32Array(src.experts.length * p * d),
  };
  for (const [i, e] of src.experts.entries()) {
    throwIfAborted(signal, "mole");
    S.data.set(orient(await src.read(e), src.transposed).data, i * p * d);
  }
  return w ? matmul(S, w.L) : S;
}

function spectrumOf(values: Float32Array | Float64Array, count: number, square: boolean): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i] ?? 0;
    out[i] = square ? v * v : Math.max(v, 0);
  }
  return out;
}

/** Pass 1 of the gram method: the spectrum and eigenvectors of the smaller Gram matrix. */
export async function gramBasis(src: GroupSource, opts: BasisOptions): Promise<GroupBasis> {
  const { p, d } = src;
  const k = src.experts.length;
  const w = opts.whitening ?? null;
  if (k * p < d) {
    const S = await stack(src, w, opts.signal);
    const eig = symmetricEigen(gram(S, { trans: false }));
    const spectrum = spectrumOf(eig.values, k * p, false);
    return {
      source: src,
      spectrum,
      total: sum(spectrum),
      whitening: w,
      state: { side: "rows", vectorsT: eig.vectorsT, stack: S },
    };
  }
  let G: Matrix | undefined;
  let buf: Float32Array | undefined;
  for (const e of src.experts) {
    throwIfAborted(opts.signal, "mole");
    const W = await src.read(e, buf);
    buf = W.data;
    G = gram(W, { trans: !src.transposed, into: G, beta: G ? 1 : 0 });
  }
  if (w) G = matmul(matmul(w.L, G!, { transA: true }), w.L);
  const eig = symmetricEigen(G!);
  const spectrum = spectrumOf(eig.values, d, false);
  return {
    source: src,
    spectrum,
    total: sum(spectrum),
    whitening: w,
    state: { side: "cols", vectorsT: eig.vectorsT },
  };
}

/** Pass 1 of the exact and randomized methods: the SVD of the stacked (whitened) group. */
export async function svdBasis(
  src: GroupSource,
  opts: BasisOptions & {
    randomized?: { rank: number; oversample: number; powerIterations: number; seed: number };
  },
): Promise<GroupBasis> {
  const S = await stack(src, opts.whitening ?? null, opts.signal);
  const total = sumOfSquares(S.data);
  const r = opts.randomized
    ? randomizedSvd(S, Math.min(opts.randomized.rank, S.rows, S.cols), {
        oversample: opts.randomized.oversample,
        powerIterations: opts.randomized.powerIterations,
        seed: opts.randomized.seed,
        signal: opts.signal,
      })
    : svd(S);
  const spectrum = spectrumOf(r.S, r.S.length, true);
  return {
    source: src,
    spectrum,
    total,
    whitening: opts.whitening ?? null,
    state: { side: "svd", U: r.U, S: r.S, Vt: r.Vt },
  };
}

function sumOfSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function firstRows(M: Matrix, r: number): Matrix {
  return { rows: r, cols: M.cols, data: M.data.slice(0, r * M.cols) };
}

/**
 * Pass 2: the factors at rank r, rounded to `dtype`, and their measured error
 * ‖S − A B‖_F / ‖S‖_F over the group (in the plain Frobenius norm, even when calibrated).
 */
export async function finishGroup(
  basis: GroupBasis,
  rank: number,
  dtype: WritableDType,
  opts: { signal?: AbortSignal; where: string },
): Promise<GroupFactors> {
  const src = basis.source;
  const { p, d, transposed } = src;
  const k = src.experts.length;
  const limit = Math.min(
    k * p,
    d,
    basis.state.side === "svd" ? basis.state.S.length : Number.POSITIVE_INFINITY,
  );
  if (!Number.isInteger(rank) || rank < 1 || rank > limit)
    throw new MisuseError({
      where: opts.where,
      what: `rank ${rank} outside 1..${limit}`,
      hint: "choose the rank with a rank rule",
    });
  const w = basis.whitening;
  let B: Matrix;
  /** M such that A^i = W̃^i Mᵀ (cols side); undefined when the latents come straight from U. */
  let M: Matrix | undefined;
  let fromU: Matrix | undefined;
  const st = basis.state;
  if (st.side === "cols") {
    const Vr = firstRows(st.vectorsT, rank); // Ṽ_rᵀ
    B = w ? matmul(Vr, w.Linv) : Vr;
    M = w ? matmul(Vr, w.L, { transB: true }) : Vr;
  } else if (st.side === "rows") {
    const Ur = firstRows(st.vectorsT, rank); // U_rᵀ (r × kp)
    // B = U_rᵀ S with the unwhitened stack: A B = U_r U_rᵀ S (the projection chosen in the whitened norm).
    const S = w ? matmul(st.stack, w.Linv) : st.stack;
    B = matmul(Ur, S);
    fromU = Ur;
  } else {
    const Vr = firstRows(st.Vt, rank);
    B = w ? matmul(Vr, w.Linv) : Vr;
    const US: Matrix = { rows: st.U.rows, cols: rank, data: new Float32Array(st.U.rows * rank) };
    for (let i = 0; i < st.U.rows; i++)
      for (let j = 0; j < rank; j++) US.data[i * rank + j] = st.U.data[i * st.U.cols + j]! * st.S[j]!;
    fromU = transpose(US); // r × kp
  }
  roundTo(B.data, dtype);
  const latents: Matrix[] = [];
  let errSq = 0;
  let normSq = 0;
  let buf: Float32Array | undefined;
  for (const [i, e] of src.experts.entries()) {
    throwIfAborted(opts.signal, "mole");
    const W = await src.read(e, buf);
    buf = W.data;
    let A: Matrix;
    if (fromU) {
      const block: Matrix = { rows: rank, cols: p, data: new Float32Array(rank * p) };
      for (let j = 0; j < rank; j++)
        block.data.set(fromU.data.subarray(j * fromU.cols + i * p, j * fromU.cols + (i + 1) * p), j * p);
      A = transposed ? block : transpose(block);
    } else A = transposed ? matmul(M!, W) : matmul(W, M!, { transB: true });
    roundTo(A.data, dtype);
    latents.push(A);
    normSq += sumOfSquares(W.data);
    // residual in place: W ← W − A B (gate/up) or W − Bᵀ A (down)
    if (transposed) getBackend().gemm(true, false, B, A, -1, 1, W);
    else getBackend().gemm(false, false, A, B, -1, 1, W);
    errSq += sumOfSquares(W.data);
  }
  let kept = 0;
  for (let i = 0; i < Math.min(rank, basis.spectrum.length); i++) kept += basis.spectrum[i]!;
  const total = basis.total;
  return {
    rank,
    B,
    latents,
    relativeError: normSq === 0 ? 0 : Math.sqrt(errSq / normSq),
    normSquared: normSq,
    errorSquared: errSq,
    predictedRelativeError: total === 0 ? 0 : Math.sqrt(Math.max(total - kept, 0) / total),
    energy: total === 0 ? 1 : Math.min(1, kept / total),
  };
}
