import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiEntries, apiReport } from "../scripts/api-report.js";

describe("public API", () => {
  const entries = apiEntries();

  it("docs/api.md lists exactly what the entry points export (run `npm run api` after a change)", () => {
    const file = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    expect(file).toBe(apiReport(entries));
  });

  it("every exported name of frugal/tensor, frugal/serving, frugal/formulate, frugal/llm, frugal/mip, frugal/plan and of the root entry has a doc comment", () => {
    const checked = entries.filter((e) =>
      [
        "frugal/tensor",
        "frugal/serving",
        "frugal/formulate",
        "frugal/llm",
        "frugal/mip",
        "frugal/plan",
        "frugal",
      ].includes(e.entry),
    );
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.filter((e) => !e.documented).map((e) => `${e.entry}: ${e.kind} ${e.name}`)).toEqual([]);
  });
});
