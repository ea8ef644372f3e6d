/**
 * End-to-end merges of generated multi-shard checkpoints: the output folder, `linear` against a
 * reference computed tensor by tensor, slices, shape policies, seeds, interruption, disk space.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../src/errors/index.js";
import {
  checkOutput,
  type MergePlan,
  mergeFromConfig,
  writePlantedCheckpoints,
} from "../../src/merge/index.js";
import { fromFloat32, openCheckpoint } from "../../src/tensor/index.js";
import { expectAllClose } from "../helpers/tolerance.js";
import { withTempDir, writeConfig } from "./helpers.js";

const small = { layers: 2, hidden: 32, intermediate: 48, vocab: 64, maxShardBytes: 40_000 };

describe("a merge writes a loadable sharded checkpoint", () => {
  it("linear is identical to a reference computed tensor by tensor (BF16 in, BF16 out)", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, { ...small, dtype: "BF16" });
      const w = [0.5, 1.5, 1];
      const cfg = await writeConfig(
        dir,
        "linear.yml",
        `models:\n${p.models.map((m, i) => `  - model: ${m}\n    parameters: {weight: ${w[i]}}`).join("\n")}\nmerge_method: linear\n`,
      );
      const out = join(dir, "out");
      const { result } = await mergeFromConfig(cfg, out, { maxShardBytes: 30_000 });
      expect(result.status).toBe("ok");
      expect(result.result!.shards).toBeGreaterThan(1);
      const files = (await readdir(out)).sort();
      expect(files).toContain("model.safetensors.index.json");
      expect(files).toContain("config.json");
      expect(files).toContain("tokenizer_config.json");
      const merged = await openCheckpoint(out);
      const inputs = await Promise.all(p.models.map((m) => openCheckpoint(m)));
      try {
        expect(merged.tensors.map((t) => t.name)).toEqual(inputs[0]!.tensors.map((t) => t.name));
        const wsum = Math.fround(w.reduce((a, b) => a + b, 0));
        for (const t of merged.tensors) {
          expect(t.dtype).toBe("BF16");
          const xs = [];
          for (const ck of inputs) xs.push(await ck.readFloat32(t.name));
          const ref = new Float32Array(xs[0]!.length);
          for (const [i, x] of xs.entries())
            for (let j = 0; j < ref.length; j++) ref[j] = ref[j]! + w[i]! * x[j]!;
          const inv = 1 / wsum;
          for (let j = 0; j < ref.length; j++) ref[j] = ref[j]! * inv;
          expect(
            Buffer.from(await merged.readRaw(t.name)).equals(Buffer.from(fromFloat32(ref, "BF16"))),
            t.name,
          ).toBe(true);
        }
      } finally {
        await merged.close();
        await Promise.all(inputs.map((c) => c.close()));
      }
      const tok = JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8"));
      expect(tok.origin).toBe("model-1");
    });
  });

  it("lore with combine: mean writes the models' average; config and tokenizer come from the base model", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, { ...small, layers: 1 });
      const cfg = await writeConfig(
        dir,
        "lore.yml",
        `models:\n${p.models.map((m) => `  - model: ${m}`).join("\n")}\nbase_model: ${p.base}\nmerge_method: lore\nparameters: {combine: mean}\nout_dtype: float32\n`,
      );
      const out = join(dir, "out");
      const { result } = await mergeFromConfig(cfg, out);
      expect(result.lore!.matrices).toBe(9);
      expect(result.lore!.converged + 0).toBeGreaterThan(0);
      const merged = await openCheckpoint(out);
      try {
        for (const t of p.tensors) {
          const mean = t.models[0]!.map(
            (_, j) => (t.models[0]![j]! + t.models[1]![j]! + t.models[2]![j]!) / 3,
          );
          expectAllClose(await merged.readFloat32(t.name), mean, { abs: 2e-6, rel: 1e-5 });
        }
      } finally {
        await merged.close();
      }
      expect(JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8")).origin).toBe("base");
    });
  });

  it("stacks layers with passthrough slices", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, { ...small, layers: 3, models: 2 });
      const cfg = await writeConfig(
        dir,
        "stack.yml",
        `slices:\n  - sources: [{model: ${p.models[0]}, layer_range: [0, 2]}]\n  - sources: [{model: ${p.models[1]}, layer_range: [1, 3]}]\nmerge_method: passthrough\n`,
      );
      const out = join(dir, "out");
      await mergeFromConfig(cfg, out);
      const merged = await openCheckpoint(out);
      const b = await openCheckpoint(p.models[1]!);
      try {
        expect((merged.config as { num_hidden_layers: number }).num_hidden_layers).toBe(4);
        const name = (l: number) => `model.layers.${l}.mlp.down_proj.weight`;
        expect(Buffer.from(await merged.readRaw(name(3))).equals(Buffer.from(await b.readRaw(name(2))))).toBe(
          true,
        );
        expect(merged.tensors.filter((t) => t.name.endsWith("q_proj.weight"))).toHaveLength(4);
      } finally {
        await merged.close();
        await b.close();
      }
    });
  });

  it("seeds the random methods: same seed, same output; another seed, another output", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, { ...small, layers: 1 });
      const cfg = await writeConfig(
        dir,
        "dare.yml",
        `models:\n${p.models.map((m) => `  - model: ${m}\n    parameters: {weight: 1, density: 0.5}`).join("\n")}\nbase_model: ${p.base}\nmerge_method: dare_ties\n`,
      );
      const run = async (name: string, seed: number) => {
        await mergeFromConfig(cfg, join(dir, name), { seed });
        return readFile(join(dir, name, "model.safetensors"));
      };
      const a = await run("a", 1);
      const b = await run("b", 1);
      const c = await run("c", 2);
      expect(a.equals(b)).toBe(true);
      expect(a.equals(c)).toBe(false);
    });
  });
});

describe("models that do not fit together", () => {
  it("refuses different vocabulary sizes, or fits them by the chosen policy", async () => {
    await withTempDir(async (dir) => {
      const a = await writePlantedCheckpoints(join(dir, "a"), { ...small, layers: 1, models: 1, vocab: 64 });
      const b = await writePlantedCheckpoints(join(dir, "b"), {
        ...small,
        layers: 1,
        models: 1,
        vocab: 66,
        seed: 2,
      });
      const cfg = await writeConfig(
        dir,
        "ta.yml",
        `models:\n  - model: ${a.models[0]}\n    parameters: {weight: 1}\n  - model: ${b.models[0]}\n    parameters: {weight: 1}\nbase_model: ${a.base}\nmerge_method: task_arithmetic\n`,
      );
      await expect(mergeFromConfig(cfg, join(dir, "out"))).rejects.toThrow(
        /do not match: model\.embed_tokens\.weight: \[64, 32\]/,
      );
      await mergeFromConfig(cfg, join(dir, "t"), { shapeMismatch: "truncate" });
      const t = await openCheckpoint(join(dir, "t"));
      expect(t.info("lm_head.weight").shape).toEqual([64, 32]);
      await t.close();
      // pad-to-base: a base with the larger vocabulary; the smaller model's missing rows come from the base.
      const cfg2 = await writeConfig(
        dir,
        "ta2.yml",
        `models:\n  - model: ${a.models[0]}\n    parameters: {weight: 1}\nbase_model: ${b.base}\nmerge_method: task_arithmetic\n`,
      );
      await mergeFromConfig(cfg2, join(dir, "p"), { shapeMismatch: "pad-to-base" });
      const pck = await openCheckpoint(join(dir, "p"));
      const base = await openCheckpoint(b.base);
      try {
        expect(pck.info("model.embed_tokens.weight").shape).toEqual([66, 32]);
        const out = await pck.readFloat32("model.embed_tokens.weight");
        const bt = await base.readFloat32("model.embed_tokens.weight");
        // rows 64 and 65 exist only in the base: their task vector is zero
        expectAllClose(out.subarray(64 * 32), bt.subarray(64 * 32), { abs: 0 });
        expect((pck.config as { vocab_size: number }).vocab_size).toBe(66);
      } finally {
        await pck.close();
        await base.close();
      }
    });
  });
});

describe("nothing incomplete is left behind", () => {
  it("an interrupted merge leaves no output folder and no temporary folder", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(join(dir, "in"), small);
      const cfg = await writeConfig(
        dir,
        "ties.yml",
        `models:\n${p.models.map((m) => `  - model: ${m}\n    parameters: {weight: 1, density: 0.5}`).join("\n")}\nbase_model: ${p.base}\nmerge_method: ties\n`,
      );
      const ac = new AbortController();
      const run = mergeFromConfig(cfg, join(dir, "out"), {
        signal: ac.signal,
        maxShardBytes: 20_000,
        onProgress: (e) => {
          if (e.done === 5) ac.abort();
        },
      });
      await expect(run).rejects.toBeInstanceOf(AbortedError);
      expect((await readdir(dir)).sort()).toEqual(["in", "ties.yml"]);
    });
  });

  it("refuses to start when the disk has too little space", async () => {
    await withTempDir(async (dir) => {
      const plan = { models: [], totals: { outputBytes: 2 ** 60 } } as unknown as MergePlan;
      await expect(checkOutput(join(dir, "out"), plan)).rejects.toThrow(
        /is free on that disk; free some space/,
      );
    });
  });
});
