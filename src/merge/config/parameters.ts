/**
 * Parameter settings evaluated for one tensor, as mergekit does (`evaluate_setting` and
 * `ConfigReader.parameter` in mergekit/config.py):
 *
 * - a scalar is itself;
 * - a list of numbers is a gradient: at layer position t ∈ [0, 1] (layer i of a slice of L layers
 *   has t = i / (L − 1); a one-layer slice has t = 1; tensors before the layers (embeddings) t = 0
 *   and after them (final norm, lm_head) t = 1) the value is interpolated linearly between the
 *   two nearest of the list's evenly spaced points: s = t·(n − 1), i = ⌊s⌋,
 *   value = (1 − (s − i))·list[i] + (s − i)·list[min(i + 1, n − 1)];
 * - a list of strings or booleans is stepped: list[⌊t·(n − 1)⌋];
 * - a list of `{filter, value}` takes the first entry whose filter is a substring of the tensor
 *   name, or which has no filter (or `*`); when none matches the setting gives nothing, and the
 *   lookup falls through to the next level.
 *
 * Lookup order for a model's parameter: that source's `parameters`, then its slice's, then the
 * global `parameters`; for a global parameter: the slice's, then the global ones.
 */
import type { ParameterSetting, Parameters } from "./schema.js";

/** A scalar parameter value after evaluation. */
export type ParameterValue = number | boolean | string;

/** Evaluates a setting for a tensor at layer position t; undefined when no filter entry applies. */
export function evaluateSetting(
  tensorName: string,
  setting: ParameterSetting,
  t: number,
): ParameterValue | undefined {
  if (typeof setting === "number" || typeof setting === "boolean" || typeof setting === "string")
    return setting;
  if (Array.isArray(setting)) {
    if (setting.length === 0) return undefined;
    if (setting.every((e) => typeof e === "number")) return interpolate(setting as number[], t);
    if (setting.every((e) => typeof e === "string" || typeof e === "boolean")) {
      const list = setting as (string | boolean)[];
      return list[Math.floor(t * (list.length - 1))];
    }
    for (const cond of setting) {
      if (typeof cond !== "object" || cond === null) continue;
      if (matchesFilter(cond.filter, tensorName)) return evaluateSetting(tensorName, cond.value, t);
    }
    return undefined;
  }
  // A single {filter, value} (mergekit accepts it in the schema; it applies like a one-entry list).
  return matchesFilter(setting.filter, tensorName)
    ? evaluateSetting(tensorName, setting.value, t)
    : undefined;
}

/** mergekit's filter rule: no filter or `*` matches everything, else a substring of the tensor name. */
export function matchesFilter(filter: string | null | undefined, tensorName: string): boolean {
  return filter === undefined || filter === null || filter === "*" || tensorName.includes(filter);
}

/** Linear interpolation of evenly spaced points at t ∈ [0, 1] (mergekit's gradient rule). */
export function interpolate(points: readonly number[], t: number): number {
  const n = points.length;
  if (n === 1) return points[0]!;
  const scaled = t * (n - 1);
  const i0 = Math.max(0, Math.min(n - 1, Math.floor(scaled)));
  const i1 = Math.min(n - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * points[i0]! + frac * points[i1]!;
}

/** One level of parameter settings and where it is in the config file (e.g. `models[1].parameters`). */
export interface ParameterLevel {
  parameters: Parameters | null | undefined;
  /** Config path of the map, e.g. `models[1].parameters` or `parameters`. */
  path: string;
}

/** A resolved value and the config path it came from (for error messages). */
export interface ResolvedParameter {
  value: ParameterValue;
  path: string;
}

/** Looks `name` up level by level (first level first); undefined when no level sets it for this tensor. */
export function resolveParameter(
  name: string,
  levels: readonly ParameterLevel[],
  tensorName: string,
  t: number,
): ResolvedParameter | undefined {
  for (const level of levels) {
    const setting = level.parameters?.[name];
    if (setting === undefined || setting === null) continue;
    const value = evaluateSetting(tensorName, setting, t);
    if (value !== undefined) return { value, path: `${level.path}.${name}` };
  }
  return undefined;
}

/** The position t of layer i in a slice of `layers` layers (mergekit: i / (L − 1), or 1 for one layer). */
export function layerPosition(i: number, layers: number): number {
  return layers > 1 ? i / (layers - 1) : 1;
}
