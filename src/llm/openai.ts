/**
 * An OpenAI-compatible chat-completions client (`POST {base}/chat/completions`): vLLM, Ollama,
 * llama.cpp's server, SGLang, hosted APIs. Asks for structured output with
 * `response_format: {type: "json_schema", json_schema: {name, schema}}` and falls back to
 * `json_object`, then to plain text (the caller's parse-and-repair loop), when a server refuses
 * it; asks for `n` samples in one request and tops up with more requests when a server returns
 * fewer; caches answers on disk; counts calls, samples, requests, retries and tokens per purpose.
 * HTTP itself (timeouts, retries, the concurrency limit) is `postJson`'s.
 */
import { z } from "zod";
import { type CachedAnswer, ResponseCache } from "./cache.js";
import { LlmError } from "./errors.js";
import { DEFAULT_RETRY, HttpStatusError, Limiter, postJson, type RetryPolicy } from "./http.js";
import {
  type ChatRequest,
  type ChatResult,
  emptyUsage,
  type LlmClient,
  type LlmUsage,
  recordCall,
  snapshot,
  type TokenUsage,
} from "./types.js";

/** How structured output is asked for. */
export type StructuredMode = "json_schema" | "json_object" | "none";

/** Options of the OpenAI-compatible client. */
export interface OpenAiClientOptions {
  /** The OpenAI-style base URL, e.g. `http://localhost:8000/v1` (vLLM) or `http://localhost:11434/v1` (Ollama). */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when given (read it from the environment, never a flag). */
  apiKey?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** A folder for the response cache (none by default). */
  cacheDir?: string;
  /** Start with this structured-output mode (default json_schema; it steps down when refused). */
  structured?: StructuredMode;
  /** Called on retries, structured-output fallbacks and `n` top-ups (for logs). */
  onEvent?: (e: { kind: "retry" | "fallback" | "topup"; detail: string }) => void;
}

const CompletionSchema = z.object({
  choices: z.array(
    z.object({
      message: z.object({ content: z.string().nullable().optional() }).passthrough().optional(),
      text: z.string().optional(),
    }),
  ),
  usage: z
    .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
    .nullable()
    .optional(),
});

/** True when a 4xx body says the server does not take this `response_format`. */
function refusesFormat(e: unknown): boolean {
  return (
    e instanceof HttpStatusError &&
    (e.status === 400 || e.status === 422 || e.status === 501) &&
    /response_format|json_schema|json_object|guided|structured|grammar|schema/i.test(e.body)
  );
}

/** An LlmClient over an OpenAI-compatible `/chat/completions` endpoint. */
export class OpenAiClient implements LlmClient {
  readonly endpoint: string;
  readonly model: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly limiter: Limiter;
  private readonly retry: RetryPolicy;
  private readonly cache: ResponseCache | null;
  private structured: StructuredMode;
  private supportsN = true;
  private readonly used: LlmUsage = emptyUsage();
  private readonly onEvent: OpenAiClientOptions["onEvent"];

  constructor(opts: OpenAiClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new LlmError(
        {
          where: opts.baseUrl,
          what: "is not a URL",
          hint: "give the server's base URL, e.g. http://localhost:8000/v1",
        },
        null,
        0,
      );
    }
    if (base.protocol !== "http:" && base.protocol !== "https:")
      throw new LlmError(
        {
          where: opts.baseUrl,
          what: "is not an http(s) URL",
          hint: "give the server's base URL, e.g. http://localhost:8000/v1",
        },
        null,
        0,
      );
    this.endpoint = opts.baseUrl.replace(/\/+$/, "");
    this.url = `${this.endpoint.replace(/\/chat\/completions$/, "")}/chat/completions`;
    this.model = opts.model;
    this.headers = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
    this.limiter = new Limiter(opts.concurrency ?? 4);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.cache = opts.cacheDir ? new ResponseCache(opts.cacheDir) : null;
    this.structured = opts.structured ?? "json_schema";
    this.onEvent = opts.onEvent;
  }

  usage(): LlmUsage {
    return snapshot(this.used);
  }

  async complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const n = req.n ?? 1;
    // keyed by the model and the request, not the endpoint: a server restarted elsewhere serves the same model
    const key = this.cache?.key({
      model: this.model,
      messages: req.messages,
      n,
      temperature: req.temperature,
      maxTokens: req.maxTokens,
      responseFormat: req.responseFormat,
      seed: req.seed,
      cacheKey: req.cacheKey,
    });
    if (this.cache && key) {
      const hit = await this.cache.get(key);
      if (hit && hit.contents.length === n) {
        this.used.cacheHits++;
        recordCall(this.used, req.purpose, n, hit.usage);
        return { contents: hit.contents, usage: hit.usage, cached: true };
      }
    }
    const contents: string[] = [];
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    while (contents.length < n) {
      const ask = this.supportsN ? n - contents.length : 1;
      const got = await this.request(req, ask, signal);
      if (got.contents.length === 0)
        throw new LlmError(
          { where: this.url, what: "the answer has no choices", hint: "check the server's logs" },
          200,
          1,
        );
      if (got.contents.length < ask && ask > 1) {
        this.supportsN = false;
        this.onEvent?.({
          kind: "topup",
          detail: `the server returned ${got.contents.length} of ${ask} samples; asking one at a time`,
        });
      }
      contents.push(...got.contents.slice(0, n - contents.length));
      usage.promptTokens += got.usage.promptTokens;
      usage.completionTokens += got.usage.completionTokens;
    }
    recordCall(this.used, req.purpose, n, usage);
    if (this.cache && key) await this.cache.put(key, { contents, usage } satisfies CachedAnswer);
    return { contents, usage, cached: false };
  }

  private async request(
    req: ChatRequest,
    n: number,
    signal?: AbortSignal,
  ): Promise<{ contents: string[]; usage: TokenUsage }> {
    for (;;) {
      const body: Record<string, unknown> = { model: this.model, messages: req.messages };
      if (n > 1) body.n = n;
      if (req.temperature !== undefined) body.temperature = req.temperature;
      if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
      if (req.seed !== undefined) body.seed = req.seed;
      if (req.responseFormat && this.structured === "json_schema")
        body.response_format = {
          type: "json_schema",
          json_schema: { name: req.responseFormat.name, schema: req.responseFormat.schema },
        };
      else if (req.responseFormat && this.structured === "json_object")
        body.response_format = { type: "json_object" };
      this.used.httpRequests++;
      let json: unknown;
      try {
        const r = await postJson(this.url, body, {
          ...this.retry,
          headers: this.headers,
          signal,
          limiter: this.limiter,
          onRetry: (attempt, reason) => {
            this.used.retries++;
            this.used.httpRequests++;
            this.onEvent?.({ kind: "retry", detail: `attempt ${attempt} failed: ${reason}` });
          },
        });
        json = r.json;
      } catch (e) {
        if (req.responseFormat && this.structured !== "none" && refusesFormat(e)) {
          const next: StructuredMode = this.structured === "json_schema" ? "json_object" : "none";
          this.onEvent?.({
            kind: "fallback",
            detail: `the server refused response_format ${this.structured}; using ${next}`,
          });
          this.structured = next;
          continue;
        }
        throw e;
      }
      const parsed = CompletionSchema.safeParse(json);
      if (!parsed.success)
        throw new LlmError(
          {
            where: this.url,
            what: `the answer is not an OpenAI chat completion (${parsed.error.issues[0]?.message ?? "no choices"})`,
            hint: "check that the base URL is an OpenAI-compatible API (it usually ends in /v1)",
          },
          200,
          1,
        );
      const u = parsed.data.usage;
      if (!u) this.used.usageMissing++;
      return {
        contents: parsed.data.choices.map((c) => c.message?.content ?? c.text ?? ""),
        usage: { promptTokens: u?.prompt_tokens ?? 0, completionTokens: u?.completion_tokens ?? 0 },
      };
    }
  }
}
