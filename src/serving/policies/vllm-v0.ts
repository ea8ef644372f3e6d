/**
 * vLLM V0 default scheduler (vllm/core/scheduler.py `_schedule_default`, v0.6): prefill-first FCFS.
 * Each step first admits waiting requests in arrival order as one prefill-only batch, while
 *   running + admitted ≤ max_num_seqs, Σ prompt tokens ≤ max_num_batched_tokens, and the KV cache can
 *   allocate the prompt's blocks leaving the watermark free (`can_allocate`); the first request that
 *   does not fit stops admission (head-of-line, no skipping).
 * If nothing was admitted, all running requests decode one token; a request that needs a new block
 * when none is free preempts the lowest-priority (latest) running request by recompute, possibly
 * itself; preempted requests go back to the front of the waiting queue.
 * Prompts longer than max_num_batched_tokens are rejected (vLLM marks them FINISHED_IGNORED).
 */
import { z } from "zod";
import type { Batch, BatchItem, ClientView } from "../sim/state.js";
import { fitsKv, ItemPool, type ItemSource, NO_POOL, Router, RoutingParam } from "./common.js";
import type { PolicyDef, PolicyInstance } from "./types.js";

/** Parameters of `vllm-v0`. */
export const VllmV0Params = z.object({ routing: RoutingParam });

/** The decode step shared by the prefill-first policies (vLLM V0 `_schedule_running`). */
export function decodeStep(c: ClientView, pool: ItemSource = NO_POOL): Batch | null {
  const items: BatchItem[] = [];
  const running = c.running;
  // Iterate in priority order (FCFS); victims come from the tail.
  for (let i = 0; i < running.length; i++) {
    const s = running[i];
    if (!s) break;
    let ok = c.allocate(s, s.computed + 1);
    while (!ok) {
      const victim = running[running.length - 1];
      if (!victim) break;
      c.preempt(victim);
      if (victim === s) break;
      ok = c.allocate(s, s.computed + 1);
    }
    if (ok) items.push(pool.item(s, 1));
    else i--; // s itself was removed at index i; loop continues with the shifted array (ends since s was last)
  }
  return items.length ? { items } : null;
}

/** Admits waiting[0..] FCFS as a prefill batch (vLLM V0 `_schedule_prefills`); returns the items. */
export function admitPrefills(
  c: ClientView,
  limit = Number.POSITIVE_INFINITY,
  pool: ItemSource = NO_POOL,
): BatchItem[] {
  const items: BatchItem[] = [];
  let budget = c.spec.maxBatchedTokens;
  for (let s = c.waiting[0]; s !== undefined && items.length < limit; s = c.waiting[0]) {
    const n = s.len; // whole prompt, or prompt + generated tokens when recomputing after preemption
    if (c.running.length >= c.spec.maxBatchSize) break;
    // A recompute longer than the budget is let through alone (vLLM would drop it; see docs).
    if (n > budget && !(items.length === 0 && n > c.spec.maxBatchedTokens)) break;
    if (!c.allocate(s, n, c.watermarkBlocks)) break;
    budget -= n;
    c.admit(s, 0);
    items.push(pool.item(s, n));
  }
  return items;
}

/** vLLM V0's default scheduler (registry entry). */
export const vllmV0: PolicyDef<typeof VllmV0Params> = {
  name: "vllm-v0",
  summary: "vLLM V0: prefill-first FCFS, no mixed batches, preemption by recompute",
  reference: "https://github.com/vllm-project/vllm/blob/v0.6.6/vllm/core/scheduler.py",
  params: VllmV0Params,
  create(params): PolicyInstance {
    const router = new Router(params.routing);
    const pool = new ItemPool();
    return {
      name: "vllm-v0",
      async prepare(ctx) {
        router.useLengths(ctx.lengths);
        return undefined;
      },
      route: (_, clients) => router.route(clients),
      enqueue(c, s) {
        c.waiting.push(s);
        router.accepted(c, s);
      },
      finished: (c, s) => router.finished(c, s),
      admissible: (s, c) => fitsKv(s.req, c.spec) && s.req.promptTokens <= c.spec.maxBatchedTokens,
      step(c) {
        pool.reset();
        const pre = admitPrefills(c, Number.POSITIVE_INFINITY, pool);
        if (pre.length) return { items: pre };
        return decodeStep(c, pool);
      },
    };
  },
};
