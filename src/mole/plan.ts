/**
 * The conversion planner: a pure function from a resolved layout and the options to the list of
 * tasks (one per MoE layer and kind, each with its groups and, when the rule does not need the
 * spectrum, its rank), the tensors copied unchanged, the parameter counts and a memory estimate.
 * `frugal mole convert --dry-run` prints it.
 */
import type { DType, WritableDType } from "../tensor/index.js";
import { ExpertShapeError, MoleOptionsError } from "./errors.js";
import { KINDS, type Kind, type MoeLayout } from "./layout.js";
import { factorizationMethods } from "./methods.js";
import { maxRank, rankRules } from "./rank-rules.js";

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Conversion options (all optional; defaults in brackets). */
export interface ConvertOptions {
  /** Rank rule and its parameters [target-ratio 0.5]. */
  rankRule?: { name: string; params?: Record<string, unknown> };
  /** Experts per group, consecutive [all experts of a layer]. */
  groupSize?: number | null;
  /** Kinds to convert [gate, up]. */
  kinds?: readonly Kind[];
  /** Factorization method [gram]. */
  method?: { name: string; params?: Record<string, unknown> };
  /** Calibration file (see calibration.ts) for data-aware gate/up factors. */
  calibration?: string | null;
  /** Damping of the calibration second moments, relative to their mean diagonal [0.01]. */
  damping?: number;
  /** Calibration tokens per layer at most [all]. */
  calibrationTokens?: number;
  /** dtype of the latents ["source": the experts' own]. */
  dtype?: "source" | WritableDType;
  /** Shard size limit for the copied tensors [5 GiB]. */
  maxShardBytes?: number;
}

/** Options with defaults filled in and parameters validated. */
export interface ResolvedOptions {
  rankRule: { name: string; params: Record<string, unknown> };
  groupSize: number | null;
  kinds: Kind[];
  method: { name: string; params: Record<string, unknown> };
  calibration: string | null;
  damping: number;
  calibrationTokens: number | null;
  dtype: "source" | WritableDType;
  maxShardBytes: number;
}

/** One unit of work: one MoE layer and kind, all its groups. */
export interface ConvertTask {
  layer: number;
  kind: Kind;
  /** Expert indices of each group. */
  groups: number[][];
  p: number;
  d: number;
  /** The rank, or null when the rule decides it from the spectrum while converting. */
  rank: number | null;
  maxRank: number;
  sourceDtype: WritableDType;
  dtype: WritableDType;
  calibrated: boolean;
  paramsBefore: number;
  /** Parameters after (null until the rank is known). */
  paramsAfter: number | null;
  /** Estimated peak working memory of this task in bytes. */
  memoryBytes: number;
  /** Estimated floating-point operations (for the ETA). */
  flops: number;
}

/** A copied tensor (not an expert matrix being converted). */
export interface CopiedTensor {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

/** The plan of a conversion. */
export interface ConversionPlan {
  source: string;
  architecture: string;
  family: string;
  storage: "per_expert" | "fused";
  hidden: number;
  experts: number;
  options: ResolvedOptions;
  /** How the rank is chosen, in words. */
  rankRule: string;
  tasks: ConvertTask[];
  copied: CopiedTensor[];
  /** Source tensors replaced by latents. */
  replaced: string[];
  params: { model: number; experts: number; convertedBefore: number; convertedAfter: number | null };
  /** Estimated peak memory of the conversion in bytes (the largest task plus the largest copied tensor). */
  memoryBytes: number;
  notes: string[];
}

/** The rank rule used when none is given: half of the expert parameters. */
export const DEFAULT_RANK_RULE = { name: "target-ratio", params: { ratio: 0.5 } } as const;
/** The kinds converted by default: gate and up (down only when asked). */
export const DEFAULT_KINDS: readonly Kind[] = ["gate", "up"];

/** Validates and completes options; `where` names them in errors. */
export function resolveOptions(opts: ConvertOptions, where = "options"): ResolvedOptions {
  const rule = opts.rankRule ?? DEFAULT_RANK_RULE;
  const method = opts.method ?? { name: "gram" };
  const kinds = [...new Set(opts.kinds ?? DEFAULT_KINDS)].sort((a, b) => KINDS.indexOf(a) - KINDS.indexOf(b));
  if (kinds.length === 0)
    throw new MoleOptionsError({
      where: `${where}.kinds`,
      what: "is empty",
      hint: "convert at least one of gate, up, down",
    });
  if (
    opts.groupSize !== undefined &&
    opts.groupSize !== null &&
    !(Number.isInteger(opts.groupSize) && opts.groupSize >= 1)
  )
    throw new MoleOptionsError({
      where: `${where}.groupSize`,
      what: `is ${opts.groupSize}`,
      hint: "use a positive integer",
    });
  const damping = opts.damping ?? 0.01;
  if (!(damping >= 0))
    throw new MoleOptionsError({
      where: `${where}.damping`,
      what: `is ${damping}`,
      hint: "use a number ≥ 0",
    });
  const r = rankRules.get(rule.name, `${where}.rankRule`);
  const m = factorizationMethods.get(method.name, `${where}.method`);
  const resolved: ResolvedOptions = {
    rankRule: {
      name: r.name,
      params: rankRules.params(r.name, rule.params ?? {}, `${where}.rankRule.params`),
    },
    groupSize: opts.groupSize ?? null,
    kinds,
    method: {
      name: m.name,
      params: factorizationMethods.params(m.name, method.params ?? {}, `${where}.method.params`),
    },
    calibration: opts.calibration ?? null,
    damping,
    calibrationTokens: opts.calibrationTokens ?? null,
    dtype: opts.dtype ?? "source",
    maxShardBytes: opts.maxShardBytes ?? 5 * 1024 ** 3,
  };
  if (m.needsRankFirst && r.needsSpectrum)
    throw new MoleOptionsError({
      where: `${where}.method`,
      what: `${m.name} needs the rank before it runs, but the ${r.name} rule chooses it from the spectrum`,
      hint: "use --rank or --target-ratio with the randomized method, or the gram or exact method",
    });
  return resolved;
}

/** Consecutive groups of `size` experts (all experts when null). */
export function expertGroups(experts: number, size: number | null): number[][] {
  const k = size === null ? experts : Math.min(size, experts);
  const out: number[][] = [];
  for (let s = 0; s < experts; s += k)
    out.push(Array.from({ length: Math.min(k, experts - s) }, (_, i) => s + i));
  return out;
}

/** Parameters of a layer-kind at rank r: Σ_g (k_g·p·r + r·d). */
export function latentParams(
  groups: readonly (readonly number[])[],
  p: number,
  d: number,
  r: number,
): number {
  return groups.reduce((a, g) => a + g.length * p * r + r * d, 0);
}

function taskMemory(
  task: Omit<ConvertTask, "memoryBytes" | "flops">,
  holdsStack: boolean,
  keepBases: boolean,
): number {
  const { p, d } = task;
  const k = Math.max(...task.groups.map((g) => g.length));
  const r = task.rank ?? task.maxRank;
  const f = 4;
  const out = task.groups.reduce((a, g) => a + g.length * p * r, 0) * (task.dtype === "F32" ? 4 : 2);
  let work: number;
  if (holdsStack) work = 3 * k * p * d * f + k * p * Math.min(k * p, d) * f;
  else if (k * p < d) work = k * p * d * f * 2 + 4 * (k * p) ** 2 * f;
  else work = p * d * f + 4 * d * d * f + (keepBases ? (task.groups.length - 1) * d * d * f : 0);
  const whiten = task.calibrated ? 3 * d * d * f : 0;
  return work + whiten + out + k * p * r * f + 2 * r * d * f;
}

function taskFlops(task: Omit<ConvertTask, "memoryBytes" | "flops">): number {
  const { p, d } = task;
  const r = task.rank ?? Math.min(task.maxRank, d);
  return task.groups.reduce((a, g) => {
    const kp = g.length * p;
    const n = Math.min(kp, d);
    return a + kp * d * n + 9 * n ** 3 + 4 * kp * d * r;
  }, 0);
}

/** Plans the conversion of a resolved layout. */
export function planConversion(
  layout: MoeLayout,
  tensors: readonly CopiedTensor[],
  options: ResolvedOptions,
): ConversionPlan {
  const rule = rankRules.get(options.rankRule.name);
  const method = factorizationMethods.get(options.method.name);
  const notes: string[] = [];
  if (layout.storage === "fused" && options.kinds.includes("gate") !== options.kinds.includes("up"))
    throw new MoleOptionsError({
      where: `${layout.path}: options.kinds`,
      what: "the fused layout stores gate and up in one tensor (experts.gate_up_proj), so one cannot be converted without the other",
      hint: "convert both gate and up, or neither",
    });
  const tasks: ConvertTask[] = [];
  const replaced = new Set<string>();
  for (const L of layout.layers) {
    const groups = expertGroups(L.experts, options.groupSize);
    for (const kind of options.kinds) {
      const mats = L.matrices[kind];
      const dtypes = new Set(mats.map((m) => layout.dtypes[m.tensor]));
      if (dtypes.size !== 1)
        throw new ExpertShapeError({
          where: `${layout.path}: layer ${L.layer} ${kind}`,
          what: `expert tensors mix dtypes (${[...dtypes].join(", ")})`,
          hint: "convert the experts to one dtype first",
        });
      const sourceDtype = [...dtypes][0] as WritableDType;
      const p = L.intermediate;
      const d = layout.hidden;
      const where = `${layout.path}: layer ${L.layer} ${kind}`;
      const ctx = { groupSizes: groups.map((g) => g.length), p, d, where };
      const rank = rule.needsSpectrum ? null : rule.choose(options.rankRule.params, ctx);
      const base = {
        layer: L.layer,
        kind,
        groups,
        p,
        d,
        rank,
        maxRank: maxRank(ctx),
        sourceDtype,
        dtype: options.dtype === "source" ? sourceDtype : options.dtype,
        calibrated: options.calibration !== null && kind !== "down",
        paramsBefore: L.experts * p * d,
        paramsAfter: rank === null ? null : latentParams(groups, p, d, rank),
      };
      tasks.push({
        ...base,
        memoryBytes: taskMemory(base, method.holdsStack, rule.needsSpectrum && groups.length > 1),
        flops: taskFlops(base),
      });
      for (const m of mats) replaced.add(m.tensor);
      if (base.paramsAfter !== null && base.paramsAfter >= base.paramsBefore)
        notes.push(
          `layer ${L.layer} ${kind}: rank ${rank} saves no parameters (${base.paramsAfter} ≥ ${base.paramsBefore})`,
        );
    }
  }
  if (options.calibration !== null && options.kinds.includes("down"))
    notes.push(
      "down projections are factorized in the plain Frobenius norm (calibration whitens gate and up only)",
    );
  const copied = tensors.filter((t) => !replaced.has(t.name));
  const model = tensors.reduce((a, t) => a + numel(t.shape), 0);
  const experts = layout.layers.reduce((a, L) => a + 3 * L.experts * L.intermediate * layout.hidden, 0);
  const convertedBefore = tasks.reduce((a, t) => a + t.paramsBefore, 0);
  const after = tasks.every((t) => t.paramsAfter !== null)
    ? tasks.reduce((a, t) => a + t.paramsAfter!, 0)
    : null;
  const largestCopy = copied.reduce((a, t) => Math.max(a, numel(t.shape) * 4), 0);
  return {
    source: layout.path,
    architecture: layout.architecture,
    family: layout.family,
    storage: layout.storage,
    hidden: layout.hidden,
    experts: layout.experts,
    options,
    rankRule: rule.describe(options.rankRule.params as never),
    tasks,
    copied,
    replaced: [...replaced],
    params: { model, experts, convertedBefore, convertedAfter: after },
    memoryBytes: Math.max(largestCopy, ...tasks.map((t) => t.memoryBytes)),
    notes,
  };
}
