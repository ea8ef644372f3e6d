/**
 * Work of a request for offline packing and lower bounds, from the linear time model.
 *
 * Packing work (what the request costs when its prompt is prefilled whole, as `hybrid` does):
 * every iteration holds at most B = max_num_seqs requests and costs at least α (α_p for prefill,
 * α_d for decode, the max of both when mixed), so each member is charged α/B plus its own linear
 * terms. Summed over the prefill and the o − 1 decode steps (contexts p+1 … p+o−1):
 *   w_i = α_p/B + β_p·p + γ_p·p² + (o−1)·(α_d/B + β_d) + δ_d·((o−1)·p + o(o−1)/2)
 *
 * Bound work (valid for every simulated policy, including chunked and mixed iterations): the same
 * with the attention term γ_p·p(p+1)/2. Proof: a prompt computed in chunks c_1..c_m (Σ c_k = p,
 * c_k ≥ 1 integers, C_k = c_1+…+c_k) pays γ_p·Σ c_k·C_k = γ_p·(p² + Σ c_k²)/2 ≥ γ_p·(p² + p)/2,
 * with equality for one-token chunks; whole-prompt prefill pays γ_p·p² ≥ that. Each chunk is
 * computed as prefill (the simulator classifies an item as a decode only when the request's whole
 * prompt is cached), so its tokens pay β_p; the iteration emitting the first token is prefill or
 * mixed and costs ≥ α_p; each decode step costs ≥ α_d shared by ≤ B members, plus β_d and δ_d·ctx.
 * Recomputation after preemption only adds terms. So a client's busy time is ≥ Σ bound work of the
 * requests it serves.
 *
 * Chain c_i: the time of the request alone, a lower bound on its own completion. Its prefill in
 * m chunks costs at least m·α_p + β_p·p + γ_p·(p² + p²/m)/2 (Σ c_k² ≥ p²/m), minimised over
 * m = 1…p; then o − 1 decode iterations of α_d + β_d + δ_d·ctx each.
 */
import type { Profile } from "../profile/schema.js";
import type { Request } from "../trace/types.js";

/** What the work formulas read of a profile: the time model and the client's max batch size. */
export type WorkProfile = Pick<Profile, "timeModel" | "client">;

function decodeWork(r: Request, profile: WorkProfile, alphaShare: number): number {
  const D = profile.timeModel.decode;
  const p = r.promptTokens;
  const d = r.outputTokens - 1;
  return d * (alphaShare + D.beta) + D.delta * (d * p + (d * (d + 1)) / 2);
}

/** Packing work w_i: whole-prompt prefill, α shared by B members (seconds). */
export function requestWork(r: Request, profile: WorkProfile): number {
  const P = profile.timeModel.prefill;
  const B = profile.client.maxBatchSize;
  const p = r.promptTokens;
  return (
    P.alpha / B + P.beta * p + P.gamma * p * p + decodeWork(r, profile, profile.timeModel.decode.alpha / B)
  );
}

/** Bound work: w_i with the chunk-proof attention term γ_p·p(p+1)/2 (seconds; see the header). */
export function requestBoundWork(r: Request, profile: WorkProfile): number {
  const P = profile.timeModel.prefill;
  const B = profile.client.maxBatchSize;
  const p = r.promptTokens;
  return (
    P.alpha / B +
    P.beta * p +
    (P.gamma * p * (p + 1)) / 2 +
    decodeWork(r, profile, profile.timeModel.decode.alpha / B)
  );
}

/** Least time of a prompt of p tokens prefilled alone in m ≥ 1 chunks (seconds). */
export function prefillChainSeconds(p: number, profile: WorkProfile): number {
  const P = profile.timeModel.prefill;
  const at = (m: number) => m * P.alpha + P.beta * p + (P.gamma * (p * p + (p * p) / m)) / 2;
  if (P.gamma <= 0 || P.alpha <= 0) return P.gamma <= 0 ? at(1) : at(p);
  const m = p * Math.sqrt(P.gamma / (2 * P.alpha)); // stationary point of the convex m ↦ at(m)
  const lo = Math.min(p, Math.max(1, Math.floor(m)));
  const hi = Math.min(p, Math.max(1, Math.ceil(m)));
  return Math.min(at(lo), at(hi));
}

/** Chain c_i: the request alone, chunked prefill allowed, then its decode iterations (seconds). */
export function requestChain(r: Request, profile: WorkProfile): number {
  return (
    prefillChainSeconds(r.promptTokens, profile) + decodeWork(r, profile, profile.timeModel.decode.alpha)
  );
}

/**
 * The parts of a request's bound work that the KV-aware bound (bounds.ts, `kvWorkBound`) combines:
 * - `linear`: the bound work without its fixed-cost shares, β_p·p + γ_p·p(p+1)/2 + (o−1)·β_d +
 *   δ_d·((o−1)·p + o(o−1)/2), paid by the request's own tokens in any schedule (proof above);
 * - `slots`: its shares of iteration fixed costs when a batch holds at most B requests,
 *   α_p/B + (o−1)·α_d/B (so linear + slots = the bound work);
 * - `memory`: its shares when the KV cache holds at most K blocks: each iteration that emits one
 *   of its tokens costs ≥ α and the request holds ≥ its blocks then, so it is charged α·blocks/K:
 *   [α_p·⌈p/b⌉ + α_e·Σ_{s=1}^{o−1} ⌈(p+s)/b⌉] / K, with b the block size and α_e = min(α_p, α_d)
 *   (a token after the first is emitted by a decode, or by the prefill that recomputes a
 *   preempted request, so its iteration costs at least the smaller fixed cost).
 * Proof that a client's busy time is ≥ Σ linear + max(Σ slots, Σ memory) over its requests: see
 * `kvWorkBound` in bounds.ts.
 */
export interface WorkParts {
  linear: number;
  slots: number;
  memory: number;
}

/** Σ_{x=1}^{n} ⌈x/b⌉ in closed form: with n = q·b + r, b·q(q+1)/2 + r·(q+1). */
export function ceilSum(n: number, b: number): number {
  if (n <= 0) return 0;
  const q = Math.floor(n / b);
  const r = n - q * b;
  return (b * q * (q + 1)) / 2 + r * (q + 1);
}

/** The linear, slot and memory parts of a request's bound work (seconds; see `WorkParts`). */
export function requestWorkParts(r: Request, profile: WorkProfile): WorkParts {
  const P = profile.timeModel.prefill;
  const D = profile.timeModel.decode;
  const B = profile.client.maxBatchSize;
  const K = profile.client.kvBlocks;
  const bs = profile.client.blockSize;
  const p = r.promptTokens;
  const d = r.outputTokens - 1;
  const linear = P.beta * p + (P.gamma * p * (p + 1)) / 2 + decodeWork(r, profile, 0);
  const slots = P.alpha / B + (d * D.alpha) / B;
  const alphaE = Math.min(P.alpha, D.alpha);
  const memory = (P.alpha * Math.ceil(p / bs) + alphaE * (ceilSum(p + d, bs) - ceilSum(p, bs))) / K;
  return { linear, slots, memory };
}
