/**
 * LoRE on planted truth (θ_i = θ0 + rank-r δ_i + noise): recovery against averaging, convergence
 * on the objective (against a long reference run and the duality-gap certificate), and the
 * thresholding kernel against the exact SVD.
 */
import { describe, expect, it } from "vitest";
import { plantedTensors, solveLore, subtractLowRank } from "../../src/merge/index.js";
import { newSvtState, svtSweep } from "../../src/merge/lore/svt.js";
import { randn, singularValueThreshold } from "../../src/tensor/index.js";
import { expectAllClose } from "../helpers/tolerance.js";

function relErr(a: Float32Array, b: Float32Array): number {
  let x = 0;
  let y = 0;
  for (let j = 0; j < a.length; j++) {
    x += (a[j]! - b[j]!) ** 2;
    y += b[j]! ** 2;
  }
  return Math.sqrt(x / y);
}

function planted(noise: number, seed = 3, hidden = 64) {
  const [t] = plantedTensors({ only: ["q_proj"], layers: 1, hidden, noise, seed, rank: 4 });
  return t!;
}

function average(xs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(xs[0]!.length);
  for (const x of xs) for (let j = 0; j < out.length; j++) out[j] = out[j]! + x[j]! / xs.length;
  return out;
}

function denseDeltas(sol: ReturnType<typeof solveLore>, rows: number, cols: number): Float32Array[] {
  return sol.deltas.map((f) => {
    const d = new Float32Array(rows * cols);
    subtractLowRank({ rows, cols, data: d }, f, -1);
    return d;
  });
}

describe("LoRE recovers the planted truth", () => {
  const defaults = { mu: 1, iterations: 100, tolerance: 1e-4 };
  const runs = [0.2, 0.05, 0.01].map((noise) => {
    const t = planted(noise);
    const sol = solveLore(
      64,
      64,
      t.models.map((m) => m.slice()),
      defaults,
    );
    const mean = average(t.models);
    const deltas = denseDeltas(sol, 64, 64);
    return {
      noise,
      theta0: { lore: relErr(sol.theta0, t.theta0), mean: relErr(mean, t.theta0) },
      delta: {
        lore: deltas.reduce((s, d, i) => s + relErr(d, t.deltas[i]!), 0) / deltas.length,
        mean:
          t.models.reduce(
            (s, m, i) =>
              s +
              relErr(
                m.map((v, j) => v - mean[j]!),
                t.deltas[i]!,
              ),
            0,
          ) / t.models.length,
      },
      ranks: sol.ranks,
    };
  });

  it("estimates θ0 and the task vectors better than averaging", () => {
    for (const r of runs) {
      expect(r.theta0.lore, `noise ${r.noise}`).toBeLessThan(0.8 * r.theta0.mean);
      expect(r.delta.lore, `noise ${r.noise}`).toBeLessThan(0.6 * r.delta.mean);
    }
  });

  it("gets better as the noise falls, while averaging does not", () => {
    const [hi, mid, lo] = runs;
    expect(mid!.theta0.lore).toBeLessThan(hi!.theta0.lore);
    expect(lo!.theta0.lore).toBeLessThan(mid!.theta0.lore);
    expect(mid!.delta.lore).toBeLessThan(hi!.delta.lore);
    expect(lo!.delta.lore).toBeLessThan(mid!.delta.lore);
    expect(lo!.theta0.lore).toBeLessThan(0.05);
    // Averaging keeps the mean of the task vectors in θ0 whatever the noise.
    expect(lo!.theta0.mean).toBeGreaterThan(0.1);
  });

  it("finds the planted rank when the noise is low", () => {
    for (const r of runs.slice(1)) for (const k of r.ranks) expect(k).toBeLessThanOrEqual(8);
  });
});

describe("LoRE converges on the objective", () => {
  const t = planted(0.005, 5, 48);
  const thetas = () => t.models.map((m) => m.slice());
  // Reference: the same problem solved far past the default tolerance with exact SVDs.
  const reference = solveLore(48, 48, thetas(), { mu: 1, iterations: 400, tolerance: 1e-9, svd: "exact" });
  const fStar = Math.min(...reference.objective);
  const lower = Math.max(...reference.objective.map((f, k) => f * (1 - reference.gap[k]!)));

  it("the duality gap is a valid certificate: every dual value lies below every objective value", () => {
    expect(lower).toBeLessThanOrEqual(fStar * (1 + 1e-6));
    expect((fStar - lower) / fStar).toBeLessThan(1e-3);
  });

  it("the defaults reach the optimum within the tolerance", () => {
    const sol = solveLore(48, 48, thetas(), { mu: 1, iterations: 100, tolerance: 1e-4 });
    expect(sol.converged || sol.stalled).toBe(true);
    const F = sol.objective.at(-1)!;
    expect((F - fStar) / fStar).toBeLessThan(2e-4);
    // the certificate bounds the true excess
    expect((F - fStar) / F).toBeLessThanOrEqual(sol.gap.at(-1)! + 1e-6);
  });

  it("plain coordinate descent (the paper's sweeps) stalls far from the optimum in as many sweeps", () => {
    const fast = solveLore(48, 48, thetas(), { mu: 1, iterations: 100, tolerance: 1e-4 });
    const plain = solveLore(48, 48, thetas(), {
      mu: 1,
      iterations: fast.sweeps,
      tolerance: 1e-4,
      accelerate: false,
      continuation: false,
    });
    const excess = (F: number) => (F - fStar) / fStar;
    expect(excess(plain.objective.at(-1)!)).toBeGreaterThan(
      100 * Math.max(excess(fast.objective.at(-1)!), 1e-6),
    );
    expect(plain.gap.at(-1)!).toBeGreaterThan(1e-2);
  });

  it("returns a consistent pair: θ0 = mean(θ_i − δ_i)", () => {
    const sol = solveLore(48, 48, thetas(), { mu: 1, iterations: 30, tolerance: 1e-4 });
    const deltas = denseDeltas(sol, 48, 48);
    const implied = average(t.models.map((m, i) => m.map((v, j) => v - deltas[i]![j]!)));
    expectAllClose(Array.from(sol.theta0), Array.from(implied), { abs: 1e-6 });
  });
});

describe("singular value thresholding in the sweeps", () => {
  it("randomized (warm-started) and exact agree with the reference SVT", () => {
    // rank-6 signal + small noise: 6 singular values above τ.
    const A = randn(120, 90, 4);
    const U = randn(120, 6, 5);
    const V = randn(6, 90, 6);
    for (let i = 0; i < 120; i++)
      for (let j = 0; j < 90; j++) {
        let s = 0;
        for (let k = 0; k < 6; k++) s += U.data[i * 6 + k]! * V.data[k * 90 + j]!;
        A.data[i * 90 + j] = s + 0.01 * A.data[i * 90 + j]!;
      }
    const tau = 1;
    const ref = singularValueThreshold(A, tau);
    for (const method of ["randomized", "exact"] as const) {
      const st = newSvtState(120, 90, 9, { method });
      const f = svtSweep(A, tau, st, { method });
      expect(f.s.length).toBe(ref.rank);
      const d = new Float32Array(120 * 90);
      subtractLowRank({ rows: 120, cols: 90, data: d }, f, -1);
      expectAllClose(d, ref.matrix.data, { abs: 2e-4 });
      // a warm second sweep on the same matrix gives the same result
      const g = svtSweep(A, tau, st, { method });
      expectAllClose(Array.from(g.s), Array.from(f.s), { rel: 1e-4 });
    }
  });

  it("widens the sketch when more singular values than its width exceed τ", () => {
    const A = randn(200, 150, 8); // full rank: about 150 singular values above a small τ
    const st = newSvtState(200, 150, 1, { method: "randomized" });
    const f = svtSweep(A, 1, st, { method: "randomized" });
    const ref = singularValueThreshold(A, 1);
    expect(f.s.length).toBe(ref.rank);
    expect(st.l).toBeGreaterThan(32);
  });
});
