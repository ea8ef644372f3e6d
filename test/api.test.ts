import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiEntries, apiReport } from "../scripts/api-report.js";

describe("public API", () => {
  const entries = apiEntries();

  it("docs/api.md lists exactly what the entry points export (run `npm run api` after a change)", () => {
    const file = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    expect(file).toBe(apiReport(entries));
  });

  it("every exported name of frugal/tensor, frugal/serving, frugal/formulate, frugal/llm and of the root entry (errors, demo) has a doc comment", () => {
    // The root also re-exports frugal/mip, whose names are documented on their own branch; checked here once merged.
    const mip = new Set(entries.filter((e) => e.entry === "frugal/mip").map((e) => e.name));
    const checked = entries.filter(
      (e) =>
        e.entry === "frugal/tensor" ||
        e.entry === "frugal/serving" ||
        e.entry === "frugal/formulate" ||
        e.entry === "frugal/llm" ||
        (e.entry === "frugal" && !mip.has(e.name)),
    );
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.filter((e) => !e.documented).map((e) => `${e.entry}: ${e.kind} ${e.name}`)).toEqual([]);
  });
});
