/**
 * Reads and validates a mergekit YAML config, then normalizes it the way mergekit's planner does
 * (mergekit/plan.py `normalize_config`): a `models:` list becomes one output slice whose sources
 * are every model over all its layers, with the base model appended as a source when it is not
 * listed. Every error names the file and the path inside it (`config.yml: models[1].parameters.weight`).
 *
 * Model references are local folders. Relative paths are resolved from the current folder (as
 * mergekit does) and, when nothing is there, from the config file's folder. A Hugging Face hub id
 * (`org/name`) that is not a local folder is an error that says to download it first; mergekit's
 * LoRA syntax (`model+adapter`) is not supported.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { formatPath } from "../../errors/zod.js";
import type { WritableDType } from "../../tensor/index.js";
import { readStructured } from "../../util/files.js";
import { MergeConfigError } from "../errors.js";
import { mergeMethods } from "../methods/registry.js";
import type { AnyMergeMethod } from "../methods/types.js";
import {
  DTYPE_NAMES,
  KNOWN_KEYS,
  MergeConfigSchema,
  type Parameters,
  type RawMergeConfig,
  UNSUPPORTED_KEYS,
} from "./schema.js";

/** One input model folder. */
export interface ModelInput {
  /** The reference as written in the config. */
  ref: string;
  /** The resolved folder. */
  path: string;
  /** Where it is first named in the config, e.g. `models[0].model`. */
  where: string;
}

/** One source of an output slice. */
export interface SourceSpec {
  /** Index into `MergeConfig.models`. */
  model: number;
  /** Layers [a, b) of the source; null = all layers (the `models:` form). */
  layerRange: [number, number] | null;
  parameters: Parameters | null;
  /** Config path of this source, e.g. `models[1]` or `slices[0].sources[1]`; null for an appended base model. */
  where: string | null;
}

/** One output slice. */
export interface SliceSpec {
  sources: SourceSpec[];
  /** Index into `MergeConfig.models` of this slice's base model, or null. */
  baseModel: number | null;
  parameters: Parameters | null;
  /** Config path, e.g. `slices[0]`; null for the slice made from `models:`. */
  where: string | null;
}

/** A validated, normalized merge config. */
export interface MergeConfig {
  /** The config file as the user named it (used in messages). */
  file: string;
  methodName: string;
  method: AnyMergeMethod;
  /** Every distinct model folder the config names. */
  models: ModelInput[];
  /** Global base model (index into models), or null. */
  baseModel: number | null;
  /** Which form the file used. */
  form: "models" | "slices";
  slices: SliceSpec[];
  /** Global parameters. */
  parameters: Parameters | null;
  /** Compute dtype named in the file (Frugal always computes in float32; it sets the output dtype). */
  dtype: WritableDType | null;
  outDtype: WritableDType | null;
  /** Model whose tokenizer files are copied (tokenizer_source), or null for the default. */
  tokenizerSource: number | null;
  /** The file as parsed. */
  raw: RawMergeConfig;
}

/** mergekit methods that Frugal does not implement (a clearer message than "unknown"). */
const MERGEKIT_ONLY = [
  "nuslerp",
  "multislerp",
  "karcher",
  "arcee_fusion",
  "sce",
  "nearswap",
  "ram",
  "core_space",
  "lrp",
  "task_arithmetic_sce",
];

function err(file: string, path: string, what: string, hint: string): MergeConfigError {
  return new MergeConfigError({ where: path ? `${file}: ${path}` : file, what, hint });
}

/** Reads `file` (YAML) and validates it; see `parseMergeConfig`. */
export async function loadMergeConfig(file: string, opts: { cwd?: string } = {}): Promise<MergeConfig> {
  const raw = await readStructured(file);
  return parseMergeConfig(raw, file, { cwd: opts.cwd, configDir: dirname(resolve(opts.cwd ?? ".", file)) });
}

/** Options of `parseMergeConfig`. */
export interface ParseConfigOptions {
  /** Folder relative model paths are resolved from first (default: the current folder). */
  cwd?: string;
  /** Folder tried second (default: none). */
  configDir?: string;
  /** Skip the check that model folders exist (for printing a config without the models). */
  skipPathCheck?: boolean;
}

/** Validates parsed YAML as a mergekit config and normalizes it. */
export function parseMergeConfig(raw: unknown, file: string, opts: ParseConfigOptions = {}): MergeConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw err(
      file,
      "",
      "is not a mergekit config (expected a mapping with merge_method and models or slices)",
      "see examples/merge/",
    );
  checkUnsupported(raw as Record<string, unknown>, file);
  const parsed = MergeConfigSchema.safeParse(raw);
  if (!parsed.success) throw zodError(parsed.error, file);
  const cfg = parsed.data;

  if (cfg.models && cfg.slices)
    throw err(
      file,
      "slices",
      "models and slices are both given",
      "give either models (merge whole models) or slices (layer ranges)",
    );
  if (!cfg.models && !cfg.slices)
    throw err(file, "", "has neither models nor slices", "list the models to merge under models:");

  if (MERGEKIT_ONLY.includes(cfg.merge_method))
    throw err(
      file,
      "merge_method",
      `"${cfg.merge_method}" is a mergekit method that frugal merge does not implement`,
      `use one of ${mergeMethods.names().join(", ")}`,
    );
  const method = mergeMethods.get(cfg.merge_method, `${file}: merge_method`);

  // Models, deduplicated by resolved path.
  const models: ModelInput[] = [];
  const indexOf = (ref: string, where: string): number => {
    const path = resolveModel(ref, where, file, opts);
    const i = models.findIndex((m) => m.path === path);
    if (i >= 0) return i;
    models.push({ ref, path, where });
    return models.length - 1;
  };
  const baseModel = cfg.base_model ? indexOf(cfg.base_model, "base_model") : null;

  const slices: SliceSpec[] = [];
  if (cfg.models) {
    const sources: SourceSpec[] = cfg.models.map((m, i) => ({
      model: indexOf(m.model, `models[${i}].model`),
      layerRange: null,
      parameters: m.parameters ?? null,
      where: `models[${i}]`,
    }));
    if (baseModel !== null && !sources.some((s) => s.model === baseModel))
      sources.push({ model: baseModel, layerRange: null, parameters: null, where: null });
    slices.push({ sources, baseModel, parameters: null, where: null });
  } else {
    for (const [i, s] of (cfg.slices ?? []).entries()) {
      const sliceBase = s.base_model ? indexOf(s.base_model, `slices[${i}].base_model`) : baseModel;
      const sources: SourceSpec[] = s.sources.map((src, j) => {
        const [a, b] = src.layer_range;
        if (!(b > a))
          throw err(
            file,
            `slices[${i}].sources[${j}].layer_range`,
            `[${a}, ${b}] is empty`,
            "give [first, end) with end > first (end is exclusive, as in mergekit)",
          );
        return {
          model: indexOf(src.model, `slices[${i}].sources[${j}].model`),
          layerRange: [a, b] as [number, number],
          parameters: src.parameters ?? null,
          where: `slices[${i}].sources[${j}]`,
        };
      });
      const lengths = sources.map((x) => x.layerRange![1] - x.layerRange![0]);
      if (lengths.some((l) => l !== lengths[0]))
        throw err(
          file,
          `slices[${i}].sources`,
          `the sources cover different numbers of layers (${lengths.join(", ")})`,
          "give every source of a slice the same number of layers",
        );
      slices.push({ sources, baseModel: sliceBase, parameters: s.parameters ?? null, where: `slices[${i}]` });
    }
  }

  checkMethodFit(method, cfg, slices, file);
  checkParameterNames(method, cfg, file);

  const tokenizerSource =
    cfg.tokenizer_source === undefined || cfg.tokenizer_source === null
      ? null
      : cfg.tokenizer_source === "base"
        ? baseModel === null
          ? (() => {
              throw err(
                file,
                "tokenizer_source",
                '"base" needs a base_model',
                "add base_model, or name a model folder",
              );
            })()
          : baseModel
        : cfg.tokenizer_source === "union"
          ? (() => {
              throw err(
                file,
                "tokenizer_source",
                '"union" (merging vocabularies) is not supported',
                "use base or a model folder, or build the tokenizer with mergekit",
              );
            })()
          : indexOf(cfg.tokenizer_source, "tokenizer_source");

  return {
    file,
    methodName: cfg.merge_method,
    method,
    models,
    baseModel,
    form: cfg.models ? "models" : "slices",
    slices,
    parameters: cfg.parameters ?? null,
    dtype: cfg.dtype ? DTYPE_NAMES[cfg.dtype] : null,
    outDtype: cfg.out_dtype ? DTYPE_NAMES[cfg.out_dtype] : null,
    tokenizerSource,
    raw: cfg,
  };
}

function checkUnsupported(raw: Record<string, unknown>, file: string): void {
  const visit = (obj: unknown, path: string) => {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return;
    for (const key of Object.keys(obj)) {
      const hint = UNSUPPORTED_KEYS[key];
      if (hint !== undefined)
        throw err(file, path ? `${path}.${key}` : key, `"${key}" is not supported by frugal merge`, hint);
    }
  };
  visit(raw, "");
  const slices = raw.slices;
  if (Array.isArray(slices)) slices.forEach((s, i) => visit(s, `slices[${i}]`));
}

/** The keys an object at this config path accepts. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const p = path.map(String);
  if (p.length === 0) return KNOWN_KEYS.root;
  if (p.includes("parameters")) return KNOWN_KEYS.conditional;
  if (p[0] === "models") return KNOWN_KEYS.model;
  if (p[0] === "slices") return p.includes("sources") ? KNOWN_KEYS.source : KNOWN_KEYS.slice;
  return [];
}

function zodError(error: z.ZodError, file: string): MergeConfigError {
  const issue = error.issues[0]!;
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const known = knownKeysAt(issue.path);
    return err(
      file,
      path ? `${path}.${key}` : key,
      `unknown key "${key}"`,
      known.length ? `the keys here are ${known.join(", ")}` : "remove it",
    );
  }
  if (issue.path.includes("parameters") && (issue.code === "invalid_union" || issue.code === "invalid_type"))
    return err(
      file,
      path,
      "is not a parameter setting",
      "give a number, true/false, a string, a list of numbers (a gradient across layers) or a list of {filter, value}",
    );
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message))
    return err(file, path, "is missing", "add it (see examples/merge/)");
  return err(file, path, issue.message, "fix the value (see examples/merge/)");
}

/** Checks the base model and the number of inputs per slice against the method. */
function checkMethodFit(
  method: AnyMergeMethod,
  cfg: RawMergeConfig,
  slices: SliceSpec[],
  file: string,
): void {
  const name = method.name;
  for (const [i, s] of slices.entries()) {
    const at = s.where ?? "models";
    if (method.base === "required" && s.baseModel === null)
      throw err(
        file,
        s.where && cfg.slices ? `${s.where}.base_model` : "base_model",
        `${name} needs a base_model`,
        `add base_model: PATH (the model the others were fine-tuned from)`,
      );
    // mergekit appends an unlisted base model to `models:` as a source; methods without a base fail on it there.
    if (method.base === "unused" && s.sources.some((x) => x.where === null))
      throw err(
        file,
        "base_model",
        `${name} does not use a base_model`,
        "remove base_model (or list it as one of the models)",
      );
    const inputs = new Set(s.sources.map((x) => x.model)).size;
    if (inputs < method.inputs.min || (method.inputs.max !== undefined && inputs > method.inputs.max)) {
      const want =
        method.inputs.max === undefined
          ? `at least ${method.inputs.min}`
          : method.inputs.max === method.inputs.min
            ? `exactly ${method.inputs.min}`
            : `${method.inputs.min} to ${method.inputs.max}`;
      throw err(
        file,
        cfg.slices ? `slices[${i}].sources` : at,
        `${name} merges ${want} model(s) per tensor (base_model included), this has ${inputs}`,
        name === "passthrough" ? "give one source per slice" : `give ${want}`,
      );
    }
  }
}

/** Every parameter named anywhere must be one the method takes, at a level where it applies. */
function checkParameterNames(method: AnyMergeMethod, cfg: RawMergeConfig, file: string): void {
  const globals = Object.keys(method.params.shape);
  const perModel = Object.keys(method.tensorParams.shape);
  const all = [...globals, ...perModel];
  const takes = all.length ? `${method.name} takes ${all.join(", ")}` : `${method.name} takes no parameters`;
  const check = (params: Parameters | null | undefined, path: string, modelLevel: boolean) => {
    for (const key of Object.keys(params ?? {})) {
      if (!all.includes(key)) throw err(file, `${path}.${key}`, `unknown parameter of ${method.name}`, takes);
      if (modelLevel && !perModel.includes(key))
        throw err(
          file,
          `${path}.${key}`,
          `${key} is a global parameter of ${method.name}, not a per-model one`,
          "move it to the top-level parameters (or the slice's)",
        );
    }
  };
  check(cfg.parameters, "parameters", false);
  cfg.models?.forEach((m, i) => check(m.parameters, `models[${i}].parameters`, true));
  cfg.slices?.forEach((s, i) => {
    check(s.parameters, `slices[${i}].parameters`, false);
    s.sources.forEach((src, j) => check(src.parameters, `slices[${i}].sources[${j}].parameters`, true));
  });
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(@[\w./-]+)?$/;

function resolveModel(ref: string, where: string, file: string, opts: ParseConfigOptions): string {
  const candidates = isAbsolute(ref)
    ? [ref]
    : [resolve(opts.cwd ?? ".", ref), ...(opts.configDir ? [resolve(opts.configDir, ref)] : [])];
  if (opts.skipPathCheck) return candidates[0]!;
  for (const c of candidates) if (existsSync(c)) return checkFolder(c, ref, where, file);
  if (ref.includes("+") && !ref.startsWith("/"))
    throw err(
      file,
      where,
      `"${ref}" names a model plus a LoRA adapter (mergekit's model+adapter), which frugal merge does not apply`,
      "merge the adapter into the model first and give the merged folder",
    );
  if (HUB_ID.test(ref))
    throw err(
      file,
      where,
      `"${ref}" looks like a Hugging Face hub id, not a local folder`,
      `download it first (e.g. huggingface-cli download ${ref.split("@")[0]} --local-dir DIR) and put the folder's path in the config`,
    );
  throw err(
    file,
    where,
    `no such folder "${ref}"`,
    "check the path (relative paths are resolved from the current folder, then from the config's folder)",
  );
}

function checkFolder(path: string, ref: string, where: string, file: string): string {
  const st = statSync(path);
  if (!st.isDirectory() && !path.endsWith(".safetensors"))
    throw err(file, where, `"${ref}" is a file, not a model folder`, "give a Hugging Face checkpoint folder");
  return path;
}
