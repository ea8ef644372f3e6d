/**
 * Data-aware factorization by whitening (the construction of SVD-LLM, Wang et al. 2024,
 * arXiv 2403.07378, §3.1, here with a symmetric square root instead of Cholesky): with the
 * inputs' second-moment matrix C = XᵀX / n (X: tokens × d) made positive definite by damping,
 * C + δI = Q Λ Qᵀ, L = Q Λ^{1/2} (so C + δI = L Lᵀ), the output error of a factorization is
 *   ‖(W − A B) Xᵀ‖_F² = n · ‖(W − A B) L‖_F²  (δ = 0),
 * so the rank-r truncated SVD of the whitened stack S L = Ũ Σ Ṽᵀ gives the optimal A = Ũ_r Σ_r,
 * B = Ṽ_rᵀ L⁻¹ with L⁻¹ = Λ^{-1/2} Qᵀ. δ = damping · mean(diag C) (as GPTQ's `percdamp`) keeps L
 * invertible when the tokens do not span all of R^d.
 */
import { gram, type Matrix, symmetricEigen } from "../tensor/index.js";
import { CalibrationError } from "./errors.js";

/** A whitening transform from calibration inputs. */
export interface Whitening {
  /** L = Q Λ^{1/2} (d×d). */
  L: Matrix;
  /** L⁻¹ = Λ^{-1/2} Qᵀ (d×d). */
  Linv: Matrix;
  tokens: number;
  damping: number;
}

/** The whitening of inputs X (tokens × d). */
export function whitening(X: Matrix, damping: number, where: string): Whitening {
  const d = X.cols;
  const C = gram(X, { alpha: 1 / Math.max(1, X.rows) });
  let mean = 0;
  for (let i = 0; i < d; i++) mean += C.data[i * d + i]!;
  mean /= d;
  if (!(mean > 0))
    throw new CalibrationError({
      where,
      what: "the calibration inputs are all zero",
      hint: "capture the MoE block inputs again (see docs/mole.md, Calibration)",
    });
  const delta = damping * mean;
  const { values, vectorsT } = symmetricEigen(C);
  const L: Matrix = { rows: d, cols: d, data: new Float32Array(d * d) };
  const Linv: Matrix = { rows: d, cols: d, data: new Float32Array(d * d) };
  const floor = 1e-12 * mean;
  for (let i = 0; i < d; i++) {
    const lam = Math.max(values[i]!, 0) + delta;
    const s = Math.sqrt(Math.max(lam, floor));
    for (let j = 0; j < d; j++) {
      const q = vectorsT.data[i * d + j]!; // Q[j][i]
      L.data[j * d + i] = q * s;
      Linv.data[i * d + j] = q / s;
    }
  }
  return { L, Linv, tokens: X.rows, damping };
}
