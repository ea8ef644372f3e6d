/**
 * The discrete-event serving simulator. Events sit in a heap ordered by (time, rank, sequence):
 * iteration ends (rank 0) free slots and KV blocks first, arrivals (rank 1) are then routed to a
 * client, and idle clients start their next iteration last (rank 2), so requests that arrive at
 * the same instant are all visible to the policy that batches them. Each client runs one iteration
 * at a time; its duration comes from the profile's time model (profile/time.ts).
 *
 * Time origin: the trace's first arrival. The simulator runs on t = arrival − first arrival, and
 * every time in a `SimRun` (arrivals, first tokens, finishes, iteration logs, the makespan) is
 * seconds from that origin; `origin` gives it on the trace's own clock. Shifting every arrival by
 * a constant therefore changes nothing but `origin` (docs/metrics.md).
 */
import { MisuseError, throwIfAborted } from "../../errors/index.js";
import type { OnProgress } from "../../util/progress.js";
import { checkWorkload } from "../limits.js";
import type { PolicyInstance, PolicyPlanInfo } from "../policies/types.js";
import { SeqLengths } from "../predict/lengths.js";
import type { LengthPredictor } from "../predict/types.js";
import type { Profile, TimeModel } from "../profile/schema.js";
import type { Trace } from "../trace/types.js";
import { ARRIVAL, EventHeap, ITER_END, KICK } from "./heap.js";
import { type BatchItem, Client, Seq } from "./state.js";

/**
 * How often (milliseconds of simulation) the event loop yields to Node: the AbortSignal is checked
 * and progress reported then. Checked every 4,096 events, so the cost is one clock read per 4,096.
 */
const YIELD_EVERY_MS = 50;

/** Options of `simulate`. */
export interface SimulateOptions {
  /** Number of clients (model replicas), ≥ 1. */
  clients: number;
  /** Stops the run (AbortedError) within about 50 ms of simulation once aborted. */
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Safety net: stop (status "stalled") after this many iterations without progress. */
  maxIdleIterations?: number;
  /**
   * Output lengths the policies plan with: the true ones when absent (the oracle), else this
   * predictor's, fixed per request when a policy first asks (predict/lengths.ts). The simulation
   * itself always runs the true lengths.
   */
  predictor?: LengthPredictor;
}

/** What happened to one request in a run (times in seconds from the run's origin, the first arrival). */
export interface RequestOutcome {
  id: number;
  /** Client it was routed to. */
  client: number;
  /** Arrival − the trace's first arrival. */
  arrival: number;
  promptTokens: number;
  outputTokens: number;
  /** -1 when rejected. */
  firstTokenTime: number;
  /** -1 when rejected. */
  finishTime: number;
  preemptions: number;
  rejected: boolean;
}

/** One simulated run of one policy: the clients (with their iteration logs) and every request's outcome. */
export interface SimRun {
  policy: string;
  trace: string;
  clients: Client[];
  requests: RequestOutcome[];
  rejected: number;
  /** Events processed (arrivals, iteration starts and ends). */
  events: number;
  iterations: number;
  /** The trace's first arrival on the trace's own clock: the zero of every other time in the run. */
  origin: number;
  /** Time of the last iteration's end (seconds from the origin). */
  makespan: number;
  wallSeconds: number;
  /** What the policy planned before the run, if anything. */
  plan?: PolicyPlanInfo;
  /** "stalled" when the safety net stopped a run that made no progress. */
  status: "completed" | "stalled";
  /** The output lengths the policy was told, when it ran with a predictor and asked for any (by request index; NaN: never asked). */
  predictions: { predictor: string; predicted: Float64Array } | null;
}

/** Simulates `policy` serving `trace` on `opts.clients` clients of `profile` (see the header). */
export async function simulate(
  trace: Trace,
  profile: Profile,
  policy: PolicyInstance,
  opts: SimulateOptions,
): Promise<SimRun> {
  checkWorkload(trace, profile, opts.clients);
  throwIfAborted(opts.signal, `simulate ${policy.name}`);
  const t0 = performance.now();
  const seqs = trace.requests.map((r, k) => new Seq(r, k));
  const clients = Array.from(
    { length: opts.clients },
    (_, j) => new Client(j, profile.client, profile.timeModel),
  );
  const lengths = new SeqLengths(opts.predictor ?? null, seqs.length);
  const heap = new EventHeap();
  let now = 0;
  const plan = policy.prepare
    ? await policy.prepare(
        {
          trace,
          profile,
          clients: opts.clients,
          signal: opts.signal,
          onProgress: opts.onProgress,
          lengths,
          wake: (j, at) => {
            if (!Number.isInteger(j) || j < 0 || j >= clients.length)
              throw new MisuseError({
                where: `policy ${policy.name}`,
                what: `woke client ${j} of ${clients.length}`,
                hint: "wake a client index 0..clients−1",
              });
            heap.push(Math.max(at, now), KICK, j);
          },
        },
        seqs,
      )
    : undefined;

  // Per client: the members of the iteration in flight and their tokens (reused, one iteration at a
  // time; `memberCount` entries are valid: truncating arrays with `length = 0` showed up in profiles).
  const inFlight: Seq[][] = clients.map(() => []);
  const tokensOf: number[][] = clients.map(() => []);
  const memberCount = new Int32Array(clients.length);
  const kicked = clients.map(() => false);
  const observe = opts.predictor !== undefined;
  let events = 0;
  let iterations = 0;
  let rejected = 0;
  let finished = 0;
  let idleIters = 0;
  let status: SimRun["status"] = "completed";
  const maxIdle = opts.maxIdleIterations ?? 1_000_000;
  const total = seqs.length;
  const tm = profile.timeModel;

  const kick = (c: Client, at: number) => {
    if (!kicked[c.index] && !c.busy) {
      kicked[c.index] = true;
      heap.push(at, KICK, c.index);
    }
  };
  const origin = seqs[0]?.req.arrival ?? 0; // the trace is sorted by arrival (checkTrace)
  const arrivalAt = (k: number) => (seqs[k]?.req.arrival ?? origin) - origin;
  if (seqs.length > 0) heap.push(0, ARRIVAL, 0);

  let lastYield = performance.now();
  while (heap.pop()) {
    events++;
    now = heap.time;
    const target = heap.target;
    if ((events & 0xfff) === 0 && performance.now() - lastYield >= YIELD_EVERY_MS) {
      // Let the event loop run (signals, progress bars), then stop if asked to.
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      throwIfAborted(opts.signal, `simulate ${policy.name}`);
      opts.onProgress?.({ label: `simulating ${policy.name}`, done: finished + rejected, total });
    }
    if (heap.rank === ARRIVAL) {
      const s = seqs[target] as Seq; // arrival events are pushed for indices < seqs.length only
      if (target + 1 < seqs.length) heap.push(arrivalAt(target + 1), ARRIVAL, target + 1);
      const j = policy.route(s, clients);
      const c = clients[j];
      if (!c)
        throw new MisuseError({
          where: `policy ${policy.name}`,
          what: `routed request ${s.req.id} to client ${j} of ${clients.length}`,
          hint: "a policy's route must return a client index 0..clients−1",
        });
      s.client = j;
      if (!policy.admissible(s, c)) {
        s.state = "rejected";
        rejected++;
        continue;
      }
      s.state = "waiting";
      policy.enqueue(c, s);
      kick(c, now);
    } else if (heap.rank === KICK) {
      const j = target;
      kicked[j] = false;
      const c = clients[j] as Client; // kick and iterEnd events carry a client index
      if (c.busy) continue;
      const batch = policy.step(c, now);
      if (!batch || batch.items.length === 0) continue;
      let pTok = 0;
      let pSq = 0;
      let nDec = 0;
      let ctx = 0;
      let nPre = 0;
      const members = inFlight[j] as Seq[];
      const toks = tokensOf[j] as number[];
      const items = batch.items;
      for (let k = 0; k < items.length; k++) {
        const item = items[k] as BatchItem;
        const seq = seqs[item.seq.index];
        if (seq !== item.seq)
          throw new MisuseError({
            where: `policy ${policy.name}`,
            what: "scheduled a sequence that is not part of this run",
            hint: "a policy's step must return sequences it was given",
          });
        const tokens = item.tokens;
        // A decode step: one token with the whole prompt already cached (a one-token prompt chunk is prefill).
        if (tokens === 1 && seq.computed >= seq.req.promptTokens) {
          nDec++;
          ctx += seq.computed + 1;
        } else {
          nPre++;
          pTok += tokens;
          pSq += tokens * (tokens + seq.computed);
        }
        members[k] = seq;
        toks[k] = tokens;
      }
      memberCount[j] = items.length;
      const dt = iterationTime(tm, pTok, pSq, nDec, ctx);
      c.busy = true;
      c.busySeconds += dt;
      c.record(now, now + dt, nPre, nDec, pTok + nDec);
      iterations++;
      heap.push(now + dt, ITER_END, j);
    } else {
      const j = target;
      const c = clients[j] as Client;
      const members = inFlight[j] as Seq[];
      const toks = tokensOf[j] as number[];
      let progressed = false;
      let done = false;
      const m = memberCount[j] as number;
      for (let k = 0; k < m; k++) {
        const s = members[k] as Seq;
        if (s.state !== "running") continue; // preempted after being scheduled (cannot happen mid-iteration, kept for safety)
        const n = toks[k] as number;
        s.computed += n;
        if (s.computed >= s.len) {
          s.generated++;
          progressed = true;
          if (s.firstTokenTime < 0) s.firstTokenTime = now;
          if (s.generated >= s.req.outputTokens) {
            s.state = "done";
            s.finishTime = now;
            done = true;
            c.release(s);
            if (observe) lengths.observe(s);
            policy.finished?.(c, s);
            finished++;
          }
        } else if (n > 0) progressed = true;
      }
      if (done) c.dropDone();
      memberCount[j] = 0;
      c.busy = false;
      idleIters = progressed ? 0 : idleIters + 1;
      if (idleIters > maxIdle) {
        status = "stalled";
        break;
      }
      kick(c, now);
    }
  }
  for (const c of clients) c.finishLog();
  const requests: RequestOutcome[] = seqs.map((s) => ({
    id: s.req.id,
    client: s.client,
    arrival: s.req.arrival - origin,
    promptTokens: s.req.promptTokens,
    outputTokens: s.req.outputTokens,
    firstTokenTime: s.state === "rejected" ? -1 : s.firstTokenTime,
    finishTime: s.state === "rejected" ? -1 : s.finishTime,
    preemptions: s.preemptions,
    rejected: s.state === "rejected",
  }));
  if (finished + rejected < total && status === "completed") status = "stalled";
  opts.onProgress?.({ label: `simulating ${policy.name}`, done: finished + rejected, total });
  let makespan = 0;
  for (const c of clients) makespan = Math.max(makespan, c.log.end.at(-1) ?? 0);
  const predicted = lengths.predictions();
  return {
    policy: policy.name,
    trace: trace.name,
    clients,
    requests,
    rejected,
    events,
    iterations,
    origin,
    makespan,
    wallSeconds: (performance.now() - t0) / 1000,
    plan,
    status,
    predictions: predicted && opts.predictor ? { predictor: opts.predictor.name, predicted } : null,
  };
}

/**
 * `iterationSeconds` of profile/time.ts without building a shape object: the simulator's hot path,
 * the same arithmetic in the same order (so the same bits).
 */
function iterationTime(m: TimeModel, pTok: number, pSq: number, nDec: number, ctx: number): number {
  const hasP = pTok > 0;
  const hasD = nDec > 0;
  if (!hasP && !hasD) return 0;
  const alpha =
    hasP && hasD ? Math.max(m.prefill.alpha, m.decode.alpha) : hasP ? m.prefill.alpha : m.decode.alpha;
  return alpha + m.prefill.beta * pTok + m.prefill.gamma * pSq + m.decode.beta * nDec + m.decode.delta * ctx;
}
