/**
 * The hybrid offline-online method (Pang, Li, She, Wang, arXiv 2502.15763):
 * 1. Offline: requests are packed onto clients by the minimum-makespan bin packing MIP
 *    (offline/packing.ts) over their work w_i (offline/work.ts), LPT warm start. For traces with
 *    arrivals (not an offline batch) requests are routed on arrival to the client with the least
 *    outstanding work (online list scheduling), since future requests are unknown.
 * 2. Online sorting: each client's waiting queue is kept sorted (longest work first by default,
 *    so long requests start early and the tail holds short ones).
 * 3. Prefill insertion by a Lagrangian rule. Iterations are prefill-only or decode-only (as vLLM
 *    V0 and the paper's "preempt decoding and insert prefills"). The constraint "batch slots are
 *    busy" is relaxed with a price per idle slot-iteration: the share of the decode iteration's
 *    fixed cost that slot would have carried, α_d/(|D| + f) for a batch of |D| running requests and
 *    f requests an insertion could admit now (= α_d/B when slots are the limit). A prefill insertion
 *    stalls every running decode for the fixed cost α_p.
 *    rule = "lookahead" (default): output lengths are known offline (the packing uses them), so
 *    the number Δ of decode iterations until the next running request finishes is known. Waiting
 *    for it merges this insertion with the next one (saving one α_p) and idles f slots for Δ
 *    iterations; insert now iff f·Δ·α_d/(|D| + f) ≥ λ·α_p, or when waiting cannot enlarge the
 *    insertion (the queue holds no more admissible requests, or the token budget caps it). λ = 1 is
 *    the exact break-even of the two costs; λ = 0 is prefill-first (vLLM V0 with sorting).
 *    rule = "accumulated" (the first reading): each decode iteration that leaves f admissible
 *    requests waiting adds f·t_d(D)/|D| to an account; insert when it reaches λ·α_p, then reset.
 *    An idle client (no running request) always inserts. KV exhaustion preempts by recompute.
 *    select = "aligned" (default): an insertion takes the queue's head, then from the next
 *    `window` = B requests those whose finish meets a known finish epoch (a running request's, or
 *    one chosen before), so later slots free together and fewer, larger insertions suffice; the
 *    last `tail` = 2B waiting requests keep the sorted order, so the client ends with its shortest
 *    requests. select = "head" takes the sorted queue's head only.
 */
import { z } from "zod";
import { throwIfAborted } from "../../errors/index.js";
import { packMakespan } from "../offline/packing.js";
import { requestWork } from "../offline/work.js";
import type { SeqLengths } from "../predict/lengths.js";
import { decodeSeconds } from "../profile/time.js";
import type { Batch, ClientView, SeqView } from "../sim/state.js";
import { fitsKv, ItemPool, insertSorted, predictedRequest, Router } from "./common.js";
import type { PolicyDef, PolicyInstance, PolicyPlanInfo } from "./types.js";
import { admitPrefills, decodeStep } from "./vllm-v0.js";

/** Parameters of `hybrid` (defaults: λ = 1, longest-first, MIP packing, lookahead rule, aligned selection). */
export const HybridParams = z.object({
  /** Price of the prefill stall relative to idle slots (0 = insert whenever possible). */
  lambda: z.number().nonnegative().default(1),
  order: z.enum(["longest-first", "shortest-first", "fcfs"]).default("longest-first"),
  /** Solver time limit for the offline packing MIP (seconds). */
  packingTimeLimit: z.number().positive().default(10),
  /** Skip the MIP above this many binaries (LPT packing instead). */
  maxBinaries: z.number().int().positive().default(20000),
  /** "mip" (default), or "lpt" to pack by the heuristic only. */
  packing: z.enum(["mip", "lpt"]).default("mip"),
  /** "separate": prefill-only insertion iterations (V0-style); "mixed": prefills ride in a decode iteration. */
  insertion: z.enum(["separate", "mixed"]).default("separate"),
  /**
   * "lookahead": compare λ·α_p with the idle-slot cost of waiting until the next running request
   * finishes (known from the output lengths the packing uses); "accumulated": insert when the idle
   * cost already paid since the last insertion reaches λ·α_p.
   */
  rule: z.enum(["lookahead", "accumulated"]).default("lookahead"),
  /**
   * Which waiting requests an insertion takes: "head" (the sorted queue's first), or "aligned" (the
   * head, then from the first `window` waiting requests those whose finish coincides best with a
   * running or already chosen request's finish, so later slots free together). Aligned selection
   * stops once at most `tail` requests wait, so the client still ends with its shortest requests.
   */
  select: z.enum(["head", "aligned"]).default("aligned"),
  /** Candidates for aligned selection (default: the max batch size B). */
  window: z.number().int().positive().optional(),
  /** Plain sorted order for the last `tail` waiting requests (default: 2B). */
  tail: z.number().int().nonnegative().optional(),
  /**
   * When a client's queue runs dry in an offline batch, it takes the shortest waiting requests of
   * the client with the most queued work, up to half of that work. "auto": with predicted lengths
   * only (a packing by true lengths is already balanced); "on"; "off".
   */
  steal: z.enum(["auto", "on", "off"]).default("auto"),
});

/**
 * Moves up to k requests to the front of the waiting queue: the head, then greedily the candidate
 * among waiting[0..window) whose decode end (o − 1 iterations after its prefill) is nearest to a
 * known finish epoch (running requests' remaining tokens, or already chosen ones); ties keep order.
 */
export function alignFront(c: ClientView, k: number, window: number, lengths: Lengths = TRUE_LENGTHS): void {
  const n = Math.min(c.waiting.length, window);
  if (k <= 1 || n <= 1) return;
  const [head, ...others] = c.waiting.slice(0, n);
  if (!head) return;
  const epochs: number[] = c.running.map((s) => lengths.remaining(s));
  const chosen: SeqView[] = [head];
  epochs.push(lengths.output(head) - 1);
  const rest = new Set(others);
  for (let t = 1; t < Math.min(k, n); t++) {
    let best: SeqView | undefined;
    let bestD = Number.POSITIVE_INFINITY;
    for (const s of rest) {
      const e = lengths.output(s) - 1;
      let d = Number.POSITIVE_INFINITY;
      for (const x of epochs) d = Math.min(d, Math.abs(x - e));
      if (d < bestD) {
        bestD = d;
        best = s;
      }
    }
    if (!best) break;
    rest.delete(best);
    chosen.push(best);
    epochs.push(lengths.output(best) - 1);
  }
  c.waiting.splice(0, n, ...chosen, ...rest);
}

/** Decode iterations until the next running request finishes (Infinity when none runs), by `lengths`. */
export function nextFinish(c: ClientView, lengths: Lengths = TRUE_LENGTHS): number {
  let d = Number.POSITIVE_INFINITY;
  for (const s of c.running) d = Math.min(d, lengths.remaining(s));
  return d;
}

/** What the rule reads of output lengths: totals, remainders and the first finish (true or predicted). */
export type Lengths = Pick<SeqLengths, "output" | "remaining" | "firstFinish">;

const TRUE_LENGTHS: Lengths = {
  output: (s) => s.req.outputTokens,
  remaining: (s) => s.req.outputTokens - s.generated,
  firstFinish: (running, cap) => {
    let d = Number.POSITIVE_INFINITY;
    for (const s of running) d = Math.min(d, s.req.outputTokens - s.generated);
    return Math.min(d, cap);
  },
};

/** What stops a prefill insertion from admitting more: batch slots, the token budget, KV blocks, or the queue's end. */
export type AdmissionLimit = "slots" | "budget" | "kv" | "queue";

/** Dry run of admitPrefills: how many waiting requests an insertion could admit now, and what stops it. */
export function admission(c: ClientView): { count: number; limit: AdmissionLimit } {
  let budget = c.spec.maxBatchedTokens;
  let free = c.freeBlocks - c.watermarkBlocks;
  let k = 0;
  for (const s of c.waiting) {
    if (c.running.length + k >= c.spec.maxBatchSize) return { count: k, limit: "slots" };
    const n = s.len;
    if (n > budget && !(k === 0 && n > c.spec.maxBatchedTokens)) return { count: k, limit: "budget" };
    const need = c.blocksFor(n);
    if (need > free) return { count: k, limit: "kv" };
    free -= need;
    budget -= n;
    k++;
  }
  return { count: k, limit: "queue" };
}

/** The hybrid offline-online method (registry entry). */
export const hybrid: PolicyDef<typeof HybridParams> = {
  name: "hybrid",
  summary: "offline makespan packing (MIP) + longest-first sorting + Lagrangian prefill insertion",
  reference: "https://arxiv.org/abs/2502.15763",
  params: HybridParams,
  create(params): PolicyInstance {
    // Per-run state, owned by this instance: work estimates (by request index), the offline
    // assignment, the online router, and each client's accumulated idle-slot cost (`accumulated` rule).
    let work = new Float64Array(0);
    let assignment: Int32Array | null = null;
    let lengths: Lengths = TRUE_LENGTHS;
    let predicted = false;
    const router = new Router("least-work");
    let clients: readonly ClientView[] = [];
    let stealing = false;
    const account: number[] = [];
    // Per client, the idle-slot cost paid while the lookahead rule held free slots (its guard).
    const held: number[] = [];
    const pool = new ItemPool();
    const key =
      params.order === "longest-first"
        ? (s: SeqView) => -(work[s.index] ?? 0)
        : params.order === "shortest-first"
          ? (s: SeqView) => work[s.index] ?? 0
          : (s: SeqView) => s.req.arrival;
    // Work stealing (see `steal`): a client's load is its queued work plus the predicted rest of its
    // running requests; the dry client takes the victim's shortest queued requests (its tail under
    // longest-first) up to half the difference of their loads.
    const runningWork = (o: ClientView): number => {
      let w = 0;
      for (const q of o.running) {
        const out = lengths.output(q);
        w += out > 0 ? ((work[q.index] ?? 0) * Math.max(0, lengths.remaining(q))) / out : 0;
      }
      return w;
    };
    const steal = (c: ClientView): void => {
      let victim: ClientView | undefined;
      let most = 0;
      for (const o of clients) {
        if (o === c || o.waiting.length < 2) continue;
        let w = runningWork(o);
        for (const q of o.waiting) w += work[q.index] ?? 0;
        if (w > most) {
          most = w;
          victim = o;
        }
      }
      const share = (most - runningWork(c)) / 2;
      if (!victim || share <= 0) return;
      let moved = 0;
      for (let q = victim.waiting.at(-1); q && victim.waiting.length > 1; q = victim.waiting.at(-1)) {
        const w = work[q.index] ?? 0;
        if (moved + w > share) break;
        victim.waiting.pop();
        c.adopt(q);
        moved += w;
      }
      c.waiting.sort((a, b) => key(a) - key(b));
    };
    const insert = (c: ClientView): Batch | null => {
      const pre = admitPrefills(c, Number.POSITIVE_INFINITY, pool);
      if (!pre.length) return null;
      account[c.index] = 0;
      return { items: pre };
    };
    return {
      name: "hybrid",
      async prepare(ctx, seqs): Promise<PolicyPlanInfo> {
        lengths = ctx.lengths;
        predicted = ctx.lengths.predictor !== null;
        stealing = params.steal === "on" || (params.steal === "auto" && predicted);
        router.useLengths(ctx.lengths);
        work = new Float64Array(seqs.length);
        for (const s of seqs) work[s.index] = requestWork(predictedRequest(s, ctx.lengths), ctx.profile);
        const arrival = seqs[0]?.req.arrival;
        if (seqs.length === 0 || !seqs.every((s) => s.req.arrival === arrival))
          return {
            kind: "online least-work routing",
            notes: ["requests arrive over time: routed to the least outstanding work"],
          };
        const packed = seqs.filter((s) => fitsKv(s.req, ctx.profile.client));
        throwIfAborted(ctx.signal, "hybrid packing");
        const r = await packMakespan(
          packed.map((s) => work[s.index] ?? 0),
          ctx.clients,
          {
            timeLimit: params.packingTimeLimit,
            maxBinaries: params.packing === "lpt" ? 0 : params.maxBinaries,
            signal: ctx.signal,
          },
        );
        const notes: string[] = [];
        const a = new Int32Array(seqs.length);
        packed.forEach((s, k) => (a[s.index] = r.assignment[k] ?? 0));
        assignment = a;
        if (stealing) notes.push("a client whose queue runs dry takes queued requests from the busiest one");
        return {
          kind: `offline packing (${r.method})`,
          status: r.status,
          objective: r.makespan,
          bound: r.bound,
          gap: r.gap,
          seconds: r.seconds,
          solver: r.solver,
          notes: [
            `LPT max load ${r.lptMakespan.toFixed(3)} s, packed max load ${r.makespan.toFixed(3)} s, ${r.binaries} binaries`,
            ...r.notes,
            ...notes,
          ],
        };
      },
      route: (s, all) => {
        clients = all;
        return assignment ? (assignment[s.index] ?? 0) : router.route(all);
      },
      enqueue(c, s) {
        insertSorted(c.waiting, s, key);
        router.accepted(c, s);
      },
      finished: (c, s) => router.finished(c, s),
      admissible: (s, c) => fitsKv(s.req, c.spec) && s.req.promptTokens <= c.spec.maxBatchedTokens,
      step(c) {
        pool.reset();
        if (stealing && assignment && c.waiting.length === 0) steal(c);
        if (c.running.length === 0 || params.lambda === 0) return insert(c) ?? decodeStep(c, pool);
        const { count: f, limit } = admission(c);
        const paid = account[c.index] ?? 0;
        if (params.insertion === "mixed") {
          // Decodes first (they may preempt), then prefills join the same iteration when the rule allows.
          const dec = decodeStep(c, pool);
          const items = dec ? dec.items : [];
          const stall = Math.max(0, c.timeModel.prefill.alpha - c.timeModel.decode.alpha);
          if (f > 0 && paid >= params.lambda * stall) {
            const pre = admitPrefills(c, Number.POSITIVE_INFINITY, pool);
            if (pre.length) account[c.index] = 0;
            items.push(...pre);
          } else if (f > 0 && items.length) account[c.index] = paid + idleCost(c, items, f);
          return items.length ? { items } : null;
        }
        if (params.rule === "lookahead" && f > 0) {
          // Waiting Δ decode iterations for the next finish idles f slots, each costing its share
          // α_d/(|D| + f) of every decode iteration; inserting now costs one extra α_p stall.
          // Waiting only pays when a finish lets more requests join the later insertion: not when the
          // queue is exhausted or the token budget (which no finish relaxes) already caps this one.
          // With predicted lengths a finish can be late (Δ stays small while nothing finishes): the
          // idle cost already paid while holding, once it reaches λ·α_p, releases the slots anyway.
          // With true lengths Δ is exact and the rule is left as it was (no guard).
          // Δ = the expected iterations until the first running request finishes (exact with true
          // lengths; with predicted ones E[min_j R_j] over their uncertainty, summed only as far as
          // the decision needs).
          const share = (f * c.timeModel.decode.alpha) / (c.running.length + f);
          const target = params.lambda * c.timeModel.prefill.alpha;
          const idle = share * lengths.firstFinish(c.running, Math.ceil(target / share) + 1);
          const waited = held[c.index] ?? 0;
          const nothingToGain = limit === "queue" || limit === "budget";
          if (nothingToGain || idle >= target || (predicted && waited >= target)) {
            held[c.index] = 0;
            const B = c.spec.maxBatchSize;
            if (params.select === "aligned" && c.waiting.length > (params.tail ?? 2 * B))
              alignFront(c, f, params.window ?? B, lengths);
            const pre = admitPrefills(c, Number.POSITIVE_INFINITY, pool);
            if (pre.length) return { items: pre };
          } else held[c.index] = waited + share;
          return decodeStep(c, pool);
        }
        held[c.index] = 0;
        if (f > 0 && paid >= params.lambda * c.timeModel.prefill.alpha) {
          const batch = insert(c);
          if (batch) return batch;
        }
        const batch = decodeStep(c, pool);
        if (batch && f > 0) account[c.index] = paid + idleCost(c, batch.items, f);
        return batch;
      },
    };
  },
};

/** The `accumulated` rule's charge for one decode iteration that leaves f admissible requests waiting: f·t_d(D)/|D|. */
function idleCost(c: ClientView, items: Batch["items"], f: number): number {
  let ctx = 0;
  for (const it of items) ctx += it.seq.computed + 1;
  return (f * decodeSeconds(c.timeModel, items.length, ctx)) / items.length;
}
