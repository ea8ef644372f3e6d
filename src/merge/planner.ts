/**
 * The merge planner: a pure function from a validated config and the input checkpoints' headers
 * to an immutable plan — every output tensor with its inputs (model, tensor, shard), its method
 * parameters evaluated for that tensor, its output dtype — plus the output shard layout, the
 * output config.json, a memory estimate and the mismatches found. Nothing is read but headers,
 * so every config or shape problem is reported before any work.
 *
 * Parameters are evaluated as mergekit does (config/parameters.ts): per source, then per slice,
 * then globally, with gradients at the tensor's layer position t and filters on its name.
 */
import { z } from "zod";
import type { CheckpointPlan, DType, WritableDType } from "../tensor/index.js";
import { dtypeBytes, isWritableDType, numel, planShards } from "../tensor/index.js";
import type { MergeConfig, SliceSpec, SourceSpec } from "./config/load.js";
import { type ParameterLevel, resolveParameter } from "./config/parameters.js";
import { MergeConfigError, MergeInputError } from "./errors.js";
import { layerCounts, mainStack, outsidePosition, parseLayerName } from "./layers.js";
import type { AnyMergeMethod } from "./methods/types.js";
import { isStreamDType, type WeightedSum } from "./weighted-sum.js";

/** What the planner needs to know of one input checkpoint (its headers). */
export interface InputCheckpoint {
  /** The folder. */
  path: string;
  /** Tensors in shard order, then file order. */
  tensors: readonly { name: string; dtype: DType; shape: readonly number[]; shard: string }[];
  /** config.json, when present. */
  config: unknown;
}

/** What to do when a tensor's shape differs between models. */
export type ShapeMismatchPolicy = "refuse" | "truncate" | "pad-to-base";
/** The policies, for flags and schemas. */
export const SHAPE_MISMATCH_POLICIES: readonly ShapeMismatchPolicy[] = ["refuse", "truncate", "pad-to-base"];

/** One input of a task. */
export interface TaskInput {
  /** Index into the config's models. */
  model: number;
  tensor: string;
  dtype: DType;
  shape: readonly number[];
  shard: string;
}

/** One output tensor. */
export interface MergeTask {
  /** Output tensor name. */
  name: string;
  /** Output shape (inputs are cut or padded to it under a mismatch policy). */
  shape: readonly number[];
  dtype: WritableDType;
  inputs: TaskInput[];
  /** Index in `inputs` of the base model, or null. */
  baseIndex: number | null;
  /** Global parameters for this tensor (validated, defaults filled). */
  params: Record<string, unknown>;
  /** Per-input parameters (validated; the base model's may be partial). */
  tensorParams: Record<string, unknown>[];
  /** Layer position used for gradients. */
  t: number;
  /** Index of the output slice. */
  slice: number;
  /** When the inputs' shapes differ: how each is fitted to `shape`. */
  fit: "none" | "truncate" | "pad-to-base";
  /** Index in `inputs` whose values fill padded areas (pad-to-base). */
  padFrom: number | null;
}

/** A shape or name difference between the inputs. */
export interface Mismatch {
  tensor: string;
  /** `shape`: the models have it with different shapes; `missing`: some model lacks it. */
  kind: "shape" | "missing";
  /** e.g. `[32000, 4096] in ./a, [32002, 4096] in ./b` or `missing in ./b`. */
  detail: string;
}

/** The plan of a merge. */
export interface MergePlan {
  method: string;
  /** Input model folders (index = model number in tasks). */
  models: string[];
  baseModel: string | null;
  tasks: MergeTask[];
  /** The output's shard layout. */
  shards: CheckpointPlan;
  /** config.json of the output. */
  outConfig: unknown;
  /** Folder the tokenizer and generation files are copied from. */
  copyFrom: string;
  /** Shape differences that a policy resolved (empty under refuse: those are errors). */
  mismatches: Mismatch[];
  policy: ShapeMismatchPolicy;
  totals: { tensors: number; parameters: number; inputBytes: number; outputBytes: number };
  memory: MemoryEstimate;
  /** Output layers (after slicing). */
  layers: number | null;
  notes: string[];
}

/** Peak memory of the executor, by construction (see `estimateMemory`). */
export interface MemoryEstimate {
  /** Estimated peak bytes of tensor data held at once. */
  peakTensorBytes: number;
  /** The task where the peak occurs. */
  peakTensor: string | null;
  /** Largest single output tensor (Float32 bytes). */
  largestTensorBytes: number;
  /** How the estimate is made, in one line. */
  formula: string;
}

/** Options of `planMerge`. */
export interface PlanOptions {
  /** Shape mismatch policy (default refuse). */
  shapeMismatch?: ShapeMismatchPolicy;
  /** Output shard size limit in bytes (default 5 GiB). */
  maxShardBytes?: number;
}

function cfgErr(config: MergeConfig, path: string, what: string, hint: string): MergeConfigError {
  return new MergeConfigError({ where: `${config.file}: ${path}`, what, hint });
}

/** Plans a merge. Pure: reads nothing but the given headers. */
export function planMerge(
  config: MergeConfig,
  inputs: readonly InputCheckpoint[],
  opts: PlanOptions = {},
): MergePlan {
  const policy = opts.shapeMismatch ?? "refuse";
  const byName = inputs.map((ck) => new Map(ck.tensors.map((t) => [t.name, t])));
  const label = (m: number) => config.models[m]!.ref;
  const tasks: MergeTask[] = [];
  const problems: Mismatch[] = [];
  const resolved: Mismatch[] = [];
  const notes: string[] = [];
  let outLayers: number | null = null;

  const addTask = (
    name: string,
    slice: SliceSpec,
    sliceIndex: number,
    refs: { source: SourceSpec; tensor: string }[],
    t: number,
  ) => {
    const taskInputs: TaskInput[] = [];
    for (const { source, tensor } of refs) {
      const info = byName[source.model]!.get(tensor);
      if (!info) {
        problems.push({ tensor, kind: "missing", detail: `missing in ${label(source.model)}` });
        return;
      }
      taskInputs.push({
        model: source.model,
        tensor,
        dtype: info.dtype,
        shape: info.shape,
        shard: info.shard,
      });
    }
    const baseIndex =
      slice.baseModel === null ? null : refs.findIndex((r) => r.source.model === slice.baseModel);
    const base = baseIndex !== null && baseIndex >= 0 ? baseIndex : null;
    const fitted = fitShapes(name, taskInputs, base, policy, label);
    if ("mismatch" in fitted) {
      problems.push(fitted.mismatch);
      return;
    }
    if (fitted.fit !== "none") resolved.push({ tensor: name, kind: "shape", detail: fitted.detail });
    const ref = taskInputs[base ?? 0]!;
    const dtype = outputDtype(config, ref, name, label(ref.model));
    const { params, tensorParams } = evaluateParams(
      config,
      slice,
      refs.map((r) => r.source),
      base,
      name,
      t,
    );
    tasks.push({
      name,
      shape: fitted.shape,
      dtype,
      inputs: taskInputs,
      baseIndex: base,
      params,
      tensorParams,
      t,
      slice: sliceIndex,
      fit: fitted.fit,
      padFrom: fitted.fit === "pad-to-base" ? (base ?? 0) : null,
    });
  };

  if (config.form === "models") {
    const slice = config.slices[0]!;
    const first = slice.sources[0]!;
    const names = inputs[first.model]!.tensors.map((t) => t.name);
    const counts = layerCounts(names);
    for (const name of names) {
      const l = parseLayerName(name);
      const t =
        l === null
          ? outsidePosition(name) === "pre"
            ? 0
            : 1
          : (counts.get(l.prefix) ?? 1) > 1
            ? l.layer / ((counts.get(l.prefix) ?? 1) - 1)
            : 1;
      addTask(
        name,
        slice,
        0,
        slice.sources.map((source) => ({ source, tensor: name })),
        t,
      );
    }
    // Tensors the other models have and the first lacks.
    const known = new Set(names);
    for (const s of slice.sources.slice(1))
      for (const t of inputs[s.model]!.tensors)
        if (!known.has(t.name))
          problems.push({
            tensor: t.name,
            kind: "missing",
            detail: `only in ${label(s.model)}, not in ${label(first.model)}`,
          });
    const main = mainStack(counts);
    outLayers = main?.layers ?? null;
  } else {
    outLayers = planSlices(config, inputs, addTask, label);
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, 4).map((p) => `${p.tensor}: ${p.detail}`);
    const more = problems.length > 4 ? ` (and ${problems.length - 4} more)` : "";
    const shapeOnly = problems.every((p) => p.kind === "shape");
    throw new MergeInputError({
      where: config.file,
      what: `the models do not match: ${shown.join("; ")}${more}`,
      hint: shapeOnly
        ? "merge models of one architecture, or pass --shape-mismatch truncate (common sub-block, as mergekit does for embeddings) or pad-to-base (the base model's shape, missing rows from the base)"
        : "merge models with the same tensor names (same architecture and tied/untied embeddings)",
    });
  }
  if (resolved.length > 0)
    notes.push(
      `${resolved.length} tensor(s) differ in shape, fitted by ${policy}: ${resolved
        .slice(0, 3)
        .map((r) => `${r.tensor} (${r.detail})`)
        .join("; ")}${resolved.length > 3 ? " …" : ""}`,
    );

  const shards = planShards(
    tasks.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    opts.maxShardBytes,
  );
  const reference = config.baseModel ?? config.slices[0]!.sources[0]!.model;
  const copyFromModel = config.tokenizerSource ?? reference;
  const totals = {
    tensors: tasks.length,
    parameters: tasks.reduce((s, t) => s + numel(t.shape), 0),
    inputBytes: tasks.reduce(
      (s, t) => s + t.inputs.reduce((a, i) => a + numel(i.shape) * dtypeBytes(i.dtype), 0),
      0,
    ),
    outputBytes: shards.totalBytes,
  };
  return {
    method: config.methodName,
    models: config.models.map((m) => m.path),
    baseModel: config.baseModel === null ? null : config.models[config.baseModel]!.path,
    tasks,
    shards,
    outConfig: outputConfig(inputs[reference]?.config, tasks, outLayers, config),
    copyFrom: config.models[copyFromModel]!.path,
    mismatches: resolved,
    policy,
    totals,
    memory: estimateMemory(tasks, config),
    layers: outLayers,
    notes,
  };
}

type AddTask = (
  name: string,
  slice: SliceSpec,
  sliceIndex: number,
  refs: { source: SourceSpec; tensor: string }[],
  t: number,
) => void;

/** The slices form: pre weights from the first slice, layers slice by slice, post weights from the last. */
function planSlices(
  config: MergeConfig,
  inputs: readonly InputCheckpoint[],
  addTask: AddTask,
  label: (m: number) => string,
): number {
  const stacks = inputs.map((ck) => mainStack(layerCounts(ck.tensors.map((t) => t.name))));
  const firstSlice = config.slices[0]!;
  const lastSlice = config.slices[config.slices.length - 1]!;
  const outside = (m: number) =>
    inputs[m]!.tensors.filter((t) => parseLayerName(t.name) === null).map((t) => t.name);
  const firstModel = firstSlice.sources[0]!.model;
  const outPrefix = stacks[firstModel]?.prefix;
  for (const name of outside(firstModel).filter((n) => outsidePosition(n) === "pre"))
    addTask(
      name,
      firstSlice,
      0,
      firstSlice.sources.map((source) => ({ source, tensor: name })),
      0,
    );
  let outLayer = 0;
  for (const [si, slice] of config.slices.entries()) {
    for (const [j, src] of slice.sources.entries()) {
      const stack = stacks[src.model];
      const [a, b] = src.layerRange!;
      if (!stack || b > stack.layers)
        throw cfgErr(
          config,
          `slices[${si}].sources[${j}].layer_range`,
          `[${a}, ${b}] is outside ${label(src.model)}, which has ${stack?.layers ?? 0} layers`,
          `use a range within [0, ${stack?.layers ?? 0}]`,
        );
    }
    const len = slice.sources[0]!.layerRange![1] - slice.sources[0]!.layerRange![0];
    for (let i = 0; i < len; i++) {
      const t = len > 1 ? i / (len - 1) : 1;
      const src0 = slice.sources[0]!;
      const stack0 = stacks[src0.model]!;
      const layerIn = src0.layerRange![0] + i;
      const suffixes = inputs[src0.model]!.tensors.map((x) => parseLayerName(x.name))
        .filter(
          (l): l is NonNullable<typeof l> => l !== null && l.prefix === stack0.prefix && l.layer === layerIn,
        )
        .map((l) => l.suffix);
      for (const suffix of suffixes) {
        const refs = slice.sources.map((source) => {
          const st = stacks[source.model]!;
          return { source, tensor: `${st.prefix}.${source.layerRange![0] + i}.${suffix}` };
        });
        addTask(`${outPrefix ?? stack0.prefix}.${outLayer}.${suffix}`, slice, si, refs, t);
      }
      outLayer++;
    }
  }
  const lastModel = lastSlice.sources[0]!.model;
  for (const name of outside(lastModel).filter((n) => outsidePosition(n) === "post"))
    addTask(
      name,
      lastSlice,
      config.slices.length - 1,
      lastSlice.sources.map((source) => ({ source, tensor: name })),
      1,
    );
  return outLayer;
}

/** Checks and fits the inputs' shapes under the policy. */
function fitShapes(
  name: string,
  inputs: readonly TaskInput[],
  base: number | null,
  policy: ShapeMismatchPolicy,
  label: (m: number) => string,
): { shape: readonly number[]; fit: MergeTask["fit"]; detail: string } | { mismatch: Mismatch } {
  const first = inputs[0]!.shape;
  const same = inputs.every(
    (i) => i.shape.length === first.length && i.shape.every((d, k) => d === first[k]),
  );
  if (same) return { shape: first, fit: "none", detail: "" };
  const detail = inputs.map((i) => `[${i.shape.join(", ")}] in ${label(i.model)}`).join(", ");
  const rankSame = inputs.every((i) => i.shape.length === first.length);
  if (policy === "refuse" || !rankSame) return { mismatch: { tensor: name, kind: "shape", detail } };
  if (policy === "truncate")
    return {
      shape: first.map((_, k) => Math.min(...inputs.map((i) => i.shape[k]!))),
      fit: "truncate",
      detail,
    };
  return { shape: inputs[base ?? 0]!.shape, fit: "pad-to-base", detail };
}

/** The output dtype: out_dtype, else dtype, else the reference input's (F64 → F32). */
function outputDtype(config: MergeConfig, ref: TaskInput, name: string, model: string): WritableDType {
  const d = config.outDtype ?? config.dtype ?? (ref.dtype === "F64" ? "F32" : ref.dtype);
  if (!isWritableDType(d))
    throw new MergeInputError({
      where: `${model}: tensor "${name}"`,
      what: `has dtype ${ref.dtype}; frugal merge merges floating-point tensors only`,
      hint: "merge checkpoints whose tensors are F32, F16 or BF16",
    });
  return d;
}

/** True when a zod schema accepts undefined (it has a default or is optional). */
function acceptsUndefined(s: z.ZodType): boolean {
  return s.safeParse(undefined).success;
}

/** Evaluates and validates the method's parameters for one tensor. */
function evaluateParams(
  config: MergeConfig,
  slice: SliceSpec,
  sources: readonly SourceSpec[],
  base: number | null,
  tensor: string,
  t: number,
): { params: Record<string, unknown>; tensorParams: Record<string, unknown>[] } {
  const m = config.method;
  const sliceLevel: ParameterLevel[] = slice.where
    ? [{ parameters: slice.parameters, path: `${slice.where}.parameters` }]
    : [];
  const globalLevels: ParameterLevel[] = [
    ...sliceLevel,
    { parameters: config.parameters, path: "parameters" },
  ];
  const params: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(m.params.shape) as [string, z.ZodType][]) {
    const r = resolveParameter(key, globalLevels, tensor, t);
    if (r === undefined && m.requiredParams.includes(key))
      throw cfgErr(
        config,
        "parameters",
        `${m.name} needs ${key}${slice.where ? "" : ""} (no setting applies to tensor "${tensor}")`,
        `add ${key} to the top-level parameters (a value, a gradient like [0, 0.5, 1], or {filter, value} entries ending with one without a filter)`,
      );
    params[key] = parseValue(config, schema, r, key, tensor);
  }
  const tensorParams = sources.map((src, i) => {
    const levels: ParameterLevel[] = [
      ...(src.where ? [{ parameters: src.parameters, path: `${src.where}.parameters` }] : []),
      ...globalLevels,
    ];
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(m.tensorParams.shape) as [string, z.ZodType][]) {
      const r = resolveParameter(key, levels, tensor, t);
      if (r === undefined && !acceptsUndefined(schema)) {
        if (i === base) continue; // the base model needs no weight (as in mergekit)
        throw cfgErr(
          config,
          src.where ? `${src.where}.parameters` : "parameters",
          `${m.name} needs ${key} for ${config.models[src.model]!.ref} (no setting applies to tensor "${tensor}")`,
          `add ${key} under ${src.where ?? "the top-level"} parameters, or a top-level parameters.${key}`,
        );
      }
      out[key] = parseValue(config, schema, r, key, tensor);
    }
    return out;
  });
  const problem = m.validate?.(params, tensorParams);
  if (problem) {
    const src = problem.source === null ? null : sources[problem.source];
    const path = src?.where ? `${src.where}.parameters.${problem.param}` : `parameters.${problem.param}`;
    throw cfgErr(config, path, `${problem.what} (tensor "${tensor}")`, problem.hint);
  }
  return { params, tensorParams };
}

function parseValue(
  config: MergeConfig,
  schema: z.ZodType,
  r: { value: unknown; path: string } | undefined,
  key: string,
  tensor: string,
): unknown {
  const res = schema.safeParse(r?.value);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  throw cfgErr(
    config,
    r?.path ?? `parameters.${key}`,
    `${issue.message.replace(/^Invalid input: /, "")}${r ? ` (evaluated for tensor "${tensor}")` : ""}`,
    "fix the value",
  );
}

/** config.json of the output: the reference model's, with layer count, dtype and vocabulary updated. */
function outputConfig(
  source: unknown,
  tasks: readonly MergeTask[],
  layers: number | null,
  config: MergeConfig,
): unknown {
  if (typeof source !== "object" || source === null || Array.isArray(source)) return source;
  const out: Record<string, unknown> = { ...(source as Record<string, unknown>) };
  if (config.form === "slices" && layers !== null && "num_hidden_layers" in out)
    out.num_hidden_layers = layers;
  const dtypes = new Set(tasks.map((t) => t.dtype));
  if (dtypes.size === 1 && "torch_dtype" in out)
    out.torch_dtype = { F32: "float32", F16: "float16", BF16: "bfloat16" }[[...dtypes][0]!];
  const embed = tasks.find((t) => /(embed_tokens|wte|word_embeddings)\.weight$/.test(t.name));
  if (embed && "vocab_size" in out && embed.shape[0] !== undefined) out.vocab_size = embed.shape[0];
  return out;
}

/**
 * The weighted sum a task is streamed with (raw input bytes → encoded output, weighted-sum.ts), or
 * undefined when it is merged on Float32 tensors: streamed when the method declares the tensor's
 * merge a weighted sum, no shape fitting is needed and every input is F32, F16 or BF16.
 */
export function streamedSum(method: AnyMergeMethod, task: MergeTask): WeightedSum | undefined {
  if (!method.weightedSum || task.fit !== "none" || !task.inputs.every((i) => isStreamDType(i.dtype)))
    return undefined;
  return method.weightedSum(task.params, task.tensorParams);
}

/**
 * Peak memory by construction: while task k is merged, its inputs (as Float32, or their raw bytes
 * when streamed), the method's working copies (none when streamed), the output bytes, task k − 1's
 * output (being written) and task k + 1's inputs (read ahead) are held; nothing else.
 */
function estimateMemory(tasks: readonly MergeTask[], config: MergeConfig): MemoryEstimate {
  let peak = 0;
  let at: string | null = null;
  let largest = 0;
  const streamed = tasks.map((t) => streamedSum(config.method, t) !== undefined);
  const inputs = (k: number) =>
    tasks[k]!.inputs.reduce((s, i) => s + numel(i.shape) * (streamed[k] ? dtypeBytes(i.dtype) : 4), 0);
  // The buffer holding a task's output while the writer writes it (during the next task's merge):
  // the encoded bytes when streamed, else the float32 buffer they were encoded in.
  const held = (k: number) => numel(tasks[k]!.shape) * (streamed[k] ? dtypeBytes(tasks[k]!.dtype) : 4);
  for (const [k, t] of tasks.entries()) {
    const n = numel(t.shape);
    largest = Math.max(largest, n * 4);
    const work = streamed[k] ? 0 : config.method.workingCopies(t.inputs.length) * n * 4;
    const bytes =
      inputs(k) +
      work +
      n * dtypeBytes(t.dtype) +
      (k > 0 ? held(k - 1) : 0) +
      (tasks[k + 1] ? inputs(k + 1) : 0);
    if (bytes > peak) {
      peak = bytes;
      at = t.name;
    }
  }
  return {
    peakTensorBytes: peak,
    peakTensor: at,
    largestTensorBytes: largest,
    formula: `max over tensors of (inputs as float32, or their bytes when streamed as a weighted sum, + ${config.method.name} working copies + output + the previous tensor's output being written + the next tensor's inputs)`,
  };
}

/** A zod schema of the plan options (for the library's callers). */
export const PlanOptionsSchema = z.object({
  shapeMismatch: z
    .enum(SHAPE_MISMATCH_POLICIES as [ShapeMismatchPolicy, ...ShapeMismatchPolicy[]])
    .default("refuse"),
  maxShardBytes: z.number().positive().optional(),
});
