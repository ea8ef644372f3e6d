/**
 * vLLM V1 scheduler (vllm/v1/core/sched/scheduler.py `schedule`, v0.8+): decode-first with chunked
 * prefill under a token budget (Sarathi-Serve style; Agrawal et al., OSDI 2024).
 * Each step has `max_num_batched_tokens` tokens. Running requests are served first in order: each
 * takes its remaining tokens (1 when decoding, the rest of its prompt when mid-prefill), capped by
 * the budget; if its KV blocks cannot be allocated the last running request is preempted by
 * recompute (possibly itself) and goes to the front of the waiting queue. Then, if nothing was
 * preempted, waiting requests are admitted FCFS while running < `max_num_seqs` and budget remains,
 * each with a prefill chunk of min(remaining prompt, budget) tokens. Prefill chunks and decodes
 * share one mixed iteration. V1 keeps no admission watermark.
 */
import { z } from "zod";
import type { BatchItem } from "../sim/state.js";
import { fitsKv, ItemPool, Router, RoutingParam } from "./common.js";
import type { PolicyDef, PolicyInstance } from "./types.js";

/** Parameters of `vllm-v1`. */
export const VllmV1Params = z.object({ routing: RoutingParam });

/** vLLM V1's scheduler (registry entry). */
export const vllmV1: PolicyDef<typeof VllmV1Params> = {
  name: "vllm-v1",
  summary: "vLLM V1: decode-first, chunked prefill under a token budget, mixed batches",
  reference: "https://github.com/vllm-project/vllm/blob/v0.9.0/vllm/v1/core/sched/scheduler.py",
  params: VllmV1Params,
  create(params): PolicyInstance {
    const router = new Router(params.routing);
    const pool = new ItemPool();
    return {
      name: "vllm-v1",
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
      admissible: (s, c) => fitsKv(s.req, c.spec, false),
      step(c) {
        pool.reset();
        const items: BatchItem[] = [];
        let budget = c.spec.maxBatchedTokens;
        let preempted = false;
        const running = c.running;
        for (let i = 0; i < running.length && budget > 0; i++) {
          const s = running[i];
          if (!s) break;
          const n = Math.min(s.pending, budget);
          let ok = c.allocate(s, s.computed + n);
          while (!ok) {
            const victim = running[running.length - 1];
            if (!victim) break;
            c.preempt(victim);
            preempted = true;
            if (victim === s) break;
            ok = c.allocate(s, s.computed + n);
          }
          if (!ok) break;
          items.push(pool.item(s, n));
          budget -= n;
        }
        if (!preempted) {
          for (
            let s = c.waiting[0];
            s !== undefined && running.length < c.spec.maxBatchSize && budget > 0;
            s = c.waiting[0]
          ) {
            const n = Math.min(s.pending, budget);
            if (!c.allocate(s, s.computed + n)) break;
            c.admit(s, 0);
            items.push(pool.item(s, n));
            budget -= n;
          }
        }
        return items.length ? { items } : null;
      },
    };
  },
};
