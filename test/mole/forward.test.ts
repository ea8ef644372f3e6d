/**
 * The MoE layer forward against a straightforward per-token reference written here from the
 * model sources (transformers' Mixtral/Qwen2-MoE/Qwen3-MoE blocks, DeepSeek's MoEGate), and the
 * MoLE latent forward against the MoE forward of the expanded weights.
 */
import { describe, expect, it } from "vitest";
import {
  type DenseExpert,
  type MoleLayerWeights,
  moeForward,
  moleForward,
  type RoutingSpec,
  route,
  type SharedExpert,
} from "../../src/mole/index.js";
import { type Matrix, matmul, randn } from "../../src/tensor/index.js";
import { expectAllClose } from "../helpers/tolerance.js";

const silu = (x: number) => x / (1 + Math.exp(-x));
const row = (M: Matrix, i: number) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols));
const mv = (M: Matrix, x: number[]) =>
  Array.from({ length: M.rows }, (_, i) => row(M, i).reduce((a, v, j) => a + v * x[j]!, 0));
function expertRef(e: DenseExpert, x: number[]): number[] {
  const g = mv(e.gate, x);
  const u = mv(e.up, x);
  return mv(
    e.down,
    g.map((v, i) => silu(v) * u[i]!),
  );
}

/** The reference MoE block for one token, written straight from the model sources. */
function referenceToken(
  x: number[],
  R: Matrix,
  spec: RoutingSpec,
  experts: DenseExpert[],
  shared: SharedExpert | null,
  bias: number[] | null,
): number[] {
  const logits = mv(R, x);
  const E = logits.length;
  let scores: number[];
  if (spec.scoring === "softmax") {
    const m = Math.max(...logits);
    const ex = logits.map((v) => Math.exp(v - m));
    const s = ex.reduce((a, b) => a + b, 0);
    scores = ex.map((v) => v / s);
  } else scores = logits.map((v) => 1 / (1 + Math.exp(-v)));
  let choice = scores.map((s, i) => s + (spec.method === "noaux_tc" && bias ? bias[i]! : 0));
  if (spec.groups && spec.method !== "greedy") {
    const size = E / spec.groups.count;
    const gs = Array.from({ length: spec.groups.count }, (_, g) => {
      const v = choice.slice(g * size, (g + 1) * size).sort((a, b) => b - a);
      return spec.method === "noaux_tc" ? v[0]! + v[1]! : v[0]!;
    });
    const keep = gs
      .map((s, g) => [s, g] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, spec.groups.topK)
      .map(([, g]) => g);
    choice = choice.map((c, i) => (keep.includes(Math.floor(i / size)) ? c : 0));
  }
  const top = choice
    .map((c, i) => [c, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, spec.topK)
    .map(([, i]) => i);
  let w = top.map((i) => scores[i]!);
  if (spec.normalize) {
    const s = w.reduce((a, b) => a + b, 0);
    w = w.map((v) => v / s);
  }
  if (spec.scalingWhen === "always" || (spec.scalingWhen === "unnormalized" && !spec.normalize))
    w = w.map((v) => v * spec.scaling);
  const y = new Array<number>(x.length).fill(0);
  for (const [j, i] of top.entries()) expertRef(experts[i]!, x).forEach((v, k) => (y[k]! += w[j]! * v));
  if (shared) {
    const gate = shared.gateVector ? 1 / (1 + Math.exp(-mv(shared.gateVector, x)[0]!)) : 1;
    expertRef(shared, x).forEach((v, k) => (y[k]! += gate * v));
  }
  return y;
}

const d = 12;
const p = 6;
const E = 8;
const n = 40;
const experts: DenseExpert[] = Array.from({ length: E }, (_, e) => ({
  gate: randn(p, d, 10 + e),
  up: randn(p, d, 30 + e),
  down: randn(d, p, 50 + e),
}));
const X = randn(n, d, 3);
const R = randn(E, d, 4);
const sharedGated: SharedExpert = {
  gate: randn(2 * p, d, 5),
  up: randn(2 * p, d, 6),
  down: randn(d, 2 * p, 7),
  gateVector: randn(1, d, 8),
};
const bias = Array.from(randn(1, E, 9).data, (v) => 0.1 * v);

const base = { method: "greedy", scaling: 1, scalingWhen: "never", groups: null, source: "test" } as const;
const specs: [string, RoutingSpec, SharedExpert | null][] = [
  ["Mixtral: softmax, top-2 renormalized", { ...base, scoring: "softmax", normalize: true, topK: 2 }, null],
  [
    "Qwen2-MoE: softmax top-4 unnormalized, shared expert with sigmoid gate",
    { ...base, scoring: "softmax", normalize: false, topK: 4 },
    sharedGated,
  ],
  ["Qwen3-MoE: softmax top-3 renormalized", { ...base, scoring: "softmax", normalize: true, topK: 3 }, null],
  [
    "DeepSeek-MoE: softmax top-3, shared experts ungated",
    { ...base, scoring: "softmax", normalize: false, topK: 3 },
    { ...sharedGated, gateVector: null },
  ],
  [
    "DeepSeek-V2: group-limited greedy, scaled when unnormalized",
    {
      ...base,
      scoring: "softmax",
      normalize: false,
      topK: 2,
      method: "group_limited_greedy",
      groups: { count: 4, topK: 2 },
      scaling: 1.5,
      scalingWhen: "unnormalized",
    },
    null,
  ],
  [
    "DeepSeek-V3: sigmoid, noaux_tc with bias, renormalized then scaled",
    {
      ...base,
      scoring: "sigmoid",
      normalize: true,
      topK: 2,
      method: "noaux_tc",
      groups: { count: 2, topK: 1 },
      scaling: 2.5,
      scalingWhen: "always",
    },
    { ...sharedGated, gateVector: null },
  ],
];

describe("MoE layer forward", () => {
  it.each(specs)("%s matches the per-token reference", async (_name, spec, shared) => {
    const b = spec.method === "noaux_tc" ? Float32Array.from(bias) : null;
    const routing = route(X, R, spec, b);
    const Y = await moeForward(X, routing, E, async (e) => experts[e]!, shared);
    for (let t = 0; t < n; t++)
      expectAllClose(row(Y, t), referenceToken(row(X, t), R, spec, experts, shared, b ? bias : null), {
        rel: 1e-4,
        abs: 1e-4,
      });
  });

  it("the MoLE forward (B_g x once per group, latent down summed before C_g) equals the MoE forward of A·B", async () => {
    const r = 4;
    const groups = [
      [0, 1, 2],
      [3, 4, 5, 6, 7],
    ];
    const B = {
      gate: groups.map((_, g) => randn(r, d, 100 + g)),
      up: groups.map((_, g) => randn(r, d, 200 + g)),
      down: groups.map((_, g) => randn(d, r, 300 + g)),
    };
    const A = {
      gate: experts.map((_, e) => randn(p, r, 400 + e)),
      up: experts.map((_, e) => randn(p, r, 500 + e)),
      down: experts.map((_, e) => randn(r, p, 600 + e)),
    };
    const groupOf = (e: number) => groups.findIndex((g) => g.includes(e));
    for (const latentDown of [true, false]) {
      const expanded: DenseExpert[] = experts.map((ex, e) => ({
        gate: matmul(A.gate[e]!, B.gate[groupOf(e)]!),
        up: matmul(A.up[e]!, B.up[groupOf(e)]!),
        down: latentDown ? matmul(B.down[groupOf(e)]!, A.down[e]!) : ex.down,
      }));
      const w: MoleLayerWeights = {
        groups,
        latent: { gate: true, up: true, down: latentDown },
        sharedLatent: async (kind, g) => B[kind][g]!,
        expertLatent: async (kind, e) => A[kind][e]!,
        expertDense: async (kind, e) => experts[e]![kind],
      };
      const spec = specs[1]![1];
      const routing = route(X, R, spec);
      const Y = await moeForward(X, routing, E, async (e) => expanded[e]!, sharedGated);
      const Z = await moleForward(X, routing, E, w, sharedGated);
      expectAllClose(Z.data, Y.data, { rel: 1e-3, abs: 1e-3 });
    }
  });

  it("routing weights: renormalized ones sum to 1, unnormalized ones are the softmax probabilities", () => {
    const a = route(X, R, specs[0]![1]);
    for (let t = 0; t < n; t++) expect(a.weights[2 * t]! + a.weights[2 * t + 1]!).toBeCloseTo(1, 6);
    const b = route(X, R, specs[1]![1]);
    for (let t = 0; t < n; t++) {
      const s = Array.from(b.weights.subarray(4 * t, 4 * t + 4)).reduce((x, y) => x + y, 0);
      expect(s).toBeLessThan(1);
      expect(b.weights[4 * t]!).toBeGreaterThanOrEqual(b.weights[4 * t + 1]!);
    }
  });
});
