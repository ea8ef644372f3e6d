/**
 * Input bounds (src/plan/limits.ts): what is beyond them is refused at the boundary naming the file
 * and the path, the limits themselves are accepted, and the greedy rules' work is checked before any
 * planning. Gantt tooltips show times through formatNumber (no float noise).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../src/plan/cluster.js";
import { ganttOptions } from "../../src/plan/export/html.js";
import { parseGraph } from "../../src/plan/graph.js";
import { checkSize } from "../../src/plan/inputs.js";
import { greedyJobs, PLAN_LIMITS } from "../../src/plan/limits.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { runPlan } from "../../src/plan/run.js";
import { oneFOneB } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chain } from "./helpers.js";

const op = (id: string, forward = 1) => ({ id, forward, backward: 2 });
const graph = (microBatches: number, forward = 1) => ({
  microBatches,
  operators: [op("a", forward), op("b")],
  edges: [{ from: "a", to: "b" }],
});

describe("plan input limits", () => {
  it("graphs: micro-batches, pass times and non-finite values beyond the limits name the file and path", () => {
    expect(() => parseGraph(graph(1e9), "g.json")).toThrow(/^g\.json: microBatches: must be at most 1024/);
    expect(() => parseGraph(graph(4, 1e308), "g.json")).toThrow(
      "g.json: operators[0].forward: must be at most 1000000 seconds",
    );
    expect(() => parseGraph(graph(4, Number.POSITIVE_INFINITY), "g.json")).toThrow(
      /^g\.json: operators\[0\]\.forward: /,
    );
    expect(parseGraph(graph(PLAN_LIMITS.microBatches, PLAN_LIMITS.seconds)).microBatches).toBe(1024);
  });

  it("clusters: too many devices and duplicate ids (property: any repeated id is refused at its second place)", () => {
    expect(() => parseCluster({ devices: 1e6 }, "c.json")).toThrow("c.json: devices: at most 1024 devices");
    expect(parseCluster({ devices: PLAN_LIMITS.devices }).devices.length).toBe(1024);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), fc.nat(), (n, a, b) => {
        const i = a % n;
        const j = b % n;
        fc.pre(i !== j);
        const ids = Array.from({ length: n }, (_, k) => `d${k}`);
        const [first, second] = i < j ? [i, j] : [j, i];
        ids[second] = ids[first] ?? "";
        expect(() => parseCluster({ devices: ids.map((id) => ({ id })) }, "c.json")).toThrow(
          `c.json: devices[${second}].id: device id "d${first}" is also the id of devices[${first}]`,
        );
      }),
    );
  });

  it("the greedy rules' work is checked before planning (runPlan refuses it too)", async () => {
    expect(greedyJobs(8, 1024, 2)).toBe(8192); // 8 operators ≤ 4 per device: the full graph
    expect(greedyJobs(100, 16, 8)).toBe(16 * 16); // merged to 2 per device
    const big = parseGraph({
      microBatches: 1024,
      operators: [..."abcdefghijklmnop"].map((c) => op(c)),
      edges: [..."abcdefghijklmno"].map((c, i) => ({ from: c, to: "abcdefghijklmnop"[i + 1] ?? "" })),
    });
    const cluster = parseCluster({ devices: 4 });
    const options = PlanOptionsSchema.parse({ mip: false });
    expect(() => checkSize(big, cluster, options, "g.json")).toThrow(
      "g.json: microBatches: 1024 micro-batches × 16 units on 4 devices is 16384 jobs for the greedy rules, more than 8192; use at most 512 micro-batches",
    );
    await expect(runPlan(big, cluster, options)).rejects.toThrow(/16384 jobs for the greedy rules/);
  });
});

describe("plan Gantt tooltips", () => {
  it("show start and end through formatNumber", () => {
    const { ug, cluster } = chain({ stages: 2, microBatches: 3 }, 2, 0.1);
    const sim = simulate(ug, cluster, oneFOneB.generate({ stages: ug, cluster }, {}));
    const titles = ganttOptions(ug, sim).rows.flatMap((r) => r.bars.map((b) => b.title ?? ""));
    expect(titles.length).toBeGreaterThan(0);
    // latency 0.1 makes times like 1.1 + 0.1 + …; none may show float noise such as 2.3000000000000003
    for (const t of titles) expect(t).toMatch(/: -?[\d.e+-]+–[\d.e+-]+$/);
    for (const t of titles) expect(t).not.toMatch(/\d{6,}/);
  });
});
