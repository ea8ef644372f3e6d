/** The discrete-event serving simulator and the state it shows policies. */
export { type RequestOutcome, type SimRun, type SimulateOptions, simulate } from "./simulate.js";
export type {
  Batch,
  BatchItem,
  Client,
  ClientView,
  IterationLog,
  Seq,
  SeqState,
  SeqView,
} from "./state.js";
