/**
 * Work of a request for offline packing and lower bounds, from the linear time model.
 * Every iteration holds at most B = max_num_seqs requests and costs at least α (α_p for prefill,
 * α_d for decode, the max of both when mixed), so charging each member α/B plus its own linear
 * terms never exceeds the iteration's time. Summed over a request's prefill and its o − 1 decode
 * steps (contexts p+1 … p+o−1):
 *   w_i = α_p/B + β_p·p + γ_p·p² + (o−1)·(α_d/B + β_d) + δ_d·((o−1)·p + o(o−1)/2)
 * so a client's busy time is at least Σ w_i over the requests it serves (KV limits and partial
 * batches only add to it). The chain length c_i (same sums with the full α per iteration) is the
 * time of the request alone, a lower bound on its own completion.
 */
import type { Profile } from "../profile/schema.js";
import type { Request } from "../trace/types.js";

export function requestWork(r: Request, profile: Profile): number {
  const { prefill: P, decode: D } = profile.timeModel;
  const B = profile.client.maxBatchSize;
  const p = r.promptTokens;
  const d = r.outputTokens - 1;
  return (
    P.alpha / B +
    P.beta * p +
    P.gamma * p * p +
    d * (D.alpha / B + D.beta) +
    D.delta * (d * p + (d * (d + 1)) / 2)
  );
}

export function requestChain(r: Request, profile: Profile): number {
  const { prefill: P, decode: D } = profile.timeModel;
  const p = r.promptTokens;
  const d = r.outputTokens - 1;
  return (
    P.alpha + P.beta * p + P.gamma * p * p + d * (D.alpha + D.beta) + D.delta * (d * p + (d * (d + 1)) / 2)
  );
}
