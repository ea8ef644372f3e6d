/**
 * The one module that speaks HTTP (docs/architecture.md): JSON POSTs with a per-attempt timeout,
 * retries with exponential backoff on 429, 5xx, dropped connections, timeouts and unreadable
 * bodies (honouring `Retry-After`), a concurrency limit shared by every request of a client, and
 * typed errors (LlmError) that say which endpoint failed, how, and what to do. The OpenAI-style
 * chat client and the classifier scorer both post through `postJson`.
 */
import { AbortedError } from "../errors/index.js";
import { LlmError } from "./errors.js";

/** A counting semaphore: at most `limit` holders at once, the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError("the concurrency limit must be an integer ≥ 1");
  }

  /** Runs `f` when a slot is free. */
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** How long an attempt may take and how failed attempts are retried. */
export interface RetryPolicy {
  /** Milliseconds one attempt may take (connect, wait, read the body). */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff in milliseconds; doubles each retry (with jitter), capped at `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** Defaults: 120 s per attempt, 4 retries, backoff 0.5 s doubling to at most 20 s. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  timeoutMs: 120_000,
  retries: 4,
  backoffMs: 500,
  maxBackoffMs: 20_000,
};

/** Options of `postJson`: the retry policy, headers, cancellation, the shared limiter. */
export interface PostOptions extends Partial<RetryPolicy> {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  limiter?: Limiter;
  /** Called before each retry with the reason (for logs and accounting). */
  onRetry?: (attempt: number, reason: string) => void;
  /** Decides whether a non-2xx answer is worth retrying (default: 408, 425, 429 and 5xx). */
  retryable?: (status: number) => boolean;
}

/** A 2xx answer with its JSON body. */
export interface PostResult {
  status: number;
  json: unknown;
  attempts: number;
}

/** A non-2xx answer that is not retried (or still failing after the retries): status and body text. */
export class HttpStatusError extends LlmError {
  readonly body: string;
  constructor(url: string, status: number, body: string, attempts: number, hint: string) {
    super(
      {
        where: url,
        what: `the server answered HTTP ${status}${body ? ` (${oneLine(body)})` : ""}${attempts > 1 ? ` after ${attempts} attempts` : ""}`,
        hint,
      },
      status,
      attempts,
    );
    this.body = body;
  }
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

const defaultRetryable = (s: number) => s === 408 || s === 425 || s === 429 || s >= 500;

function hintFor(status: number): string {
  if (status === 401 || status === 403) return "set the API key in FRUGAL_LLM_API_KEY (or OPENAI_API_KEY)";
  if (status === 404) return "check the base URL (OpenAI-style, usually ending in /v1) and the model name";
  if (status === 429) return "the server is rate-limiting; lower --concurrency or try again later";
  if (status >= 500) return "the server failed; check its logs, or try again later";
  return "check the request options (model name, max tokens)";
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError("llm"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError("llm"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function backoff(p: RetryPolicy, attempt: number, retryAfter: string | null): number {
  const base = Math.min(p.maxBackoffMs, p.backoffMs * 2 ** (attempt - 1));
  const jittered = base / 2 + Math.random() * (base / 2);
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs) && secs >= 0) return Math.min(p.maxBackoffMs, Math.max(jittered, secs * 1000));
  }
  return jittered;
}

/** Describes a failed fetch: a dropped connection, a refused one, a timeout. */
function networkReason(e: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (e as { code?: string })?.code;
  if (code === "ECONNREFUSED") return "the connection was refused (is the server running?)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE")
    return "the connection was dropped";
  return `the request failed (${cause?.message ?? (e as Error)?.message ?? String(e)})`;
}

/**
 * POSTs `body` as JSON to `url` and returns the parsed JSON of a 2xx answer. Retries (with
 * backoff) what can succeed on a second try; throws LlmError (HttpStatusError for an HTTP status)
 * naming the URL when it cannot, and AbortedError when `signal` fires.
 */
export async function postJson(url: string, body: unknown, opts: PostOptions = {}): Promise<PostResult> {
  const p: RetryPolicy = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
    retries: opts.retries ?? DEFAULT_RETRY.retries,
    backoffMs: opts.backoffMs ?? DEFAULT_RETRY.backoffMs,
    maxBackoffMs: opts.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  };
  const retryable = opts.retryable ?? defaultRetryable;
  const payload = JSON.stringify(body);
  const attempts = p.retries + 1;
  let last: LlmError | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (opts.signal?.aborted) throw new AbortedError("llm");
    let retryAfter: string | null = null;
    const outcome = await (opts.limiter ?? unlimited).run(async (): Promise<PostResult | LlmError> => {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), p.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...opts.headers },
          body: payload,
          signal,
        });
        const text = await res.text();
        if (!res.ok) {
          retryAfter = res.headers.get("retry-after");
          const err = new HttpStatusError(url, res.status, text, attempt, hintFor(res.status));
          if (!retryable(res.status)) throw err;
          return err;
        }
        try {
          return { status: res.status, json: JSON.parse(text), attempts: attempt };
        } catch {
          return new LlmError(
            {
              where: url,
              what: `the server answered with something that is not JSON (${oneLine(text) || "an empty body"})`,
              hint: "check that the URL is an OpenAI-compatible API",
            },
            res.status,
            attempt,
          );
        }
      } catch (e) {
        if (e instanceof HttpStatusError) throw e;
        if (opts.signal?.aborted) throw new AbortedError("llm");
        return new LlmError(
          {
            where: url,
            what: networkReason(e, timeout.signal.aborted, p.timeoutMs),
            hint: "check the URL and that the server is up",
            cause: e,
          },
          null,
          attempt,
        );
      } finally {
        clearTimeout(timer);
      }
    });
    if (!(outcome instanceof LlmError)) return outcome;
    last = outcome;
    if (attempt < attempts) {
      opts.onRetry?.(attempt, outcome.what);
      await sleep(backoff(p, attempt, retryAfter), opts.signal);
    }
  }
  const l = last!;
  if (l instanceof HttpStatusError)
    throw new HttpStatusError(url, l.status ?? 0, l.body, attempts, hintFor(l.status ?? 0));
  throw new LlmError(
    {
      where: url,
      what: `${l.what}${attempts > 1 ? ` (${attempts} attempts)` : ""}`,
      hint: l.hint,
      cause: l.cause,
    },
    l.status,
    attempts,
  );
}

const unlimited = new Limiter(Number.MAX_SAFE_INTEGER);
