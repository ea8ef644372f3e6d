/**
 * The hybrid offline-online method (Pang et al., arXiv 2502.15763) as a client applies it to real
 * endpoints, with predicted output lengths:
 * 1. Offline packing: requests are assigned to endpoints by LPT over their predicted work
 *    (Graham 1969; the simulator's hybrid solves the packing MIP, which LPT matches within 0.1% on
 *    batches of hundreds of requests or more, see docs/serving.md), each endpoint's queue in
 *    longest-first order, so long requests start early and every endpoint ends with short ones.
 * 2. Online: at most `maxConcurrency` requests in flight per endpoint; new requests are released
 *    into an endpoint's batch by the Lagrangian insertion rule (rule.ts).
 * 3. Re-planning: as requests complete, the predictor refits on their true lengths and the queued
 *    requests are re-packed (LPT over their new predictions, on top of each endpoint's predicted
 *    remaining work in flight); an endpoint that runs dry while others still queue more than they
 *    can start takes its share the same way.
 */
import { z } from "zod";
import { BaseDispatcher, type EndpointState, type ItemState } from "./base.js";
import { insertionDecision } from "./rule.js";
import type { DispatchConfig, DispatchItem, DispatchPlan, DispatchPolicyDef, Release } from "./types.js";

/** Parameters of the `hybrid` dispatcher. */
export const HybridDispatchParams = z.object({
  lambda: z.number().nonnegative().default(1).describe("price of an insertion stall relative to idle slots"),
  order: z
    .enum(["longest-first", "shortest-first", "fcfs"])
    .default("longest-first")
    .describe("order of each endpoint's queue (by predicted work)"),
  server: z
    .enum(["mixed", "separate"])
    .default("mixed")
    .describe(
      "how the servers insert prefills: mixed into decode iterations (vLLM V1, SGLang) or in separate iterations (vLLM V0)",
    ),
  replanEvery: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe("re-pack the queues after this many completions when the predictor has refitted"),
});

type Params = z.output<typeof HybridDispatchParams>;

class Hybrid extends BaseDispatcher {
  readonly policy = "hybrid";
  private queues: ItemState[][];
  private readonly heldSince: number[];
  private wake: number | null = null;
  private sinceReplan = 0;
  private versionAtReplan: number;
  private readonly stall: number;

  constructor(
    items: readonly DispatchItem[],
    config: DispatchConfig,
    private readonly params: Params,
  ) {
    super(items, config);
    const tm = config.profile.timeModel;
    this.stall =
      params.server === "separate" ? tm.prefill.alpha : Math.max(0, tm.prefill.alpha - tm.decode.alpha);
    this.heldSince = Array.from({ length: config.endpoints }, () => -1);
    this.versionAtReplan = config.predictor.version;
    this.queues = this.pack(this.items, new Float64Array(config.endpoints));
  }

  private key(s: ItemState): number {
    return this.params.order === "longest-first"
      ? -s.work
      : this.params.order === "shortest-first"
        ? s.work
        : s.item.index;
  }

  /** LPT over `queued` on top of `loads`, each endpoint's list in the policy's order. */
  private pack(queued: readonly ItemState[], loads: Float64Array): ItemState[][] {
    const J = this.config.endpoints;
    const order = [...queued].sort((a, b) => b.work - a.work || a.item.index - b.item.index);
    const out: ItemState[][] = Array.from({ length: J }, () => []);
    for (const s of order) {
      let best = 0;
      for (let j = 1; j < J; j++) if ((loads[j] as number) < (loads[best] as number)) best = j;
      loads[best] = (loads[best] as number) + s.work;
      s.endpoint = best;
      out[best]?.push(s);
    }
    for (const q of out) q.sort((a, b) => this.key(a) - this.key(b) || a.item.index - b.item.index);
    return out;
  }

  /** Re-predicts the queued requests and re-packs them on top of the work in flight. */
  private replan(now: number): void {
    const queued = this.queues.flat();
    for (const s of queued) this.predict(s);
    const loads = new Float64Array(this.config.endpoints);
    for (const e of this.endpoints)
      for (const s of e.running) loads[e.index] = (loads[e.index] as number) + this.remainingWorkOf(s, now);
    this.queues = this.pack(queued, loads);
    this.replans++;
    this.sinceReplan = 0;
    this.versionAtReplan = this.config.predictor.version;
  }

  protected override onFinished(_s: ItemState, now: number): void {
    this.sinceReplan++;
    if (this.config.predictor.version !== this.versionAtReplan && this.sinceReplan >= this.params.replanEvery)
      this.replan(now);
  }

  /** An endpoint with free slots and an empty queue while another queues more than it can start. */
  private runsDry(): boolean {
    const B = this.config.maxConcurrency;
    let dry = false;
    let surplus = false;
    for (const [j, q] of this.queues.entries()) {
      const free = B - (this.endpoints[j]?.running.size ?? 0);
      if (q.length === 0 && free > 0) dry = true;
      if (q.length > Math.max(0, free)) surplus = true;
    }
    return dry && surplus;
  }

  protected choose(now: number, out: Release[]): void {
    if (this.runsDry()) this.replan(now);
    this.wake = null;
    const B = this.config.maxConcurrency;
    const alphaDecode = this.config.profile.timeModel.decode.alpha;
    for (const [j, q] of this.queues.entries()) {
      const e = this.endpoints[j] as EndpointState;
      const free = Math.min(B - e.running.size, q.length);
      if (free <= 0) {
        this.heldSince[j] = -1;
        continue;
      }
      let untilNextFinish = Number.POSITIVE_INFINITY;
      for (const s of e.running) untilNextFinish = Math.min(untilNextFinish, this.remainingOf(s, now));
      const held = this.heldSince[j] as number;
      const d = insertionDecision({
        running: e.running.size,
        free,
        queued: q.length,
        untilNextFinish: Number.isFinite(untilNextFinish) ? untilNextFinish : 1,
        waitedIterations: held < 0 ? 0 : Math.floor((now - held) / e.iterationSeconds),
        alphaDecode,
        stall: this.stall,
        lambda: this.params.lambda,
      });
      if (d.release) {
        this.heldSince[j] = -1;
        for (const s of q.splice(0, free)) this.release(s, j, now, out);
      } else {
        if (held < 0) this.heldSince[j] = now;
        const at = now + d.waitIterations * e.iterationSeconds;
        this.wake = this.wake === null ? at : Math.min(this.wake, at);
      }
    }
  }

  override wakeAt(): number | null {
    return this.wake;
  }

  plan(): DispatchPlan {
    return {
      queues: this.queues.map((q) => q.map((s) => s.item.index)),
      predictedWorkSeconds: this.queues.map((q) => q.reduce((a, s) => a + s.work, 0)),
      notes: [
        `LPT packing by predicted work, ${this.params.order} per endpoint; insertion rule λ = ${this.params.lambda}, stall ${this.stall.toFixed(4)} s (${this.params.server} servers)`,
      ],
    };
  }
}

/** `hybrid` (registry entry). */
export const hybridDispatch: DispatchPolicyDef<typeof HybridDispatchParams> = {
  name: "hybrid",
  summary:
    "LPT packing by predicted work, longest-first, Lagrangian release rule, re-planned as lengths arrive",
  reference: "https://arxiv.org/abs/2502.15763",
  params: HybridDispatchParams,
  create: (items, config, params) => new Hybrid(items, config, params),
};
