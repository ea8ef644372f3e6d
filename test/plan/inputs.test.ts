/** Presets as data files, input resolution with overrides, and the one row builder of plan tables. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mergeOptions, resolvePlanInputs } from "../../src/plan/inputs.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { loadPreset, presetList, presetNames } from "../../src/plan/presets.js";
import type { ComparisonRow } from "../../src/plan/report.js";
import { PLAN_TABLE_HEADER, planTable } from "../../src/plan/table.js";
import { UnknownNameError } from "../../src/util/registry.js";

describe("plan presets", () => {
  it("every shipped preset loads and validates: a graph, a cluster and options", () => {
    expect(presetNames()).toEqual([
      "chain-nonuniform-8",
      "dualpipe-8x20",
      "dualpipe-8x20-overlap",
      "dualpipev-4x10",
      "moe-8",
      "multimodal-4",
    ]);
    for (const name of presetNames()) {
      const p = loadPreset(name);
      expect(p.graph.name).toBe(name);
      expect(p.graph.operators.length).toBeGreaterThan(0);
      expect(p.cluster.devices.length).toBeGreaterThan(0);
      expect(p.options.timeLimitSeconds).toBeGreaterThan(0);
    }
    const dp = loadPreset("dualpipe-8x20");
    expect([dp.graph.operators.length, dp.graph.microBatches, dp.cluster.devices.length]).toEqual([8, 20, 8]);
    expect(dp.graph.overlap?.factor).toBe(1);
    expect(presetList().map((p) => p.name)).toEqual(presetNames());
  });
  it("an unknown preset is a typed error listing the presets", () => {
    expect(() => loadPreset("nope")).toThrow(UnknownNameError);
    expect(() => loadPreset("nope")).toThrow(
      'plan preset: unknown plan preset "nope"; use one of chain-nonuniform-8, dualpipe-8x20',
    );
  });
});

describe("plan inputs", () => {
  it("overrides apply over the preset's options; an explicit memory limit replaces the preset's baseline peak", async () => {
    const a = await resolvePlanInputs({ preset: "dualpipe-8x20" }, { timeLimitSeconds: 5, nodeLimit: 100 });
    expect(a.options).toMatchObject({ memoryLimitFrom: "dualpipe", timeLimitSeconds: 5, nodeLimit: 100 });
    expect(a.source).toEqual({ preset: "dualpipe-8x20", graphFile: null, clusterFile: null });
    const b = await resolvePlanInputs({ preset: "dualpipe-8x20" }, { memoryLimitBytes: 7, mip: false });
    expect(b.options.memoryLimitFrom).toBeUndefined();
    expect(b.options).toMatchObject({ memoryLimitBytes: 7, mip: false, timeLimitSeconds: 60 });
  });
  it("overrides are validated like a preset's options", () => {
    const base = PlanOptionsSchema.parse({});
    expect(() => mergeOptions(base, { timeLimitSeconds: -1 })).toThrow(/^options: timeLimitSeconds: /);
    expect(() => mergeOptions(base, { placement: "anywhere" as "free" })).toThrow(/^options: placement: /);
  });
  it("reads a graph and a cluster file, naming the file in errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-inputs-"));
    const g = join(dir, "g.yaml");
    const c = join(dir, "c.json");
    await writeFile(g, "microBatches: 2\noperators:\n  - { id: a, forward: 1, backward: 2 }\n");
    await writeFile(c, JSON.stringify({ devices: 1 }));
    const inp = await resolvePlanInputs({ graphFile: g, clusterFile: c });
    expect(inp.graph.operators.map((o) => o.id)).toEqual(["a"]);
    expect(inp.source).toEqual({ preset: null, graphFile: g, clusterFile: c });
    await writeFile(c, JSON.stringify({ devices: 1, speed: 2 }));
    await expect(resolvePlanInputs({ graphFile: g, clusterFile: c })).rejects.toThrow(`${c}: `);
  });
});

describe("plan tables", () => {
  const row = (name: string, kind: ComparisonRow["kind"], makespan: number, fits = true): ComparisonRow => ({
    name,
    kind,
    devices: 2,
    makespanSeconds: makespan,
    bubbleMaxSeconds: 1,
    bubbleMeanSeconds: 1,
    bubbleRatio: 0.1,
    peakMemoryBytes: [1, 1],
    peakMemoryMaxBytes: 1,
    fitsMemoryLimit: fits,
    formula: null,
    status: kind === "mip" ? "optimal" : null,
    gap: kind === "mip" ? 0 : null,
    solveSeconds: kind === "mip" ? 1 : null,
  });
  const rows = [
    row("mip", "mip", 8),
    row("g2", "greedy", 9),
    row("b1", "baseline", 12),
    row("g1", "greedy", 7, false),
    row("b0", "baseline", 10),
  ];
  it("baselines, then greedy rules, then the MIP, each by makespan; one column per header", () => {
    const t = planTable(rows);
    expect(t.header).toEqual(PLAN_TABLE_HEADER);
    expect(t.rows.map((r) => r[0])).toEqual(["b0", "b1", "g1", "g2", "mip"]);
    for (const r of t.rows) expect(r).toHaveLength(t.header.length);
    expect(t.rows.at(-1)).toEqual(["mip", 2, 8, 1, 1, 0.1, 1, "yes", "", "optimal", 0, 1]);
  });
  it("greedy: best keeps only the shortest greedy rule that fits", () => {
    expect(planTable(rows, { greedy: "best" }).rows.map((r) => r[0])).toEqual(["b0", "b1", "g2", "mip"]);
  });
});
