/**
 * The MoLE checkpoint format: tensor names (data in format.json) and `mole_config.json`, which
 * records the source layout, the options, and per layer and kind the rank, the groups, the
 * parameters before/after and the measured errors, so that `expand` can rebuild the source
 * tensors byte-compatibly (names, shapes, dtypes) and `report` can explain the conversion.
 */
import { z } from "zod";
import { WRITABLE_DTYPES } from "../tensor/index.js";
import data from "./format.json" with { type: "json" };
import type { Kind } from "./layout.js";

/** Names and constants of the format. */
export const MOLE_FORMAT = {
  format: data.format,
  version: data.version,
  configFile: data.configFile,
  sharedLatent: data.sharedLatent,
  expertLatent: data.expertLatent,
  fusedLatent: data.fusedLatent,
} as const;

function fill(t: string, v: Record<string, string | number>): string {
  return t.replace(/\{(\w+)\}/g, (m, k: string) => (k in v ? String(v[k]) : m));
}

/** `{block}.latent_{kind}.{group}.weight`: B_g (r×d) for gate/up, C_g (d×r) for down. */
export function sharedLatentName(block: string, kind: Kind, group: number): string {
  return fill(MOLE_FORMAT.sharedLatent, { block, kind, group });
}

/** `{expert}.latent.weight` for a per-expert source tensor `{expert}.weight`. */
export function expertLatentName(sourceTensor: string): string {
  return fill(MOLE_FORMAT.expertLatent, { expert: sourceTensor.replace(/\.weight$/, "") });
}

/** `{block}.experts.{kind}_latent`: (E, p, r) for gate/up, (E, r, p) for down. */
export function fusedLatentName(block: string, kind: Kind): string {
  return fill(MOLE_FORMAT.fusedLatent, { block, kind });
}

const KindSchema = z.enum(["gate", "up", "down"]);
const DTypeSchema = z.enum(["F32", "F16", "BF16"]);

const SpectrumSchema = z
  .object({
    ranks: z.array(z.number().int().min(1)).describe("1-based indices i of the singular values kept here"),
    values: z.array(z.number().min(0)).describe("σ_i of the stacked (whitened) group"),
    count: z.number().int().min(0).describe("how many singular values the group has: min(k·p, d)"),
  })
  .strict();

const GroupRecordSchema = z
  .object({
    group: z.number().int().min(0),
    experts: z.array(z.number().int().min(0)).min(1),
    relativeError: z.number().min(0).describe("‖W − A·B‖_F / ‖W‖_F over the group, with A and B as stored"),
    predictedRelativeError: z
      .number()
      .min(0)
      .describe("√(Σ_{i>r} σ_i² / Σ σ_i²) from the spectrum (in the calibration norm when calibrated)"),
    energy: z.number().min(0).max(1).describe("Σ_{i≤r} σ_i² / Σ σ_i²"),
    spectrum: SpectrumSchema,
  })
  .strict();

const KindRecordSchema = z
  .object({
    rank: z.number().int().min(1),
    sourceDtype: DTypeSchema,
    dtype: DTypeSchema.describe("dtype of the stored latents"),
    paramsBefore: z.number().int().min(0),
    paramsAfter: z.number().int().min(0),
    relativeError: z.number().min(0),
    calibrated: z.boolean(),
    groups: z.array(GroupRecordSchema).min(1),
  })
  .strict();

const LayerRecordSchema = z
  .object({
    layer: z.number().int().min(0),
    block: z.string(),
    experts: z.number().int().min(1),
    intermediate: z.number().int().min(1),
    groups: z.array(z.array(z.number().int().min(0)).min(1)).min(1),
    kinds: z.partialRecord(KindSchema, KindRecordSchema),
  })
  .strict();

/** The schema of mole_config.json. */
export const MoleConfigSchema = z
  .object({
    format: z.literal(MOLE_FORMAT.format),
    version: z.literal(MOLE_FORMAT.version),
    source: z
      .object({
        architecture: z.string(),
        family: z.string(),
        storage: z.enum(["per_expert", "fused"]),
        modelType: z.string().nullable(),
        hidden: z.number().int().min(1),
        experts: z.number().int().min(1),
        expertTemplate: z.string().describe("expert tensor template with {L}, {E}, {P}"),
        projections: z.record(KindSchema, z.string()).describe("source projection name by kind"),
        fusedTensors: z
          .object({ gateUp: z.string(), down: z.string() })
          .strict()
          .nullable()
          .describe("fused layouts: the tensor names with {L}"),
      })
      .strict(),
    names: z
      .object({ sharedLatent: z.string(), expertLatent: z.string(), fusedLatent: z.string() })
      .strict()
      .describe("the tensor-name templates this checkpoint was written with"),
    options: z
      .object({
        rankRule: z.object({ name: z.string(), params: z.record(z.string(), z.unknown()) }).strict(),
        groupSize: z.number().int().min(1).nullable(),
        kinds: z.array(KindSchema).min(1),
        method: z.object({ name: z.string(), params: z.record(z.string(), z.unknown()) }).strict(),
        calibration: z
          .object({ file: z.string(), tokens: z.number().int().min(1), damping: z.number().min(0) })
          .strict()
          .nullable(),
        dtype: z.union([z.literal("source"), z.enum(WRITABLE_DTYPES as unknown as [string, ...string[]])]),
      })
      .strict(),
    layers: z.array(LayerRecordSchema).min(1),
    totals: z
      .object({
        expertParamsBefore: z.number().int().min(0),
        expertParamsAfter: z.number().int().min(0),
        convertedParamsBefore: z.number().int().min(0),
        convertedParamsAfter: z.number().int().min(0),
        modelParamsBefore: z.number().int().min(0),
        modelParamsAfter: z.number().int().min(0),
      })
      .strict(),
    versions: z.object({ frugal: z.string() }).strict(),
  })
  .strict();

/** The content of mole_config.json. */
export type MoleConfig = z.output<typeof MoleConfigSchema>;
/** One MoE layer of mole_config.json. */
export type MoleLayerRecord = z.output<typeof LayerRecordSchema>;
/** One converted kind of a layer in mole_config.json. */
export type MoleKindRecord = z.output<typeof KindRecordSchema>;
/** One group of a converted kind in mole_config.json. */
export type MoleGroupRecord = z.output<typeof GroupRecordSchema>;

/** JSON Schema of mole_config.json (schemas/mole-config.schema.json). */
export function moleConfigJsonSchema(): Record<string, unknown> {
  return { title: "frugal mole_config.json", ...z.toJSONSchema(MoleConfigSchema, { io: "input" }) };
}
