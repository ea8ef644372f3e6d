import { describe, expect, it } from "vitest";
import {
  builtinProfile,
  fitTimeModel,
  iterationSeconds,
  ProfileError,
  parseFitCsv,
} from "../../src/serving/index.js";
import { Rng } from "../../src/util/random.js";
import { expectClose } from "../helpers/tolerance.js";

describe("time model", () => {
  const m = {
    prefill: { alpha: 0.05, beta: 2e-4, gamma: 1e-8 },
    decode: { alpha: 0.04, beta: 1e-4, delta: 1e-6 },
  };
  it("prefill, decode and mixed iterations (golden)", () => {
    expectClose(
      iterationSeconds(m, { prefillTokens: 100, prefillSquares: 1e4, decodes: 0, decodeContext: 0 }),
      0.05 + 0.02 + 1e-4,
    );
    expectClose(
      iterationSeconds(m, { prefillTokens: 0, prefillSquares: 0, decodes: 10, decodeContext: 1000 }),
      0.04 + 1e-3 + 1e-3,
    );
    expectClose(
      iterationSeconds(m, { prefillTokens: 100, prefillSquares: 1e4, decodes: 10, decodeContext: 1000 }),
      0.05 + 0.02 + 1e-4 + 2e-3,
    );
    expect(iterationSeconds(m, { prefillTokens: 0, prefillSquares: 0, decodes: 0, decodeContext: 0 })).toBe(
      0,
    );
  });

  it("the shipped LLaMA-65B profile keeps its roofline arithmetic and fitted factor", () => {
    const p = builtinProfile("llama65b");
    const eta = (p.notes!.calibration as { efficiencyFactor: number }).efficiencyFactor;
    // decode α = weights (130.4 GB) / HBM (2 × 2.039 TB/s) × efficiency factor
    expectClose(p.timeModel.decode.alpha, (130.4e9 / 4.078e12) * eta, { rel: 1e-3 });
    expectClose(p.timeModel.decode.delta, ((2 * 80 * 8192 * 2) / 4.078e12) * eta, { rel: 1e-3 });
    expect(p.client.kvBlocks).toBe(324);
  });
});

describe("fit", () => {
  it("recovers known coefficients from noisy measurements", () => {
    const rng = new Rng(5);
    const rows = [];
    for (let k = 0; k < 60; k++) {
      const batch = 1 + rng.int(0, 31);
      const tokens = batch * (50 + rng.int(0, 400));
      rows.push({
        phase: "prefill" as const,
        batch,
        tokens,
        seconds: (0.05 + 2e-4 * tokens + (1e-8 * (tokens * tokens)) / batch) * (1 + 0.002 * rng.normal()),
      });
      const ctx = batch * (100 + rng.int(0, 1000));
      rows.push({
        phase: "decode" as const,
        batch,
        tokens: ctx,
        seconds: (0.04 + 1e-4 * batch + 1e-6 * ctx) * (1 + 0.002 * rng.normal()),
      });
    }
    const r = fitTimeModel(rows);
    expectClose(r.timeModel.prefill.alpha, 0.05, { rel: 0.05 });
    expectClose(r.timeModel.prefill.beta, 2e-4, { rel: 0.05 });
    expectClose(r.timeModel.decode.alpha, 0.04, { rel: 0.05 });
    expectClose(r.timeModel.decode.delta, 1e-6, { rel: 0.05 });
    expect(r.decode.r2).toBeGreaterThan(0.99);
  });

  it("keeps coefficients non-negative", () => {
    const rows = [1, 2, 3, 4].flatMap((b) => [
      { phase: "prefill" as const, batch: b, tokens: 100 * b, seconds: 0.1 - 0.001 * b },
      { phase: "decode" as const, batch: b, tokens: 100 * b, seconds: 0.05 },
    ]);
    const r = fitTimeModel(rows);
    for (const v of [...Object.values(r.timeModel.prefill), ...Object.values(r.timeModel.decode)])
      expect(v).toBeGreaterThanOrEqual(0);
  });

  it("reports bad rows with their line and too few rows", () => {
    expect(() =>
      parseFitCsv("phase,batch,tokens,seconds\nprefill,1,10,0.1\nwarmup,1,1,1\n", "m.csv"),
    ).toThrow('m.csv: line 3: phase "warmup" is not prefill or decode; fix the row');
    expect(() => parseFitCsv("phase,batch,tokens,seconds\ndecode,0,10,0.1\n", "m.csv")).toThrow(
      "m.csv: line 2: batch",
    );
    expect(() => parseFitCsv("a,b\n", "m.csv")).toThrow(ProfileError);
    expect(() => fitTimeModel([{ phase: "decode", batch: 1, tokens: 1, seconds: 1 }], "m.csv")).toThrow(
      "m.csv: 0 prefill and 1 decode row(s)",
    );
  });
});
