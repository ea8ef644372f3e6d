/**
 * `frugal plan solve --export-torch-csv` as users run it: the export implies one rank per stage, so
 * ordinary chains get an exportable plan and every other requested output is written too; a
 * branching graph is refused in one line before any planning (torch assumes stage k feeds k + 1).
 * The CSVs themselves are checked against torch's loader rules in test/plan/torch-csv.test.ts.
 */
import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("plan solve --export-torch-csv", () => {
  it("chain-nonuniform-8 --no-mip: the CSV, the plan and the HTML are all written; the plan keeps one rank per stage", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-export-"));
    const [out, csv, html] = ["plan.json", "s.csv", "g.html"].map((f) => join(dir, f)) as [
      string,
      string,
      string,
    ];
    const r = await runCli([
      "plan",
      "solve",
      "--preset",
      "chain-nonuniform-8",
      "--no-mip",
      "--quiet",
      "--json",
      "--out",
      out,
      "--export-torch-csv",
      csv,
      "--html",
      html,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).written).toEqual([out, html, csv]);
    const plan = JSON.parse(await readFile(out, "utf8"));
    expect(plan.inputs.options.oneRankPerStage).toBe(true);
    const rows = (await readFile(csv, "utf8")).trimEnd().split("\n");
    expect(rows.length).toBe(8);
    rows.forEach((row, rank) => {
      for (const cell of row.split(",")) expect(cell).toMatch(new RegExp(`^${rank}[FIWB]\\d+$`));
    });
  });

  it("multimodal-4 and moe-8: refused before planning, one line, exit 2, nothing written", async () => {
    for (const preset of ["multimodal-4", "moe-8"]) {
      const dir = await mkdtemp(join(tmpdir(), "frugal-plan-export-"));
      const r = await runCli([
        "plan",
        "solve",
        "--preset",
        preset,
        "--out",
        join(dir, "plan.json"),
        "--export-torch-csv",
        join(dir, "s.csv"),
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^frugal: error: --export-torch-csv: cannot export ${preset}: the graph is not a chain \\(.*\\); torch\\.distributed\\.pipelining sends stage k's output to stage k \\+ 1 only; drop --export-torch-csv .*\\n$`,
        ),
      );
      expect(readdirSync(dir)).toEqual([]);
      expect(existsSync(join(dir, "plan.json"))).toBe(false);
    }
  });

  it.skipIf(process.getuid?.() === 0)(
    "an output folder without write permission: one line, exit 1, before any planning",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "frugal-plan-export-"));
      const ro = join(dir, "ro");
      await mkdir(ro);
      await chmod(ro, 0o500);
      const r = await runCli(["plan", "solve", "--preset", "dualpipe-8x20", "--out", join(ro, "plan.json")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^frugal: error: .*plan\.json: cannot write into .*ro \(permission denied\); choose a writable folder\n$/,
      );
      expect(r.stderr).not.toMatch(/^plan: /m);
    },
  );
});
