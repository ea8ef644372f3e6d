/** Loading profiles: a user's JSON/YAML file, or a preset shipped in presets/serving/. */
import { readFileSync } from "node:fs";
import { parseWith } from "../../errors/index.js";
import { readStructured } from "../../util/files.js";
import { ProfileError } from "../errors.js";
import { type Profile, ProfileSchema } from "./schema.js";

export async function readProfile(file: string): Promise<Profile> {
  return parseWith(
    ProfileSchema,
    await readStructured(file),
    file,
    "see docs/serving.md for the profile format",
  );
}

/** The folder of shipped serving presets (works from src/ under tsx and from dist/). */
export function presetUrl(name: string): URL {
  for (const rel of ["../../../presets/serving/", "../../../../presets/serving/"]) {
    const u = new URL(`${rel}${name}`, import.meta.url);
    try {
      readFileSync(u);
      return u;
    } catch {
      // try the next candidate
    }
  }
  throw new ProfileError({
    where: `presets/serving/${name}`,
    what: "the shipped preset file is missing",
    hint: "reinstall frugal",
  });
}

export function presetText(name: string): string {
  return readFileSync(presetUrl(name), "utf8");
}

export function builtinProfile(name: string): Profile {
  const file = `presets/serving/${name}.profile.json`;
  return parseWith(ProfileSchema, JSON.parse(presetText(`${name}.profile.json`)), file);
}
