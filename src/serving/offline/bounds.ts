/**
 * Lower bounds on the makespan of any policy that serves each request on one client
 * (bound work w_i and chain c_i per request from offline/work.ts, with the proof there):
 *   LB_work  = Σ_i w_i / J                          (total work spread perfectly)
 *   LB_chain = max_i (a_i − a_0 + c_i)              (a request alone, from its arrival)
 *   LB_pack  = the packing MIP's proven dual bound  (best possible assignment's max client load)
 *   LB_memory, LB_release = the same work with KV-cache memory charged, and with release times (`kvWorkBound`)
 *   LB = max(LB_work, LB_chain, LB_pack, LB_memory, LB_release)
 * Valid for every simulated policy here, including chunked prefill and mixed iterations: iteration
 * time ≥ Σ of its members' shares, KV limits, partial batches and recomputation only add time.
 * LB_pack uses the bound work too (the packing MIP is solved over it).
 * Time origin: the first arrival a_0, as the makespan's (docs/metrics.md). No client can work
 * before a_0, so Σ busy ≤ J·T and every term bounds T = last completion − a_0.
 */
import type { Profile } from "../profile/schema.js";
import type { Request, Trace } from "../trace/types.js";
import { type PackOptions, packMakespan, simplePackingBound } from "./packing.js";
import { requestBoundWork, requestChain, requestWorkParts } from "./work.js";

/** A lower bound on the makespan of any policy, with its terms. */
export interface LowerBound {
  seconds: number;
  workSeconds: number;
  chainSeconds: number;
  /** null when the packing MIP was not run. */
  packingSeconds: number | null;
  /** The work bound with KV-cache memory charged (`kvWorkBound`); ≥ `workSeconds`. */
  memorySeconds: number;
  /** The memory-aware work of the requests arriving at or after each arrival time, from that time (`kvWorkBound`). */
  releaseSeconds: number;
  /** Which term is the maximum. */
  binding: "work" | "chain" | "packing" | "memory" | "release";
  /** The solver and its version when the packing MIP ran, else null. */
  solver: string | null;
  /** Requests left out: they can never fit a client's KV cache, so no policy serves them. */
  excluded: number;
}

/** Whether no client can ever hold the request: its last step needs ⌈(p + o − 1)/b⌉ blocks, more than the cache. */
export function neverFits(r: Request, profile: Pick<Profile, "client">): boolean {
  return (
    Math.ceil((r.promptTokens + r.outputTokens - 1) / profile.client.blockSize) > profile.client.kvBlocks
  );
}

/** The trace without the requests no client can hold (the same object when there are none). */
export function servableTrace(trace: Trace, profile: Pick<Profile, "client">): Trace {
  const kept = trace.requests.filter((r) => !neverFits(r, profile));
  return kept.length === trace.requests.length ? trace : { ...trace, requests: kept };
}

/**
 * The KV-aware bounds. Proof. Take any client j and any schedule. Its busy time is Σ_k t_k over its
 * iterations k, and each iteration costs t_k ≥ α_k + L_k, where α_k is its fixed cost (α_p with
 * prefill tokens, α_d decode only, max(α_p, α_d) mixed) and L_k its linear terms. The iteration holds
 * n_k ≤ B requests and b_k ≤ K KV blocks, so α_k ≥ α_k·max(n_k/B, b_k/K), and
 *   Σ_k t_k ≥ Σ_k L_k + Σ_k α_k·max(n_k/B, b_k/K) ≥ Σ_k L_k + max(Σ_k α_k·n_k/B, Σ_k α_k·b_k/K).
 * Every request i served on j emits each of its o_i tokens in a distinct iteration of j: the first
 * in an iteration that prefills it (α_k ≥ α_p) while it holds ≥ ⌈p/b⌉ blocks, token s+1 (s ≥ 1) in
 * one where it holds the KV of p + s tokens (a decode, or the prefill that recomputes it after a
 * preemption: α_k ≥ min(α_p, α_d) = α_e), ≥ ⌈(p+s)/b⌉ blocks. Charging each such iteration's α_k·(1/B)
 * and α_k·blocks/K to the emitting request, and dropping every other member-iteration (chunks before
 * the last, work lost to preemption), Σ_k α_k·n_k/B ≥ Σ_i slots_i and Σ_k α_k·b_k/K ≥ Σ_i memory_i
 * (work.ts, `requestWorkParts`), and Σ_k L_k ≥ Σ_i linear_i (the bound-work proof in work.ts). Hence
 *   busy_j ≥ Σ_{i on j} linear_i + max(Σ_{i on j} slots_i, Σ_{i on j} memory_i).
 * Summing over clients (Σ_j max(a_j, b_j) ≥ max(Σ a_j, Σ b_j)) and T ≥ busy_j:
 *   LB_memory = [Σ_i linear_i + max(Σ_i slots_i, Σ_i memory_i)] / J.
 * Release times: an iteration holding request i starts after i arrives, so for any τ the iterations
 * of the requests arriving at or after τ lie after τ, and the same argument restricted to them gives
 *   LB_release = max_τ τ + [Σ_{a_i≥τ} linear_i + max(Σ_{a_i≥τ} slots_i, Σ_{a_i≥τ} memory_i)] / J,
 * τ over the arrival times (from the first arrival; τ = 0 is LB_memory).
 * Like the bound work (work.ts), this takes a recompute prefill of p + s tokens that emits token
 * s + 1 in place of a decode to cost at least that decode's linear terms, β_p·(p+s) ≥ β_d + δ_d·(p+s),
 * which holds when β_p ≥ β_d + δ_d (the shipped profile: 4.35e-4 ≥ 4.17e-4); its fixed cost is
 * covered by α_e above.
 * Where memory does not bind (Σ memory ≤ Σ slots) LB_memory is the work bound, computed as
 * LB_work + max(0, Σ memory − Σ slots)/J so that it is that number exactly.
 */
export function kvWorkBound(
  trace: Trace,
  profile: Profile,
  clients: number,
  workSeconds: number,
  origin = trace.requests[0]?.arrival ?? 0,
): {
  memorySeconds: number;
  releaseSeconds: number;
} {
  const reqs = trace.requests;
  const n = reqs.length;
  const lin = new Float64Array(n);
  const slot = new Float64Array(n);
  const mem = new Float64Array(n);
  let slots = 0;
  let memory = 0;
  for (const [i, r] of reqs.entries()) {
    const w = requestWorkParts(r, profile);
    lin[i] = w.linear;
    slot[i] = w.slots;
    mem[i] = w.memory;
    slots += w.slots;
    memory += w.memory;
  }
  const memorySeconds = workSeconds + Math.max(0, memory - slots) / clients;
  // suffix sums over the requests in arrival order (the trace is sorted by arrival)
  let release = 0;
  let L = 0;
  let S = 0;
  let M = 0;
  for (let i = n - 1; i >= 0; i--) {
    L += lin[i] as number;
    S += slot[i] as number;
    M += mem[i] as number;
    const r = reqs[i] as Request;
    const first = i === 0 || (reqs[i - 1] as Request).arrival !== r.arrival;
    const tau = r.arrival - origin;
    if (first && tau > 0) release = Math.max(release, tau + (L + Math.max(S, M)) / clients);
  }
  return { memorySeconds, releaseSeconds: release };
}

/**
 * LB = max(work, chain, packing bound when given, memory, release), in seconds from the trace's first
 * arrival, over the requests some client can hold (`excluded` counts the others: every policy
 * rejects them). A policy that rejects more requests is bounded by `lowerBound` of what it served.
 */
export function lowerBound(
  full: Trace,
  profile: Profile,
  clients: number,
  packingBound: number | null = null,
  solver: string | null = null,
): LowerBound {
  const trace = servableTrace(full, profile);
  let origin = Number.POSITIVE_INFINITY;
  for (const r of full.requests) origin = Math.min(origin, r.arrival);
  const w = trace.requests.map((r) => requestBoundWork(r, profile));
  const work = w.reduce((s, v) => s + v, 0) / clients;
  let chain = 0;
  for (const r of trace.requests) chain = Math.max(chain, r.arrival - origin + requestChain(r, profile));
  const pack = packingBound ?? null;
  const { memorySeconds, releaseSeconds } = kvWorkBound(trace, profile, clients, work, origin);
  const seconds = Math.max(work, chain, pack ?? 0, memorySeconds, releaseSeconds);
  const binding =
    seconds === work
      ? "work"
      : seconds === chain
        ? "chain"
        : seconds === pack
          ? "packing"
          : seconds === memorySeconds
            ? "memory"
            : "release";
  return {
    seconds,
    workSeconds: work,
    chainSeconds: chain,
    packingSeconds: pack,
    memorySeconds,
    releaseSeconds,
    binding,
    solver,
    excluded: full.requests.length - trace.requests.length,
  };
}

/** The bound including the packing MIP's dual bound (solves the MIP; for offline batches). */
export async function lowerBoundWithPacking(
  trace: Trace,
  profile: Profile,
  clients: number,
  opts: Pick<PackOptions, "timeLimit" | "signal" | "onProgress"> = {},
): Promise<LowerBound> {
  const w = servableTrace(trace, profile).requests.map((r) => requestBoundWork(r, profile));
  if (clients <= 1) return lowerBound(trace, profile, clients, simplePackingBound(w, 1));
  const pack = await packMakespan(w, clients, opts);
  return lowerBound(trace, profile, clients, pack.bound, pack.solver);
}
