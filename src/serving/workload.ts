/**
 * A workload: what `simulate`, `compare` and `study` run on — a trace, a profile, a number of
 * clients and policy parameters — from a shipped preset or from a trace file, with the defaults
 * written down here rather than in the command line.
 */
import { MisuseError } from "../errors/index.js";
import { checkPolicyParams, mergePolicyParams, type PolicyParams } from "./params.js";
import { readLengthHistory } from "./predict/history.js";
import { type PredictorSetup, parsePredictorSpec, predictorSetup } from "./predict/spec.js";
import { loadPreset, type PresetSpec } from "./presets.js";
import { builtinProfile, DEFAULT_PROFILE, isProfileFile, resolveProfile } from "./profile/load.js";
import type { Profile } from "./profile/schema.js";
import { readTrace } from "./trace/read.js";
import type { Trace } from "./trace/types.js";

/** Clients when neither a preset nor the caller says. */
export const DEFAULT_CLIENTS = 4;
/** The preset `study` samples from when given no trace. */
export const DEFAULT_STUDY_PRESET = "gsm8k-llama65b";

/** Where a workload's parts come from; give exactly one of `preset` and `trace`. */
export interface WorkloadOptions {
  /** A shipped preset's name (trace, profile, clients and policy parameters). */
  preset?: string;
  /** A trace file (CSV or JSONL). */
  trace?: string;
  /** A profile file or shipped name; default the preset's, else `DEFAULT_PROFILE`. */
  profile?: string;
  /** Clients; default the preset's, else `DEFAULT_CLIENTS`. */
  clients?: number;
  /** Policy parameters, merged over the preset's. */
  policyParams?: PolicyParams;
  /** The output-length predictor the policies plan with (`name[:key=value,…]`); default the true lengths. */
  predictor?: string;
  /** A trace or batch results file to fit the predictor on (default: the workload itself, in sample). */
  history?: string;
  /** How errors name each option (e.g. the CLI's flags); default the option names. */
  where?: {
    preset?: string;
    trace?: string;
    profile?: string;
    policyParams?: string;
    predictor?: string;
    history?: string;
  };
}

/** A resolved workload. */
export interface Workload {
  trace: Trace;
  profile: Profile;
  clients: number;
  /** The preset, when the workload came from one. */
  preset: PresetSpec | null;
  /** The policy parameters in effect (the preset's, overridden by the caller's), validated. */
  policyParams: PolicyParams;
  /** The files read (so outputs never overwrite them). */
  inputs: string[];
  /** The predictor the policies plan with; null: the true lengths (the simulator's default). */
  predictor: PredictorSetup | null;
}

/** Loads the preset or the trace, the profile and the parameters; checks the parameters against the policies. */
export async function resolveWorkload(opts: WorkloadOptions): Promise<Workload> {
  const where = opts.where ?? {};
  if (opts.preset !== undefined && opts.trace !== undefined)
    throw new MisuseError({
      where: where.preset ?? "preset",
      what: `both a preset and a trace (${where.trace ?? "trace"}) given`,
      hint: "give one of them",
    });
  const profileOf = (fallback: Profile | string) =>
    opts.profile !== undefined
      ? resolveProfile(opts.profile, where.profile ?? "profile")
      : typeof fallback === "string"
        ? builtinProfile(fallback)
        : fallback;
  let w: Workload;
  if (opts.preset !== undefined) {
    const p = loadPreset(opts.preset, where.preset ?? "preset");
    checkPolicyParams(p.spec.policyParams, `presets/serving/${p.spec.name}.preset.json: policyParams`);
    w = {
      trace: p.trace,
      profile: await profileOf(p.profile),
      clients: opts.clients ?? p.spec.clients,
      preset: p.spec,
      policyParams: p.spec.policyParams,
      inputs: [],
      predictor: null,
    };
  } else if (opts.trace !== undefined) {
    w = {
      trace: await readTrace(opts.trace),
      profile: await profileOf(DEFAULT_PROFILE),
      clients: opts.clients ?? DEFAULT_CLIENTS,
      preset: null,
      policyParams: {},
      inputs: [opts.trace],
      predictor: null,
    };
  } else
    throw new MisuseError({
      where: where.trace ?? "trace",
      what: "no workload given",
      hint: `give a trace file or a preset (${DEFAULT_STUDY_PRESET})`,
    });
  if (opts.profile !== undefined && isProfileFile(opts.profile)) w.inputs.push(opts.profile);
  if (opts.policyParams) {
    const paramsWhere = where.policyParams ?? "policy parameters";
    checkPolicyParams(opts.policyParams, paramsWhere);
    w.policyParams = mergePolicyParams(w.policyParams, opts.policyParams);
  }
  if (opts.history !== undefined && opts.predictor === undefined)
    throw new MisuseError({
      where: where.history ?? "history",
      what: "a history is given but no predictor",
      hint: "give a predictor that fits on it, e.g. buckets",
    });
  if (opts.predictor !== undefined) {
    const spec = parsePredictorSpec(opts.predictor, where.predictor ?? "predictor");
    const history = opts.history === undefined ? undefined : await readLengthHistory(opts.history);
    if (opts.history !== undefined) w.inputs.push(opts.history);
    w.predictor = predictorSetup(spec, { name: w.trace.name, requests: w.trace.requests }, history);
  }
  return w;
}

/** Notes that explain a preset's numbers: its description and what was calibrated. */
export function calibrationNotes(w: Pick<Workload, "preset">): string[] {
  if (!w.preset) return [];
  return [w.preset.description, `Calibration: ${w.preset.calibration}`];
}
