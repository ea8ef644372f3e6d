/** The policy interface the simulator drives, and the registry entry that describes a policy. */
import type { z } from "zod";
import type { OnProgress } from "../../util/progress.js";
import type { RegistryEntry } from "../../util/registry.js";
import type { SeqLengths } from "../predict/lengths.js";
import type { Profile } from "../profile/schema.js";
import type { Batch, ClientView, SeqView } from "../sim/state.js";
import type { Trace } from "../trace/types.js";

/** What a policy's `prepare` gets: the whole workload, known before the run (offline planning). */
export interface PolicyContext {
  trace: Trace;
  profile: Profile;
  /** Number of clients. */
  clients: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /**
   * Output lengths to plan with: true ones, or a predictor's (predict/lengths.ts). Policies that
   * use lengths (packing, sorting, look-ahead, least-work routing) read them here, never `req.outputTokens`.
   */
  lengths: SeqLengths;
  /** Asks the simulator to call `step` on client `client` at time `at` (for policies that release requests later). */
  wake(client: number, at: number): void;
}

/** What a policy computed before the run (e.g. an offline packing), reported with the result. */
export interface PolicyPlanInfo {
  /** What was planned, e.g. "offline packing (mip)". */
  kind: string;
  /** The solver's outcome, when a solver ran. */
  status?: string;
  objective?: number | null;
  bound?: number | null;
  gap?: number | null;
  seconds?: number;
  /** The solver and its version, when a solver ran. */
  solver?: string | null;
  notes?: string[];
}

/**
 * One policy for one simulation run. It sees the simulator's state read-only (`SeqView`,
 * `ClientView`) and keeps whatever else it needs (work estimates, accounts, routing loads) itself.
 */
export interface PolicyInstance {
  readonly name: string;
  /** Runs once before the simulation (may solve a MIP). */
  prepare?(ctx: PolicyContext, seqs: readonly SeqView[]): Promise<PolicyPlanInfo | undefined>;
  /** Picks the client for an arriving request. */
  route(seq: SeqView, clients: readonly ClientView[]): number;
  /** Puts a routed, admissible request into its client's waiting queue. */
  enqueue(client: ClientView, seq: SeqView): void;
  /** Whether the request can ever be served on this client (else it is rejected, counted). */
  admissible(seq: SeqView, client: ClientView): boolean;
  /** Chooses the next iteration for an idle client (allocating KV, admitting, preempting); null = nothing to run. */
  step(client: ClientView, now: number): Batch | null;
  /** A request on `client` emitted its last token (its KV blocks are already freed). */
  finished?(client: ClientView, seq: SeqView): void;
}

/** A policy in the registry: name, summary, reference, parameters (zod, with defaults) and a factory. */
export interface PolicyDef<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** A fresh instance for one run, from validated parameters. */
  create(params: z.output<P>): PolicyInstance;
}
