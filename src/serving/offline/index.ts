/** Offline planning: request work, makespan packing (MIP with LPT) and lower bounds. */
export { type LowerBound, lowerBound, lowerBoundWithPacking } from "./bounds.js";
export type { Packing } from "./lpt.js";
export { type PackOptions, type PackResult, packMakespan } from "./packing.js";
export { requestBoundWork, requestChain, requestWork, type WorkProfile } from "./work.js";
