/**
 * Loading profiles: a user's JSON/YAML file, or one shipped in `presets/serving/<name>.profile.json`
 * (read through the project's one preset loader, `src/util/presets.ts`).
 */
import { existsSync } from "node:fs";
import { parseWith } from "../../errors/index.js";
import { readStructured } from "../../util/files.js";
import { presetNames, readPresetFile } from "../../util/presets.js";
import { UnknownNameError } from "../../util/registry.js";
import { ProfileError } from "../errors.js";
import { type Profile, ProfileSchema } from "./schema.js";

const SUFFIX = ".profile.json";

/** The shipped profile used when neither a preset nor the caller names one. */
export const DEFAULT_PROFILE = "llama65b";

/** Reads and validates a profile file (JSON or YAML). */
export async function readProfile(file: string): Promise<Profile> {
  return parseWith(
    ProfileSchema,
    await readStructured(file),
    file,
    "see docs/serving.md for the profile format",
  );
}

/** The names of the shipped profiles (`presets/serving/<name>.profile.json`), sorted. */
export function profileNames(): string[] {
  return presetNames("serving", SUFFIX);
}

/**
 * A shipped profile by name. An unknown name is an UnknownNameError listing the shipped profiles;
 * `where` names what the caller asked with (default "profile").
 */
export function builtinProfile(name: string, where = "profile"): Profile {
  const names = profileNames();
  if (!names.includes(name)) throw new UnknownNameError("profile", name, names, where);
  const file = `${name}${SUFFIX}`;
  let data: unknown;
  try {
    data = JSON.parse(readPresetFile("serving", file));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new ProfileError({
      where: `presets/serving/${file}`,
      what: `not valid JSON (${e.message})`,
      hint: "fix the profile file",
      cause: e,
    });
  }
  return parseWith(ProfileSchema, data, `presets/serving/${file}`, "fix the profile file");
}

/**
 * A profile from a reference: an existing file, or a shipped profile's name. A reference that looks
 * like a path (a folder separator or a file extension) is read as a file; anything else must be a
 * shipped name (else an UnknownNameError listing them, naming `where`).
 */
export async function resolveProfile(ref: string, where = "profile"): Promise<Profile> {
  return isProfileFile(ref) ? readProfile(ref) : builtinProfile(ref, where);
}

/** Whether `resolveProfile` reads `ref` as a file (it exists, or looks like a path) rather than a shipped name. */
export function isProfileFile(ref: string): boolean {
  return existsSync(ref) || /[/\\]|\.(json|ya?ml)$/i.test(ref);
}
