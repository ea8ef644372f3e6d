/** Profiles: the per-iteration time model and client limits, shipped or fitted from measurements. */
export { type FitResult, type FitRow, fitTimeModel, type PhaseFit, parseFitCsv, readFitCsv } from "./fit.js";
export { type FitProfileOptions, type FitProfileResult, fitProfile } from "./fit-profile.js";
export { builtinProfile, DEFAULT_PROFILE, profileNames, readProfile, resolveProfile } from "./load.js";
export {
  type ClientSpec,
  PROFILE_LIMITS,
  type Profile,
  type ProfileInput,
  ProfileSchema,
  type TimeModel,
} from "./schema.js";
export { type IterationShape, iterationSeconds } from "./time.js";
