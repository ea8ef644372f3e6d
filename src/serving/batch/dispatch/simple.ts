/**
 * The two length-blind-ish baselines of `serving batch`:
 * - `round-robin`: request k of the batch (in file order) goes to endpoint k mod J, each endpoint
 *   sends its share in order, at most `maxConcurrency` at a time (what vLLM's data-parallel
 *   front end and most batch scripts do);
 * - `least-work`: requests in file order; whenever an endpoint has a free slot, the next request
 *   goes to the endpoint with a free slot and the least predicted work in flight (list scheduling
 *   by predicted work; Graham 1966).
 */
import { z } from "zod";
import { BaseDispatcher, type ItemState } from "./base.js";
import type { DispatchConfig, DispatchItem, DispatchPlan, DispatchPolicyDef, Release } from "./types.js";

class RoundRobin extends BaseDispatcher {
  readonly policy = "round-robin";
  private readonly queues: ItemState[][];
  private readonly heads: number[];
  constructor(items: readonly DispatchItem[], config: DispatchConfig) {
    super(items, config);
    this.queues = Array.from({ length: config.endpoints }, () => []);
    for (const [k, s] of this.items.entries()) this.queues[k % config.endpoints]?.push(s);
    this.heads = this.queues.map(() => 0);
  }
  protected choose(now: number, out: Release[]): void {
    for (const [j, q] of this.queues.entries()) {
      const e = this.endpoints[j];
      if (!e) continue;
      while ((this.heads[j] as number) < q.length && e.running.size < this.config.maxConcurrency) {
        const s = q[this.heads[j] as number] as ItemState;
        this.heads[j] = (this.heads[j] as number) + 1;
        this.release(s, j, now, out);
      }
    }
  }
  plan(): DispatchPlan {
    return {
      queues: this.queues.map((q, j) => q.slice(this.heads[j]).map((s) => s.item.index)),
      predictedWorkSeconds: this.queues.map((q, j) => q.slice(this.heads[j]).reduce((a, s) => a + s.work, 0)),
      notes: ["request k of the file goes to endpoint k mod J"],
    };
  }
}

class LeastWork extends BaseDispatcher {
  readonly policy = "least-work";
  private head = 0;
  protected choose(now: number, out: Release[]): void {
    while (this.head < this.items.length) {
      let best = -1;
      let bestLoad = Number.POSITIVE_INFINITY;
      for (const e of this.endpoints) {
        if (e.running.size >= this.config.maxConcurrency) continue;
        let load = 0;
        for (const s of e.running) load += this.remainingWorkOf(s, now);
        if (load < bestLoad) [best, bestLoad] = [e.index, load];
      }
      if (best < 0) return;
      this.release(this.items[this.head++] as ItemState, best, now, out);
    }
  }
  plan(): DispatchPlan {
    return {
      queues: null,
      predictedWorkSeconds: null,
      notes: [
        "each request goes, in file order, to the endpoint with a free slot and the least predicted work in flight",
      ],
    };
  }
}

const NoParams = z.object({});

/** `round-robin` (registry entry). */
export const roundRobinDispatch: DispatchPolicyDef<typeof NoParams> = {
  name: "round-robin",
  summary: "request k to endpoint k mod J, in file order (length-blind)",
  reference: "https://docs.vllm.ai/en/latest/serving/data_parallel_deployment.html",
  params: NoParams,
  create: (items, config) => new RoundRobin(items, config),
};

/** `least-work` (registry entry). */
export const leastWorkDispatch: DispatchPolicyDef<typeof NoParams> = {
  name: "least-work",
  summary: "in file order, to the endpoint with a free slot and the least predicted work in flight",
  reference: "https://doi.org/10.1002/j.1538-7305.1966.tb01709.x",
  params: NoParams,
  create: (items, config) => new LeastWork(items, config),
};
