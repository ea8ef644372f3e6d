/**
 * mergekit's YAML merge configuration, as zod schemas (the format is mergekit's, unchanged:
 * `mergekit/config.py`, https://github.com/arcee-ai/mergekit/blob/main/mergekit/config.py).
 *
 *   models:            [{model, parameters}]          — or —   slices: [{sources: [{model, layer_range, parameters}], base_model?, parameters?}]
 *   merge_method:      linear | ties | … | lore
 *   base_model:        a local folder (optional for some methods)
 *   parameters:        {name: setting}  (global; per-model settings override them)
 *   dtype, out_dtype:  bfloat16 | float16 | float32 (and their short names)
 *   tokenizer_source:  base | a model folder (copy its tokenizer files)
 *
 * A parameter setting is a scalar, a gradient (a list of numbers interpolated across layers, or a
 * list of strings/booleans stepped), or a list of `{filter, value}` entries where the first entry
 * whose filter is a substring of the tensor name (or that has no filter) applies.
 */
import { z } from "zod";

/** A scalar parameter value. */
export const ScalarSchema = z.union([z.number(), z.boolean(), z.string()]);

/** A scalar or a gradient: a list of numbers (interpolated) or of strings/booleans (stepped). */
export const ScalarOrGradientSchema = z.union([
  ScalarSchema,
  z.array(z.number()).min(1),
  z.array(z.union([z.string(), z.boolean()])).min(1),
]);

/** `{filter: self_attn, value: …}`: applies to tensors whose name contains `filter` (or all, without one). */
export const ConditionalSchema = z.strictObject({
  filter: z.string().nullish(),
  value: ScalarOrGradientSchema,
});

/** What a parameter may be set to. */
export const ParameterSettingSchema = z.union([
  ScalarOrGradientSchema,
  ConditionalSchema,
  z.array(ConditionalSchema).min(1),
]);

/** A map of parameter name → setting. */
export const ParametersSchema = z.record(z.string(), ParameterSettingSchema);

const ModelRefSchema = z.string().min(1, "a model path is required");

/** `models[i]`: one input model with its own parameters. */
export const InputModelSchema = z.strictObject({
  model: ModelRefSchema,
  parameters: ParametersSchema.nullish(),
});

/** `slices[i].sources[j]`: layers [a, b) of one model. */
export const InputSliceSchema = z.strictObject({
  model: ModelRefSchema,
  layer_range: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  parameters: ParametersSchema.nullish(),
});

/** `slices[i]`: one output slice, merged from its sources. */
export const OutputSliceSchema = z.strictObject({
  sources: z.array(InputSliceSchema).min(1),
  base_model: ModelRefSchema.nullish(),
  parameters: ParametersSchema.nullish(),
});

/** mergekit's dtype names (torch names without `torch.`) and the short forms people write. */
export const DTYPE_NAMES = {
  float32: "F32",
  fp32: "F32",
  float: "F32",
  float16: "F16",
  fp16: "F16",
  half: "F16",
  bfloat16: "BF16",
  bf16: "BF16",
} as const;

const DtypeSchema = z.enum(Object.keys(DTYPE_NAMES) as [keyof typeof DTYPE_NAMES]);

/** The whole file. */
export const MergeConfigSchema = z.strictObject({
  models: z.array(InputModelSchema).min(1).nullish(),
  slices: z.array(OutputSliceSchema).min(1).nullish(),
  merge_method: z.string().min(1),
  base_model: ModelRefSchema.nullish(),
  parameters: ParametersSchema.nullish(),
  dtype: DtypeSchema.nullish(),
  out_dtype: DtypeSchema.nullish(),
  tokenizer_source: z.string().min(1).nullish(),
});

/** The parsed file, before model paths are resolved. */
export type RawMergeConfig = z.output<typeof MergeConfigSchema>;
/** A parameter setting as written. */
export type ParameterSetting = z.output<typeof ParameterSettingSchema>;
/** A map of parameter settings as written. */
export type Parameters = z.output<typeof ParametersSchema>;

/** mergekit keys this reader knows but does not support, with what to do instead. */
export const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  modules: "merge the modules' models with separate configs",
  tokenizer: "merge tokenizers with mergekit, or set tokenizer_source: base",
  chat_template: "edit tokenizer_config.json of the output instead",
  residual_weight: "remove it (mergekit does not use it either)",
};

/** The keys each kind of object accepts (for messages naming an unknown key). */
export const KNOWN_KEYS = {
  root: Object.keys(MergeConfigSchema.shape),
  model: Object.keys(InputModelSchema.shape),
  slice: Object.keys(OutputSliceSchema.shape),
  source: Object.keys(InputSliceSchema.shape),
  conditional: Object.keys(ConditionalSchema.shape),
} as const;
