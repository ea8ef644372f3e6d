/**
 * Orca (Yu et al., "Orca: A Distributed Serving System for Transformer-Based Generative Models",
 * OSDI 2022, §4.2 Algorithm 1): iteration-level FCFS scheduling with selective batching. Every
 * iteration runs the running requests' decodes together with the whole prompts of newly admitted
 * requests (mixed batch). A request is admitted FCFS while the batch has room (max batch size) and
 * the KV slots for its maximum length (prompt + output tokens) can be reserved up front, so Orca
 * never preempts. The per-iteration token budget caps the admitted prompt tokens.
 */
import { z } from "zod";
import type { BatchItem } from "../sim/state.js";
import { fitsKv, ItemPool, Router, RoutingParam } from "./common.js";
import type { PolicyDef, PolicyInstance } from "./types.js";

/** Parameters of `orca`. */
export const OrcaParams = z.object({ routing: RoutingParam });

/** Orca's iteration-level scheduler (registry entry). */
export const orca: PolicyDef<typeof OrcaParams> = {
  name: "orca",
  summary: "Orca: iteration-level FCFS, prefills mixed into decode iterations, full-length KV reservation",
  reference: "https://www.usenix.org/conference/osdi22/presentation/yu",
  params: OrcaParams,
  create(params): PolicyInstance {
    const router = new Router(params.routing);
    const pool = new ItemPool();
    return {
      name: "orca",
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
      admissible: (s, c) => fitsKv(s.req, c.spec, false) && s.req.promptTokens <= c.spec.maxBatchedTokens,
      step(c) {
        pool.reset();
        const items: BatchItem[] = [];
        for (const s of c.running) items.push(pool.item(s, 1));
        let budget = c.spec.maxBatchedTokens;
        for (
          let s = c.waiting[0];
          s !== undefined && c.running.length < c.spec.maxBatchSize;
          s = c.waiting[0]
        ) {
          const n = s.len;
          if (n > budget) break;
          // Reserve the request's maximum length (prompt + output − 1 cached tokens) at admission.
          if (!c.allocate(s, s.req.promptTokens + s.req.outputTokens - 1)) break;
          budget -= n;
          c.admit(s, 0);
          items.push(pool.item(s, n));
        }
        return items.length ? { items } : null;
      },
    };
  },
};
