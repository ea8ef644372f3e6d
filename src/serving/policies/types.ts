/** The policy interface the simulator drives, and the registry entry that describes a policy. */
import type { z } from "zod";
import type { OnProgress } from "../../util/progress.js";
import type { Profile } from "../profile/schema.js";
import type { Batch, Client, Seq } from "../sim/state.js";
import type { Trace } from "../trace/types.js";

export interface PolicyContext {
  trace: Trace;
  profile: Profile;
  clients: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** What a policy computed before the run (e.g. an offline packing), reported with the result. */
export interface PolicyPlanInfo {
  kind: string;
  status?: string;
  objective?: number | null;
  bound?: number | null;
  gap?: number | null;
  seconds?: number;
  notes?: string[];
}

export interface PolicyInstance {
  readonly name: string;
  /** Runs once before the simulation (may solve a MIP). */
  prepare?(ctx: PolicyContext, seqs: readonly Seq[]): Promise<PolicyPlanInfo | undefined>;
  /** Picks the client for an arriving request. */
  route(seq: Seq, clients: readonly Client[]): number;
  /** Puts a routed request into its client's waiting queue. */
  enqueue(client: Client, seq: Seq): void;
  /** Whether the request can ever be served on this client (else it is rejected, counted). */
  admissible(seq: Seq, client: Client): boolean;
  /** Chooses the next iteration for an idle client (mutating KV allocations, admissions, preemptions); null = nothing to run. */
  step(client: Client, now: number): Batch | null;
}

export interface PolicyDef<S extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  /** Where the behaviour comes from (paper or source file). */
  reference: string;
  params: S;
  create(params: z.output<S>): PolicyInstance;
}
