/**
 * `frugal merge CONFIG OUT` as a library function: load and validate the mergekit config, open the
 * inputs' headers, plan, check the output folder and disk space, then stream the merge
 * (config → planner → executor → writer). `dryRun` stops after the plan.
 */
import { frugalVersion } from "../util/version.js";
import { loadMergeConfig, type MergeConfig } from "./config/load.js";
import {
  checkOutput,
  type ExecuteOptions,
  type ExecuteResult,
  executeMerge,
  openInputs,
} from "./executor.js";
import type { TensorMergeDiagnostics } from "./methods/types.js";
import { type MergePlan, type PlanOptions, planMerge, type ShapeMismatchPolicy } from "./planner.js";

/** Options of `mergeFromConfig`. */
export interface MergeOptions extends Omit<ExecuteOptions, "maxShardBytes"> {
  /** Shape mismatch policy (default refuse). */
  shapeMismatch?: ShapeMismatchPolicy;
  /** Output shard size limit in bytes (default 5 GiB). */
  maxShardBytes?: number;
  /** Plan only: no output is written. */
  dryRun?: boolean;
  /** Folder relative model paths are resolved from (default: the current folder). */
  cwd?: string;
}

/** A summary of LoRE's work over all matrices. */
export interface LoreSummary {
  matrices: number;
  converged: number;
  meanRank: number;
  maxRank: number;
  meanSweeps: number;
  maxSweeps: number;
  /** Largest final relative duality gap. */
  worstGap: number | null;
}

/** The result of a merge (or of a dry run). */
export interface MergeRunResult {
  status: "ok" | "planned";
  config: string;
  method: string;
  out: string | null;
  models: string[];
  baseModel: string | null;
  seed: number;
  shapeMismatch: ShapeMismatchPolicy;
  plan: {
    tensors: number;
    parameters: number;
    inputBytes: number;
    outputBytes: number;
    shards: number;
    layers: number | null;
    peakTensorBytes: number;
    peakTensor: string | null;
    freeBytes: number | null;
  };
  result: Omit<ExecuteResult, "diagnostics"> | null;
  lore: LoreSummary | null;
  notes: string[];
  version: string;
}

/** Loads, plans and (unless dryRun) runs a merge. Returns the result record and the plan. */
export async function mergeFromConfig(
  configFile: string,
  out: string | null,
  opts: MergeOptions = {},
): Promise<{ result: MergeRunResult; plan: MergePlan; config: MergeConfig }> {
  const config = await loadMergeConfig(configFile, { cwd: opts.cwd });
  const inputs = await openInputs(config, opts.signal);
  try {
    const planOpts: PlanOptions = { shapeMismatch: opts.shapeMismatch, maxShardBytes: opts.maxShardBytes };
    const plan = planMerge(config, inputs.infos, planOpts);
    const free = out !== null ? await checkOutput(out, plan, opts.force || opts.dryRun) : { freeBytes: null };
    const base = {
      config: configFile,
      method: config.methodName,
      out,
      models: plan.models,
      baseModel: plan.baseModel,
      seed: opts.seed ?? 0,
      shapeMismatch: plan.policy,
      plan: {
        tensors: plan.totals.tensors,
        parameters: plan.totals.parameters,
        inputBytes: plan.totals.inputBytes,
        outputBytes: plan.totals.outputBytes,
        shards: plan.shards.shards.length,
        layers: plan.layers,
        peakTensorBytes: plan.memory.peakTensorBytes,
        peakTensor: plan.memory.peakTensor,
        freeBytes: free.freeBytes,
      },
      version: frugalVersion(),
    };
    if (opts.dryRun || out === null)
      return {
        result: { ...base, status: "planned", result: null, lore: null, notes: plan.notes },
        plan,
        config,
      };
    const r = await executeMerge(config, plan, inputs, out, opts);
    const { diagnostics, ...rest } = r;
    return {
      result: {
        ...base,
        status: "ok",
        result: rest,
        lore: config.methodName === "lore" ? loreSummary(diagnostics.map((d) => d.diagnostics)) : null,
        notes: plan.notes,
      },
      plan,
      config,
    };
  } finally {
    await inputs.close();
  }
}

/** Aggregates LoRE's per-matrix diagnostics. */
export function loreSummary(ds: readonly TensorMergeDiagnostics[]): LoreSummary {
  const m = ds.filter((d) => d.mode === "matrix");
  const ranks = m.flatMap((d) => d.ranks ?? []);
  const sweeps = m.map((d) => d.sweeps ?? 0);
  const gaps = m.map((d) => d.gap?.at(-1) ?? 0);
  return {
    matrices: m.length,
    converged: m.filter((d) => d.converged === true).length,
    meanRank: ranks.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : 0,
    maxRank: ranks.length ? Math.max(...ranks) : 0,
    meanSweeps: sweeps.length ? sweeps.reduce((a, b) => a + b, 0) / sweeps.length : 0,
    maxSweeps: sweeps.length ? Math.max(...sweeps) : 0,
    worstGap: gaps.length ? Math.max(...gaps) : null,
  };
}
