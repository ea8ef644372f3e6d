/**
 * Lower bounds on the makespan of any policy that serves each request on one client
 * (bound work w_i and chain c_i per request from offline/work.ts, with the proof there):
 *   LB_work  = Σ_i w_i / J                          (total work spread perfectly)
 *   LB_chain = max_i (a_i − a_0 + c_i)              (a request alone, from its arrival)
 *   LB_pack  = the packing MIP's proven dual bound  (best possible assignment's max client load)
 *   LB = max(LB_work, LB_chain, LB_pack)
 * Valid for every simulated policy here, including chunked prefill and mixed iterations: iteration
 * time ≥ Σ of its members' shares, KV limits, partial batches and recomputation only add time.
 * LB_pack uses the bound work too (the packing MIP is solved over it).
 * Time origin: the first arrival a_0, as the makespan's (docs/metrics.md). No client can work
 * before a_0, so Σ busy ≤ J·T and every term bounds T = last completion − a_0.
 */
import type { Profile } from "../profile/schema.js";
import type { Trace } from "../trace/types.js";
import { type PackOptions, packMakespan, simplePackingBound } from "./packing.js";
import { requestBoundWork, requestChain } from "./work.js";

/** A lower bound on the makespan of any policy, with its terms. */
export interface LowerBound {
  seconds: number;
  workSeconds: number;
  chainSeconds: number;
  /** null when the packing MIP was not run. */
  packingSeconds: number | null;
  /** Which term is the maximum. */
  binding: "work" | "chain" | "packing";
  /** The solver and its version when the packing MIP ran, else null. */
  solver: string | null;
}

/** LB = max(work, chain, packing bound when given), in seconds from the trace's first arrival. */
export function lowerBound(
  trace: Trace,
  profile: Profile,
  clients: number,
  packingBound: number | null = null,
  solver: string | null = null,
): LowerBound {
  const w = trace.requests.map((r) => requestBoundWork(r, profile));
  const work = w.reduce((s, v) => s + v, 0) / clients;
  let origin = Number.POSITIVE_INFINITY;
  for (const r of trace.requests) origin = Math.min(origin, r.arrival);
  let chain = 0;
  for (const r of trace.requests) chain = Math.max(chain, r.arrival - origin + requestChain(r, profile));
  const pack = packingBound ?? null;
  const seconds = Math.max(work, chain, pack ?? 0);
  const binding = seconds === work ? "work" : seconds === chain ? "chain" : "packing";
  return { seconds, workSeconds: work, chainSeconds: chain, packingSeconds: pack, binding, solver };
}

/** The bound including the packing MIP's dual bound (solves the MIP; for offline batches). */
export async function lowerBoundWithPacking(
  trace: Trace,
  profile: Profile,
  clients: number,
  opts: Pick<PackOptions, "timeLimit" | "signal" | "onProgress"> = {},
): Promise<LowerBound> {
  const w = trace.requests.map((r) => requestBoundWork(r, profile));
  if (clients <= 1) return lowerBound(trace, profile, clients, simplePackingBound(w, 1));
  const pack = await packMakespan(w, clients, opts);
  return lowerBound(trace, profile, clients, pack.bound, pack.solver);
}
