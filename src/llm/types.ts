/** The interface every LLM client implements, and the accounting it keeps. */

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A JSON Schema the reply must follow (OpenAI `response_format: {type: "json_schema"}`). */
export interface ResponseSchema {
  name: string;
  schema: Record<string, unknown>;
}

/** One request to a chat model. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Completions wanted (default 1). Servers that ignore `n` are asked again for the rest. */
  n?: number;
  temperature?: number;
  maxTokens?: number;
  /** Ask for structured output following this schema, where the server supports it. */
  responseFormat?: ResponseSchema;
  seed?: number;
  /** What the call is for, for the accounting: `policy`, `repair`, `prm`, `preference` … */
  purpose: string;
  /**
   * Part of the cache key only (never sent): distinguishes requests that are otherwise identical,
   * e.g. the position of a node in the search tree, so each gets its own sample and a resumed run
   * gets the same one back.
   */
  cacheKey?: string;
}

/** Prompt and completion tokens of a call. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** The completions of one request. */
export interface ChatResult {
  /** One text per completion (`n` of them). */
  contents: string[];
  usage: TokenUsage;
  /** Whether the answer came from the on-disk cache. */
  cached: boolean;
}

/** Calls, samples and tokens of one purpose. */
export interface PurposeUsage {
  calls: number;
  samples: number;
  promptTokens: number;
  completionTokens: number;
}

/** What a client has spent so far. */
export interface LlmUsage {
  /** `complete` calls (each may ask for several samples). */
  calls: number;
  /** Completions returned. */
  samples: number;
  /** HTTP requests made (cache hits make none; retries and `n` top-ups make more). */
  httpRequests: number;
  cacheHits: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
  /** Answers without a `usage` record (their tokens are not counted). */
  usageMissing: number;
  byPurpose: Record<string, PurposeUsage>;
}

/** An LLM behind one interface: an OpenAI-compatible server, or a local GGUF model. */
export interface LlmClient {
  /** E.g. `http://localhost:8000/v1` or the GGUF file. */
  readonly endpoint: string;
  readonly model: string;
  complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult>;
  usage(): LlmUsage;
}

/** An empty usage record. */
export function emptyUsage(): LlmUsage {
  return {
    calls: 0,
    samples: 0,
    httpRequests: 0,
    cacheHits: 0,
    retries: 0,
    promptTokens: 0,
    completionTokens: 0,
    usageMissing: 0,
    byPurpose: {},
  };
}

/** Adds one call's result to a usage record. */
export function recordCall(u: LlmUsage, purpose: string, samples: number, usage: TokenUsage): void {
  u.calls++;
  u.samples += samples;
  u.promptTokens += usage.promptTokens;
  u.completionTokens += usage.completionTokens;
  const p = u.byPurpose[purpose] ?? { calls: 0, samples: 0, promptTokens: 0, completionTokens: 0 };
  u.byPurpose[purpose] = p;
  p.calls++;
  p.samples += samples;
  p.promptTokens += usage.promptTokens;
  p.completionTokens += usage.completionTokens;
}

/** The difference of two usage records (what happened between two snapshots). */
export function usageSince(now: LlmUsage, before: LlmUsage): LlmUsage {
  const out = emptyUsage();
  for (const k of [
    "calls",
    "samples",
    "httpRequests",
    "cacheHits",
    "retries",
    "promptTokens",
    "completionTokens",
    "usageMissing",
  ] as const)
    out[k] = now[k] - before[k];
  for (const [name, p] of Object.entries(now.byPurpose)) {
    const b = before.byPurpose[name];
    out.byPurpose[name] = {
      calls: p.calls - (b?.calls ?? 0),
      samples: p.samples - (b?.samples ?? 0),
      promptTokens: p.promptTokens - (b?.promptTokens ?? 0),
      completionTokens: p.completionTokens - (b?.completionTokens ?? 0),
    };
  }
  return out;
}

/** A deep copy of a usage record. */
export function snapshot(u: LlmUsage): LlmUsage {
  return structuredClone(u);
}
