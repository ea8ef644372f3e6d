/** LLM clients behind one interface: an OpenAI-compatible server over HTTP, or a local GGUF file. */

/** The on-disk response cache. */
export { type CachedAnswer, canonicalJson, ResponseCache } from "./cache.js";
/** Endpoint, model and API key from options and the environment; a client for them. */
export {
  apiKeyFromEnv,
  type ClientOptions,
  checkBaseUrl,
  type EndpointOptions,
  type Env,
  LLM_ENV,
  openClient,
  type ResolvedEndpoint,
  resolveBaseUrls,
  resolveEndpoint,
} from "./endpoint.js";
/** An endpoint that cannot be reached, times out, refuses or answers garbage. */
export { LlmError } from "./errors.js";
/** The one place that speaks HTTP: JSON POSTs with timeouts, retries and a concurrency limit. */
export {
  DEFAULT_RETRY,
  type HttpAnswer,
  HttpStatusError,
  Limiter,
  type PostOptions,
  type PostResult,
  postForAnswer,
  postForStream,
  postJson,
  type RetryPolicy,
  type StreamAnswer,
  type StreamOptions,
} from "./http.js";
/** JSON out of model replies that are not pure JSON. */
export { type Extracted, extractJson } from "./json.js";
/** A local GGUF model through the optional node-llama-cpp package. */
export { type LocalClientOptions, LocalLlamaClient } from "./local.js";
/** The OpenAI-compatible chat-completions client. */
export { OpenAiClient, type OpenAiClientOptions, type StructuredMode } from "./openai.js";
/** Streamed answers put back together into the bodies the same requests return unstreamed. */
export {
  type AssembledCompletion,
  assembleChatCompletion,
  assembleTextCompletion,
  eventHasOutput,
} from "./stream.js";
/** Prompt token counts from a server's `/tokenize` endpoint. */
export { serverTokenCount, type TokenizeInput, tokenizeUrl } from "./tokenize.js";
/** Requests, results and usage accounting shared by the clients. */
export {
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  emptyUsage,
  type LlmClient,
  type LlmUsage,
  type PurposeUsage,
  type ResponseSchema,
  recordCall,
  snapshot,
  type TokenUsage,
  usageSince,
} from "./types.js";
