/** `serving fit` as a library function: measured iterations (CSV) → a fitted profile with fit quality. */

import { parseWith } from "../../errors/index.js";
import { fitTimeModel, type PhaseFit, readFitCsv } from "./fit.js";
import { builtinProfile, DEFAULT_PROFILE, resolveProfile } from "./load.js";
import { type Profile, ProfileSchema } from "./schema.js";

/** Options of `fitProfile`. */
export interface FitProfileOptions {
  /** Profile (file or shipped name) whose client limits the fitted profile takes; default `DEFAULT_PROFILE`. */
  base?: string;
  /** Name of the fitted profile (default "fitted"). */
  name?: string;
  /** How errors name the base option (default "base profile"). */
  baseWhere?: string;
}

/** A fitted profile and the quality of each phase's fit. */
export interface FitProfileResult {
  profile: Profile;
  prefill: PhaseFit;
  decode: PhaseFit;
}

/** Reads measured rows (`phase,batch,tokens,seconds`) from `input` and fits a profile. */
export async function fitProfile(input: string, opts: FitProfileOptions = {}): Promise<FitProfileResult> {
  const rows = await readFitCsv(input);
  const r = fitTimeModel(rows, input);
  const base =
    opts.base === undefined
      ? builtinProfile(DEFAULT_PROFILE)
      : await resolveProfile(opts.base, opts.baseWhere ?? "base profile");
  const fitted = {
    name: opts.name ?? "fitted",
    description: `fitted from ${rows.length} measured iterations`,
    source: `frugal serving fit (non-negative least squares) on ${input}; client limits from ${base.name}`,
    timeModel: r.timeModel,
    client: base.client,
    notes: { prefillFit: r.prefill, decodeFit: r.decode },
  };
  const profile = parseWith(
    ProfileSchema,
    fitted,
    `${input}: fitted profile`,
    "check that the measured times are in seconds and grow with batch and tokens",
  );
  return { profile, prefill: r.prefill, decode: r.decode };
}
