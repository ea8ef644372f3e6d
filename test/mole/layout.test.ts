import { describe, expect, it } from "vitest";
import {
  ExpertShapeError,
  MissingRouterError,
  resolveLayout,
  routingSpec,
  UnknownLayoutError,
} from "../../src/mole/index.js";
import { float32Source, openCheckpoint, type TensorSource, writeCheckpoint } from "../../src/tensor/index.js";
import { tinyMoe, withTempDir, writeTinyMoe } from "./helpers.js";

async function layoutOf(dir: string, tensors: TensorSource[], config?: unknown) {
  await writeCheckpoint(`${dir}/ck`, tensors, { config, maxShardBytes: 2048 });
  const ck = await openCheckpoint(`${dir}/ck`);
  try {
    return resolveLayout(ck);
  } finally {
    await ck.close();
  }
}

describe("MoE layouts from the architecture table", () => {
  it.each([
    ["mixtral", "mixtral", "mixtral", "per_expert", [0, 1], false, false],
    ["qwen2_moe", "qwen2_moe", "qwen2_moe", "per_expert", [0, 1], true, true],
    ["deepseek_moe", "deepseek_moe", "deepseek_moe", "per_expert", [1], true, false],
    ["qwen3_moe", "qwen3_moe", "qwen3_moe", "per_expert", [0, 1], false, false],
    ["fused", "fused_moe", "qwen3_moe", "fused", [0, 1], false, false],
  ] as const)("%s", async (kind, arch, family, storage, layers, shared, sharedGate) => {
    await withTempDir(async (dir) => {
      const src = await writeTinyMoe(dir, kind, { experts: 4, d: 16, p: 8 });
      const ck = await openCheckpoint(src);
      const l = resolveLayout(ck);
      await ck.close();
      expect([l.architecture, l.family, l.storage]).toEqual([arch, family, storage]);
      expect(l.layers.map((x) => x.layer)).toEqual(layers);
      expect([l.hidden, l.experts, l.layers[0]!.intermediate]).toEqual([16, 4, 8]);
      expect(l.layers[0]!.shared !== null).toBe(shared);
      expect(l.layers[0]!.sharedGate !== null).toBe(sharedGate);
      expect(l.layers[0]!.matrices.down[3]).toMatchObject({ rows: 16, cols: 8 });
      if (storage === "fused")
        expect(l.layers[0]!.matrices.up[1]).toEqual({
          tensor: "model.layers.0.mlp.experts.gate_up_proj",
          start: (2 * 8 + 8) * 16,
          rows: 8,
          cols: 16,
        });
    });
  });

  it("resolves each family's router from the table and config.json", async () => {
    await withTempDir(async (dir) => {
      const spec = async (kind: Parameters<typeof writeTinyMoe>[1]) => {
        const ck = await openCheckpoint(await writeTinyMoe(dir, kind, { experts: 4 }));
        const s = routingSpec(resolveLayout(ck));
        await ck.close();
        return s;
      };
      expect(await spec("mixtral")).toMatchObject({
        scoring: "softmax",
        normalize: true,
        topK: 2,
        method: "greedy",
      });
      expect(await spec("qwen2_moe")).toMatchObject({ scoring: "softmax", normalize: false });
      expect(await spec("qwen3_moe")).toMatchObject({ normalize: true });
      expect(await spec("deepseek_moe")).toMatchObject({
        normalize: false,
        scalingWhen: "unnormalized",
        scaling: 1,
      });
      expect(await spec("deepseek_v3")).toMatchObject({
        scoring: "sigmoid",
        method: "noaux_tc",
        normalize: true,
        scaling: 2.5,
        scalingWhen: "always",
        groups: { count: 2, topK: 1 },
      });
    });
  });

  it("an unknown layout lists the expert-like tensors and says how to add an entry", async () => {
    await withTempDir(async (dir) => {
      const t = [
        float32Source("model.layers.0.moe.experts.0.fc1.weight", [8, 16], new Float32Array(128)),
        float32Source("model.layers.0.moe.experts.1.fc1.weight", [8, 16], new Float32Array(128)),
        float32Source("model.layers.0.attn.weight", [16, 16], new Float32Array(256)),
      ];
      const err = await layoutOf(dir, t).catch((e) => e);
      expect(err).toBeInstanceOf(UnknownLayoutError);
      expect(err.expertLike).toEqual([
        "model.layers.0.moe.experts.0.fc1.weight",
        "model.layers.0.moe.experts.1.fc1.weight",
      ]);
      expect(err.message).toMatch(
        /no MoE layout of the architecture table matches its 2 expert-like tensors \("model\.layers\.0\.moe\.experts\.0\.fc1\.weight", .*; add an entry to src\/tensor\/architectures\.json/,
      );
    });
  });

  it("refuses a missing router, an inconsistent expert shape, a missing expert and a wrong fused orientation", async () => {
    await withTempDir(async (dir) => {
      const base = tinyMoe("mixtral", { experts: 3, d: 16, p: 8 });
      const noRouter = base.tensors.filter((t) => t.name !== "model.layers.1.block_sparse_moe.gate.weight");
      await expect(layoutOf(`${dir}/a`, noRouter, base.config)).rejects.toThrow(MissingRouterError);
      await expect(layoutOf(`${dir}/a2`, noRouter, base.config)).rejects.toThrow(
        /layer 1: has expert tensors but no router tensor "model\.layers\.1\.block_sparse_moe\.gate\.weight"; the checkpoint is incomplete/,
      );
      const bad = base.tensors.map((t) =>
        t.name === "model.layers.0.block_sparse_moe.experts.2.w3.weight"
          ? float32Source(t.name, [9, 16], new Float32Array(144))
          : t,
      );
      await expect(layoutOf(`${dir}/b`, bad, base.config)).rejects.toThrow(
        /tensor "model\.layers\.0\.block_sparse_moe\.experts\.2\.w3\.weight": has shape \[9, 16\], expected \[8, 16\]/,
      );
      const gap = base.tensors.filter((t) => !t.name.includes("layers.0.block_sparse_moe.experts.1."));
      const e = await layoutOf(`${dir}/c`, gap, base.config).catch((x) => x);
      expect(e).toBeInstanceOf(ExpertShapeError);
      expect(e.message).toMatch(/layer 0: has experts up to 2 but none of expert\(s\) 1/);
      const router = base.tensors.map((t) =>
        t.name === "model.layers.0.block_sparse_moe.gate.weight"
          ? float32Source(t.name, [4, 16], new Float32Array(64))
          : t,
      );
      await expect(layoutOf(`${dir}/d`, router, base.config)).rejects.toThrow(
        /has shape \[4, 16\], expected \[3, 16\] \(experts × hidden\)/,
      );
      const fused = tinyMoe("fused", { experts: 2, d: 16, p: 8 });
      const flipped = fused.tensors.map((t) =>
        t.name.endsWith("experts.down_proj") ? float32Source(t.name, [2, 8, 16], new Float32Array(256)) : t,
      );
      await expect(layoutOf(`${dir}/e`, flipped, fused.config)).rejects.toThrow(
        /expected \(2, 16, 8\) to match gate_up_proj \[2, 16, 16\]/,
      );
    });
  });
});
