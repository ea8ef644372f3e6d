import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("frugal demo", () => {
  it("writes a report folder, refuses to overwrite it, and replaces it with --force", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-demo-"));
    const out = join(dir, "report");
    const r = await runCli(["demo", "--only", "mip", "--out", out, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sections[0].name).toBe("mip");
    expect(j.sections[0].result.status).toBe("optimal");
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(/<svg/);
    expect((html.match(/class="bar"/g) ?? []).length).toBe(9);
    expect(existsSync(join(out, "demo.json"))).toBe(true);

    const again = await runCli(["demo", "--only", "mip", "--out", out]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(
      `frugal: error: ${out}: already exists; choose another path or pass --force`,
    );
    const forced = await runCli(["demo", "--only", "mip", "--out", out, "--force", "--quiet"]);
    expect(forced.code).toBe(0);
  });

  // The whole demo takes seconds alone and several times that beside other CPU-heavy jobs; the
  // limits below are safety nets, not claims about speed.
  it("runs every capability offline and writes their reports", { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-demo-"));
    const out = join(dir, "all");
    const r = await runCli(["demo", "--out", out, "--json", "--quiet"], { timeoutMs: 290_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const by = Object.fromEntries(
      j.sections.map((s: { name: string; result: unknown }) => [s.name, s.result]),
    );
    expect(Object.keys(by).sort()).toEqual([
      "formulate",
      "merge",
      "mip",
      "mole",
      "plan",
      "serving",
      "tensor",
    ]);
    expect(by.formulate.matched).toBe(by.formulate.total); // every shipped structured model solves to its reference
    expect(by.plan.plan.makespan).toBe(63); // half of DualPipe's bubble (66 → 63) on its reference setting
    expect(by.serving.hybridGainPoints).toBeGreaterThan(8.9);
    expect(by.tensor.architecture.name).toBe("mixtral");
    expect(by.mole.totals.convertedParamsAfter).toBe(2 * 2 * by.mole.predictedParamsPerKind);
    expect(by.mole.analyses).toHaveLength(5);
    expect(by.merge.theta0.lore).toBeLessThan(0.5 * by.merge.theta0.average);
    for (const f of ["report.html", "plan.html", "serving.html", "tiny-mixtral/model.safetensors.index.json"])
      expect(existsSync(join(out, f)), f).toBe(true);
  });

  it("rejects an unknown section as a usage error", async () => {
    const r = await runCli(["demo", "--only", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--only: unknown section "nope"/);
  });
});
