import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiEntries, apiReport } from "../scripts/api-report.js";

describe("public API", () => {
  const entries = apiEntries();

  it("docs/api.md lists exactly what the entry points export (run `npm run api` after a change)", () => {
    const file = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    expect(file).toBe(apiReport(entries));
  });

  it("every exported name of every entry point has a doc comment", () => {
    expect(new Set(entries.map((e) => e.entry)).size).toBeGreaterThan(5);
    expect(entries.filter((e) => !e.documented).map((e) => `${e.entry}: ${e.kind} ${e.name}`)).toEqual([]);
  });
});
