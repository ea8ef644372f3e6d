/**
 * The one preset loader. Built-in presets are data files the project ships under
 * `presets/<area>/`: a preset is `<name>.preset.json` (validated by the area's zod schema) and may
 * name other data files beside it (a trace, a profile). One lookup for every capability: the same
 * folder, the same file naming, the same error for an unknown name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { InputError } from "../errors/errors.js";
import { parseWith } from "../errors/zod.js";
import { UnknownNameError } from "./registry.js";

const SUFFIX = ".preset.json";

/** The shipped `presets/` folder: two levels above this module, from `src/util/` and from `dist/util/`. */
const ROOT = new URL("../../presets/", import.meta.url);

/** The absolute path of a shipped data file, e.g. `presetPath("serving", "llama65b.profile.json")`. */
export function presetPath(area: string, file: string): string {
  return fileURLToPath(new URL(`${area}/${file}`, ROOT));
}

/**
 * The names of an area's presets (files `presets/<area>/<name>.preset.json`), sorted; with
 * `suffix`, of its other shipped data files of that kind (e.g. `.profile.json`).
 */
export function presetNames(area: string, suffix = SUFFIX): string[] {
  let files: string[];
  try {
    files = readdirSync(fileURLToPath(new URL(`${area}/`, ROOT)));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}

/** The text of a shipped data file; an InputError naming it when it is missing. */
export function readPresetFile(area: string, file: string): string {
  try {
    return readFileSync(presetPath(area, file), "utf8");
  } catch (e) {
    throw new InputError({
      where: `presets/${area}/${file}`,
      what: "the shipped data file is missing or unreadable",
      hint: "the installation is incomplete; install frugal again",
      cause: e,
    });
  }
}

/**
 * Reads and validates preset `name` of `area` with `schema`. An unknown name is an
 * UnknownNameError listing the area's presets; `where` names what the caller asked with.
 */
export function loadPresetSpec<S extends z.ZodType>(
  area: string,
  name: string,
  schema: S,
  where = `${area} preset`,
): z.output<S> {
  const names = presetNames(area);
  if (!names.includes(name)) throw new UnknownNameError(`${area} preset`, name, names, where);
  const file = `${name}${SUFFIX}`;
  let data: unknown;
  try {
    data = JSON.parse(readPresetFile(area, file));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({
      where: `presets/${area}/${file}`,
      what: `not valid JSON (${(e as Error).message})`,
      hint: "fix the preset file",
      cause: e,
    });
  }
  return parseWith(schema, data, `presets/${area}/${file}`, "fix the preset file");
}
