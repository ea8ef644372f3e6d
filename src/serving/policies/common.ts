/** Pieces shared by the policies: routing, queue insertion, and the never-fits test. */
import { z } from "zod";
import { requestWork } from "../offline/work.js";
import type { SeqLengths } from "../predict/lengths.js";
import type { ClientSpec } from "../profile/schema.js";
import type { BatchItem, ClientView, SeqView } from "../sim/state.js";
import type { Request } from "../trace/types.js";

/** Request needs ceil((p + o − 1)/blockSize) blocks at its last step; above the usable cache it can never finish. */
export function fitsKv(r: Request, spec: ClientSpec, watermark = true): boolean {
  const blocks = Math.ceil((r.promptTokens + r.outputTokens - 1) / spec.blockSize);
  return blocks <= spec.kvBlocks - (watermark ? Math.floor(spec.watermark * spec.kvBlocks) : 0);
}

/** The routing rules of the multi-client baselines. */
export const ROUTINGS = ["round-robin", "least-loaded", "least-work"] as const;

/** How a request is assigned to a client on arrival. */
export type Routing = (typeof ROUTINGS)[number];

/** The `routing` parameter of the baselines (default round-robin). */
export const RoutingParam = z
  .enum(ROUTINGS)
  .default("round-robin")
  .describe("arrival order, or the client with the fewest outstanding requests / the least outstanding work");

/**
 * A router with its own state. `round-robin` assigns in arrival order (vLLM's data-parallel API
 * server default); `least-loaded` picks the client with the fewest outstanding requests and
 * `least-work` the one with the least outstanding work (Σ `requestWork` from the client's own time
 * model), ties to the lowest index. Outstanding = accepted by the client and not finished: the
 * policy reports both events (`accepted` from `enqueue`, `finished` from its `finished` hook).
 */
export class Router {
  #next = 0;
  readonly #requests: number[] = [];
  readonly #work: number[] = [];
  #lengths: Pick<SeqLengths, "output"> | null = null;

  constructor(readonly kind: Routing) {}

  /** Work from these output lengths (a predictor's) instead of the true ones. */
  useLengths(lengths: Pick<SeqLengths, "output">): void {
    this.#lengths = lengths;
  }

  /** The client for the next arriving request. */
  route(clients: readonly ClientView[]): number {
    if (this.kind === "round-robin") {
      const j = this.#next;
      this.#next = (j + 1) % clients.length;
      return j;
    }
    const load = this.kind === "least-loaded" ? this.#requests : this.#work;
    let best = 0;
    for (let j = 1; j < clients.length; j++) if ((load[j] ?? 0) < (load[best] ?? 0)) best = j;
    return best;
  }

  /** `seq` joined `client`'s queue. */
  accepted(client: ClientView, seq: SeqView): void {
    const j = client.index;
    this.#requests[j] = (this.#requests[j] ?? 0) + 1;
    if (this.kind === "least-work") this.#work[j] = (this.#work[j] ?? 0) + workOn(client, seq, this.#lengths);
  }

  /** `seq` finished on `client`. */
  finished(client: ClientView, seq: SeqView): void {
    const j = client.index;
    this.#requests[j] = (this.#requests[j] ?? 0) - 1;
    if (this.kind === "least-work") this.#work[j] = (this.#work[j] ?? 0) - workOn(client, seq, this.#lengths);
  }
}

function workOn(client: ClientView, seq: SeqView, lengths: Pick<SeqLengths, "output"> | null): number {
  const r = lengths ? predictedRequest(seq, lengths) : seq.req;
  return requestWork(r, { timeModel: client.timeModel, client: client.spec });
}

/** The request with its output length as `lengths` gives it (the same object when that is the true length). */
export function predictedRequest(seq: SeqView, lengths: Pick<SeqLengths, "output">): Request {
  const o = lengths.output(seq);
  return o === seq.req.outputTokens ? seq.req : { ...seq.req, outputTokens: o };
}

/**
 * Batch items reused from one `step` to the next (the simulator reads a batch as soon as `step`
 * returns, so a policy may hand out the same item objects again in its next step). A run makes
 * millions of items; reusing them keeps the simulator's garbage collector idle. `reset` at the
 * start of each step; `item` hands out the next one.
 */
export class ItemPool {
  private readonly items: BatchItem[] = [];
  private n = 0;
  /** Starts a new step: every item may be handed out again. */
  reset(): void {
    this.n = 0;
  }
  /** The next item, set to (`seq`, `tokens`). */
  item(seq: SeqView, tokens: number): BatchItem {
    const it = this.items[this.n];
    this.n++;
    if (it === undefined) {
      const fresh = { seq, tokens };
      this.items.push(fresh);
      return fresh;
    }
    it.seq = seq;
    it.tokens = tokens;
    return it;
  }
}

/** Fresh items every time (for callers without a pool). */
export const NO_POOL = { item: (seq: SeqView, tokens: number): BatchItem => ({ seq, tokens }) };

/** Where items come from: a pool, or fresh objects. */
export type ItemSource = Pick<ItemPool, "item">;

/** Inserts into a queue kept sorted by `key` ascending (stable: after equal keys). */
export function insertSorted(queue: SeqView[], seq: SeqView, key: (s: SeqView) => number): void {
  const k = key(seq);
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = queue[mid];
    if (m !== undefined && key(m) <= k) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, seq);
}
