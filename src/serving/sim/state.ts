/**
 * Simulator state shared by the engine and the policies: a sequence (one request in flight) and a
 * client (one model replica) with its batch, waiting queue and paged KV cache (vLLM's
 * PagedAttention accounting: ceil(tokens / blockSize) blocks per sequence; Kwon et al., SOSP 2023).
 */
import type { ClientSpec, TimeModel } from "../profile/schema.js";
import type { Request } from "../trace/types.js";

export type SeqState = "pending" | "waiting" | "running" | "done" | "rejected";

export class Seq {
  readonly req: Request;
  state: SeqState = "pending";
  client = -1;
  /** Output tokens emitted so far. */
  generated = 0;
  /** Tokens whose KV is computed and cached. */
  computed = 0;
  /** KV blocks held. */
  blocks = 0;
  /** Blocks reserved ahead (Orca reserves the whole request at admission). */
  preemptions = 0;
  firstTokenTime = -1;
  finishTime = -1;
  /** Offline work estimate (seconds), set by policies that pack. */
  work = 0;

  constructor(req: Request) {
    this.req = req;
  }
  /** Tokens known (prompt + emitted): what the next step must have in cache. */
  get len(): number {
    return this.req.promptTokens + this.generated;
  }
  /** Tokens still to compute before the next emission (1 when decoding). */
  get pending(): number {
    return this.len - this.computed;
  }
  get isDecoding(): boolean {
    return this.computed > 0 && this.pending === 1;
  }
}

/** One iteration's work as chosen by a policy. */
export interface Batch {
  /** Requests computing `tokens` (> 0) tokens this iteration (prefill, chunk, or decode = 1). */
  items: { seq: Seq; tokens: number }[];
}

/** A per-iteration record kept for timelines and metrics. */
export interface IterationLog {
  start: number[];
  end: number[];
  /** Requests in prefill (≥ 2 tokens computed) and in decode (1 token) this iteration. */
  prefills: number[];
  decodes: number[];
  tokens: number[];
}

export class Client {
  readonly index: number;
  readonly spec: ClientSpec;
  readonly timeModel: TimeModel;
  running: Seq[] = [];
  waiting: Seq[] = [];
  freeBlocks: number;
  busy = false;
  busySeconds = 0;
  /** Requests routed to this client and not yet finished. */
  outstanding = 0;
  /** Σ work of outstanding requests (seconds). */
  outstandingWork = 0;
  preemptions = 0;
  /** Policy scratch (e.g. the hybrid rule's accumulated idle-slot cost). */
  scratch = 0;
  readonly log: IterationLog = { start: [], end: [], prefills: [], decodes: [], tokens: [] };

  constructor(index: number, spec: ClientSpec, timeModel: TimeModel) {
    this.index = index;
    this.spec = spec;
    this.timeModel = timeModel;
    this.freeBlocks = spec.kvBlocks;
  }
  get watermarkBlocks(): number {
    return Math.floor(this.spec.watermark * this.spec.kvBlocks);
  }
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.spec.blockSize);
  }
  /** Extra blocks `seq` needs to hold `tokens` tokens. */
  extraBlocks(seq: Seq, tokens: number): number {
    return Math.max(0, this.blocksFor(tokens) - seq.blocks);
  }
  /** Grows `seq`'s allocation to hold `tokens` tokens; false (and nothing changed) if blocks run out. */
  allocate(seq: Seq, tokens: number, keepFree = 0): boolean {
    const need = this.extraBlocks(seq, tokens);
    if (need > this.freeBlocks - keepFree) return false;
    this.freeBlocks -= need;
    seq.blocks += need;
    return true;
  }
  release(seq: Seq): void {
    this.freeBlocks += seq.blocks;
    seq.blocks = 0;
  }
  /** Preemption by recompute (vLLM's default): drop the KV cache, back to the front of the queue. */
  preempt(seq: Seq): void {
    this.release(seq);
    seq.computed = 0;
    seq.state = "waiting";
    seq.preemptions++;
    this.preemptions++;
    const i = this.running.indexOf(seq);
    if (i >= 0) this.running.splice(i, 1);
    this.waiting.unshift(seq);
  }
  /** Moves `seq` from waiting to running (it must be the queue's element at `waitIndex`). */
  admit(seq: Seq, waitIndex: number): void {
    this.waiting.splice(waitIndex, 1);
    seq.state = "running";
    this.running.push(seq);
  }
}
