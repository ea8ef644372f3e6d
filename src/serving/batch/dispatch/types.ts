/**
 * The client-side dispatcher of a batch: which request goes to which endpoint, in what order, and
 * when. It is a clock-agnostic state machine: the HTTP runner (run.ts) drives it with wall-clock
 * seconds and streamed token counts, and the simulator drives the same code with simulated time
 * (sim-adapter.ts), so the summary's "predicted" column runs exactly the decisions the real run made.
 */
import type { z } from "zod";
import type { RegistryEntry } from "../../../util/registry.js";
import type { WorkProfile } from "../../offline/work.js";
import type { LengthPredictor } from "../../predict/types.js";

/** A request as the dispatcher sees it. */
export interface DispatchItem {
  /** Key of the request (its index in the batch). */
  index: number;
  promptTokens: number;
  maxTokens: number | null;
  /** Sequences the request generates (`n` × prompts): its work is that many times one sequence's. */
  sequences: number;
  /** The true output length, in simulation only (for predictors that read it). */
  outputTokens?: number;
}

/** One decision: send request `index` to endpoint `endpoint` now. */
export interface Release {
  index: number;
  endpoint: number;
}

/** What the dispatcher is given: endpoints, their concurrency, the predictor and a work model. */
export interface DispatchConfig {
  endpoints: number;
  /** Requests in flight per endpoint, at most (the client's batch size). */
  maxConcurrency: number;
  predictor: LengthPredictor;
  /** The time model behind work estimates and the insertion rule. */
  profile: WorkProfile;
}

/** A static view of the plan (for `--dry-run` and reports): queued requests per endpoint, in order. */
export interface DispatchPlan {
  /** Queued request indices per endpoint, in release order; null when requests are assigned only when sent. */
  queues: number[][] | null;
  /** Predicted work per endpoint (seconds under the profile), when the plan assigns requests. */
  predictedWorkSeconds: number[] | null;
  notes: string[];
}

/** One dispatcher for one batch. Times are seconds on the driver's clock. */
export interface Dispatcher {
  readonly policy: string;
  /** Requests to send now. The driver sends them and reports back with `finished`. */
  take(now: number): Release[];
  /** When `take` may release something without another event (null: only after one). */
  wakeAt(): number | null;
  /** Output tokens an in-flight request has emitted so far, at time `now` (from its stream, or a simulator). */
  progress(index: number, generated: number, now: number): void;
  /** A request ended: its output tokens when known (null for a failure or an unknown length). */
  finished(index: number, outputTokens: number | null, now: number): void;
  /** The output length predicted for a request when it was planned (for prediction errors). */
  predicted(index: number): number;
  /** Requests not yet released. */
  pending(): number;
  /** Requests in flight on an endpoint. */
  inFlight(endpoint: number): number;
  /** The plan as it stands. */
  plan(): DispatchPlan;
  /** Re-plans done so far (after refits or runs dry). */
  readonly replans: number;
}

/** A dispatch policy in the registry. */
export interface DispatchPolicyDef<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  create(items: readonly DispatchItem[], config: DispatchConfig, params: z.output<P>): Dispatcher;
}
