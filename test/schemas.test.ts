import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JSON_SCHEMAS } from "../src/schemas.js";

const dir = new URL("../schemas/", import.meta.url);

describe("schemas/", () => {
  it("holds exactly the generated schemas, each equal to its zod source (run `npm run schemas`)", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(JSON_SCHEMAS).sort());
    for (const [file, make] of Object.entries(JSON_SCHEMAS))
      expect(JSON.parse(readFileSync(new URL(file, dir), "utf8")), file).toEqual(make());
  });
});
