/** `frugal plan` as users run it (the built CLI): JSON on stdout, usage errors, outputs written atomically. */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const PRESETS =
  "chain-nonuniform-8, dualpipe-8x20, dualpipe-8x20-overlap, dualpipev-4x10, moe-8, multimodal-4";

describe("frugal plan", () => {
  it("presets --json lists the shipped presets with their descriptions and options", async () => {
    const r = await runCli(["plan", "presets", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const presets = (
      JSON.parse(r.stdout) as { presets: { name: string; description: string; options: object }[] }
    ).presets;
    expect(presets.map((p) => p.name).join(", ")).toBe(PRESETS);
    const dp = presets.find((p) => p.name === "dualpipe-8x20");
    expect(dp?.description).toMatch(/^DualPipe's reference figure/);
    expect(dp?.options).toMatchObject({
      memoryLimitFrom: "dualpipe",
      timeLimitSeconds: 60,
      placement: "auto",
    });
  });
  it("compare --no-mip --json on dualpipe-8x20: bubbles match the formulas, one JSON document", async () => {
    const r = await runCli(["plan", "compare", "--preset", "dualpipe-8x20", "--no-mip", "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schedules: { name: string; bubbleMaxSeconds: number; peakMemoryMaxBytes: number }[];
      inputs: { preset: string; options: { mip: boolean } };
    };
    expect(doc.inputs).toMatchObject({ preset: "dualpipe-8x20", options: { mip: false } });
    const by = new Map(doc.schedules.map((s) => [s.name, s]));
    expect(by.get("1f1b")!.bubbleMaxSeconds).toBe(21);
    expect(by.get("zb1p")!.bubbleMaxSeconds).toBe(7);
    expect(by.get("dualpipe")!.bubbleMaxSeconds).toBe(6);
    expect(
      Math.min(...doc.schedules.filter((s) => s.peakMemoryMaxBytes <= 9).map((s) => s.bubbleMaxSeconds)),
    ).toBe(3);
  });
  it("compare on dualpipev-4x10 (human table): the MIP plan meets the bound 63", async () => {
    const r = await runCli([
      "plan",
      "compare",
      "--preset",
      "dualpipev-4x10",
      "--node-limit",
      "1000",
      "--quiet",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^schedule\s+devices\s+makespan/);
    // the warm start meets the bound: the row names what produced the plan, the claim its scope
    expect(r.stdout).toMatch(/\nmip = greedy:v\/bwd-first-downstream\s+4\s+63\s+3\s.*\boptimal\b/);
    expect(r.stdout).toMatch(/MIP: optimal, makespan 63, lower bound 63/);
    expect(r.stdout).toContain("it meets the lower bound, so no MIP round ran");
    expect(r.stdout).toMatch(/optimal for the warm start's placement \(.*\) and zero transfer time/);
  });
  it("--verbose logs the MIP rounds on stderr; stdout keeps only the result", async () => {
    const args = ["plan", "compare", "--preset", "dualpipe-8x20-overlap", "--node-limit", "200"];
    const r = await runCli([...args, "--time-limit", "3", "--verbose", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).mip).toBeDefined();
    expect(r.stderr).toMatch(/^plan: mip \d+ s: makespan \d+\.\d{3} window \[[\d.]+, [\d.]+\) \w+$/m);
    const quiet = await runCli(["plan", "presets", "--verbose"]);
    expect(quiet.code).toBe(2); // presets has nothing more to say
  });
  it("bad flags are usage errors (exit 2) naming the flag", async () => {
    const cases: [string[], string][] = [
      [
        ["plan", "compare", "--preset", "nope"],
        `frugal: error: --preset: "nope" is not one of ${PRESETS}; run \`frugal plan compare --help\` for usage\n`,
      ],
      [
        ["plan", "compare"],
        "frugal: error: --graph: is required without --preset; give --preset NAME, or both --graph FILE and --cluster FILE\n",
      ],
      [
        ["plan", "compare", "--preset", "moe-8", "--graph", "g.json"],
        "frugal: error: --preset: cannot be used with --graph; run `frugal plan compare --help` for usage\n",
      ],
      [
        ["plan", "compare", "--preset", "moe-8", "--seed", "-1"],
        'frugal: error: --seed: "-1" must be an integer ≥ 0 and ≤ 4294967295; run `frugal plan compare --help` for usage\n',
      ],
      [
        ["plan", "solve", "--preset", "moe-8"],
        "frugal: error: --out: no output given; give --out FILE (and/or --html, --trace, --export-torch-csv)\n",
      ],
    ];
    for (const [args, err] of cases) {
      const r = await runCli(args);
      expect(r.stderr, args.join(" ")).toBe(err);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
    }
  });
  it("inputs that cannot be planned are one-line errors (exit 1) naming the place", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const g = join(dir, "g.json");
    const c = join(dir, "c.json");
    const op = (id: string) => ({ id, forward: 1, backward: 2, weight: 1, activationBytes: 1 });
    await writeFile(
      g,
      JSON.stringify({ microBatches: 2, operators: [op("a"), op("b")], edges: [{ from: "a", to: "b" }] }),
    );
    await writeFile(c, JSON.stringify({ devices: 2 }));
    const stages = await runCli(["plan", "compare", "--graph", g, "--cluster", c, "--stages", "3"]);
    expect(stages.code).toBe(1);
    expect(stages.stderr).toBe(
      "frugal: error: options.stages: 3 stages but the graph has 2 operators; use at most one stage per operator\n",
    );
    await writeFile(c, JSON.stringify({ devices: 0 }));
    const cluster = await runCli(["plan", "compare", "--graph", g, "--cluster", c]);
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toMatch(/^frugal: error: .*c\.json: devices: /);
  });
  it("solve writes plan, CSV, trace and HTML; refuses to overwrite without --force", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const out = join(dir, "plan.json");
    const csv = join(dir, "s.csv");
    const html = join(dir, "g.html");
    const trace = join(dir, "t.json");
    const args = ["plan", "solve", "--preset", "dualpipev-4x10", "--no-mip", "--quiet"];
    const r = await runCli([
      ...args,
      "--out",
      out,
      "--export-torch-csv",
      csv,
      "--html",
      html,
      "--trace",
      trace,
    ]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of [out, csv, html, trace]) expect(existsSync(f)).toBe(true);
    const plan = JSON.parse(await readFile(out, "utf8")) as {
      schedule: { summary: { makespanSeconds: number } };
      comparison: { name: string }[];
    };
    expect(plan.schedule.summary.makespanSeconds).toBe(63);
    // the HTML page shows the same comparison table as the terminal
    const page = await readFile(html, "utf8");
    for (const c of plan.comparison) expect(page).toContain(`<td>${c.name}</td>`);
    const again = await runCli([...args, "--out", out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`frugal: error: ${out}: already exists; choose another path or pass --force\n`);
    const x = join(dir, "x.json");
    const twice = await runCli([...args, "--out", x, "--trace", x]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      `frugal: error: --trace: writes to ${x}, as --out does; give each output its own path\n`,
    );
  });
  it("an infeasible plan with --out says that nothing was written, and writes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const out = join(dir, "plan.json");
    const args = [
      "plan",
      "solve",
      "--preset",
      "dualpipe-8x20",
      "--memory-limit",
      "0.5",
      "--no-mip",
      "--quiet",
    ];
    const r = await runCli([...args, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `infeasible: no schedule fits the memory limit 0.5; the smallest peak among the candidates is 1\nnothing was written (${out})\n`,
    );
    const j = await runCli([...args, "--out", out, "--json"]);
    expect(JSON.parse(j.stdout)).toMatchObject({ status: "infeasible", written: [] });
    expect(existsSync(out)).toBe(false);
  });
  it("--dry-run writes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-cli-"));
    const out = join(dir, "plan.json");
    const r = await runCli(["plan", "solve", "--preset", "moe-8", "--out", out, "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("would write");
    expect(existsSync(out)).toBe(false);
  });
});
