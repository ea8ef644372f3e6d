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

/** A failed attempt worth another try, with the server's Retry-After when it gave one. */
class Retry {
  constructor(
    readonly error: LlmError,
    readonly retryAfter: string | null = null,
    /** The HTTP answer of the failed attempt, when there was one (returned as is once retries run out). */
    readonly answer: HttpAnswer | null = null,
  ) {}
}

function policyOf(opts: Partial<RetryPolicy>): RetryPolicy {
  return {
    timeoutMs: opts.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
    retries: opts.retries ?? DEFAULT_RETRY.retries,
    backoffMs: opts.backoffMs ?? DEFAULT_RETRY.backoffMs,
    maxBackoffMs: opts.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  };
}

/** The per-attempt timeout: a signal that fires after `ms`, restartable (streams restart it on every chunk). */
interface AttemptTimer {
  signal: AbortSignal;
  timedOut(): boolean;
  restart(): void;
  clear(): void;
}

function attemptTimer(ms: number): AttemptTimer {
  const ac = new AbortController();
  let t = setTimeout(() => ac.abort(), ms);
  return {
    signal: ac.signal,
    timedOut: () => ac.signal.aborted,
    restart() {
      clearTimeout(t);
      if (!ac.signal.aborted) t = setTimeout(() => ac.abort(), ms);
    },
    clear: () => clearTimeout(t),
  };
}

/**
 * Runs `attempt` until it returns a value, throws, or the retries run out: each attempt under its own
 * timeout and the shared limiter, backoff between attempts. Network failures become LlmError (and are
 * retried); when the retries run out, the last failure is returned through `exhausted`.
 */
async function withRetries<T>(
  url: string,
  opts: PostOptions,
  attempt: (signal: AbortSignal, timer: AttemptTimer, n: number) => Promise<T | Retry>,
  exhausted: (last: Retry, attempts: number) => T,
): Promise<T> {
  const p = policyOf(opts);
  const attempts = p.retries + 1;
  let last: Retry | null = null;
  for (let n = 1; n <= attempts; n++) {
    if (opts.signal?.aborted) throw new AbortedError("llm");
    const outcome = await (opts.limiter ?? unlimited).run(async (): Promise<T | Retry> => {
      const timer = attemptTimer(p.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal;
      try {
        return await attempt(signal, timer, n);
      } catch (e) {
        if (e instanceof HttpStatusError || e instanceof AbortedError) throw e;
        if (opts.signal?.aborted) throw new AbortedError("llm");
        if (e instanceof LlmError) return new Retry(e);
        return new Retry(
          new LlmError(
            {
              where: url,
              what: networkReason(e, timer.timedOut(), p.timeoutMs),
              hint: "check the URL and that the server is up",
              cause: e,
            },
            null,
            n,
          ),
        );
      } finally {
        timer.clear();
      }
    });
    if (!(outcome instanceof Retry)) return outcome;
    last = outcome;
    if (n < attempts) {
      opts.onRetry?.(n, outcome.error.what);
      await sleep(backoff(p, n, outcome.retryAfter), opts.signal);
    }
  }
  return exhausted(last!, attempts);
}

/** The LlmError for a failure that outlived its retries (the attempt count added to the text). */
function finalError(url: string, l: LlmError, attempts: number): LlmError {
  return new LlmError(
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

function notJson(url: string, status: number, text: string, attempt: number): LlmError {
  return new LlmError(
    {
      where: url,
      what: `the server answered with something that is not JSON (${oneLine(text) || "an empty body"})`,
      hint: "check that the URL is an OpenAI-compatible API",
    },
    status,
    attempt,
  );
}

function requestInit(body: string, signal: AbortSignal, opts: PostOptions, accept: string): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", accept, ...opts.headers },
    body,
    signal,
  };
}

const requestIdOf = (h: Headers) => h.get("x-request-id") ?? h.get("request-id");

/**
 * POSTs `body` as JSON to `url` and returns the parsed JSON of a 2xx answer. Retries (with
 * backoff) what can succeed on a second try; throws LlmError (HttpStatusError for an HTTP status)
 * naming the URL when it cannot, and AbortedError when `signal` fires.
 */
export async function postJson(url: string, body: unknown, opts: PostOptions = {}): Promise<PostResult> {
  const a = await postForAnswer(url, body, opts);
  if (a.status >= 200 && a.status < 300) return { status: a.status, json: a.json, attempts: a.attempts };
  throw new HttpStatusError(url, a.status, a.text, a.attempts, hintFor(a.status));
}

/** An HTTP answer: its status, its body (parsed when JSON) and the server's request id. */
export interface HttpAnswer {
  status: number;
  /** The parsed body; null when it is not JSON (only possible for a non-2xx answer). */
  json: unknown;
  text: string;
  /** The `x-request-id` header, when the server sent one. */
  requestId: string | null;
  attempts: number;
}

/**
 * POSTs `body` as JSON and returns the answer, whatever its status: a 2xx JSON answer, a non-2xx
 * answer that is not worth retrying, or the last one when retries of 429/5xx run out (a passthrough
 * proxy such as `serving batch` writes it as the request's response). Dropped connections,
 * timeouts and 2xx bodies that are not JSON are retried; when they outlive the retries this throws
 * LlmError. AbortedError when `signal` fires.
 */
export async function postForAnswer(url: string, body: unknown, opts: PostOptions = {}): Promise<HttpAnswer> {
  const retryable = opts.retryable ?? defaultRetryable;
  const payload = JSON.stringify(body);
  return withRetries<HttpAnswer>(
    url,
    opts,
    async (signal, _timer, n) => {
      const res = await fetch(url, requestInit(payload, signal, opts, "application/json"));
      const text = await res.text();
      const answer: HttpAnswer = {
        status: res.status,
        json: parseOrNull(text),
        text,
        requestId: requestIdOf(res.headers),
        attempts: n,
      };
      if (!res.ok) {
        if (!retryable(res.status)) return answer;
        return new Retry(
          new HttpStatusError(url, res.status, text, n, hintFor(res.status)),
          res.headers.get("retry-after"),
          answer,
        );
      }
      if (answer.json === null && text.trim() !== "null") return new Retry(notJson(url, res.status, text, n));
      return answer;
    },
    (last, attempts) => {
      if (last.answer) return { ...last.answer, attempts };
      throw finalError(url, last.error, attempts);
    },
  );
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** An answer to a streamed request: the server-sent events in order, with their arrival times. */
export interface StreamAnswer extends HttpAnswer {
  /** Whether the server answered with an event stream (false: a plain JSON body, in `json`). */
  streamed: boolean;
  /** The JSON of each `data:` event, in order (`[DONE]` not included). */
  events: unknown[];
  /** `performance.now()` when the successful attempt was sent. */
  sentAt: number;
  /** `performance.now()` when each event arrived. */
  eventTimes: number[];
}

/** Options of `postForStream`: those of `postJson`, and hooks that see the events as they come. */
export interface StreamOptions extends PostOptions {
  /** Called with each event as it arrives (`at` = performance.now()). */
  onEvent?: (data: unknown, at: number) => void;
  /** Called when an attempt starts (a retry restarts the stream: forget the events seen so far). */
  onAttempt?: (attempt: number) => void;
}

/**
 * POSTs `body` (which should ask for `stream: true`) and reads the answer as server-sent events
 * (`data: {…}` lines, ended by `data: [DONE]` or the end of the body). The per-attempt timeout is an
 * idle timeout here: it restarts with every chunk, so a long generation that keeps streaming is not
 * cut. A stream that breaks off is retried from the start (`onAttempt` tells the caller), as are
 * 429/5xx answers; a server that answers plain JSON is returned as such (`streamed: false`). Final
 * non-2xx answers are returned as in `postForAnswer`.
 */
export async function postForStream(
  url: string,
  body: unknown,
  opts: StreamOptions = {},
): Promise<StreamAnswer> {
  const retryable = opts.retryable ?? defaultRetryable;
  const payload = JSON.stringify(body);
  return withRetries<StreamAnswer>(
    url,
    opts,
    async (signal, timer, n) => {
      opts.onAttempt?.(n);
      const sentAt = performance.now();
      const res = await fetch(url, requestInit(payload, signal, opts, "text/event-stream, application/json"));
      const requestId = requestIdOf(res.headers);
      const isStream = (res.headers.get("content-type") ?? "").includes("text/event-stream");
      if (!res.ok || !isStream || !res.body) {
        const text = await res.text();
        const answer: StreamAnswer = {
          status: res.status,
          json: parseOrNull(text),
          text,
          requestId,
          attempts: n,
          streamed: false,
          events: [],
          sentAt,
          eventTimes: [],
        };
        if (!res.ok && retryable(res.status))
          return new Retry(
            new HttpStatusError(url, res.status, text, n, hintFor(res.status)),
            res.headers.get("retry-after"),
            answer,
          );
        if (res.ok && answer.json === null) return new Retry(notJson(url, res.status, text, n));
        return answer;
      }
      const events: unknown[] = [];
      const eventTimes: number[] = [];
      const decoder = new TextDecoder();
      let buffer = "";
      let data: string[] = [];
      let done = false;
      const dispatch = (at: number) => {
        if (data.length === 0) return;
        const payloadText = data.join("\n");
        data = [];
        if (payloadText.trim() === "[DONE]") {
          done = true;
          return;
        }
        let ev: unknown;
        try {
          ev = JSON.parse(payloadText);
        } catch {
          throw notJson(url, res.status, payloadText, n);
        }
        events.push(ev);
        eventTimes.push(at);
        opts.onEvent?.(ev, at);
      };
      const reader = res.body.getReader();
      try {
        while (!done) {
          const { value, done: end } = await reader.read();
          if (end) break;
          timer.restart();
          const at = performance.now();
          buffer += decoder.decode(value, { stream: true });
          for (let nl = buffer.indexOf("\n"); nl >= 0 && !done; nl = buffer.indexOf("\n")) {
            const line = buffer.slice(0, nl).replace(/\r$/, "");
            buffer = buffer.slice(nl + 1);
            if (line === "") dispatch(at);
            else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
            // other fields (event:, id:, retry:) and comments (":") carry nothing a completion needs
          }
        }
        if (!done) dispatch(performance.now());
      } finally {
        if (done) await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      }
      return {
        status: res.status,
        json: null,
        text: "",
        requestId,
        attempts: n,
        streamed: true,
        events,
        sentAt,
        eventTimes,
      };
    },
    (last, attempts) => {
      if (last.answer) return { ...(last.answer as StreamAnswer), attempts };
      throw finalError(url, last.error, attempts);
    },
  );
}

const unlimited = new Limiter(Number.MAX_SAFE_INTEGER);
