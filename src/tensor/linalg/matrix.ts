/** Dense row-major Float32 matrices with explicit shapes, and small helpers over them. */
import { MisuseError } from "../../errors/index.js";
import { mulberry32 } from "../../util/random.js";

/** A dense row-major Float32 matrix: `data.length === rows * cols`. */
export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major: element (i, j) is data[i * cols + j]. */
  data: Float32Array;
}

/** A rows×cols matrix over `data` (not copied), or zeros; MisuseError on a bad shape or a data length that does not match. */
export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
    throw new MisuseError({
      where: "matrix",
      what: `bad shape ${rows}×${cols}`,
      hint: "use non-negative integers",
    });
  }
  if (data && data.length !== rows * cols) {
    throw new MisuseError({
      where: "matrix",
      what: `data has ${data.length} elements, ${rows}×${cols} needs ${rows * cols}`,
      hint: "pass matching data",
    });
  }
  return { rows, cols, data: data ?? new Float32Array(rows * cols) };
}

/** Throws MisuseError naming `where` unless `m.data` is a Float32Array of exactly rows·cols elements. */
export function checkMatrix(m: Matrix, where: string): void {
  if (!(m.data instanceof Float32Array) || m.data.length !== m.rows * m.cols) {
    throw new MisuseError({
      where,
      what: `matrix ${m.rows}×${m.cols} has ${m.data?.length} elements`,
      hint: "data must be a Float32Array of rows·cols",
    });
  }
}

/** The n×n identity matrix. */
export function identity(n: number): Matrix {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Aᵀ as a new matrix (cache-blocked copy). */
export function transpose(a: Matrix): Matrix {
  const { rows, cols, data } = a;
  const out = new Float32Array(rows * cols);
  const B = 64;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = data[i * cols + j]!;
    }
  }
  return { rows: cols, cols: rows, data: out };
}

/** A copy of `a` with its own data. */
export function clone(a: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** Columns [c0, c1) as a new matrix. */
export function sliceCols(a: Matrix, c0: number, c1: number): Matrix {
  const w = c1 - c0;
  const out = new Float32Array(a.rows * w);
  for (let i = 0; i < a.rows; i++) out.set(a.data.subarray(i * a.cols + c0, i * a.cols + c1), i * w);
  return { rows: a.rows, cols: w, data: out };
}

/** Rows [r0, r1) as a new matrix. */
export function sliceRows(a: Matrix, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, cols: a.cols, data: a.data.slice(r0 * a.cols, r1 * a.cols) };
}

/** Stacks matrices with equal column counts vertically. */
export function vstack(parts: readonly Matrix[]): Matrix {
  const [first] = parts;
  if (!first)
    throw new MisuseError({ where: "vstack", what: "nothing to stack", hint: "pass at least one matrix" });
  const { cols } = first;
  let rows = 0;
  for (const p of parts) {
    if (p.cols !== cols)
      throw new MisuseError({
        where: "vstack",
        what: `column counts differ (${cols} vs ${p.cols})`,
        hint: "stack matrices of one width",
      });
    rows += p.rows;
  }
  const out = new Float32Array(rows * cols);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return { rows, cols, data: out };
}

/** A matrix of independent standard normal entries (Box–Muller), reproducible by seed. */
export function randn(rows: number, cols: number, seed = 1): Matrix {
  const r = mulberry32(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - r();
    const v = r();
    const rad = Math.sqrt(-2 * Math.log(u));
    out[i] = rad * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = rad * Math.sin(2 * Math.PI * v);
  }
  return { rows, cols, data: out };
}

/** Scales column j of `a` by s[j] in place. */
export function scaleCols(a: Matrix, s: ArrayLike<number>): Matrix {
  for (let i = 0; i < a.rows; i++) {
    const o = i * a.cols;
    for (let j = 0; j < a.cols; j++) a.data[o + j] = a.data[o + j]! * s[j]!;
  }
  return a;
}
