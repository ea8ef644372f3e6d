import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiReport } from "../scripts/api-report.js";

describe("public API", () => {
  it("docs/api.md lists exactly what the entry points export (run `npm run api` after a change)", () => {
    const file = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    expect(file).toBe(apiReport());
  });
});
