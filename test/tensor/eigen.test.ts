import { describe, expect, it } from "vitest";
import {
  backendByName,
  float32Source,
  gram,
  type LinalgBackend,
  matmul,
  openCheckpoint,
  randn,
  symmetricEigen,
  transpose,
  writeCheckpointShards,
} from "../../src/tensor/index.js";
import { loadNative } from "../../src/tensor/linalg/native.js";
import { expectAllClose, expectClose } from "../helpers/tolerance.js";
import { withTempDir } from "./helpers.js";

const backends: LinalgBackend[] = [backendByName("ts")];
if (loadNative().addon) backends.push(backendByName("native"));

describe.each(backends.map((b) => [b.name, b] as const))("symmetric kernels (%s)", (_name, b) => {
  it("gram is AᵀA or AAᵀ, symmetric, and accumulates with beta", () => {
    const A = randn(37, 11, 4);
    const G = gram(A, { backend: b });
    const ref = matmul(A, A, { transA: true, backend: backendByName("ts") });
    expectAllClose(G.data, ref.data, { rel: 1e-5, abs: 1e-4 });
    for (let i = 0; i < 11; i++)
      for (let j = 0; j < 11; j++) expect(G.data[i * 11 + j]).toBe(G.data[j * 11 + i]);
    const H = gram(A, { backend: b, trans: false });
    expect([H.rows, H.cols]).toEqual([37, 37]);
    expectAllClose(H.data, matmul(A, A, { transB: true }).data, { rel: 1e-5, abs: 1e-4 });
    gram(A, { backend: b, into: G, alpha: 2 });
    expectAllClose(
      G.data,
      ref.data.map((x) => 3 * x),
      { rel: 1e-5, abs: 1e-4 },
    );
  });

  it("symmetricEigen returns descending eigenvalues and orthonormal eigenvectors with A v = λ v", () => {
    const n = 24;
    // A = Q diag(λ) Qᵀ with known λ (some negative, one repeated).
    const lambda = Array.from({ length: n }, (_, i) => (i === 5 ? 7 : 10 - i * 0.75));
    const Q = matmul(randn(n, n, 9), randn(n, n, 10)); // a random basis, orthonormalized below
    const { Q: O } = b.qr(Q);
    const scaled = { rows: n, cols: n, data: O.data.slice() };
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scaled.data[i * n + j]! *= lambda[j]!;
    const A = matmul(scaled, O, { transB: true });
    const e = symmetricEigen(A, { backend: b });
    expectAllClose(
      e.values,
      [...lambda].sort((x, y) => y - x),
      { abs: 1e-4, rel: 1e-4 },
    );
    const V = transpose(e.vectorsT);
    const AV = matmul(A, V);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        expectClose(AV.data[i * n + j]!, e.values[j]! * V.data[i * n + j]!, { abs: 1e-4 });
    const VtV = matmul(V, V, { transA: true });
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expectClose(VtV.data[i * n + j]!, i === j ? 1 : 0, { abs: 1e-5 });
  });
});

describe("checkpoint additions", () => {
  it("readFloat32Range reads a slice of a tensor in any dtype", async () => {
    await withTempDir(async (dir) => {
      const data = randn(6, 5, 2).data;
      const out = `${dir}/ck`;
      await writeCheckpointShards(out, [
        { tensors: () => [float32Source("a", [2, 3, 5], data, "BF16")] },
        { tensors: async () => [float32Source("b", [6, 5], data, "F32")] },
      ]);
      const ck = await openCheckpoint(out);
      expect(ck.shards.map((s) => s.file)).toEqual([
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
      ]);
      const whole = await ck.readFloat32("a");
      expect(Array.from(await ck.readFloat32Range("a", 15, 10))).toEqual(Array.from(whole.subarray(15, 25)));
      expect(Array.from(await ck.readFloat32Range("b", 5, 5))).toEqual(Array.from(data.subarray(5, 10)));
      await expect(ck.readFloat32Range("b", 28, 5)).rejects.toThrow(/outside the tensor's 30/);
      await ck.close();
    });
  });

  it("writeCheckpointShards refuses a name given in two shards and leaves no folder", async () => {
    await withTempDir(async (dir) => {
      const t = float32Source("a", [1], new Float32Array(1));
      await expect(
        writeCheckpointShards(`${dir}/x`, [{ tensors: () => [t] }, { tensors: () => [t] }]),
      ).rejects.toThrow(/given twice/);
      const { readdirSync } = await import("node:fs");
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
