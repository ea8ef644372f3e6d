/**
 * The MoE layer forward pass, original and MoLE, on the rows of X (tokens × d):
 *   y = Σ_{e ∈ topk(x)} w_e(x) · E_e(x) + g(x) · E_shared(x),
 *   E(x) = W_down (SiLU(W_gate x) ⊙ W_up x)                      (SwiGLU; Shazeer 2020)
 * with g(x) = sigmoid(w_g · x) for Qwen2-MoE's shared_expert_gate and 1 for DeepSeek's shared
 * experts. The MoLE pass computes the shared latent B_g x once per group for every token that
 * reaches the group, then each chosen expert applies only its A^i; with a latent down projection
 * the weighted expert outputs are summed in the latent space and C_g is applied once per group.
 * Experts are loaded one at a time, so memory stays at one expert's matrices.
 */
import { type Matrix, matmul } from "../tensor/index.js";
import type { Kind } from "./layout.js";
import { type Routing, tokensByExpert } from "./routing.js";

/** One SwiGLU expert: gate and up are p×d, down is d×p. */
export interface DenseExpert {
  gate: Matrix;
  up: Matrix;
  down: Matrix;
}

/** The shared expert(s) of a layer and the optional sigmoid gate (1×d). */
export interface SharedExpert extends DenseExpert {
  gateVector: Matrix | null;
}

/** Rows `idx` of X as a new matrix. */
export function gatherRows(X: Matrix, idx: readonly number[]): Matrix {
  const out = new Float32Array(idx.length * X.cols);
  for (const [i, t] of idx.entries()) out.set(X.data.subarray(t * X.cols, (t + 1) * X.cols), i * X.cols);
  return { rows: idx.length, cols: X.cols, data: out };
}

/** SiLU(a) ⊙ b, in place into a. */
function siluMul(a: Matrix, b: Matrix): Matrix {
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = (v / (1 + Math.exp(-v))) * y[i]!;
  }
  return a;
}

/** Adds w[i] · M[i] to Y[idx[i]] for every row i. */
function scatterAdd(Y: Matrix, idx: readonly number[], M: Matrix, w?: readonly number[]): void {
  const c = Y.cols;
  for (const [i, t] of idx.entries()) {
    const s = w ? w[i]! : 1;
    const src = M.data.subarray(i * c, (i + 1) * c);
    const dst = Y.data.subarray(t * c, (t + 1) * c);
    for (let j = 0; j < c; j++) dst[j] = dst[j]! + s * src[j]!;
  }
}

/** SwiGLU of the rows of X: (SiLU(X W_gateᵀ) ⊙ X W_upᵀ) W_downᵀ. */
export function swiglu(X: Matrix, e: DenseExpert): Matrix {
  const h = siluMul(matmul(X, e.gate, { transB: true }), matmul(X, e.up, { transB: true }));
  return matmul(h, e.down, { transB: true });
}

function addShared(X: Matrix, Y: Matrix, shared: SharedExpert | null): void {
  if (!shared) return;
  const out = swiglu(X, shared);
  if (shared.gateVector) {
    const g = matmul(X, shared.gateVector, { transB: true });
    for (let t = 0; t < X.rows; t++) {
      const s = 1 / (1 + Math.exp(-g.data[t]!));
      for (let j = 0; j < Y.cols; j++) out.data[t * Y.cols + j]! *= s;
    }
  }
  scatterAdd(
    Y,
    Array.from({ length: X.rows }, (_, t) => t),
    out,
  );
}

/** The original MoE layer: routed SwiGLU experts plus the shared expert. */
export async function moeForward(
  X: Matrix,
  routing: Routing,
  experts: number,
  load: (e: number) => Promise<DenseExpert>,
  shared: SharedExpert | null,
): Promise<Matrix> {
  const Y: Matrix = { rows: X.rows, cols: X.cols, data: new Float32Array(X.rows * X.cols) };
  for (const [e, { tokens, weights }] of tokensByExpert(routing, experts).entries()) {
    if (tokens.length === 0) continue;
    scatterAdd(Y, tokens, swiglu(gatherRows(X, tokens), await load(e)), weights);
  }
  addShared(X, Y, shared);
  return Y;
}

/** The weights of a MoLE layer, loaded on demand. */
export interface MoleLayerWeights {
  /** Expert indices of each group. */
  groups: readonly (readonly number[])[];
  /** Which kinds are latent (the others are the original dense matrices). */
  latent: Readonly<Record<Kind, boolean>>;
  /** B_g (r×d) for gate/up, C_g (d×r) for down. */
  sharedLatent(kind: Kind, group: number): Promise<Matrix>;
  /** A^e: p×r for gate/up, r×p for down. */
  expertLatent(kind: Kind, expert: number): Promise<Matrix>;
  /** The original matrix of a kind that was not converted (p×d or d×p). */
  expertDense(kind: Kind, expert: number): Promise<Matrix>;
}

/** The MoLE layer: latent B_g x once per group, each expert's A^i, latent down summed before C_g. */
export async function moleForward(
  X: Matrix,
  routing: Routing,
  experts: number,
  w: MoleLayerWeights,
  shared: SharedExpert | null,
): Promise<Matrix> {
  const Y: Matrix = { rows: X.rows, cols: X.cols, data: new Float32Array(X.rows * X.cols) };
  const byExpert = tokensByExpert(routing, experts);
  for (const [g, members] of w.groups.entries()) {
    const reached = [...new Set(members.flatMap((e) => byExpert[e]!.tokens))].sort((a, b) => a - b);
    if (reached.length === 0) continue;
    const row = new Map(reached.map((t, i) => [t, i]));
    const Xg = gatherRows(X, reached);
    const Z: Partial<Record<Kind, Matrix>> = {};
    for (const kind of ["gate", "up"] as const)
      if (w.latent[kind]) Z[kind] = matmul(Xg, await w.sharedLatent(kind, g), { transB: true });
    const r = w.latent.down ? (await w.sharedLatent("down", g)).cols : 0;
    const latentOut: Matrix = { rows: reached.length, cols: r, data: new Float32Array(reached.length * r) };
    for (const e of members) {
      const { tokens, weights } = byExpert[e]!;
      if (tokens.length === 0) continue;
      const local = tokens.map((t) => row.get(t)!);
      const proj = async (kind: "gate" | "up") =>
        w.latent[kind]
          ? matmul(gatherRows(Z[kind]!, local), await w.expertLatent(kind, e), { transB: true })
          : matmul(gatherRows(Xg, local), await w.expertDense(kind, e), { transB: true });
      const h = siluMul(await proj("gate"), await proj("up"));
      if (w.latent.down)
        scatterAdd(latentOut, local, matmul(h, await w.expertLatent("down", e), { transB: true }), weights);
      else scatterAdd(Y, tokens, matmul(h, await w.expertDense("down", e), { transB: true }), weights);
    }
    if (w.latent.down)
      scatterAdd(Y, reached, matmul(latentOut, await w.sharedLatent("down", g), { transB: true }));
  }
  addShared(X, Y, shared);
  return Y;
}
