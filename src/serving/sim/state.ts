/**
 * Simulator state: a sequence (one request in flight) and a client (one model replica) with its
 * batch, waiting queue and paged KV cache (vLLM's PagedAttention accounting: ceil(tokens /
 * blockSize) blocks per sequence; Kwon et al., SOSP 2023).
 *
 * Policies see this state through `SeqView` and `ClientView`: read-only fields, plus the actions a
 * scheduler takes (order its waiting queue, allocate KV blocks, admit, preempt). Whatever else a
 * policy remembers (work estimates, accounts, routing loads) it keeps in its own instance.
 */
import type { ClientSpec, TimeModel } from "../profile/schema.js";
import type { Request } from "../trace/types.js";

/** Where a sequence is: not yet arrived, waiting, running, done, or rejected at arrival. */
export type SeqState = "pending" | "waiting" | "running" | "done" | "rejected";

/** What a policy may read of a sequence (the simulator and the client's KV actions change it). */
export interface SeqView {
  readonly req: Request;
  /** Position of the request in the simulated trace (0..n−1): a key for per-request policy state. */
  readonly index: number;
  readonly state: SeqState;
  /** Client the request was routed to (−1 before routing). */
  readonly client: number;
  /** Output tokens emitted so far. */
  readonly generated: number;
  /** Tokens whose KV is computed and cached. */
  readonly computed: number;
  /** KV blocks held. */
  readonly blocks: number;
  /** Times this request was preempted. */
  readonly preemptions: number;
  /** Tokens known (prompt + emitted): what the next step must have in cache. */
  readonly len: number;
  /** Tokens still to compute before the next emission (1 when decoding). */
  readonly pending: number;
}

/** One request in flight, as the simulator tracks it. */
export class Seq implements SeqView {
  readonly req: Request;
  readonly index: number;
  state: SeqState = "pending";
  client = -1;
  /** Output tokens emitted so far. */
  generated = 0;
  /** Tokens whose KV is computed and cached. */
  computed = 0;
  /** KV blocks held. */
  blocks = 0;
  /** Times this request was preempted. */
  preemptions = 0;
  /** Time of the first output token (−1 before). */
  firstTokenTime = -1;
  /** Time of the last output token (−1 before). */
  finishTime = -1;

  /** @param index the request's position in the simulated trace (default: its id). */
  constructor(req: Request, index = req.id) {
    this.req = req;
    this.index = index;
  }
  /** Tokens known (prompt + emitted): what the next step must have in cache. */
  get len(): number {
    return this.req.promptTokens + this.generated;
  }
  /** Tokens still to compute before the next emission (1 when decoding). */
  get pending(): number {
    return this.len - this.computed;
  }
}

/** One member of an iteration: a sequence and the tokens it computes. */
export interface BatchItem {
  seq: SeqView;
  /** Tokens computed this iteration (> 0): a prefill, a prefill chunk, or 1 for a decode. */
  tokens: number;
}

/** One iteration's work as chosen by a policy. */
export interface Batch {
  /** Requests computing tokens this iteration. */
  items: BatchItem[];
}

/** A per-iteration record kept for timelines and metrics (typed arrays: a run has millions of iterations). */
export interface IterationLog {
  start: Float64Array;
  end: Float64Array;
  /** Requests in prefill (≥ 2 tokens computed) and in decode (1 token) this iteration. */
  prefills: Int32Array;
  decodes: Int32Array;
  tokens: Float64Array;
}

/**
 * What a policy may read and do on a client: its limits and time model, its running batch and KV
 * state (read-only), its waiting queue (the policy keeps it in its own order), and the scheduler's
 * actions on the KV cache and the batch.
 */
export interface ClientView {
  readonly index: number;
  readonly spec: ClientSpec;
  readonly timeModel: TimeModel;
  /** Running requests in priority order (admission order; preemption takes from the tail). */
  readonly running: readonly SeqView[];
  /** Waiting requests; the policy orders them (front = next to admit). */
  readonly waiting: SeqView[];
  readonly freeBlocks: number;
  /** Blocks kept free when admitting (the watermark). */
  readonly watermarkBlocks: number;
  /** Blocks that hold `tokens` tokens. */
  blocksFor(tokens: number): number;
  /** Grows `seq`'s allocation to hold `tokens` tokens, keeping `keepFree` blocks free; false (and nothing changed) if blocks run out. */
  allocate(seq: SeqView, tokens: number, keepFree?: number): boolean;
  /** Preemption by recompute: drops `seq`'s KV cache and puts it at the front of the waiting queue. */
  preempt(seq: SeqView): void;
  /** Moves `seq` from the waiting queue (at `waitIndex`) to the running batch. */
  admit(seq: SeqView, waitIndex: number): void;
  /**
   * Takes a waiting request that was routed to another client (and is in no queue) into this
   * client's waiting queue, at the back: for policies that assign requests later than on arrival.
   */
  adopt(seq: SeqView): void;
}

/** Iterations a client's log has room for before it grows (see `Client.rec`). */
const LOG_CAPACITY = 1 << 12;

/** A client's iteration log while it runs. */
type LogArrays = IterationLog;

function newLog(capacity: number): LogArrays {
  return {
    start: new Float64Array(capacity),
    end: new Float64Array(capacity),
    prefills: new Int32Array(capacity),
    decodes: new Int32Array(capacity),
    tokens: new Float64Array(capacity),
  };
}

/** One client (model replica) as the simulator tracks it. */
export class Client implements ClientView {
  readonly index: number;
  readonly spec: ClientSpec;
  readonly timeModel: TimeModel;
  running: Seq[] = [];
  waiting: Seq[] = [];
  freeBlocks: number;
  /** An iteration is in flight. */
  busy = false;
  /** Σ iteration durations (seconds). */
  busySeconds = 0;
  /** Preemptions on this client. */
  preemptions = 0;
  /** Every iteration of this client (filled when the run ends; `record` keeps them meanwhile). */
  log: IterationLog = {
    start: new Float64Array(0),
    end: new Float64Array(0),
    prefills: new Int32Array(0),
    decodes: new Int32Array(0),
    tokens: new Float64Array(0),
  };
  /**
   * The iterations recorded so far: typed arrays with room for `LOG_CAPACITY` iterations, doubled
   * when full; `log` views the used part when the run ends. Profiling showed the cost of logging
   * is touching fresh memory: a large zeroed allocation is mapped lazily, so unused room costs
   * address space only, and nothing is copied at the end (plain arrays cost 10× more; chunks
   * concatenated at the end, 2× more).
   */
  private rec: LogArrays = newLog(LOG_CAPACITY);
  private recN = 0;

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
  /** Records one iteration (start, end, requests in prefill and in decode, tokens computed). */
  record(start: number, end: number, prefills: number, decodes: number, tokens: number): void {
    let r = this.rec;
    const k = this.recN++;
    if (k === r.start.length) {
      const bigger = newLog(2 * k);
      bigger.start.set(r.start);
      bigger.end.set(r.end);
      bigger.prefills.set(r.prefills);
      bigger.decodes.set(r.decodes);
      bigger.tokens.set(r.tokens);
      this.rec = r = bigger;
    }
    r.start[k] = start;
    r.end[k] = end;
    r.prefills[k] = prefills;
    r.decodes[k] = decodes;
    r.tokens[k] = tokens;
  }
  /** Exposes the recorded iterations as `log` (views of the used part; called once when the run ends). */
  finishLog(): void {
    const r = this.rec;
    const n = this.recN;
    this.log = {
      start: r.start.subarray(0, n),
      end: r.end.subarray(0, n),
      prefills: r.prefills.subarray(0, n),
      decodes: r.decodes.subarray(0, n),
      tokens: r.tokens.subarray(0, n),
    };
  }
  /** Removes finished requests from the running batch, keeping the others' order. */
  dropDone(): void {
    const a = this.running;
    let k = 0;
    for (let i = 0; i < a.length; i++) {
      const s = a[i] as Seq;
      if (s.state !== "done") a[k++] = s;
    }
    a.length = k;
  }
  adopt(seq: Seq): void {
    seq.client = this.index;
    this.waiting.push(seq);
  }
  /** Moves `seq` from waiting to running (it must be the queue's element at `waitIndex`). */
  admit(seq: Seq, waitIndex: number): void {
    this.waiting.splice(waitIndex, 1);
    seq.state = "running";
    this.running.push(seq);
  }
}
