import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  analyzeConfig,
  analyzePreset,
  analyzePresetNames,
  maxRank,
  RankError,
  rankRules,
} from "../../src/mole/index.js";
import { expectClose } from "../helpers/tolerance.js";

const spectrum = (vals: number[]) => Float64Array.from([...vals].sort((a, b) => b - a));

describe("rank rules", () => {
  it("energy and max-error pick the smallest rank meeting the target in every group (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.float({ min: 0, max: 100, noNaN: true }), { minLength: 8, maxLength: 8 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (groups, e) => {
          const spectra = groups.map(spectrum);
          const ctx = { groupSizes: groups.map(() => 2), p: 4, d: 8, spectra, where: "t" };
          const r = rankRules.get("energy").choose({ energy: e }, ctx);
          expect(r).toBeGreaterThanOrEqual(1);
          expect(r).toBeLessThanOrEqual(8);
          for (const s of spectra) {
            const total = s.reduce((a, v) => a + v, 0);
            if (total === 0) continue;
            const kept = s.slice(0, r).reduce((a, v) => a + v, 0);
            expect(kept).toBeGreaterThanOrEqual(e * total * (1 - 1e-9));
          }
          // minimal: some group misses the target at r − 1
          if (r > 1)
            expect(
              spectra.some((s) => {
                const total = s.reduce((a, v) => a + v, 0);
                return total > 0 && s.slice(0, r - 1).reduce((a, v) => a + v, 0) < e * total * (1 - 1e-12);
              }),
            ).toBe(true);
          const maxError = Math.sqrt(1 - e);
          const m = rankRules.get("max-error").choose({ maxError }, ctx);
          for (const s of spectra) {
            const total = s.reduce((a, v) => a + v, 0);
            if (total > 0)
              expect(Math.sqrt(s.slice(m).reduce((a, v) => a + v, 0) / total)).toBeLessThanOrEqual(
                maxError + 1e-6, // tails absorbed by double rounding of the running sum
              );
          }
        },
      ),
    );
  });

  it("target-ratio is the largest r with Σ(k·p·r + r·d) ≤ x·Σ k·p·d (golden), and rank is checked against min(k·p, d)", () => {
    const ctx = { groupSizes: [8], p: 14336, d: 4096, where: "layer 0 gate" };
    expect(rankRules.get("target-ratio").choose({ ratio: 0.5 }, ctx)).toBe(
      Math.floor((0.5 * 8 * 14336 * 4096) / (8 * 14336 + 4096)),
    );
    expect(rankRules.get("target-ratio").choose({ ratio: 0.5 }, ctx)).toBe(1977);
    expect(maxRank({ groupSizes: [8, 3], p: 4, d: 16 })).toBe(12);
    expect(() =>
      rankRules.get("rank").choose({ rank: 13 }, { groupSizes: [8, 3], p: 4, d: 16, where: "layer 2 up" }),
    ).toThrow(RankError);
    expect(() => rankRules.params("rank", { rank: 0 }, "options.rankRule.params")).toThrow(
      /options\.rankRule\.params: rank/,
    );
    expect(() => rankRules.get("nope", "options.rankRule")).toThrow(
      /unknown rank rule "nope"; use one of rank, energy, max-error, target-ratio/,
    );
  });
});

describe("analyze (shapes only)", () => {
  it("reproduces the published parameter counts of the five shipped models", () => {
    expect(analyzePresetNames()).toEqual([
      "deepseek-moe-16b",
      "deepseek-v2-lite",
      "mixtral-8x7b",
      "qwen1.5-moe-a2.7b",
      "qwen3-30b-a3b",
    ]);
    // total / active parameters in billions, as the model cards state them (active with embeddings)
    const cards: Record<string, [number, number]> = {
      "mixtral-8x7b": [46.7, 12.9],
      "qwen1.5-moe-a2.7b": [14.3, 2.7],
      "deepseek-moe-16b": [16.4, 2.8],
      "qwen3-30b-a3b": [30.5, 3.3],
      "deepseek-v2-lite": [15.7, 2.66],
    };
    for (const [name, [total, active]] of Object.entries(cards)) {
      const a = analyzePreset(name);
      expectClose(a.rows[0]!.totalParams / 1e9, total, { rel: 0.01 });
      expectClose(a.rows[0]!.activeParamsPerToken / 1e9, active, { rel: 0.03 });
    }
  });

  it("MoLE parameters and per-token work follow k·p·r + r·d and the groups a token reaches", () => {
    const a = analyzePreset("mixtral-8x7b", { rankRule: { name: "rank", params: { rank: 1024 } } });
    const [moe, mole] = a.rows;
    const perLayerKind = 8 * 14336 * 4096 - (8 * 14336 * 1024 + 1024 * 4096);
    expect(moe!.totalParams - mole!.totalParams).toBe(32 * 2 * perLayerKind);
    expect(a.groupsReached).toBe(1);
    expect(moe!.activeParamsPerToken - mole!.activeParamsPerToken).toBe(
      32 * 2 * (2 * 14336 * 4096 - (1024 * 4096 + 2 * 14336 * 1024)),
    );
    expect(moe!.flopsPerToken - mole!.flopsPerToken).toBe(
      2 * (moe!.activeParamsPerToken - mole!.activeParamsPerToken),
    );
    // 60 experts in 4 groups of 15, top-4: a token reaches 4·(1 − C(45,4)/C(60,4)) groups
    const q = analyzePreset("qwen1.5-moe-a2.7b", {
      rankRule: { name: "rank", params: { rank: 256 } },
      groupSize: 15,
    });
    const miss = (45 * 44 * 43 * 42) / (60 * 59 * 58 * 57);
    expectClose(q.groupsReached, 4 * (1 - miss), { rel: 1e-12 });
    expect(q.rows[1]!.weightBytes).toBe(q.rows[1]!.totalParams * 2);
  });

  it("refuses a config of no MoE model type", () => {
    expect(() => analyzeConfig({ model_type: "llama", hidden_size: 8 }, {}, "cfg.json")).toThrow(
      /cfg\.json: model_type: "llama" is not an MoE architecture of the table; use a config\.json with model_type mixtral/,
    );
    expect(() => analyzeConfig({ model_type: "mixtral" }, {}, "cfg.json")).toThrow(
      /cfg\.json: hidden_size: is missing or not a number/,
    );
  });
});
