import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { withTempDir, writeTinyMoe } from "./helpers.js";

describe("frugal mole (CLI)", () => {
  it("convert --dry-run, convert, expand, report --html, each with one JSON document", async () => {
    await withTempDir(async (dir) => {
      const src = await writeTinyMoe(dir, "qwen2_moe", {
        experts: 6,
        d: 24,
        p: 12,
        latentRank: 4,
        noise: 0.01,
        dtype: "BF16",
      });
      const dry = await runCli([
        "mole",
        "convert",
        src,
        "--max-error",
        "0.05",
        "--group-size",
        "3",
        "--dry-run",
      ]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/rank: relative error ≤ 0\.05/);
      expect(dry.stdout).toMatch(/≤ 24 \(from σ\)/);
      const conv = await runCli(["mole", "convert", src, `${dir}/m`, "--rank", "4", "--down", "--json"]);
      expect(conv.code, conv.stderr).toBe(0);
      const r = JSON.parse(conv.stdout);
      expect(r.status).toBe("converted");
      expect(r.config.options.kinds).toEqual(["gate", "up", "down"]);
      expect(JSON.parse(readFileSync(`${dir}/m/mole_config.json`, "utf8")).format).toBe("frugal-mole");
      expect(existsSync(`${dir}/m/config.json`)).toBe(true);
      const again = await runCli(["mole", "convert", src, `${dir}/m`, "--rank", "4"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /^frugal: error: .*\/m: already exists; choose another path or pass --force\n$/,
      );
      const exp = await runCli(["mole", "expand", `${dir}/m`, `${dir}/e`, "--json"]);
      expect(exp.code, exp.stderr).toBe(0);
      expect(JSON.parse(exp.stdout).rebuilt).toBe(2 * 6 * 3);
      const rep = await runCli([
        "mole",
        "report",
        src,
        `${dir}/m`,
        "--html",
        `${dir}/r.html`,
        "--tokens",
        "32",
        "--json",
      ]);
      expect(rep.code, rep.stderr).toBe(0);
      const j = JSON.parse(rep.stdout);
      expect(j.kinds).toHaveLength(6);
      expect(j.layers[0].outputRelativeError).toBeLessThan(0.2);
      const html = readFileSync(`${dir}/r.html`, "utf8");
      expect(html).toMatch(/<svg/);
      expect(html).toMatch(/Singular values of each stacked group/);
      const notMole = await runCli(["mole", "report", src, src]);
      expect(notMole.code).toBe(1);
      expect(notMole.stderr).toMatch(
        /mole_config\.json: cannot be read \(is this a MoLE checkpoint\?\); give the folder `frugal mole convert` wrote/,
      );
    });
  });

  it("analyze prints MoE vs MoLE; flag errors are usage errors (exit 2)", async () => {
    const a = await runCli(["mole", "analyze", "--arch", "qwen3-30b-a3b", "--rank", "512", "--json"]);
    expect(a.code, a.stderr).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j.rows.map((r: { name: string }) => r.name)).toEqual(["MoE", "MoLE"]);
    expect(j.rank).toBe(512);
    const human = await runCli(["mole", "analyze", "--arch", "mixtral-8x7b"]);
    expect(human.stdout).toMatch(/MoLE: rank 1977/);
    const both = await runCli(["mole", "convert", "x", "y", "--rank", "4", "--energy", "0.9"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      "frugal: error: --energy: cannot be combined with --rank; choose the rank one way: --rank, --energy, --max-error or --target-ratio\n",
    );
    const bad = await runCli(["mole", "analyze", "--arch", "gpt-5"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--arch/);
    const none = await runCli(["mole", "analyze"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--arch: is required \(or --config\)/);
  });
});
