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
import type { Profile } from "../profile/schema.js";
import { iterationSeconds } from "../profile/time.js";
import type { Trace } from "../trace/types.js";
import { EventHeap } from "./heap.js";
import { Client, Seq } from "./state.js";

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
  const plan = policy.prepare
    ? await policy.prepare(
        { trace, profile, clients: opts.clients, signal: opts.signal, onProgress: opts.onProgress },
        seqs,
      )
    : undefined;

  const heap = new EventHeap();
  const inFlight: Seq[][] = clients.map(() => []);
  const tokensOf: number[][] = clients.map(() => []);
  const kicked = clients.map(() => false);
  let events = 0;
  let iterations = 0;
  let rejected = 0;
  let finished = 0;
  let idleIters = 0;
  let status: SimRun["status"] = "completed";
  const maxIdle = opts.maxIdleIterations ?? 1_000_000;
  const total = seqs.length;

  const kick = (c: Client, now: number) => {
    if (!kicked[c.index] && !c.busy) {
      kicked[c.index] = true;
      heap.push({ time: now, rank: 2, kind: "kick", target: c.index });
    }
  };
  const origin = seqs[0]?.req.arrival ?? 0; // the trace is sorted by arrival (checkTrace)
  const arrivalAt = (k: number) => (seqs[k]?.req.arrival ?? origin) - origin;
  if (seqs.length > 0) heap.push({ time: 0, rank: 1, kind: "arrival", target: 0 });

  let now = 0;
  let lastYield = performance.now();
  for (let ev = heap.pop(); ev; ev = heap.pop()) {
    events++;
    now = ev.time;
    if ((events & 0xfff) === 0 && performance.now() - lastYield >= YIELD_EVERY_MS) {
      // Let the event loop run (signals, progress bars), then stop if asked to.
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      throwIfAborted(opts.signal, `simulate ${policy.name}`);
      opts.onProgress?.({ label: `simulating ${policy.name}`, done: finished + rejected, total });
    }
    if (ev.kind === "arrival") {
      const s = seqs[ev.target] as Seq; // arrival events are pushed for indices < seqs.length only
      const next = seqs[ev.target + 1];
      if (next)
        heap.push({ time: arrivalAt(ev.target + 1), rank: 1, kind: "arrival", target: ev.target + 1 });
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
    } else if (ev.kind === "kick") {
      const j = ev.target;
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
      const members: Seq[] = [];
      const toks: number[] = [];
      for (const item of batch.items) {
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
        members.push(seq);
        toks.push(tokens);
      }
      const dt = iterationSeconds(c.timeModel, {
        prefillTokens: pTok,
        prefillSquares: pSq,
        decodes: nDec,
        decodeContext: ctx,
      });
      c.busy = true;
      c.busySeconds += dt;
      c.log.start.push(now);
      c.log.end.push(now + dt);
      c.log.prefills.push(nPre);
      c.log.decodes.push(nDec);
      c.log.tokens.push(pTok + nDec);
      inFlight[j] = members;
      tokensOf[j] = toks;
      iterations++;
      heap.push({ time: now + dt, rank: 0, kind: "iterEnd", target: j });
    } else {
      const j = ev.target;
      const c = clients[j] as Client;
      const members = inFlight[j] ?? [];
      const toks = tokensOf[j] ?? [];
      let progressed = false;
      for (const [k, s] of members.entries()) {
        if (s.state !== "running") continue; // preempted after being scheduled (cannot happen mid-iteration, kept for safety)
        const n = toks[k] ?? 0;
        s.computed += n;
        if (s.computed >= s.len) {
          s.generated++;
          progressed = true;
          if (s.firstTokenTime < 0) s.firstTokenTime = now;
          if (s.generated >= s.req.outputTokens) {
            s.state = "done";
            s.finishTime = now;
            c.release(s);
            policy.finished?.(c, s);
            finished++;
          }
        } else if (n > 0) progressed = true;
      }
      if (c.running.some((s) => s.state === "done")) c.running = c.running.filter((s) => s.state !== "done");
      inFlight[j] = [];
      c.busy = false;
      idleIters = progressed ? 0 : idleIters + 1;
      if (idleIters > maxIdle) {
        status = "stalled";
        break;
      }
      kick(c, now);
    }
  }
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
  };
}
