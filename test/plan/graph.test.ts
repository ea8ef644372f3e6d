/** Graph and cluster validation: every user-caused error pins its text; property tests on generators. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../src/plan/cluster.js";
import { moeStack, multimodal, transformerChain } from "../../src/plan/generators.js";
import { parseGraph, topoOrder } from "../../src/plan/graph.js";
import { chainStages, coarsen, unitsFromGraph } from "../../src/plan/units.js";

const ok = {
  microBatches: 4,
  operators: [
    { id: "a", forward: 1, backward: 2, weight: 1 },
    { id: "b", forward: 1, backward: 2, weight: 1 },
  ],
  edges: [{ from: "a", to: "b" }],
};

describe("graph validation", () => {
  it("accepts a valid graph and fills defaults", () => {
    const g = parseGraph(ok, "g.json");
    expect(g.edges[0]!.bytes).toBe(0);
    expect(g.operators[0]!.activationBytes).toBe(0);
  });
  it("rejects a cycle, naming it", () => {
    expect(() =>
      parseGraph(
        {
          ...ok,
          edges: [
            { from: "a", to: "b" },
            { from: "b", to: "a" },
          ],
        },
        "g.json",
      ),
    ).toThrow(
      "g.json: edges: the graph has a cycle (a → b → a); a computation graph must be acyclic; remove one edge of the cycle",
    );
  });
  it("rejects an edge to a missing operator", () => {
    expect(() => parseGraph({ ...ok, edges: [{ from: "a", to: "zz" }] }, "g.json")).toThrow(
      'g.json: edges[0].to: unknown operator "zz"; use one of the operator ids (a, b)',
    );
  });
  it("rejects negative times with the path inside the file", () => {
    expect(() => parseGraph({ ...ok, operators: [{ id: "a", forward: -1, backward: 2 }] }, "g.json")).toThrow(
      /^g\.json: operators\[0\]\.forward: /,
    );
  });
  it("rejects W larger than B and duplicate ids", () => {
    expect(() =>
      parseGraph({ ...ok, operators: [{ id: "a", forward: 1, backward: 1, weight: 2 }] }, "g.json"),
    ).toThrow("g.json: operators[0].weight: weight must be ≤ backward (W is part of B)");
    expect(() =>
      parseGraph({ ...ok, operators: [ok.operators[0], ok.operators[0]], edges: [] }, "g.json"),
    ).toThrow('g.json: operators[1].id: operator "a" is defined twice');
  });
  it("rejects unknown keys (typos) and bad clusters", () => {
    expect(() => parseGraph({ ...ok, microbatches: 3 }, "g.json")).toThrow(/^g\.json/);
    expect(() => parseCluster({ devices: 0 }, "c.yaml")).toThrow(/^c\.yaml: devices/);
    const c = parseCluster({ devices: [{ speed: 2 }, {}], memoryBytes: 10 });
    expect(c.devices.map((d) => [d.id, d.speed, d.memoryBytes])).toEqual([
      ["gpu0", 2, 10],
      ["gpu1", 1, 10],
    ]);
  });
});

describe("generators and coarsening", () => {
  it("generators make valid acyclic graphs", () => {
    for (const g of [
      transformerChain({ stages: 6, microBatches: 8 }),
      moeStack({ layers: 2, experts: 3, microBatches: 4 }),
      multimodal({ microBatches: 4 }),
    ]) {
      const p = parseGraph(g);
      const ug = unitsFromGraph(p);
      expect(topoOrder(ug.units.length, ug.edges)).not.toBeNull();
    }
  });
  it("coarsening and stage partitions conserve work and stay acyclic (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        (layers, experts, target) => {
          const ug = unitsFromGraph(parseGraph(moeStack({ layers, experts, microBatches: 2 })));
          const total = ug.units.reduce((s, u) => s + u.forward + u.backward, 0);
          for (const g of [coarsen(ug, target), chainStages(ug, Math.min(target, ug.units.length))]) {
            expect(g.units.reduce((s, u) => s + u.forward + u.backward, 0)).toBeCloseTo(total, 9);
            expect(topoOrder(g.units.length, g.edges)).not.toBeNull();
            expect(g.units.flatMap((u) => u.operators).sort()).toEqual(ug.units.map((u) => u.id).sort());
          }
        },
      ),
      { numRuns: 40 },
    );
  });
  it("chainStages balances the heaviest stage optimally on a small chain", () => {
    const ug = unitsFromGraph(
      parseGraph(transformerChain({ stages: 6, microBatches: 2, scale: [3, 1, 1, 1, 1, 3] })),
    );
    const st = chainStages(ug, 3);
    expect(Math.max(...st.units.map((u) => u.forward))).toBe(4);
  });
});

describe("shipped examples", () => {
  it("the examples validate", async () => {
    const { readFileSync } = await import("node:fs");
    const root = new URL("../../", import.meta.url);
    for (const f of ["chain-8.json", "multimodal.json"])
      parseGraph(JSON.parse(readFileSync(new URL(`examples/plan/${f}`, root), "utf8")), f);
    for (const f of ["cluster-8.json", "cluster-4.json"])
      parseCluster(JSON.parse(readFileSync(new URL(`examples/plan/${f}`, root), "utf8")), f);
  });
});
