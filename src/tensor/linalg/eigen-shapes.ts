/** Shape checks of the symmetric kernels (syrk, symEig): misuse is a MisuseError naming the operands. */
import { MisuseError } from "../../errors/index.js";
import { checkMatrix, type Matrix } from "./matrix.js";

/** N (the Gram's order) and K (the summed dimension) of C ← AᵀA (`trans`) or AAᵀ. */
export function syrkShape(trans: boolean, A: Matrix, C?: Matrix): { N: number; K: number } {
  checkMatrix(A, "syrk: A");
  const N = trans ? A.cols : A.rows;
  const K = trans ? A.rows : A.cols;
  if (C) {
    checkMatrix(C, "syrk: C");
    if (C.rows !== N || C.cols !== N)
      throw new MisuseError({
        where: "syrk",
        what: `C is ${C.rows}×${C.cols}, the Gram matrix is ${N}×${N}`,
        hint: "pass a square C of the Gram's order",
      });
  }
  return { N, K };
}

/** The order of a square matrix; a MisuseError otherwise. */
export function checkSquare(A: Matrix, where: string): number {
  checkMatrix(A, where);
  if (A.rows !== A.cols)
    throw new MisuseError({
      where,
      what: `the matrix is ${A.rows}×${A.cols}`,
      hint: "pass a square symmetric matrix",
    });
  return A.rows;
}
