/**
 * What a merge method is: a registry entry (mergekit's name, a summary, the reference URL, global
 * parameters as a zod object with defaults) plus its per-model parameters, its use of the base
 * model, how many inputs it takes, and a pure function that merges one tensor.
 */
import type { z } from "zod";
import type { Rng } from "../../util/random.js";
import type { RegistryEntry } from "../../util/registry.js";
import type { WeightedSum } from "../weighted-sum.js";

/** How a method uses `base_model`. */
export type BaseUse = "required" | "optional" | "unused";

/** The inputs of one tensor's merge. */
export interface TensorMergeInput<G = Record<string, unknown>, T = Record<string, unknown>> {
  /** Output tensor name (filters and messages). */
  name: string;
  /** Shape of every input and of the output. */
  shape: readonly number[];
  /** One Float32 tensor per source, in source order. Methods may overwrite them (they are not reused). */
  tensors: Float32Array[];
  /** Index of the base model in `tensors`, or null. */
  baseIndex: number | null;
  /** Global parameters, evaluated for this tensor and validated. */
  params: G;
  /** Per-source parameters, evaluated for this tensor and validated (same order as `tensors`). */
  tensorParams: T[];
  /** A generator seeded from the merge seed, this tensor's name and the source index (random methods). */
  rng(source: number): Rng;
  /** Where each input comes from (the model as the config names it), for messages. */
  sources?: readonly string[];
  signal?: AbortSignal;
}

/** Facts one tensor's merge reports back (shown by the report and the JSON result). */
export interface TensorMergeDiagnostics {
  /** LoRE: ranks of the estimated task vectors. */
  ranks?: number[];
  /** LoRE: sweeps run. */
  sweeps?: number;
  /** LoRE: objective after each sweep. */
  objective?: number[];
  /** LoRE: relative duality gap after each sweep. */
  gap?: number[];
  /** LoRE: whether the duality gap reached the tolerance. */
  converged?: boolean;
  /** LoRE: the μ used (absolute). */
  mu?: number;
  /** LoRE: how the tensor was handled (`matrix` or the fallback for vectors). */
  mode?: "matrix" | "vector";
  /** Any other remark, e.g. the slerp fallback to lerp for parallel tensors. */
  note?: string;
}

/** The merged tensor (same shape as the inputs) and optional diagnostics. */
export interface TensorMergeOutput {
  data: Float32Array;
  diagnostics?: TensorMergeDiagnostics;
}

/** A merge method: registry metadata, parameters, and the per-tensor merge. */
export interface MergeMethod<G extends z.ZodObject = z.ZodObject, T extends z.ZodObject = z.ZodObject>
  extends RegistryEntry<G> {
  /** Per-model parameters (`models[i].parameters`); keys without a default are required for non-base models. */
  readonly tensorParams: T;
  /** How `base_model` is used. */
  readonly base: BaseUse;
  /** Inputs per tensor, base included: at least `min`, at most `max`. */
  readonly inputs: { min: number; max?: number };
  /** Global parameters that have no default and must be set (mergekit's `required=True`), e.g. slerp's t. */
  readonly requiredParams: readonly string[];
  /** Uses random numbers (seeded from `--random-seed`, the tensor name and the source). */
  readonly random: boolean;
  /**
   * Peak Float32 working memory of one tensor's merge beyond the inputs, in units of one tensor,
   * for `n` inputs (used by the planner's memory estimate).
   */
  workingCopies(n: number): number;
  /**
   * Checks parameters that constrain each other (evaluated for one tensor, before any work);
   * returns the problem, naming the source index (or null for a global parameter) and parameter.
   */
  validate?(global: z.output<G>, perModel: readonly z.output<T>[]): ParameterProblem | undefined;
  /**
   * When a tensor's merge is a weighted sum of its inputs (weighted-sum.ts: the same arithmetic,
   * bit for bit apart from NaN payloads, as `merge`), its weights and scale: the executor then streams the tensor from
   * its inputs' raw bytes to the output's (`weightedSumRaw`) without widening whole tensors.
   */
  weightedSum?(global: z.output<G>, perModel: readonly z.output<T>[]): WeightedSum | undefined;
  /** Merges one tensor. Pure apart from overwriting its inputs. */
  merge(input: TensorMergeInput<z.output<G>, z.output<T>>): TensorMergeOutput;
}

/** A problem with parameter values found by a method's `validate`. */
export interface ParameterProblem {
  /** The source whose parameter is wrong, or null for a global parameter. */
  source: number | null;
  param: string;
  what: string;
  hint: string;
}

/** A method with its parameter types erased (how the registry holds them). */
export type AnyMergeMethod = MergeMethod<z.ZodObject, z.ZodObject>;
