/**
 * Shipped serving presets (`presets/serving/<name>.preset.json`, read by the project's one preset
 * loader): a trace, a profile and a client layout, with the paper's numbers and the calibration.
 */
import { z } from "zod";
import { loadPresetSpec, presetNames, readPresetFile } from "../util/presets.js";
import { builtinProfile } from "./profile/load.js";
import type { Profile } from "./profile/schema.js";
import { parseCsvTrace } from "./trace/parse.js";
import type { Trace } from "./trace/types.js";

/** A serving preset file. */
export const PresetSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** A trace CSV beside the preset. */
  trace: z.string(),
  /** A shipped profile's name. */
  profile: z.string(),
  clients: z.number().int().positive(),
  /** Policy parameters by policy name. */
  policyParams: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  /** The paper's reported numbers, for comparison. */
  paper: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  /** What was fitted to the paper (so it is not a prediction). */
  calibration: z.string().default(""),
});

/** A validated serving preset file. */
export type PresetSpec = z.output<typeof PresetSchema>;

/** A preset with its trace and profile loaded. */
export interface Preset {
  spec: PresetSpec;
  trace: Trace;
  profile: Profile;
}

/** The names of the shipped serving presets, sorted. */
export function servingPresetNames(): string[] {
  return presetNames("serving");
}

/**
 * Loads a shipped preset with its trace and profile. An unknown name is an UnknownNameError listing
 * the presets; `where` names what the caller asked with (default "serving preset").
 */
export function loadPreset(name: string, where?: string): Preset {
  const spec = loadPresetSpec("serving", name, PresetSchema, where);
  const trace = parseCsvTrace(readPresetFile("serving", spec.trace), `presets/serving/${spec.trace}`, name);
  return {
    spec,
    trace,
    profile: builtinProfile(spec.profile, `presets/serving/${name}.preset.json: profile`),
  };
}
