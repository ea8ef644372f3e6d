import { describe, expect, it } from "vitest";
import { importCycles } from "../scripts/import-cycles.js";

describe("module structure", () => {
  it("src/ has no import cycles, type-only ones included (list them: npx tsx scripts/import-cycles.ts)", () => {
    const cycles = importCycles();
    expect(cycles.map((c) => c.edges.map((e) => `${e.from} -> ${e.to}`).join(", "))).toEqual([]);
  });
});
