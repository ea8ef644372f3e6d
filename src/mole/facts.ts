/**
 * The MoE facts of the architecture table (`moe` objects in src/tensor/architectures.json),
 * validated here where they are used: the MoE block prefix, the router's scoring, top-k method,
 * normalization and scaling (each a config.json key with a default, plus per-model-type
 * overrides), the shared-expert gate and which layers are MoE layers.
 */
import { z } from "zod";
import { parseWith } from "../errors/index.js";
import { ARCHITECTURES, type ArchitectureSpec } from "../tensor/index.js";

const setting = <T extends z.ZodType>(value: T) =>
  z.object({ default: value, configKey: z.string().optional() }).strict();

export const ScalingWhen = z.enum(["never", "always", "unnormalized"]);

const RoutingFactsSchema = z
  .object({
    scoring: setting(z.enum(["softmax", "sigmoid"])),
    normalize: setting(z.boolean()),
    method: setting(z.enum(["greedy", "group_limited_greedy", "noaux_tc"])),
    scaling: z
      .object({ default: z.number().positive(), configKey: z.string().optional(), when: ScalingWhen })
      .strict(),
    groups: z.object({ configKey: z.string(), topKConfigKey: z.string() }).strict().optional(),
    scoreBias: z.string().optional(),
  })
  .strict();

export const MoeFactsSchema = z
  .object({
    block: z.string().includes("{L}"),
    routing: RoutingFactsSchema.extend({
      byModelType: z.record(z.string(), RoutingFactsSchema.partial()).optional(),
    }),
    routingSource: z.string(),
    familyFromModelType: z.boolean().optional(),
    sharedExpertGate: z.string().nullable(),
    moeLayers: z
      .object({
        firstDenseKey: z.string().nullable(),
        stepKey: z.string().nullable(),
        stepOffset: z.number().int().min(0),
        excludeKey: z.string().nullable(),
      })
      .strict(),
    attention: z.object({ qkvBias: z.boolean(), qkNorm: z.boolean().optional() }).strict(),
  })
  .strict();

/** The validated `moe` object of an architecture-table entry. */
export type MoeFacts = z.output<typeof MoeFactsSchema>;
export type RoutingFacts = z.output<typeof RoutingFactsSchema>;

/** An MoE architecture of the table with its validated `moe` facts. */
export interface MoeArchitecture {
  spec: ArchitectureSpec;
  facts: MoeFacts;
}

/** Every MoE architecture of the table that has `moe` facts (validated once, at load). */
export const MOE_ARCHITECTURES: readonly MoeArchitecture[] = ARCHITECTURES.filter(
  (a) => a.kind === "moe" && a.moe !== undefined,
).map((spec) => ({
  spec,
  facts: parseWith(MoeFactsSchema, spec.moe, `src/tensor/architectures.json: ${spec.name}.moe`),
}));

/** The MoE architecture called `name`, if the table has one with facts. */
export function moeArchitecture(name: string): MoeArchitecture | undefined {
  return MOE_ARCHITECTURES.find((a) => a.spec.name === name);
}

/**
 * The architecture whose routing and shared experts apply: for a fused layout, the family named
 * by config.json's model_type (e.g. a transformers-v5 Qwen2-MoE with fused experts keeps its
 * shared expert and routing), otherwise the architecture itself.
 */
export function familyOf(arch: MoeArchitecture, modelType: string | null): MoeArchitecture {
  if (!arch.facts.familyFromModelType || modelType === null) return arch;
  return (
    MOE_ARCHITECTURES.find((a) => !a.facts.familyFromModelType && a.spec.modelTypes.includes(modelType)) ??
    arch
  );
}

/** Reads a config value (any JSON) by key; undefined when absent or null. */
export function configValue(config: unknown, key: string | undefined): unknown {
  if (key === undefined || config === null || typeof config !== "object") return undefined;
  const v = (config as Record<string, unknown>)[key];
  return v === null ? undefined : v;
}
