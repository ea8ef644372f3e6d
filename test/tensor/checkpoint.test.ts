import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  detectArchitecture,
  float32Source,
  openCheckpoint,
  planShards,
  SafetensorsError,
  writeCheckpoint,
  writeSafetensors,
} from "../../src/tensor/index.js";
import { hasNumpy, type Layout, python, tinyModel, withTempDir } from "./helpers.js";

describe("checkpoint writer", () => {
  it("plans shards under the size limit, in order, with HF names", () => {
    const t = [4, 4, 10, 2, 2].map((n, i) => ({ name: `t${i}`, dtype: "F32" as const, shape: [n] }));
    const plan = planShards(t, 32);
    expect(plan.sharded).toBe(true);
    expect(plan.shards.map((s) => s.tensors)).toEqual([["t0", "t1"], ["t2"], ["t3", "t4"]]);
    expect(plan.shards.map((s) => s.file)).toEqual([
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
    ]);
    expect(plan.totalBytes).toBe(88);
    const big = planShards([{ name: "huge", dtype: "F32", shape: [100] }], 8);
    expect(big.shards).toHaveLength(1);
    expect(big.shards[0]!.file).toBe("model.safetensors");
    expect(planShards(t).sharded).toBe(false);
  });

  it("writes a sharded folder with an index, copies config and tokenizer files, and reads it back", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "src");
      const { tensors, config } = tinyModel("mixtral", { dtype: "BF16" });
      await writeCheckpoint(src, tensors, { config, extraFiles: { "tokenizer.json": '{"x":1}' } });
      const out = join(dir, "out");
      const res = await writeCheckpoint(out, tensors, { maxShardBytes: 2000, copyFrom: src });
      expect(res.plan.sharded).toBe(true);
      expect(res.copied.sort()).toEqual(["config.json", "tokenizer.json"]);
      const files = (await readdir(out)).sort();
      expect(files).toContain("model.safetensors.index.json");
      expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBe(
        res.plan.shards.length,
      );
      const index = JSON.parse(await readFile(join(out, "model.safetensors.index.json"), "utf8"));
      expect(index.metadata.total_size).toBe(res.plan.totalBytes);
      expect(Object.keys(index.weight_map)).toHaveLength(tensors.length);
      const ck = await openCheckpoint(out);
      try {
        expect(ck.sharded).toBe(true);
        expect(ck.tensors.map((t) => t.name).sort()).toEqual(tensors.map((t) => t.name).sort());
        expect((ck.config as { model_type: string }).model_type).toBe("mixtral");
        for (const t of tensors) {
          const expected = await t.bytes();
          expect(Buffer.from(await ck.readRaw(t.name)).equals(Buffer.from(expected))).toBe(true);
        }
        expect(ck.shards.every((s) => s.metadata.format === "pt")).toBe(true);
        const m = await ck.readMatrix("model.layers.1.block_sparse_moe.experts.3.w2.weight");
        expect([m.rows, m.cols]).toEqual([16, 8]);
      } finally {
        await ck.close();
      }
    });
  });

  it("an interrupted write leaves no folder", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "out");
      const { tensors } = tinyModel("dense");
      const boom = [
        ...tensors.slice(0, 3),
        {
          name: "bad",
          dtype: "F32" as const,
          shape: [2],
          bytes: () => Promise.reject(new Error("disk on fire")),
        },
      ];
      await expect(writeCheckpoint(out, boom, { maxShardBytes: 100 })).rejects.toThrow(/disk on fire/);
      expect(await readdir(dir)).toEqual([]);
      const ac = new AbortController();
      ac.abort();
      await expect(writeCheckpoint(out, tensors, { signal: ac.signal })).rejects.toThrow(/cancelled/);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it("refuses to overwrite an existing folder unless forced", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "out");
      const { tensors } = tinyModel("dense");
      await writeCheckpoint(out, tensors);
      await expect(writeCheckpoint(out, tensors)).rejects.toThrow(
        /already exists; choose another path or pass --force/,
      );
      await writeCheckpoint(out, tensors, { force: true });
      expect((await stat(join(out, "model.safetensors"))).isFile()).toBe(true);
    });
  });
});

describe("checkpoint reader on folders written by others", () => {
  it.skipIf(!hasNumpy())(
    "reads a sharded Mixtral-layout BF16 folder written by Python (HF layout, unsorted names)",
    async () => {
      await withTempDir(async (dir) => {
        const ck = join(dir, "mixtral-py");
        python(
          `
import json, os, struct, sys, numpy as np
out = sys.argv[1]; os.makedirs(out)
rng = np.random.default_rng(1)
def bf16(a):
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
def write(path, tensors):
    hdr = {"__metadata__": {"format": "pt"}}; off = 0; blobs = []
    for name in sorted(tensors, reverse=True):  # any order is valid
        dt, arr = tensors[name]; b = arr.tobytes()
        hdr[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}; off += len(b); blobs.append(b)
    js = json.dumps(hdr, separators=(",", ":")).encode(); js += b" " * (-len(js) % 8)
    open(path, "wb").write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
d, p, E = 16, 24, 8
shards = []; wm = {}; total = 0
for l in range(2):
    t = {f"model.layers.{l}.block_sparse_moe.gate.weight": ("BF16", bf16(rng.standard_normal((E, d))))}
    for e in range(E):
        t[f"model.layers.{l}.block_sparse_moe.experts.{e}.w1.weight"] = ("BF16", bf16(rng.standard_normal((p, d))))
        t[f"model.layers.{l}.block_sparse_moe.experts.{e}.w2.weight"] = ("BF16", bf16(rng.standard_normal((d, p))))
        t[f"model.layers.{l}.block_sparse_moe.experts.{e}.w3.weight"] = ("BF16", bf16(rng.standard_normal((p, d))))
    shards.append(t)
for i, t in enumerate(shards):
    name = f"model-{i+1:05d}-of-{len(shards):05d}.safetensors"
    write(os.path.join(out, name), t)
    for k, (dt, a) in t.items(): wm[k] = name; total += a.nbytes
json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(wm.items()))}, open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)
json.dump({"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": d, "intermediate_size": p, "num_local_experts": E}, open(os.path.join(out, "config.json"), "w"))


`,
          [ck],
        );
        const ckpt = await openCheckpoint(ck);
        try {
          expect(ckpt.sharded).toBe(true);
          expect(ckpt.shards).toHaveLength(2);
          expect(ckpt.tensors).toHaveLength(2 * (1 + 8 * 3));
          const a = ckpt.architecture();
          expect(a).toMatchObject({
            name: "mixtral",
            expertsPerLayer: 8,
            layers: [0, 1],
            hidden: 16,
            intermediate: 24,
          });
          const m = await ckpt.readMatrix("model.layers.1.block_sparse_moe.experts.5.w3.weight");
          expect([m.rows, m.cols]).toEqual([24, 16]);
        } finally {
          await ckpt.close();
        }
      });
    },
  );
});

describe("checkpoint reader errors", () => {
  async function shardedFixture(dir: string): Promise<string> {
    const out = join(dir, "ck");
    await writeCheckpoint(out, tinyModel("dense").tensors, { maxShardBytes: 1500 });
    return out;
  }

  it("a folder without weights", async () => {
    await withTempDir(async (dir) => {
      await expect(openCheckpoint(dir)).rejects.toThrow(
        /has neither model.safetensors nor model.safetensors.index.json/,
      );
    });
  });

  it("an index that is not {metadata, weight_map}: the file and the path inside it", async () => {
    await withTempDir(async (dir) => {
      const ck = await shardedFixture(dir);
      const idxPath = join(ck, "model.safetensors.index.json");
      await writeFile(idxPath, JSON.stringify({ metadata: {}, weight_map: { "lm_head.weight": 5 } }));
      const err = await openCheckpoint(ck).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toBe(
        `${idxPath}: weight_map.lm_head.weight: Invalid input: expected string, received number; the index must be {metadata, weight_map: {tensor: shard}}`,
      );
    });
  });

  it("an index naming a missing shard", async () => {
    await withTempDir(async (dir) => {
      const ck = await shardedFixture(dir);
      const idxPath = join(ck, "model.safetensors.index.json");
      const idx = JSON.parse(await readFile(idxPath, "utf8"));
      idx.weight_map["lm_head.weight"] = "model-00009-of-00009.safetensors";
      await writeFile(idxPath, JSON.stringify(idx));
      const err = await openCheckpoint(ck).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toMatch(
        /weight_map names shard "model-00009-of-00009.safetensors", which does not exist/,
      );
    });
  });

  it("an index missing a tensor, or with a path that escapes the folder", async () => {
    await withTempDir(async (dir) => {
      const ck = await shardedFixture(dir);
      const idxPath = join(ck, "model.safetensors.index.json");
      const idx = JSON.parse(await readFile(idxPath, "utf8"));
      const name = "model.layers.0.input_layernorm.weight";
      const saved = idx.weight_map[name];
      delete idx.weight_map[name];
      await writeFile(idxPath, JSON.stringify(idx));
      await expect(openCheckpoint(ck)).rejects.toThrow(
        /tensor "model.layers.0.input_layernorm.weight": is in shard .* but not in weight_map/,
      );
      idx.weight_map[name] = "../evil.safetensors";
      await writeFile(idxPath, JSON.stringify(idx));
      await expect(openCheckpoint(ck)).rejects.toThrow(/is not a .safetensors file name inside the folder/);
      idx.weight_map[name] = saved;
      idx.weight_map.ghost = saved;
      await writeFile(idxPath, JSON.stringify(idx));
      await expect(openCheckpoint(ck)).rejects.toThrow(/tensor "ghost": weight_map puts it in/);
      await writeFile(idxPath, '{"weight_map": 3}');
      await expect(openCheckpoint(ck)).rejects.toThrow(/model.safetensors.index.json: weight_map/);
    });
  });

  it("a corrupt shard names the shard file", async () => {
    await withTempDir(async (dir) => {
      const ck = await shardedFixture(dir);
      const idx = JSON.parse(await readFile(join(ck, "model.safetensors.index.json"), "utf8"));
      const shard = join(ck, idx.weight_map["lm_head.weight"]);
      const b = await readFile(shard);
      await writeFile(shard, b.subarray(0, b.length - 3));
      const err = await openCheckpoint(ck).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as SafetensorsError).file).toBe(shard);
    });
  });

  it("opens a single .safetensors file path too", async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, "one.safetensors");
      await writeSafetensors(f, [float32Source("w", [2, 2], new Float32Array([1, 2, 3, 4]))]);
      const ck = await openCheckpoint(f);
      expect(Array.from(await ck.readFloat32("w"))).toEqual([1, 2, 3, 4]);
      await ck.close();
    });
  });
});

describe("architecture detection", () => {
  const cases: [Layout, string, boolean][] = [
    ["mixtral", "mixtral", false],
    ["qwen2_moe", "qwen2_moe", true],
    ["deepseek_moe", "deepseek_moe", true],
    ["fused", "fused_moe", false],
    ["dense", "dense", false],
  ];
  for (const [layout, name, shared] of cases) {
    it(`detects ${layout} from tensor names alone and with config.json`, () => {
      const { tensors, config } = tinyModel(layout, { layers: 3, experts: 5, d: 12, p: 6 });
      for (const cfg of [undefined, config]) {
        const a = detectArchitecture(tensors, cfg);
        expect(a.name).toBe(name);
        expect(a.hasSharedExpert).toBe(shared);
        if (layout !== "dense") {
          expect(a.expertsPerLayer).toBe(5);
          expect(a.layers).toEqual(layout === "deepseek_moe" ? [1, 2] : [0, 1, 2]);
        }
        expect(a.hidden).toBe(12);
        expect(a.intermediate).toBe(6);
      }
    });
  }

  it("uses config.json to tell Qwen3-MoE (no shared expert) apart", () => {
    const { tensors } = tinyModel("qwen2_moe");
    const noShared = tensors.filter((t) => !t.name.includes("shared_expert"));
    expect(detectArchitecture(noShared).name).toBe("qwen3_moe");
    expect(detectArchitecture(noShared, { model_type: "qwen3_moe" }).name).toBe("qwen3_moe");
  });
});
