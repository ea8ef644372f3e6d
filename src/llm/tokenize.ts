/**
 * Prompt token counts from the server that will run the prompt. vLLM serves `POST /tokenize` at the
 * server's root (not under `/v1`): `{model, prompt}` for a completion prompt, `{model, messages,
 * add_generation_prompt}` for a chat (the chat template applied), answering `{count, tokens,
 * max_model_len}` (vLLM `entrypoints/openai/api_server.py`, `TokenizeCompletionRequest` /
 * `TokenizeChatRequest`). llama.cpp's server answers the same path with `{tokens}`. Servers without
 * it answer 404; the caller then counts locally.
 */
import { LlmError } from "./errors.js";
import { type PostOptions, postForAnswer } from "./http.js";

/** The `/tokenize` URL of an OpenAI-style base URL: the root, i.e. without a trailing `/v1`. */
export function tokenizeUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/tokenize`;
}

/** What to tokenize: a completion prompt or chat messages, with the model they are for. */
export type TokenizeInput =
  | { model?: string; prompt: string }
  | { model?: string; messages: readonly unknown[] };

/**
 * The server's token count of `input`, or null when the server has no tokenizer endpoint (404, 405,
 * 501) or answers something that is not a count. Network failures and 5xx outliving the retries
 * throw LlmError.
 */
export async function serverTokenCount(
  baseUrl: string,
  input: TokenizeInput,
  opts: PostOptions = {},
): Promise<number | null> {
  const url = tokenizeUrl(baseUrl);
  const body = "messages" in input ? { ...input, add_generation_prompt: true } : { ...input };
  const a = await postForAnswer(url, body, opts);
  if (a.status === 404 || a.status === 405 || a.status === 501) return null;
  if (a.status >= 400 && a.status < 500) return null;
  if (a.status >= 500)
    throw new LlmError(
      { where: url, what: `the server answered HTTP ${a.status}`, hint: "check the server's logs" },
      a.status,
      a.attempts,
    );
  const j = a.json as { count?: unknown; tokens?: unknown } | null;
  if (typeof j?.count === "number" && Number.isInteger(j.count) && j.count >= 0) return j.count;
  if (Array.isArray(j?.tokens)) return j.tokens.length;
  return null;
}
