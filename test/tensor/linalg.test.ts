import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MisuseError } from "../../src/errors/index.js";
import {
  backendByName,
  frobeniusNorm,
  type LinalgBackend,
  type Matrix,
  matmul,
  qr,
  randn,
  randomizedSvd,
  reconstruct,
  relativeError,
  singularValueThreshold,
  spectralNorm,
  svd,
  transpose,
  truncatedSvd,
} from "../../src/tensor/index.js";
import { loadNative } from "../../src/tensor/linalg/native.js";
import { tsBackend } from "../../src/tensor/linalg/ts/index.js";
import { expectAllClose, expectClose } from "../helpers/tolerance.js";

const native = loadNative();
if (process.env.FRUGAL_REQUIRE_NATIVE === "1" && !native.addon) {
  throw new Error(`FRUGAL_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.status.reason}`);
}
const backends: LinalgBackend[] = [tsBackend, ...(native.addon ? [backendByName("native")] : [])];

/** Reference product in Float64. */
function naive(A: Matrix, B: Matrix, ta: boolean, tb: boolean): Float64Array {
  const a = ta ? transpose(A) : A;
  const b = tb ? transpose(B) : B;
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const x = a.data[i * a.cols + k]!;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j]! += x * b.data[k * b.cols + j]!;
    }
  return out;
}

/** max |QᵀQ − I|. */
function orthError(Q: Matrix, b: LinalgBackend): number {
  const G = matmul(Q, Q, { transA: true, backend: b });
  let e = 0;
  for (let i = 0; i < G.rows; i++)
    for (let j = 0; j < G.cols; j++) e = Math.max(e, Math.abs(G.data[i * G.cols + j]! - (i === j ? 1 : 0)));
  return e;
}

/** A = U0 diag(s) V0ᵀ with random orthonormal U0 (m×k), V0 (n×k). */
function constructed(m: number, n: number, s: number[], seed = 1): { A: Matrix; U0: Matrix; V0: Matrix } {
  const k = s.length;
  const U0 = tsBackend.qr(randn(m, k, seed)).Q;
  const V0 = tsBackend.qr(randn(n, k, seed + 1)).Q;
  const US = { rows: m, cols: k, data: U0.data.slice() };
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) US.data[i * k + j]! *= s[j]!;
  return { A: tsBackend.gemm(false, true, US, V0), U0, V0 };
}

describe.each(backends.map((b) => [b.name, b] as const))("%s backend", (_name, b) => {
  it("gemm matches a Float64 reference for every transpose combination", () => {
    for (const [m, n, k] of [
      [37, 23, 19],
      [1, 5, 3],
      [64, 64, 64],
      [5, 1, 130],
    ] as const) {
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const A = ta ? randn(k, m, 3) : randn(m, k, 3);
          const B = tb ? randn(n, k, 4) : randn(k, n, 4);
          const C = b.gemm(ta, tb, A, B);
          expect([C.rows, C.cols]).toEqual([m, n]);
          expectAllClose(C.data, naive(A, B, ta, tb), { rel: 1e-4, abs: 1e-4 });
        }
    }
  });

  it("gemm honours alpha, beta and C", () => {
    const A = randn(6, 4, 1);
    const B = randn(4, 5, 2);
    const C = randn(6, 5, 3);
    const c0 = C.data.slice();
    b.gemm(false, false, A, B, 2, 0.5, C);
    const ref = naive(A, B, false, false);
    expectAllClose(
      C.data,
      ref.map((x, i) => 2 * x + 0.5 * c0[i]!),
      { rel: 1e-5, abs: 1e-5 },
    );
  });

  it("gemm rejects mismatched shapes with a MisuseError", () => {
    expect(() => b.gemm(false, false, randn(3, 4), randn(5, 2))).toThrow(MisuseError);
    expect(() => b.gemm(false, false, randn(3, 4), randn(4, 2), 1, 0, randn(2, 2))).toThrow(
      /C is 2×2, result is 3×2/,
    );
  });

  it("gemm: property test against the reference on random small shapes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        (m, n, k, ta, tb, seed) => {
          const A = ta ? randn(k, m, seed) : randn(m, k, seed);
          const B = tb ? randn(n, k, seed + 9) : randn(k, n, seed + 9);
          const C = b.gemm(ta, tb, A, B);
          const ref = naive(A, B, ta, tb);
          return C.data.every((x, i) => Math.abs(x - ref[i]!) <= 1e-4 * (1 + Math.abs(ref[i]!)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("QR: orthonormal Q, upper-triangular R, Q·R = A (tall, wide, square)", () => {
    for (const [m, n] of [
      [120, 40],
      [40, 120],
      [50, 50],
      [7, 1],
    ] as const) {
      const A = randn(m, n, m + n);
      const { Q, R } = qr(A, { backend: b });
      const k = Math.min(m, n);
      expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([m, k, k, n]);
      expect(orthError(Q, b)).toBeLessThan(2e-5);
      for (let i = 0; i < k; i++) for (let j = 0; j < Math.min(i, n); j++) expect(R.data[i * n + j]).toBe(0);
      expect(relativeError(A, matmul(Q, R, { backend: b }))).toBeLessThan(2e-6);
    }
  });

  it("SVD recovers the singular values and factors of constructed matrices", () => {
    const s = [50, 20, 10, 5, 2, 1, 0.5, 0.1];
    for (const [m, n] of [
      [90, 8],
      [8, 90],
      [60, 60],
    ] as const) {
      const sv = m === n ? [...s, ...Array.from({ length: 52 }, (_, i) => 0.05 / (i + 1))] : s;
      const { A } = constructed(m, n, sv, m * 7 + n);
      const r = svd(A, { backend: b });
      const k = Math.min(m, n);
      expect([r.U.rows, r.U.cols, r.S.length, r.Vt.rows, r.Vt.cols]).toEqual([m, k, k, k, n]);
      // backward-stable bound: |σ̂ − σ| ≤ c·ε·σ_max (ε = 6e-8, σ_max = 50)
      expectAllClose(r.S, sv, { rel: 1e-4, abs: 1e-4 });
      expect(orthError(r.U, b)).toBeLessThan(5e-5);
      expect(orthError(transpose(r.Vt), b)).toBeLessThan(5e-5);
      expect(relativeError(A, reconstruct(r, { backend: b }))).toBeLessThan(5e-6);
    }
  });

  it("SVD of a rank-deficient matrix: zero singular values, still orthonormal factors", () => {
    const { A } = constructed(40, 30, [3, 2, 1], 11);
    const r = svd(A, { backend: b });
    expectAllClose(r.S.slice(0, 3), [3, 2, 1], { rel: 1e-5 });
    for (let i = 3; i < 30; i++) expect(r.S[i]!).toBeLessThan(1e-5);
    expect(orthError(r.U, b)).toBeLessThan(5e-5);
    expect(orthError(transpose(r.Vt), b)).toBeLessThan(5e-5);
  });

  it("randomized SVD matches the exact leading singular values and is near-optimal (HMT 2011)", () => {
    const s = Array.from({ length: 60 }, (_, i) => 100 * 0.8 ** i);
    const { A } = constructed(300, 160, s, 5);
    const k = 10;
    const r = randomizedSvd(A, k, { backend: b, powerIterations: 2 });
    expect(r.S.length).toBe(k);
    expectAllClose(r.S, s.slice(0, k), { rel: 1e-3 });
    const optimal =
      Math.sqrt(s.slice(k).reduce((a, x) => a + x * x, 0)) / Math.sqrt(s.reduce((a, x) => a + x * x, 0));
    const err = relativeError(A, reconstruct(r, { backend: b }));
    expect(err).toBeLessThan(optimal * 1.05);
    expect(err).toBeGreaterThan(optimal * 0.95);
    // exact recovery when the rank is at most k
    const lowRank = constructed(200, 120, [9, 7, 5, 3, 1], 6).A;
    const rl = randomizedSvd(lowRank, 5, { backend: b });
    expect(relativeError(lowRank, reconstruct(rl, { backend: b }))).toBeLessThan(1e-5);
    const t = truncatedSvd(lowRank, 5, { backend: b, method: "randomized" });
    expect(t.method).toBe("randomized");
    expect(() => randomizedSvd(lowRank, 0, { backend: b })).toThrow(/rank 0 is not in 1..120/);
  });

  it("singular value thresholding shrinks singular values by τ (Cai–Candès–Shen, Thm 2.1)", () => {
    const s = [10, 6, 3, 1];
    const { A, U0, V0 } = constructed(30, 20, s, 8);
    const tau = 2.5;
    const r = singularValueThreshold(A, tau, { backend: b });
    expect(r.rank).toBe(3);
    expectAllClose(r.factors.S, [7.5, 3.5, 0.5], { rel: 1e-5 });
    const shr = s.map((x) => Math.max(x - tau, 0));
    const expected = constructed(30, 20, shr, 8).A;
    void U0;
    void V0;
    expect(relativeError(expected, r.matrix)).toBeLessThan(1e-5);
    expect(singularValueThreshold(A, 20, { backend: b }).rank).toBe(0);
  });

  it("norms: Frobenius and spectral on constructed matrices", () => {
    const s = [8, 3, 2, 1];
    const { A } = constructed(40, 25, s, 9);
    expectClose(frobeniusNorm(A), Math.sqrt(64 + 9 + 4 + 1), { rel: 1e-5 });
    expectClose(spectralNorm(A, { backend: b }), 8, { rel: 1e-4 });
    expectClose(spectralNorm(A, { backend: b, method: "exact" }), 8, { rel: 1e-5 });
  });
});

describe.skipIf(!native.addon)("native and TS backends agree", () => {
  it("on gemm, QR (up to column signs) and SVD", () => {
    const nat = backendByName("native");
    const A = randn(80, 50, 21);
    const B = randn(50, 30, 22);
    expectAllClose(nat.gemm(false, false, A, B).data, tsBackend.gemm(false, false, A, B).data, {
      rel: 1e-4,
      abs: 1e-4,
    });
    const r1 = nat.qr(A).R;
    const r2 = tsBackend.qr(A).R;
    for (let i = 0; i < 50; i++)
      expectClose(Math.abs(r1.data[i * 50 + i]!), Math.abs(r2.data[i * 50 + i]!), { rel: 1e-4 });
    expectAllClose(nat.svd(A).S, tsBackend.svd(A).S, { rel: 1e-4, abs: 1e-5 });
  });
});

describe("TS gemm on worker threads", () => {
  it("splits rows across threads and gives exactly the single-thread result", async () => {
    const { setTsGemmThreads, tsGemmThreads } = await import("../../src/tensor/linalg/ts/index.js");
    const before = tsGemmThreads();
    try {
      // 1001 rows (not divisible by the thread count), transposed operands, alpha and beta.
      const A = randn(300, 1001, 11);
      const B = randn(256, 300, 12);
      const C0 = randn(1001, 256, 13);
      setTsGemmThreads(1);
      const one = tsBackend.gemm(true, true, A, B, 0.5, 2, { ...C0, data: C0.data.slice() });
      for (const threads of [2, 3]) {
        setTsGemmThreads(threads);
        const many = tsBackend.gemm(true, true, A, B, 0.5, 2, { ...C0, data: C0.data.slice() });
        expect(tsBackend.threads()).toBe(threads);
        expect(Array.from(many.data)).toEqual(Array.from(one.data));
      }
    } finally {
      setTsGemmThreads(before);
    }
  });
});
