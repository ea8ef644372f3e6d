/**
 * Where the time above the lower bound goes. Each iteration k of a client costs
 *   Δt_k = α_k + (linear terms of its members),  α_k = α_p (prefill only), α_d (decode only),
 *   max(α_p, α_d) (mixed),
 * and the bound work (offline/work.ts) charges each member only its share α/B of the fixed cost
 * plus its own linear terms. So, exactly, for client j with finish time T_j (from the first arrival):
 *   T_j = L_j + A_prefill + A_slots + A_drain + A_mixed + R + I
 *   L_j       = Σ bound work of the requests served on j (its load)
 *   A_prefill = Σ over prefill-only iterations of α_p·(1 − n_k/B)         (fixed cost of prefill iterations)
 *   A_slots   = Σ over decode-only iterations up to the last one with a prefill of α_d·(1 − n_k/B)
 *               (idle batch slots while requests could still be inserted)
 *   A_drain   = the same after the client's last prefill (the batch empties at the end)
 *   A_mixed   = Σ over mixed iterations of max(α_p, α_d) − (n_p·α_p + n_d·α_d)/B
 *   R         = busy_j − L_j − A_* (linear terms above the bound's charge: recomputation after
 *               preemption, whole-prompt attention γ_p·p² above γ_p·p(p+1)/2)
 *   I         = T_j − busy_j (the client idles)
 * and the makespan gap T − LB = (L_c − LB) + (T_c − L_c) for the client c that finishes last.
 */

import { MisuseError } from "../errors/index.js";
import { requestBoundWork } from "./offline/work.js";
import type { Profile } from "./profile/schema.js";
import type { SimRun } from "./sim/simulate.js";

/** One client's finish time split into its load and the terms above it (seconds; see the header). */
export interface ClientBreakdown {
  client: number;
  requests: number;
  finishSeconds: number;
  busySeconds: number;
  loadSeconds: number;
  prefillAlphaSeconds: number;
  idleSlotSeconds: number;
  drainSeconds: number;
  mixedAlphaSeconds: number;
  otherLinearSeconds: number;
  idleSeconds: number;
  prefillIterations: number;
  decodeIterations: number;
  mixedIterations: number;
}

/** A run's gap to the lower bound, split on the client that finishes last (seconds; see the header). */
export interface GapBreakdown {
  policy: string;
  makespanSeconds: number;
  lowerBoundSeconds: number;
  /** The client that finishes last; the gap below is its decomposition. */
  criticalClient: number;
  /** L_c − LB (negative when the critical client carries less than the bound's average). */
  loadAboveBoundSeconds: number;
  prefillAlphaSeconds: number;
  idleSlotSeconds: number;
  drainSeconds: number;
  mixedAlphaSeconds: number;
  otherLinearSeconds: number;
  idleSeconds: number;
  clients: ClientBreakdown[];
}

/** Every client's breakdown of a run. */
export function clientBreakdowns(run: SimRun, profile: Profile): ClientBreakdown[] {
  const { prefill: P, decode: D } = profile.timeModel;
  const B = profile.client.maxBatchSize;
  const load = run.clients.map(() => 0);
  const count = run.clients.map(() => 0);
  for (const r of run.requests) {
    const j = r.client;
    if (r.rejected || j < 0 || j >= load.length) continue;
    load[j] = (load[j] ?? 0) + requestBoundWork(r, profile);
    count[j] = (count[j] ?? 0) + 1;
  }
  return run.clients.map((c) => {
    const L = c.log;
    const lastPrefill = L.prefills.findLastIndex((n) => n > 0);
    let pre = 0;
    let slots = 0;
    let drain = 0;
    let mixed = 0;
    let nP = 0;
    let nD = 0;
    let nM = 0;
    for (const [k, np] of L.prefills.entries()) {
      const nd = L.decodes[k] ?? 0;
      if (np > 0 && nd > 0) {
        nM++;
        mixed += Math.max(P.alpha, D.alpha) - (np * P.alpha + nd * D.alpha) / B;
      } else if (np > 0) {
        nP++;
        pre += P.alpha * (1 - np / B);
      } else {
        nD++;
        const a = D.alpha * (1 - nd / B);
        if (k > lastPrefill) drain += a;
        else slots += a;
      }
    }
    const end = L.end.at(-1);
    const finish = end ?? 0; // the run's times count from the first arrival
    const busy = c.busySeconds;
    const l = load[c.index] ?? 0;
    return {
      client: c.index,
      requests: count[c.index] ?? 0,
      finishSeconds: finish,
      busySeconds: busy,
      loadSeconds: l,
      prefillAlphaSeconds: pre,
      idleSlotSeconds: slots,
      drainSeconds: drain,
      mixedAlphaSeconds: mixed,
      otherLinearSeconds: busy - l - pre - slots - drain - mixed,
      idleSeconds: finish - busy,
      prefillIterations: nP,
      decodeIterations: nD,
      mixedIterations: nM,
    };
  });
}

/** The breakdown of a run's gap to `lowerBoundSeconds`, on the client that finishes last. */
export function gapBreakdown(run: SimRun, profile: Profile, lowerBoundSeconds: number): GapBreakdown {
  const clients = clientBreakdowns(run, profile);
  const [first, ...rest] = clients;
  if (!first)
    throw new MisuseError({
      where: "gapBreakdown",
      what: "the run has no clients",
      hint: "simulate ≥ 1 client",
    });
  let c = first;
  for (const x of rest) if (x.finishSeconds > c.finishSeconds) c = x;
  return {
    policy: run.policy,
    makespanSeconds: c.finishSeconds,
    lowerBoundSeconds,
    criticalClient: c.client,
    loadAboveBoundSeconds: c.loadSeconds - lowerBoundSeconds,
    prefillAlphaSeconds: c.prefillAlphaSeconds,
    idleSlotSeconds: c.idleSlotSeconds,
    drainSeconds: c.drainSeconds,
    mixedAlphaSeconds: c.mixedAlphaSeconds,
    otherLinearSeconds: c.otherLinearSeconds,
    idleSeconds: c.idleSeconds,
    clients,
  };
}
