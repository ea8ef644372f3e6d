/**
 * The sizes the serving simulator accepts, checked before any work so that a workload too large to
 * simulate fails at once with a clear error instead of running for minutes and then running out
 * of memory. The simulator keeps a log entry per iteration of every run (reports and Chrome traces
 * draw them), so memory grows with the number of iterations, and each iteration emits at most one
 * token per batch member: a run needs at least
 *   I_min = Σ_i o_i / B  +  Σ_i p_i / maxBatchedTokens
 * iterations (B = max batch size). On the Azure 2023 conversation trace (19,366 requests) with the
 * shipped profile I_min ≈ 0.27 million, and the runs take about 4× that many iterations.
 */
import { MisuseError } from "../errors/index.js";
import { TraceError } from "./errors.js";
import type { Profile } from "./profile/schema.js";
import type { Trace } from "./trace/types.js";

/** The limits (inclusive) of what the serving simulator accepts; see the header for why. */
export const SERVING_LIMITS = {
  /** Requests in a trace (50× the Azure 2023 conversation trace). */
  requests: 1_000_000,
  /** Prompt tokens of one request. */
  promptTokens: 10_000_000,
  /** Output tokens of one request (each is at least one iteration of its client). */
  outputTokens: 1_000_000,
  /** Clients (model replicas). */
  clients: 4096,
  /** I_min of the header: the least number of iterations one run needs. */
  minIterations: 1_500_000,
} as const;

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * Checks one request's token counts against the limits; returns the problem in words, or null.
 * Used by the trace readers (which name the file and line) and by `checkTrace`.
 */
export function tokenCountProblem(what: string, n: number, max: number): string | null {
  if (!Number.isFinite(n)) return `${what} ${n} is not a finite number`;
  if (!Number.isInteger(n)) return `${what} ${n} is not an integer`;
  if (n <= 0) return `${what} ${n} is not positive`;
  if (n > max) return `${what} ${fmt(n)} is above the limit of ${fmt(max)}`;
  return null;
}

/**
 * Checks a trace built in code (the readers check files row by row): at most
 * `SERVING_LIMITS.requests` requests, sorted by arrival, finite arrivals ≥ 0, token counts within
 * the limits. Errors name `where` (default the trace's name).
 */
export function checkTrace(trace: Trace, where = trace.name): void {
  const n = trace.requests.length;
  if (n > SERVING_LIMITS.requests)
    throw new TraceError({
      where,
      what: `${fmt(n)} requests, above the limit of ${fmt(SERVING_LIMITS.requests)}`,
      hint: "simulate a subset of the trace",
    });
  let prev = Number.NEGATIVE_INFINITY;
  for (const [i, r] of trace.requests.entries()) {
    const at = `${where}: requests[${i}]`;
    if (!Number.isFinite(r.arrival) || r.arrival < 0)
      throw new TraceError({
        where: at,
        what: `arrival ${r.arrival} is not a time ≥ 0`,
        hint: "give seconds ≥ 0",
      });
    if (r.arrival < prev)
      throw new TraceError({
        where: at,
        what: `arrival ${r.arrival} is before the previous request's (${prev})`,
        hint: "sort the requests by arrival (normalizeTrace does)",
      });
    prev = r.arrival;
    const problem =
      tokenCountProblem("promptTokens", r.promptTokens, SERVING_LIMITS.promptTokens) ??
      tokenCountProblem("outputTokens", r.outputTokens, SERVING_LIMITS.outputTokens);
    if (problem) throw new TraceError({ where: at, what: problem, hint: "fix the request's token counts" });
  }
}

/** I_min of the header: the least number of iterations a run of `trace` on `profile` needs. */
export function minIterations(trace: Trace, profile: Profile): number {
  let out = 0;
  let prompt = 0;
  for (const r of trace.requests) {
    out += r.outputTokens;
    prompt += r.promptTokens;
  }
  return Math.ceil(out / profile.client.maxBatchSize + prompt / profile.client.maxBatchedTokens);
}

/**
 * Checks a whole workload before simulating it: the trace (`checkTrace`), the number of clients,
 * and that a run needs no more than `SERVING_LIMITS.minIterations` iterations.
 */
export function checkWorkload(trace: Trace, profile: Profile, clients: number, where = trace.name): void {
  if (!Number.isInteger(clients) || clients < 1 || clients > SERVING_LIMITS.clients)
    throw new MisuseError({
      where: "clients",
      what: `${clients} is not an integer from 1 to ${fmt(SERVING_LIMITS.clients)}`,
      hint: "give the number of model replicas",
    });
  checkTrace(trace, where);
  const need = minIterations(trace, profile);
  if (need > SERVING_LIMITS.minIterations)
    throw new TraceError({
      where,
      what: `a run needs at least ${fmt(need)} iterations (Σ output tokens / max batch size ${profile.client.maxBatchSize} + Σ prompt tokens / max batched tokens ${profile.client.maxBatchedTokens}), above the simulator's limit of ${fmt(SERVING_LIMITS.minIterations)}`,
      hint: "simulate a subset of the trace (e.g. frugal serving study --requests-per-case) or a profile with larger batches",
    });
}
