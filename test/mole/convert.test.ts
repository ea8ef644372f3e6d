import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../src/errors/index.js";
import {
  calibrationTensorName,
  convertCheckpoint,
  expandCheckpoint,
  MoleConfigSchema,
  MoleOptionsError,
  RankError,
  reportConversion,
} from "../../src/mole/index.js";
import { float32Source, openCheckpoint, randn, writeSafetensors } from "../../src/tensor/index.js";
import { expectClose } from "../helpers/tolerance.js";
import { type TinyLayout, withTempDir, writeTinyMoe } from "./helpers.js";

const ALL_KINDS = ["gate", "up", "down"] as const;

describe("convert", () => {
  it.each([
    ["mixtral", "F32"],
    ["qwen2_moe", "BF16"],
    ["deepseek_moe", "F32"],
    ["qwen3_moe", "BF16"],
    ["fused", "F32"],
  ] as [TinyLayout, "F32" | "BF16"][])(
    "%s (%s): rank-deficient experts are recovered, expand restores names/dtypes/shapes within the reported error",
    async (layout, dtype) => {
      await withTempDir(async (dir) => {
        const src = await writeTinyMoe(dir, layout, { latentRank: 5, dtype, experts: 4, d: 16, p: 8 });
        const r = await convertCheckpoint(src, `${dir}/mole`, {
          rankRule: { name: "rank", params: { rank: 5 } },
          kinds: ALL_KINDS,
        });
        expect(r.status).toBe("converted");
        expect(r.shards).toBeGreaterThan(2);
        const cfg = MoleConfigSchema.parse(r.config);
        for (const l of cfg.layers)
          for (const k of Object.values(l.kinds)) {
            expect(k!.rank).toBe(5);
            // F32: float32 precision; BF16: the stored latents are rounded to BF16
            expect(k!.relativeError).toBeLessThan(dtype === "F32" ? 2e-6 : 8e-3);
            // the Gram spectrum resolves σ_i only down to ~√ε·σ_1, so the predicted error has a ~1e-4 floor
            expect(k!.groups[0]!.predictedRelativeError).toBeLessThan(5e-3);
          }
        const back = await expandCheckpoint(`${dir}/mole`, `${dir}/back`);
        expect(back.rebuilt).toBeGreaterThan(0);
        const a = await openCheckpoint(src);
        const b = await openCheckpoint(`${dir}/back`);
        const sig = (ck: typeof a) =>
          ck.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape.join("x")}`).sort();
        expect(sig(b)).toEqual(sig(a));
        for (const t of a.tensors) {
          if (!cfg.layers.some((l) => t.name.includes(`layers.${l.layer}.`) && /experts/.test(t.name))) {
            expect(
              Buffer.from(await b.readRaw(t.name)).equals(Buffer.from(await a.readRaw(t.name))),
              t.name,
            ).toBe(true);
          }
        }
        // per layer and kind: ‖W − expand‖ / ‖W‖ is the reported error (plus the output dtype's rounding)
        const { openMole } = await import("../../src/mole/mole-checkpoint.js");
        const mole = await openMole(`${dir}/mole`);
        for (const l of cfg.layers)
          for (const [kind, k] of Object.entries(l.kinds)) {
            let num = 0;
            let den = 0;
            for (let e = 0; e < l.experts; e++) {
              const m = mole.sourceMatrix(l.layer, kind as "gate", e);
              const x = await a.readFloat32Range(m.tensor, m.start, m.rows * m.cols);
              const y = await b.readFloat32Range(m.tensor, m.start, m.rows * m.cols);
              for (let i = 0; i < x.length; i++) {
                num += (x[i]! - y[i]!) ** 2;
                den += x[i]! ** 2;
              }
            }
            const measured = Math.sqrt(num / den);
            expect(measured).toBeLessThanOrEqual(k!.relativeError + (dtype === "BF16" ? 5e-3 : 1e-6));
          }
        await mole.close();
        await a.close();
        await b.close();
      });
    },
  );

  it("error is monotone in r and the saving is k·p·r + r·d (Qwen1.5-MoE proportions, scaled down)", async () => {
    await withTempDir(async (dir) => {
      // Qwen1.5-MoE-A2.7B: 60 experts, d = 2048, p = 1408, top-4, a shared expert; scaled by 1/32 in d and p, 12 experts.
      const [E, d, p] = [12, 64, 44];
      const src = await writeTinyMoe(dir, "qwen2_moe", {
        experts: E,
        d,
        p,
        layers: 1,
        latentRank: 12,
        noise: 0.05,
        topK: 4,
      });
      let last = Number.POSITIVE_INFINITY;
      for (const r of [2, 6, 12, 24, 48]) {
        const out = `${dir}/m${r}`;
        const res = await convertCheckpoint(src, out, {
          rankRule: { name: "rank", params: { rank: r } },
          groupSize: 6,
        });
        const k = res.config!.layers[0]!.kinds.gate!;
        expect(k.relativeError).toBeLessThanOrEqual(last + 1e-7);
        last = k.relativeError;
        expect(k.paramsAfter).toBe(2 * (6 * p * r + r * d));
        expect(k.paramsBefore).toBe(E * p * d);
        expectClose(
          k.relativeError,
          k.groups.reduce((a, g) => Math.max(a, g.predictedRelativeError), 0),
          { rel: 0.35, abs: 1e-5 },
        );
      }
      const t = await convertCheckpoint(src, `${dir}/ratio`, {
        rankRule: { name: "target-ratio", params: { ratio: 0.25 } },
      });
      const g = t.config!.layers[0]!.kinds.gate!;
      expect(g.rank).toBe(Math.floor((0.25 * E * p * d) / (E * p + d)));
      expect(g.paramsAfter / g.paramsBefore).toBeLessThanOrEqual(0.25);
      const en = await convertCheckpoint(src, `${dir}/energy`, {
        rankRule: { name: "energy", params: { energy: 0.9 } },
      });
      for (const grp of en.config!.layers[0]!.kinds.up!.groups)
        expect(grp.energy).toBeGreaterThanOrEqual(0.9);
    });
  });

  it("gram, exact and randomized agree on a rank-deficient group", async () => {
    await withTempDir(async (dir) => {
      const src = await writeTinyMoe(dir, "mixtral", { experts: 6, d: 40, p: 24, layers: 1, latentRank: 7 });
      for (const method of ["gram", "exact", "randomized"]) {
        const r = await convertCheckpoint(src, `${dir}/${method}`, {
          rankRule: { name: "rank", params: { rank: 7 } },
          method: { name: method },
          kinds: ALL_KINDS,
        });
        for (const k of Object.values(r.config!.layers[0]!.kinds))
          expect(k!.relativeError, method).toBeLessThan(2e-6);
      }
      // groups smaller than d: the k·p × k·p Gram side
      const small = await convertCheckpoint(src, `${dir}/small`, {
        rankRule: { name: "rank", params: { rank: 7 } },
        groupSize: 1,
      });
      expect(small.config!.layers[0]!.groups).toHaveLength(6);
      expect(small.config!.layers[0]!.kinds.gate!.relativeError).toBeLessThan(2e-6);
    });
  });

  it("refuses a rank larger than possible, half a fused gate_up, and a spectrum rule with the randomized method", async () => {
    await withTempDir(async (dir) => {
      const src = await writeTinyMoe(dir, "mixtral", { experts: 4, d: 16, p: 8 });
      await expect(
        convertCheckpoint(src, `${dir}/x`, { rankRule: { name: "rank", params: { rank: 9 } }, groupSize: 1 }),
      ).rejects.toThrow(RankError);
      await expect(
        convertCheckpoint(src, `${dir}/x`, { rankRule: { name: "rank", params: { rank: 17 } } }),
      ).rejects.toThrow(
        /layer 0 gate: rank 17 is larger than possible: a group of 4 expert\(s\) stacks to 32×16, whose rank is at most 16; choose a rank ≤ 16/,
      );
      await expect(
        convertCheckpoint(src, `${dir}/x`, { rankRule: { name: "target-ratio", params: { ratio: 0.01 } } }),
      ).rejects.toThrow(/leaves no rank/);
      await expect(
        convertCheckpoint(src, `${dir}/x`, { rankRule: { name: "energy" }, method: { name: "randomized" } }),
      ).rejects.toThrow(MoleOptionsError);
      const fused = await writeTinyMoe(dir, "fused", { experts: 2 });
      await expect(convertCheckpoint(fused, `${dir}/x`, { kinds: ["gate"] })).rejects.toThrow(
        /stores gate and up in one tensor/,
      );
      expect(readdirSync(dir).sort()).toEqual(["fused", "mixtral"]);
    });
  });

  it("dry run writes nothing; an interrupted conversion leaves no complete-looking output", async () => {
    await withTempDir(async (dir) => {
      const src = await writeTinyMoe(dir, "qwen3_moe", { experts: 4, layers: 3 });
      const plan = await convertCheckpoint(src, `${dir}/out`, { dryRun: true, rankRule: { name: "energy" } });
      expect(plan.status).toBe("dry-run");
      expect(plan.plan.tasks.map((t) => `${t.layer}${t.kind}${t.rank}`)).toEqual([
        "0gatenull",
        "0upnull",
        "1gatenull",
        "1upnull",
        "2gatenull",
        "2upnull",
      ]);
      expect(existsSync(`${dir}/out`)).toBe(false);
      const ac = new AbortController();
      let events = 0;
      const run = convertCheckpoint(src, `${dir}/out`, {
        signal: ac.signal,
        onProgress: () => {
          if (++events === 3) ac.abort();
        },
      });
      await expect(run).rejects.toThrow(AbortedError);
      expect(readdirSync(dir)).toEqual(["qwen3_moe"]);
    });
  });

  it("calibration (whitening by the inputs' Gram matrix) lowers the output error on the calibration inputs", async () => {
    await withTempDir(async (dir) => {
      const [d, p, E] = [32, 16, 8];
      const src = await writeTinyMoe(dir, "qwen3_moe", { experts: E, d, p, layers: 1, topK: 2 });
      // Inputs concentrated in a few directions (as real hidden states are): X = Z M, M 6×d.
      const Z = randn(400, 6, 11);
      const M = randn(6, d, 12);
      const X = randn(400, d, 13);
      for (let t = 0; t < 400; t++)
        for (let j = 0; j < d; j++) {
          let s = 0.02 * X.data[t * d + j]!;
          for (let k = 0; k < 6; k++) s += Z.data[t * 6 + k]! * M.data[k * d + j]!;
          X.data[t * d + j] = s;
        }
      const acts = `${dir}/acts.safetensors`;
      await writeSafetensors(acts, [float32Source(calibrationTensorName(0), [400, d], X.data, "BF16")]);
      const rule = { name: "rank", params: { rank: 6 } };
      await convertCheckpoint(src, `${dir}/plain`, { rankRule: rule });
      const cal = await convertCheckpoint(src, `${dir}/cal`, {
        rankRule: rule,
        calibration: acts,
        damping: 0.001,
      });
      expect(cal.config!.options.calibration).toEqual({
        file: "acts.safetensors",
        tokens: 400,
        damping: 0.001,
      });
      expect(cal.config!.layers[0]!.kinds.gate!.calibrated).toBe(true);
      const plain = await reportConversion(src, `${dir}/plain`, { calibration: acts, tokens: 400 });
      const calibrated = await reportConversion(src, `${dir}/cal`, { calibration: acts, tokens: 400 });
      expect(calibrated.inputs).toBe("calibration");
      expect(calibrated.layers[0]!.outputRelativeError).toBeLessThan(
        0.5 * plain.layers[0]!.outputRelativeError,
      );
      // … at the price of a larger plain weight error
      expect(cal.config!.layers[0]!.kinds.gate!.relativeError).toBeGreaterThan(
        (await reportConversion(src, `${dir}/plain`, { tokens: 8 })).kinds[0]!.relativeError,
      );
      const wrong = `${dir}/wrong.safetensors`;
      await writeSafetensors(wrong, [
        float32Source(calibrationTensorName(5), [4, d], new Float32Array(4 * d)),
      ]);
      await expect(convertCheckpoint(src, `${dir}/x`, { calibration: wrong })).rejects.toThrow(
        /wrong\.safetensors: tensor "layers\.0\.moe_input": is missing \(the file has inputs for layers 5\); capture the inputs/,
      );
      const narrow = `${dir}/narrow.safetensors`;
      await writeSafetensors(narrow, [float32Source(calibrationTensorName(0), [4, 8], new Float32Array(32))]);
      await expect(convertCheckpoint(src, `${dir}/x`, { calibration: narrow })).rejects.toThrow(
        /has shape \[4, 8\], expected \[tokens, 32\]/,
      );
      expect(existsSync(`${dir}/x`)).toBe(false);
    });
  });
});
