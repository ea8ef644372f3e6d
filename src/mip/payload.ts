/**
 * The solver-neutral form a model travels in (to a worker thread and to the adapter):
 * CSR arrays of typed numbers, cheap to post between threads.
 */
import type { Model } from "./model.js";

/** A model as CSR arrays (what travels to the worker and the adapter). */
export interface ModelPayload {
  kind: "arrays";
  name: string;
  sense: "minimize" | "maximize";
  offset: number;
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  /** 0 continuous, 1 integer (binaries are integers in [0, 1]). */
  integrality: Int32Array;
  colNames: string[];
  rowNames: string[];
}

/** LP or MPS text handed to the solver as is. */
export interface TextPayload {
  kind: "text";
  format: "lp" | "mps";
  data: string | Uint8Array;
}

/** What the adapter solves. */
export type SolverInput = ModelPayload | TextPayload;

/** A model as CSR arrays. */
export function toPayload(m: Model): ModelPayload {
  const n = m.numVars;
  const colCost = new Float64Array(n);
  for (const [i, c] of m.objective.terms) colCost[i] = c;
  const nnz = m.numNonzeros;
  const starts = new Int32Array(m.numConstraints + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  m.rows.forEach((r, i) => {
    starts[i] = k;
    indices.set(r.indices, k);
    values.set(r.values, k);
    k += r.indices.length;
  });
  starts[m.numConstraints] = k;
  return {
    kind: "arrays",
    name: m.name,
    sense: m.sense,
    offset: m.objective.constant,
    numCols: n,
    numRows: m.numConstraints,
    colCost,
    colLower: Float64Array.from(m.columns, (c) => c.lb),
    colUpper: Float64Array.from(m.columns, (c) => c.ub),
    rowLower: Float64Array.from(m.rows, (r) => r.lower),
    rowUpper: Float64Array.from(m.rows, (r) => r.upper),
    starts,
    indices,
    values,
    integrality: Int32Array.from(m.columns, (c) => (c.type === "continuous" ? 0 : 1)),
    colNames: m.columns.map((c) => c.name),
    rowNames: m.rows.map((r) => r.name),
  };
}
