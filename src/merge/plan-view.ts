/**
 * The plan as rows and lines (what `--dry-run` prints and `--json` returns): one row per output
 * tensor with its inputs, layer position and evaluated parameters, and a summary with the
 * output layout, the memory estimate and the disk space.
 */
import type { MergePlan, MergeTask } from "./planner.js";

function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}

function fmtValue(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (v === undefined) return "-";
  return String(v);
}

/** The parameters of a task, compactly: `t=0.25 weight=1,0.5 density=0.5,0.5`. */
export function taskParamsText(task: MergeTask): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(task.params)) if (v !== undefined) parts.push(`${k}=${fmtValue(v)}`);
  const keys = new Set(task.tensorParams.flatMap((p) => Object.keys(p)));
  for (const k of keys) {
    const vals = task.tensorParams.map((p, i) =>
      i === task.baseIndex && p[k] === undefined ? "base" : fmtValue(p[k]),
    );
    if (vals.every((x) => x === "-" || x === "null")) continue;
    parts.push(`${k}=${vals.join(",")}`);
  }
  return parts.join(" ");
}

/** One row per output tensor: name, shape, dtype, inputs, layer position, parameters. */
export function planRows(
  plan: MergePlan,
  models: readonly string[],
  limit = Number.POSITIVE_INFINITY,
): string[][] {
  return plan.tasks
    .slice(0, limit)
    .map((t) => [
      t.name,
      `[${t.shape.join("×")}]`,
      t.dtype,
      t.inputs
        .map(
          (i, k) =>
            `${models[i.model]}${k === t.baseIndex ? " (base)" : ""}${i.tensor !== t.name ? `:${i.tensor}` : ""}`,
        )
        .join(", "),
      String(Number(t.t.toFixed(3))),
      taskParamsText(t),
    ]);
}

/** The headers of `planRows`. */
export const PLAN_HEADER = ["tensor", "shape", "dtype", "inputs", "t", "parameters"];

/** Summary lines of a plan (method, sizes, shards, memory, disk). */
export function planSummaryLines(plan: MergePlan, freeBytes: number | null): string[] {
  const lines = [
    `method ${plan.method}; ${plan.models.length} model folder(s)${plan.baseModel ? `, base ${plan.baseModel}` : ""}`,
    `${plan.totals.tensors} tensors, ${plan.totals.parameters} parameters${plan.layers !== null ? `, ${plan.layers} layers` : ""}; reads ${fmtBytes(plan.totals.inputBytes)}, writes ${fmtBytes(plan.totals.outputBytes)} in ${plan.shards.shards.length} shard(s)`,
    `peak memory (tensor data): ${fmtBytes(plan.memory.peakTensorBytes)} at ${plan.memory.peakTensor ?? "-"} (${plan.memory.formula})`,
    `disk: ${fmtBytes(plan.totals.outputBytes)} needed${freeBytes === null ? "" : `, ${fmtBytes(freeBytes)} free`}`,
    `config.json and tokenizer files from ${plan.copyFrom}`,
  ];
  if (plan.mismatches.length)
    lines.push(`shape mismatches fitted by ${plan.policy}: ${plan.mismatches.length}`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines;
}

/** The plan as plain JSON (tasks with their inputs and parameters). */
export function planJson(plan: MergePlan, models: readonly string[]) {
  return {
    method: plan.method,
    models: plan.models,
    baseModel: plan.baseModel,
    totals: plan.totals,
    layers: plan.layers,
    memory: plan.memory,
    shards: plan.shards.shards.map((s) => ({ file: s.file, tensors: s.tensors.length, bytes: s.bytes })),
    copyFrom: plan.copyFrom,
    policy: plan.policy,
    mismatches: plan.mismatches,
    notes: plan.notes,
    tasks: plan.tasks.map((t) => ({
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      t: t.t,
      slice: t.slice,
      fit: t.fit,
      inputs: t.inputs.map((i, k) => ({
        model: models[i.model],
        tensor: i.tensor,
        shard: i.shard,
        dtype: i.dtype,
        shape: i.shape,
        base: k === t.baseIndex,
      })),
      params: t.params,
      tensorParams: t.tensorParams,
    })),
  };
}
