/**
 * A predictor named with its parameters in one piece of text, `name[:key=value,…]` (e.g.
 * `buckets`, `noise:sigma=0.3,seed=2`), as the `--predictor` flags take it; and the one way to create
 * a predictor, which refuses predictors that read the true lengths where there are none.
 */
import { InputError } from "../../errors/index.js";
import { paramValue } from "../params.js";
import { predictors } from "./registry.js";
import type { LengthPredictor, LengthSample, PredictorContext } from "./types.js";

/** A predictor's name and its parameters (validated against the registry). */
export interface PredictorSpec {
  name: string;
  params: Record<string, unknown>;
}

/** The default predictor of the simulator: the true lengths (what its policies always used). */
export const ORACLE: PredictorSpec = { name: "oracle", params: {} };

/** Parses `name[:key=value,…]`; unknown names and bad parameters are errors naming `where`. */
export function parsePredictorSpec(text: string, where = "predictor"): PredictorSpec {
  const colon = text.indexOf(":");
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const params: Record<string, unknown> = {};
  if (colon >= 0)
    for (const pair of text.slice(colon + 1).split(",")) {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? "" : pair.slice(0, eq).trim();
      if (!key)
        throw new InputError({
          where,
          what: `"${pair}" is not key=value`,
          hint: "write e.g. noise:sigma=0.3,seed=2",
        });
      params[key] = paramValue(pair.slice(eq + 1).trim());
    }
  predictors.get(name, where);
  predictors.params(name, params, `${where} ${name}`);
  return { name, params };
}

/** The spec as text (`name` or `name:key=value,…`), for results and reports. */
export function predictorLabel(spec: PredictorSpec): string {
  const kv = Object.entries(spec.params).map(([k, v]) => `${k}=${v}`);
  return kv.length ? `${spec.name}:${kv.join(",")}` : spec.name;
}

/**
 * A fresh predictor for one run. `truth: false` (a real batch, where output lengths are unknown)
 * refuses the predictors that read them (oracle, noise), with an error naming `where`.
 */
export function createPredictor(
  spec: PredictorSpec,
  ctx: PredictorContext & { truth: boolean; where?: string },
): LengthPredictor {
  const where = ctx.where ?? "predictor";
  const def = predictors.get(spec.name, where);
  if (def.needsTruth && !ctx.truth)
    throw new InputError({
      where,
      what: `predictor ${spec.name} reads the true output lengths, which only a simulation knows`,
      hint: `use one of ${predictors
        .entries()
        .filter((p) => !p.needsTruth)
        .map((p) => p.name)
        .join(", ")}`,
    });
  return def.create(predictors.params(spec.name, spec.params, `${where} ${spec.name}`), ctx);
}

/** A predictor for simulations: its spec and what it is fitted on, from which each run gets a fresh instance. */
export interface PredictorSetup {
  spec: PredictorSpec;
  /** Served requests it is fitted on (empty for predictors without a history). */
  history: readonly LengthSample[];
  /** Where the history came from (a file, or the workload itself). */
  historySource: string | null;
  /** Text for results: the spec and its history. */
  label: string;
}

/**
 * The predictor setup of a simulation. A predictor that fits on a history and is given none is
 * fitted on the workload itself (in sample: it knows the length distribution of these requests by
 * prompt length, not each request's length), and the label says so.
 */
export function predictorSetup(
  spec: PredictorSpec,
  workload: { name: string; requests: readonly LengthSample[] },
  history?: { samples: readonly LengthSample[]; source: string },
): PredictorSetup {
  const def = predictors.get(spec.name);
  if (!def.usesHistory) return { spec, history: [], historySource: null, label: predictorLabel(spec) };
  if (history)
    return {
      spec,
      history: history.samples,
      historySource: history.source,
      label: `${predictorLabel(spec)} (fitted on ${history.source})`,
    };
  return {
    spec,
    history: workload.requests.map((r) => ({ promptTokens: r.promptTokens, outputTokens: r.outputTokens })),
    historySource: `${workload.name} (in sample)`,
    label: `${predictorLabel(spec)} (fitted on ${workload.name}, in sample)`,
  };
}

/** A fresh predictor for one simulated run (true lengths available). */
export function simulationPredictor(setup: PredictorSetup): LengthPredictor {
  return createPredictor(setup.spec, {
    history: setup.history,
    historySource: setup.historySource ?? undefined,
    truth: true,
  });
}
