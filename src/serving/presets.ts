/** Shipped presets (data in presets/serving/*.preset.json): a trace, a profile and a client layout. */
import { z } from "zod";
import { parseWith, UsageError } from "../errors/index.js";
import { builtinProfile, presetText } from "./profile/load.js";
import type { Profile } from "./profile/schema.js";
import { parseCsvTrace } from "./trace/parse.js";
import type { Trace } from "./trace/types.js";

export const PresetSchema = z.object({
  name: z.string(),
  description: z.string(),
  trace: z.string(),
  profile: z.string(),
  clients: z.number().int().positive(),
  policyParams: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  paper: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  calibration: z.string().default(""),
});
export type PresetSpec = z.output<typeof PresetSchema>;

export interface Preset {
  spec: PresetSpec;
  trace: Trace;
  profile: Profile;
}

export const PRESET_NAMES = ["gsm8k-llama65b"] as const;

export function loadPreset(name: string): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name))
    throw new UsageError({
      where: "--preset",
      what: `unknown preset "${name}"`,
      hint: `use one of ${PRESET_NAMES.join(", ")}`,
    });
  const file = `presets/serving/${name}.preset.json`;
  const spec = parseWith(PresetSchema, JSON.parse(presetText(`${name}.preset.json`)), file);
  const trace = parseCsvTrace(presetText(spec.trace), `presets/serving/${spec.trace}`, name);
  return { spec, trace, profile: builtinProfile(spec.profile) };
}
