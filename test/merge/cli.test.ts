/** `frugal merge`, `frugal merge report`, `frugal merge methods` through the built CLI. */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signConflicts, taskVectorStats, writePlantedCheckpoints } from "../../src/merge/index.js";
import { runCli } from "../helpers/cli.js";
import { expectClose } from "../helpers/tolerance.js";
import { withTempDir, writeConfig } from "./helpers.js";

const small = { layers: 1, hidden: 24, intermediate: 32, vocab: 40 };

describe("frugal merge (CLI)", () => {
  it("merges, plans with --dry-run, and reports errors on one line", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, { ...small, layers: 2 });
      const cfg = await writeConfig(
        dir,
        "ties.yml",
        `models:\n${p.models.map((m) => `  - model: ${m}\n    parameters: {weight: 1, density: [0.4, 0.8]}`).join("\n")}\nbase_model: ${p.base}\nmerge_method: ties\ndtype: bfloat16\n`,
      );
      const out = join(dir, "out");

      const dry = await runCli(["merge", cfg, out, "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/method ties; 4 model folder\(s\)/);
      expect(dry.stdout).toMatch(/peak memory \(tensor data\)/);
      expect(dry.stdout).toMatch(/model\.layers\.0\.self_attn\.q_proj\.weight .* density=0\.4,0\.4,0\.4,1/);
      expect(existsSync(out)).toBe(false);

      const run = await runCli(["merge", cfg, out, "--json", "--quiet"]);
      expect(run.code, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout);
      expect(r).toMatchObject({ status: "ok", method: "ties", shapeMismatch: "refuse", seed: 0 });
      expect(r.result.tensors).toBe(p.tensors.length);
      expect(existsSync(join(out, "model.safetensors"))).toBe(true);

      const noOut = await runCli(["merge", cfg]);
      expect(noOut.code).toBe(2);
      expect(noOut.stderr.trim()).toBe(
        "frugal: error: <out>: is missing; give an output folder, or --dry-run to print the plan only",
      );

      const hub = await writeConfig(
        dir,
        "hub.yml",
        "models: [{model: org/model-a}, {model: org/model-b}]\nmerge_method: lore\n",
      );
      const h = await runCli(["merge", hub, join(dir, "o2")]);
      expect(h.code).toBe(1);
      expect(h.stderr).toMatch(
        /hub\.yml: models\[0\]\.model: "org\/model-a" looks like a Hugging Face hub id.*download it first/,
      );
    });
  });

  it("report prints spectra and sign conflicts and writes an HTML page; methods lists the registry", async () => {
    await withTempDir(async (dir) => {
      const p = await writePlantedCheckpoints(dir, small);
      const cfg = await writeConfig(
        dir,
        "lore.yml",
        `models:\n${p.models.map((m) => `  - model: ${m}`).join("\n")}\nbase_model: ${p.base}\nmerge_method: lore\n`,
      );
      const html = join(dir, "report.html");
      const r = await runCli([
        "merge",
        "report",
        cfg,
        "--filter",
        "proj",
        "--limit",
        "3",
        "--html",
        html,
        "--json",
        "-q",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout);
      expect(rep.tensors).toHaveLength(3);
      const t = rep.tensors[0];
      expect(t.from).toBe("base");
      // planted rank-4 task vectors: 4 singular values hold (nearly) all the energy
      for (const m of t.models) expect(m.rank90).toBeLessThanOrEqual(4);
      expect(t.lore.ranks).toHaveLength(3);
      expect(t.lore.objective.length).toBe(t.lore.sweeps);
      const page = await readFile(html, "utf8");
      expect(page).toMatch(/<svg/);
      expect(page).toMatch(/relative duality gap per sweep/);

      const m = await runCli(["merge", "methods", "--json"]);
      expect(m.code).toBe(0);
      const lore = JSON.parse(m.stdout).methods.find((x: { name: string }) => x.name === "lore");
      expect(lore.parameters.map((x: { name: string }) => x.name)).toEqual([
        "mu",
        "mu_scale",
        "iterations",
        "tolerance",
        "combine",
        "lambda",
        "svd",
      ]);
    });
  });
});

describe("report measures", () => {
  it("sign conflicts by hand", () => {
    const a = Float32Array.from([1, -1, 2, 0]);
    const b = Float32Array.from([1, 1, -1, 3]);
    const c = Float32Array.from([-1, 1, 1, 0]);
    const r = signConflicts([a, b, c]);
    expect(r.any).toBe(0.75);
    expect(r.pairwise[0]![1]).toBe(0.5);
    expect(r.pairwise[0]![2]).toBe(0.5);
    expect(r.pairwise[1]![2]).toBe(0.5);
  });

  it("rank and energy of a rank-2 task vector", () => {
    // u1 v1ᵀ·3 + u2 v2ᵀ·1 with orthonormal u, v: σ = (3, 1), energy 10, rank90 = 2 (9/10 < 0.9 is false → 1)
    const d = new Float32Array(16);
    d[0] = 3; // e1 e1ᵀ · 3
    d[5] = 1; // e2 e2ᵀ · 1
    const s = taskVectorStats("m", d, 4, 4, 4);
    expectClose(s.spectrum[0]!, 3, { rel: 1e-5 });
    expectClose(s.spectrum[1]!, 1, { rel: 1e-5 });
    expect(s.rank90).toBe(1);
    expectClose(s.energyAtK!, 1, { rel: 1e-5 });
    expectClose(s.stableRank!, 10 / 9, { rel: 1e-5 });
  });
});
