/** Every merge method against small cases computed by hand (or by replaying the seeded mask). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dellaPrune,
  keepRankRange,
  magnitudePrune,
  mergeMethodNames,
  mergeMethods,
  modelStockRatio,
  selectAbs,
} from "../../src/merge/index.js";
import { Rng } from "../../src/util/random.js";
import { expectAllClose, expectClose } from "../helpers/tolerance.js";
import { runMethod } from "./helpers.js";

const near = (a: ArrayLike<number>, b: number[]) =>
  expectAllClose(Array.from(a), b, { rel: 1e-6, abs: 1e-6 });

describe("the registry", () => {
  it("has mergekit's method names, each with a reference URL", () => {
    expect(mergeMethodNames()).toEqual([
      "linear",
      "task_arithmetic",
      "ties",
      "dare_linear",
      "dare_ties",
      "breadcrumbs",
      "breadcrumbs_ties",
      "della",
      "della_linear",
      "slerp",
      "model_stock",
      "passthrough",
      "lore",
    ]);
    for (const m of mergeMethods.entries()) expect(m.reference).toMatch(/^https:\/\//);
  });

  it("uses mergekit's defaults for normalize and rescale", () => {
    const d = (name: string) => mergeMethods.get(name).params.parse({}) as Record<string, unknown>;
    expect(d("ties")).toMatchObject({ normalize: true, rescale: false, lambda: 1, int8_mask: false });
    expect(d("dare_ties")).toMatchObject({ normalize: false, rescale: true });
    expect(d("dare_linear")).toMatchObject({ normalize: false, rescale: true });
    expect(d("della")).toMatchObject({ normalize: true, rescale: true });
    expect(d("della_linear")).toMatchObject({ normalize: false, rescale: true });
    expect(d("task_arithmetic")).toMatchObject({ normalize: false, rescale: false });
    expect(d("breadcrumbs")).toMatchObject({ normalize: false, rescale: false });
    expect(d("linear")).toEqual({ normalize: true });
    expect(mergeMethods.get("della").tensorParams.parse({ weight: 1 })).toEqual({
      weight: 1,
      density: 1,
      epsilon: 0.15,
    });
    expect(mergeMethods.get("breadcrumbs").tensorParams.parse({ weight: 1 })).toEqual({
      weight: 1,
      density: 1,
      gamma: 0.01,
    });
  });
});

describe("linear", () => {
  it("is the weighted average, or the weighted sum without normalize", () => {
    const tp = [{ weight: 1 }, { weight: 3 }];
    near(
      runMethod(
        "linear",
        [
          [1, 2],
          [5, 6],
        ],
        { tensorParams: tp },
      ).data,
      [4, 5],
    );
    near(
      runMethod(
        "linear",
        [
          [1, 2],
          [5, 6],
        ],
        { tensorParams: tp, params: { normalize: false } },
      ).data,
      [16, 20],
    );
  });
});

describe("task_arithmetic", () => {
  it("adds the weighted task vectors to the base, times lambda", () => {
    const tp = [{ weight: 0.5 }, { weight: 1 }, {}];
    const xs = [
      [2, 0],
      [0, 3],
      [1, 1],
    ];
    near(runMethod("task_arithmetic", xs, { baseIndex: 2, tensorParams: tp }).data, [0.5, 2.5]);
    near(
      runMethod("task_arithmetic", xs, { baseIndex: 2, tensorParams: tp, params: { lambda: 2 } }).data,
      [0, 4],
    );
  });
});

describe("ties", () => {
  const xs = [
    [3, -2, 1, 0.5],
    [-1, -3, 2, 0.1],
    [2, 1, -4, 0.2],
    [0, 0, 0, 0],
  ];
  it("elects the sign of the sum and takes the disjoint mean", () => {
    const tp = [{ weight: 1 }, { weight: 1 }, { weight: 1 }, {}];
    // e0: 3−1+2 > 0 → mean(3, 2); e1: < 0 → mean(−2, −3); e2: 1+2−4 < 0 → −4; e3: all positive → mean.
    near(runMethod("ties", xs, { baseIndex: 3, tensorParams: tp }).data, [2.5, -2.5, -4, 0.8 / 3]);
  });

  it("weights the election and the mean", () => {
    const tp = [{ weight: 2 }, { weight: 1 }, { weight: 1 }, {}];
    // weighted: [6,−4,2,1], [−1,−3,2,.1], [2,1,−4,.2]; e2 sums to 0, which counts as +.
    near(runMethod("ties", xs, { baseIndex: 3, tensorParams: tp }).data, [8 / 3, -7 / 3, 4 / 3, 1.3 / 4]);
  });

  it("trims each task vector to its density by magnitude first", () => {
    const tp = [{ weight: 1, density: 0.5 }, { weight: 1, density: 0.5 }, { weight: 1, density: 0.5 }, {}];
    // kept: [3,−2,0,0], [0,−3,2,0], [2,0,−4,0]; e3 is zero everywhere.
    near(runMethod("ties", xs, { baseIndex: 3, tensorParams: tp }).data, [2.5, -2.5, -4, 0]);
  });

  it("breaks ties in magnitude by index (the later entry ranks higher)", () => {
    const x = Float32Array.from([1, -1, 1, 2]);
    near(magnitudePrune(x, 0.5, false), [0, 0, 1, 2]);
  });
});

describe("dare", () => {
  it("drops entries with a seeded Bernoulli mask and restores the L1 norm", () => {
    const delta = [0.5, -1, 2, 0.25, -0.75, 1.5, -2, 1];
    const base = delta.map(() => 10);
    const model = delta.map((d) => 10 + d);
    const seed = 7;
    const out = runMethod("dare_linear", [model, base], {
      baseIndex: 1,
      tensorParams: [{ weight: 1, density: 0.5 }, {}],
      seed,
    }).data;
    // Replay the mask: source 0's stream, keep entry j when u_j < density.
    const rng = new Rng(seed * 1000);
    const keep = delta.map(() => rng.next() < 0.5);
    expect(keep.some((k) => k) && keep.some((k) => !k)).toBe(true);
    const l1 = delta.reduce((s, d) => s + Math.abs(d), 0);
    const kept = delta.reduce((s, d, j) => s + (keep[j] ? Math.abs(d) : 0), 0);
    near(
      out,
      delta.map((d, j) => 10 + (keep[j] ? (d * l1) / kept : 0)),
    );
  });

  it("dare_ties elects signs after dropping", () => {
    const base = [0, 0, 0, 0];
    const out = runMethod("dare_ties", [[1, -1, 1, -1], [1, 1, -1, -1], base], {
      baseIndex: 2,
      tensorParams: [{ weight: 1 }, { weight: 1 }, {}],
    }).data;
    // density 1: nothing dropped; normalize false → sums of the agreeing entries.
    near(out, [2, 1, 1, -2]);
  });
});

describe("breadcrumbs", () => {
  it("drops the γ·N largest and then the smallest magnitudes", () => {
    const delta = [5, -1, 9, 3, -7, 2, 8, -4, 6, 10];
    const base = delta.map(() => 0);
    const out = runMethod("breadcrumbs", [delta, base], {
      baseIndex: 1,
      tensorParams: [{ weight: 1, density: 0.5, gamma: 0.1 }, {}],
    }).data;
    // keep 5 of 10: drop the top 1 (10) and the bottom 4 (1, 2, 3, 4).
    near(out, [5, 0, 9, 0, -7, 0, 8, 0, 6, 0]);
  });

  it("keeps the top entries when ⌊γ·N⌋ = 0 (mergekit would keep none)", () => {
    const out = runMethod(
      "breadcrumbs",
      [
        [1, 2, 3, 4],
        [0, 0, 0, 0],
      ],
      {
        baseIndex: 1,
        tensorParams: [{ weight: 1, density: 0.5, gamma: 0.01 }, {}],
      },
    ).data;
    near(out, [0, 0, 3, 4]);
  });
});

describe("della", () => {
  it("keeps row entries with probability density − ε + 2ε·rank/(n − 1)", () => {
    const row = [0.3, -0.1, 0.5, 0.2, -0.4]; // ranks 2, 0, 4, 1, 3
    const want = [0.5, 0.3, 0.7, 0.4, 0.6];
    const counts = [0, 0, 0, 0, 0];
    const trials = 4000;
    const rng = new Rng(3);
    for (let t = 0; t < trials; t++) {
      const x = dellaPrune(Float32Array.from(row), 5, 0.5, 0.2, false, rng);
      x.forEach((v, j) => {
        if (v !== 0) counts[j]! += 1;
      });
    }
    counts.forEach((c, j) => expectClose(c / trials, want[j]!, { abs: 0.035 }));
  });

  it("rescales to the original L1 norm and rejects an epsilon that leaves (0, 1)", () => {
    const x = dellaPrune(Float32Array.from([1, -2, 3, -4, 5, -6]), 3, 0.5, 0.2, true, new Rng(5));
    expectClose(
      Array.from(x).reduce((s, v) => s + Math.abs(v), 0),
      21,
      { rel: 1e-5 },
    );
    const m = mergeMethods.get("della");
    const p = m.validate?.(m.params.parse({}), [{ weight: 1, density: 0.1, epsilon: 0.15 }, {}]);
    expect(p?.param).toBe("epsilon");
  });
});

describe("slerp", () => {
  const params = (t: number) => ({ params: { t }, baseIndex: 0, tensorParams: [{}, {}] });
  it("returns the base at t = 0 and the other model at t = 1", () => {
    near(
      runMethod(
        "slerp",
        [
          [1, 2, 3],
          [-3, 1, 2],
        ],
        params(0),
      ).data,
      [1, 2, 3],
    );
    near(
      runMethod(
        "slerp",
        [
          [1, 2, 3],
          [-3, 1, 2],
        ],
        params(1),
      ).data,
      [-3, 1, 2],
    );
  });

  it("interpolates on the circle: orthogonal unit vectors at t = 0.5 give sin(π/4) each", () => {
    near(
      runMethod(
        "slerp",
        [
          [1, 0],
          [0, 1],
        ],
        params(0.5),
      ).data,
      [Math.SQRT1_2, Math.SQRT1_2],
    );
  });

  it("falls back to linear interpolation for parallel (and antiparallel) tensors", () => {
    const r = runMethod(
      "slerp",
      [
        [1, 2],
        [2, 4],
      ],
      params(0.25),
    );
    near(r.data, [1.25, 2.5]);
    expect(r.diagnostics?.note).toMatch(/parallel/);
    near(
      runMethod(
        "slerp",
        [
          [1, 2],
          [-1, -2],
        ],
        params(0.5),
      ).data,
      [0, 0],
    );
  });
});

describe("model_stock", () => {
  it("t = N cos θ / (1 + (N − 1) cos θ)", () => {
    expect(modelStockRatio(2, 0)).toBe(0);
    expect(modelStockRatio(2, 1)).toBe(1);
    expectClose(modelStockRatio(3, 0.5), 1.5 / 2);
  });

  it("moves the base toward the average by the angle between the task vectors", () => {
    // offsets [1,0] and [1,1]: cos = 1/√2, t = 2c/(1 + c); average [1, 0.5].
    const c = Math.SQRT1_2;
    const t = (2 * c) / (1 + c);
    near(
      runMethod(
        "model_stock",
        [
          [0, 0],
          [1, 0],
          [1, 1],
        ],
        { baseIndex: 0, tensorParams: [{}, {}, {}] },
      ).data,
      [t, t * 0.5],
    );
    // orthogonal task vectors: t = 0, the base.
    near(
      runMethod(
        "model_stock",
        [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
        { baseIndex: 0, tensorParams: [{}, {}, {}] },
      ).data,
      [0, 0],
    );
  });

  it("filter_wise computes one ratio per row", () => {
    const out = runMethod(
      "model_stock",
      [
        [0, 0, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 1, 1],
      ],
      {
        baseIndex: 0,
        shape: [2, 2],
        params: { filter_wise: true },
        tensorParams: [{}, {}, {}],
      },
    ).data;
    // row 0: orthogonal → base; row 1: offsets [1,0], [1,1] → t as above.
    const c = Math.SQRT1_2;
    const t = (2 * c) / (1 + c);
    near(out, [0, 0, t, t * 0.5]);
  });
});

describe("passthrough", () => {
  it("copies the tensor, scaled by scale", () => {
    near(runMethod("passthrough", [[1, -2]], { tensorParams: [{}] }).data, [1, -2]);
    near(runMethod("passthrough", [[1, -2]], { tensorParams: [{ scale: 2 }] }).data, [2, -4]);
  });
});

describe("lore", () => {
  it("with combine: mean and λ = 1 is the plain average, matrices and vectors alike", () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const b = [2, 0, 1, 5, 3, 3, 9, 1, 0, 4, 2, 8];
    const c = [0, 1, 0, 2, 2, 4, 1, 1, 1, 3, 7, 2];
    const mean = a.map((v, j) => (v + b[j]! + c[j]!) / 3);
    const tp = [{}, {}, {}];
    for (const shape of [[3, 4], [12]]) {
      const r = runMethod("lore", [a, b, c], { shape, params: { combine: "mean" }, tensorParams: tp });
      expectAllClose(Array.from(r.data), mean, { rel: 1e-5, abs: 1e-5 });
    }
  });

  it("names the input that holds NaN or infinite values in a matrix (LAPACK would refuse it)", () => {
    const a = [1, 2, 3, 4, 5, 6];
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const b = [2, 0, bad, 5, 3, 3];
      expect(() => runMethod("lore", [a, b, a], { shape: [2, 3], tensorParams: [{}, {}, {}] })).toThrow(
        /input 2 of 3 holds NaN or infinite values/,
      );
    }
    // Through the executor the input carries where each tensor comes from: the message names the model.
    const lore = mergeMethods.get("lore");
    const run = () =>
      lore.merge({
        name: "w",
        shape: [2, 3],
        tensors: [a, [2, 0, Number.NaN, 5, 3, 3], a].map((t) => Float32Array.from(t)),
        baseIndex: null,
        params: lore.params.parse({}),
        tensorParams: [{}, {}, {}].map((t) => lore.tensorParams.parse(t)),
        sources: ["./a", "./b", "./c"],
        rng: (i) => new Rng(i),
      });
    expect(run).toThrow(/\.\/b \(input 2 of 3\) holds NaN or infinite values/);
  });

  it("falls back to θ0 = base for vectors when a base model is given", () => {
    const r = runMethod(
      "lore",
      [
        [1, 2],
        [3, 2],
        [1, 1],
      ],
      {
        baseIndex: 2,
        shape: [2],
        params: { combine: "sum" },
        tensorParams: [{}, {}, {}],
      },
    );
    near(r.data, [1 + 0 + 2, 1 + 1 + 1]);
    expect(r.diagnostics?.mode).toBe("vector");
  });
});

describe("selection kernels", () => {
  it("selectAbs returns the k-th smallest magnitude and how many are smaller", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        (xs, k0) => {
          const k = k0 % xs.length;
          const abs = Float32Array.from(xs, Math.abs).sort();
          const r = selectAbs(Float32Array.from(xs), k);
          expect(r.value).toBe(abs[k]);
          expect(r.less).toBe(abs.filter((v) => v < abs[k]!).length);
        },
      ),
    );
  });

  it("keepRankRange keeps exactly the ranks [lo, hi) by magnitude", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        (xs, a, b) => {
          const n = xs.length;
          const lo = a % (n + 1);
          const hi = lo + (b % (n - lo + 1));
          const x = Float32Array.from(xs);
          const kept = keepRankRange(x, lo, hi);
          // reference: stable sort of indices by |x|
          const order = xs.map((_, i) => i).sort((p, q) => Math.abs(xs[p]!) - Math.abs(xs[q]!) || p - q);
          const want = new Float32Array(n);
          for (let r = lo; r < hi; r++) want[order[r]!] = xs[order[r]!]!;
          expect(Array.from(x)).toEqual(Array.from(want));
          expect(kept).toBe(hi - lo);
        },
      ),
    );
  });
});
