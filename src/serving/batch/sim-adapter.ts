/**
 * The simulator's prediction for a batch: the same requests, dispatched by the same client-side
 * policy (a fresh `Dispatcher` driven on simulated time), served by simulated continuous-batching
 * servers (vLLM V1's scheduler, `policies/vllm-v1.ts`) with the profile's time model. The dispatcher
 * decides which request goes where and when exactly as in a real run: it releases requests, hears
 * their streamed progress (tokens emitted, once per iteration) and their completions.
 *
 * Assumptions, stated in the summary: every server batches all the requests the client keeps in
 * flight (its `max_num_seqs` ≥ `--max-concurrency`), and runs the profile's time model; the
 * simulated client's maximum batch size is therefore `--max-concurrency`. Requests arrive at once
 * (an offline batch).
 */
import { fitsKv } from "../policies/common.js";
import type { PolicyInstance } from "../policies/types.js";
import { vllmV1 } from "../policies/vllm-v1.js";
import type { LengthPredictor } from "../predict/types.js";
import type { Profile } from "../profile/schema.js";
import type { SimRun } from "../sim/simulate.js";
import { simulate } from "../sim/simulate.js";
import type { ClientView, SeqView } from "../sim/state.js";
import type { Request, Trace } from "../trace/types.js";
import { createDispatcher } from "./dispatch/registry.js";
import type { Dispatcher, DispatchItem } from "./dispatch/types.js";

/** What `simulateDispatch` needs: the requests, the policy, the endpoints and the predictor. */
export interface SimulateDispatchOptions {
  /** The requests as the dispatcher sees them, with `outputTokens` the length the simulation runs. */
  items: readonly DispatchItem[];
  policy: string;
  policyParams?: Record<string, unknown>;
  endpoints: number;
  maxConcurrency: number;
  /** A fresh predictor (the dispatcher refits it as simulated requests complete). */
  predictor: LengthPredictor;
  /** The servers' time model. */
  profile: Profile;
  /**
   * The servers' KV cache: unlimited (default: a real server's is not known to the client) or the
   * profile's (`kvBlocks`, with preemption by recompute when it runs out, for studies; requests
   * that can never fit are left out, as a server refuses them).
   */
  kvCache?: "unlimited" | "profile";
  signal?: AbortSignal;
}

/**
 * A simulator policy that lets `dispatcher` release requests (at the times it chooses) and serves
 * each endpoint's released requests with vLLM V1's scheduler.
 */
export function dispatchPolicy(dispatcher: Dispatcher, items: readonly DispatchItem[]): PolicyInstance {
  const server = vllmV1.create(vllmV1.params.parse({}));
  let clients: readonly ClientView[] = [];
  let seqs: readonly SeqView[] = [];
  let wake: (client: number, at: number) => void = () => undefined;
  /** Sequences finished since the last step, reported to the dispatcher at that step's time. */
  const done: SeqView[] = [];
  const itemIndex = items.map((it) => it.index);
  const seqOf = new Map<number, number>(itemIndex.map((index, k) => [index, k]));
  return {
    name: `dispatch:${dispatcher.policy}`,
    async prepare(ctx, s) {
      seqs = s;
      wake = ctx.wake;
      ctx.wake(0, 0);
      return { kind: `client-side dispatch (${dispatcher.policy})`, notes: dispatcher.plan().notes };
    },
    route(_seq, cs) {
      clients = cs;
      return 0;
    },
    // Requests wait with the dispatcher, in no client's queue, until it releases them.
    enqueue: () => undefined,
    admissible: () => true,
    step(c, now) {
      for (const s of done.splice(0)) dispatcher.finished(itemIndex[s.index] as number, s.generated, now);
      for (const s of c.running) dispatcher.progress(itemIndex[s.index] as number, s.generated, now);
      const touched = new Set<number>();
      for (const rel of dispatcher.take(now)) {
        const s = seqs[seqOf.get(rel.index) as number] as SeqView;
        (clients[rel.endpoint] as ClientView).adopt(s);
        touched.add(rel.endpoint);
      }
      for (const j of touched) if (j !== c.index) wake(j, now);
      const at = dispatcher.wakeAt();
      if (at !== null) wake(c.index, Math.max(at, now));
      return server.step(c, now);
    },
    finished(_c, s) {
      // the dispatcher hears of it at the client's next step, at this same instant (the simulator
      // kicks a client when its iteration ends)
      done.push(s);
    },
  };
}

/** Simulates a batch as `serving batch` would run it (see the header). */
export async function simulateDispatch(opts: SimulateDispatchOptions): Promise<SimRun> {
  const items =
    opts.kvCache === "profile"
      ? opts.items.filter((it) =>
          fitsKv(
            {
              id: 0,
              arrival: 0,
              promptTokens: it.promptTokens,
              outputTokens: Math.max(1, it.outputTokens ?? 1),
            },
            opts.profile.client,
            false,
          ),
        )
      : opts.items;
  const requests: Request[] = items.map((it, id) => ({
    id,
    arrival: 0,
    promptTokens: it.promptTokens,
    outputTokens: Math.max(1, it.outputTokens ?? 1),
  }));
  let longestPrompt = 1;
  for (const r of requests) longestPrompt = Math.max(longestPrompt, r.promptTokens);
  const trace: Trace = { name: "batch", source: "serving batch requests", requests };
  const profile: Profile = {
    ...opts.profile,
    client: {
      ...opts.profile.client,
      maxBatchSize: opts.maxConcurrency,
      // by default the prediction models time, not memory: the servers' KV caches are not known here
      kvBlocks: opts.kvCache === "profile" ? opts.profile.client.kvBlocks : Number.MAX_SAFE_INTEGER,
      maxBatchedTokens: Math.max(opts.profile.client.maxBatchedTokens, opts.maxConcurrency * longestPrompt),
    },
  };
  const dispatcher = createDispatcher(
    opts.policy,
    items,
    { endpoints: opts.endpoints, maxConcurrency: opts.maxConcurrency, predictor: opts.predictor, profile },
    opts.policyParams ?? {},
  );
  return simulate(trace, profile, dispatchPolicy(dispatcher, items), {
    clients: opts.endpoints,
    signal: opts.signal,
  });
}
