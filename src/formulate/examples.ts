/**
 * The structured models shipped in `examples/formulate/` (hand-written for MAMO and NL4OPT
 * problems, each with its source and reference answer): listed and read for the demo and bench.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { StructuredModel } from "./schema.js";
import { readStructuredModel } from "./solve-model.js";

/** The shipped examples folder: two levels above this module, from `src/formulate/` and `dist/formulate/`. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/formulate/", import.meta.url));

/** The example files (absolute paths), sorted by name. */
export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => `${EXAMPLES_DIR}${f}`);
}

/** Reads every shipped example. */
export async function readExamples(): Promise<{ file: string; name: string; model: StructuredModel }[]> {
  return Promise.all(
    exampleFiles().map(async (file) => ({
      file,
      name: file.slice(EXAMPLES_DIR.length, -".json".length),
      model: await readStructuredModel(file),
    })),
  );
}
