/** `frugal plan` through commander: JSON on stdout, usage errors, outputs written atomically. */
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/cli/plan.js";

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    const p = new Command().name("frugal").exitOverride();
    command.register(p);
    await p.parseAsync(["node", "frugal", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

afterEach(() => {
  process.exitCode = 0;
});

describe("frugal plan", () => {
  it("presets --json lists the five required presets", async () => {
    const r = await run(["plan", "presets", "--json"]);
    const names = (JSON.parse(r.out) as { presets: { name: string }[] }).presets.map((p) => p.name);
    for (const n of ["dualpipe-8x20", "dualpipe-8x20-overlap", "dualpipev-4x10", "moe-8", "multimodal-4"])
      expect(names).toContain(n);
  });
  it("compare --no-mip --json on dualpipe-8x20: bubbles match the formulas, one JSON document", async () => {
    const r = await run(["plan", "compare", "--preset", "dualpipe-8x20", "--no-mip", "--json", "--quiet"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      schedules: { name: string; bubbleMaxSeconds: number; peakMemoryMaxBytes: number }[];
    };
    const by = new Map(doc.schedules.map((s) => [s.name, s]));
    expect(by.get("1f1b")!.bubbleMaxSeconds).toBe(21);
    expect(by.get("zb1p")!.bubbleMaxSeconds).toBe(7);
    expect(by.get("dualpipe")!.bubbleMaxSeconds).toBe(6);
    expect(
      Math.min(...doc.schedules.filter((s) => s.peakMemoryMaxBytes <= 9).map((s) => s.bubbleMaxSeconds)),
    ).toBe(3);
  });
  it("unknown preset and missing inputs are usage errors (exit 2) with the flag named", async () => {
    const a = await run(["plan", "compare", "--preset", "nope"]);
    expect(a.code).toBe(2);
    expect(a.err).toContain('frugal: error: --preset: unknown preset "nope"; use one of dualpipe-8x20');
    const b = await run(["plan", "compare"]);
    expect(b.code).toBe(2);
    expect(b.err).toContain("frugal: error: --graph: is required without --preset");
  });
  it("solve writes plan, CSV, trace and HTML; refuses to overwrite without --force", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const out = join(dir, "plan.json");
    const csv = join(dir, "s.csv");
    const html = join(dir, "g.html");
    const trace = join(dir, "t.json");
    const r = await run([
      "plan",
      "solve",
      "--preset",
      "dualpipev-4x10",
      "--no-mip",
      "--out",
      out,
      "--export-torch-csv",
      csv,
      "--html",
      html,
      "--trace",
      trace,
      "--quiet",
    ]);
    expect(r.code).toBe(0);
    for (const f of [out, csv, html, trace]) expect(existsSync(f)).toBe(true);
    const plan = JSON.parse(await readFile(out, "utf8")) as {
      schedule: { summary: { makespanSeconds: number } };
    };
    expect(plan.schedule.summary.makespanSeconds).toBe(63);
    const again = await run([
      "plan",
      "solve",
      "--preset",
      "dualpipev-4x10",
      "--no-mip",
      "--out",
      out,
      "--quiet",
    ]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists; choose another path or pass --force");
  });
  it("--dry-run writes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const out = join(dir, "plan.json");
    const r = await run(["plan", "solve", "--preset", "moe-8", "--out", out, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("would write");
    expect(existsSync(out)).toBe(false);
  });
});
