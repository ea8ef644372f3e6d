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
import type { Batch, Client, Seq } from "../sim/state.js";
import { fitsKv, makeRouter } from "./common.js";
import type { PolicyDef, PolicyInstance } from "./types.js";

export const VllmV1Params = z.object({
  routing: z.enum(["round-robin", "least-loaded", "least-work"]).default("round-robin"),
});

export const vllmV1: PolicyDef<typeof VllmV1Params> = {
  name: "vllm-v1",
  summary: "vLLM V1: decode-first, chunked prefill under a token budget, mixed batches",
  reference: "https://github.com/vllm-project/vllm/blob/v0.9.0/vllm/v1/core/sched/scheduler.py",
  params: VllmV1Params,
  create(params): PolicyInstance {
    const route = makeRouter(params.routing);
    return {
      name: "vllm-v1",
      route,
      enqueue: (c: Client, s: Seq) => {
        c.waiting.push(s);
      },
      admissible: (s, c) => fitsKv(s.req, c.spec, false),
      step(c) {
        const items: Batch["items"] = [];
        let budget = c.spec.maxBatchedTokens;
        let preempted = false;
        const running = c.running;
        for (let i = 0; i < running.length && budget > 0; i++) {
          const s = running[i]!;
          const n = Math.min(s.pending, budget);
          let ok = c.allocate(s, s.computed + n);
          while (!ok) {
            const victim = running[running.length - 1]!;
            c.preempt(victim);
            preempted = true;
            if (victim === s) break;
            ok = c.allocate(s, s.computed + n);
          }
          if (!ok) break;
          items.push({ seq: s, tokens: n });
          budget -= n;
        }
        if (!preempted) {
          while (c.waiting.length > 0 && running.length < c.spec.maxBatchSize && budget > 0) {
            const s = c.waiting[0]!;
            const n = Math.min(s.pending, budget);
            if (!c.allocate(s, s.computed + n)) break;
            c.admit(s, 0);
            items.push({ seq: s, tokens: n });
            budget -= n;
          }
        }
        return items.length ? { items } : null;
      },
    };
  },
};
