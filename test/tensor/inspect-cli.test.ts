import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/cli/inspect.js";
import { inspectCheckpoint, writeCheckpoint } from "../../src/tensor/index.js";
import { tinyModel, withTempDir } from "./helpers.js";

async function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  process.exitCode = undefined;
  try {
    const program = new Command("frugal").exitOverride();
    command.register(program);
    await program.parseAsync(args, { from: "user" });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = typeof process.exitCode === "number" ? process.exitCode : 0;
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

describe("frugal inspect", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.FRUGAL_BACKEND;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.FRUGAL_BACKEND;
    else process.env.FRUGAL_BACKEND = saved;
  });

  it("reports tensors, totals, shards and the architecture of a sharded Qwen2-MoE folder", async () => {
    await withTempDir(async (dir) => {
      const ck = join(dir, "qwen");
      const { tensors, config } = tinyModel("qwen2_moe", { layers: 2, experts: 4, dtype: "BF16" });
      await writeCheckpoint(ck, tensors, { config, maxShardBytes: 3000 });
      const r = await run(["inspect", ck, "--json"]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.architecture.name).toBe("qwen2_moe");
      expect(j.architecture.expertsPerLayer).toBe(4);
      expect(j.sharded).toBe(true);
      expect(j.shards.length).toBeGreaterThan(1);
      expect(j.totals.tensors).toBe(tensors.length);
      const params = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
      expect(j.totals.parameters).toBe(params);
      expect(j.totals.bytes).toBe(params * 2);
      expect(j.totals.byDtype).toEqual([
        { dtype: "BF16", tensors: tensors.length, parameters: params, bytes: params * 2 },
      ]);
      expect(j.tensors[0]).toMatchObject({
        name: expect.any(String),
        dtype: "BF16",
        shape: expect.any(Array),
        bytes: expect.any(Number),
      });
      const h = await run(["inspect", ck, "--limit", "3"]);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(
        /architecture: Qwen2-MoE \(shared expert\) \[qwen2_moe\], 2 MoE layers × 4 experts \+ shared expert, d=16 p=8/,
      );
      expect(h.stdout).toMatch(/model-00001-of-000\d\d\.safetensors/);
      expect(h.stdout).toMatch(/… \d+ more tensors \(use --all/);
    });
  });

  it("--env reports the backend; FRUGAL_BACKEND=ts forces TypeScript", async () => {
    const r = await run(["inspect", "--env", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(["native", "ts"]).toContain(j.env.backend);
    expect(j.env.threads).toBeGreaterThanOrEqual(1);
    const human = await run(["inspect", "--env"]);
    expect(human.stdout).toMatch(/linear algebra backend: (native|ts)/);
  });

  it("errors: missing path is a usage error, a bad file names the file", async () => {
    const r = await run(["inspect"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/frugal: error: inspect: missing PATH; give a checkpoint folder/);
    await withTempDir(async (dir) => {
      const f = join(dir, "x.safetensors");
      await writeFile(f, "garbage!garbage!");
      const e = await run(["inspect", f]);
      expect(e.code).toBe(1);
      expect(e.stderr).toContain(`frugal: error: ${f}: header length`);
      const nf = await run(["inspect", join(dir, "none")]);
      expect(nf.code).toBe(1);
      expect(nf.stderr).toMatch(/no such file/);
    });
  });

  it("lists tensors of every dtype safetensors defines, including FP8, unsigned and complex ones", async () => {
    await withTempDir(async (dir) => {
      const dtypes = ["F8_E4M3", "F8_E5M2", "F8_E8M0", "U16", "U32", "U64", "C64", "BF16"] as const;
      const sizes: Record<string, number> = { U16: 2, U32: 4, U64: 8, C64: 8, BF16: 2 };
      const header: Record<string, unknown> = {};
      let off = 0;
      for (const d of dtypes) {
        const n = 3 * (sizes[d] ?? 1);
        header[`t.${d}`] = { dtype: d, shape: [3], data_offsets: [off, off + n] };
        off += n;
      }
      let json = JSON.stringify(header);
      json += " ".repeat((8 - (json.length % 8)) % 8);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      const file = join(dir, "mixed.safetensors");
      await writeFile(file, Buffer.concat([len, Buffer.from(json), Buffer.alloc(off, 0x38)]));
      const r = await run(["inspect", file, "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.totals.byDtype.map((d: { dtype: string }) => d.dtype).sort()).toEqual([...dtypes].sort());
      expect(doc.totals.parameters).toBe(3 * dtypes.length);
    });
  });

  it("inspectCheckpoint on a single file", async () => {
    await withTempDir(async (dir) => {
      const ck = join(dir, "m");
      await writeCheckpoint(ck, tinyModel("dense").tensors);
      const rep = await inspectCheckpoint(join(ck, "model.safetensors"));
      expect(rep.kind).toBe("file");
      expect(rep.architecture.name).toBe("dense");
      expect(rep.sharded).toBe(false);
    });
  });
});
