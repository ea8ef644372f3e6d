/** Shape checks shared by the backends: misuse (wrong shapes) is a MisuseError naming the operands. */
import { MisuseError } from "../../errors/index.js";
import { checkMatrix, type Matrix } from "./matrix.js";

/** The sizes of a product op(A) (M×K) · op(B) (K×N). */
export interface GemmShape {
  M: number;
  N: number;
  K: number;
}

/** Checks the operands of a gemm (and C when given) and returns M, N, K; MisuseError on a mismatch. */
export function gemmShape(transA: boolean, transB: boolean, A: Matrix, B: Matrix, C?: Matrix): GemmShape {
  checkMatrix(A, "gemm: A");
  checkMatrix(B, "gemm: B");
  const M = transA ? A.cols : A.rows;
  const K = transA ? A.rows : A.cols;
  const Kb = transB ? B.cols : B.rows;
  const N = transB ? B.rows : B.cols;
  if (K !== Kb) {
    throw new MisuseError({
      where: "gemm",
      what: `inner dimensions differ: op(A) is ${M}×${K}, op(B) is ${Kb}×${N}`,
      hint: "check the transpose flags and shapes",
    });
  }
  if (C) {
    checkMatrix(C, "gemm: C");
    if (C.rows !== M || C.cols !== N) {
      throw new MisuseError({
        where: "gemm",
        what: `C is ${C.rows}×${C.cols}, result is ${M}×${N}`,
        hint: "pass a C of the result's shape",
      });
    }
  }
  return { M, N, K };
}
