/** Offline planning: request work, makespan packing (MIP with LPT) and lower bounds. */
export {
  kvWorkBound,
  type LowerBound,
  lowerBound,
  lowerBoundWithPacking,
  neverFits,
  servableTrace,
} from "./bounds.js";
export type { Packing } from "./lpt.js";
export { type PackOptions, type PackResult, packMakespan } from "./packing.js";
export {
  ceilSum,
  requestBoundWork,
  requestChain,
  requestWork,
  requestWorkParts,
  type WorkParts,
  type WorkProfile,
} from "./work.js";
