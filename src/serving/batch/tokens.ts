/**
 * Prompt token counts of a batch's requests, which the planner's work estimates need before any
 * request is sent. In order of preference:
 * - `server`: the endpoint's own tokenizer (`POST /tokenize` at the server's root, as vLLM and
 *   llama.cpp serve it; chat prompts with the chat template applied) — exact for that model;
 * - `local`: LLaMA's SentencePiece tokenizer (`llama-tokenizer-js`, imported only when needed) on the
 *   text of the prompt (for chats: the message texts plus 4 tokens per message for the template);
 * - `characters`: ⌈characters / 4⌉ (OpenAI's rule of thumb for English text).
 * The result says which was used, for how many requests.
 */
import { LlmError } from "../../llm/errors.js";
import type { PostOptions } from "../../llm/http.js";
import { serverTokenCount, type TokenizeInput } from "../../llm/tokenize.js";
import type { BatchRequest } from "./input.js";

/** Where prompt token counts come from. */
export type TokenSource = "server" | "local" | "characters";

/** Which counter to use: the best available (`auto`), or one of them. */
export type TokenizerChoice = "auto" | TokenSource;

/** The counts (by request index) and how many requests each source counted. */
export interface PromptTokenCounts {
  tokens: Int32Array;
  /** Requests counted by each source. */
  sources: Record<TokenSource, number>;
  notes: string[];
}

/** Tokens a chat template adds per message (role markers, separators): an estimate for local counts. */
export const CHAT_TOKENS_PER_MESSAGE = 4;

/** The text of a chat message's content (a string, or the text parts of a content array). */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string"
          ? (p as { text: string }).text
          : "",
      )
      .join("\n");
  return "";
}

/** The prompt's texts (and token ids already given) of a request. */
function promptParts(r: BatchRequest): { texts: string[]; tokenIds: number; messages: number } {
  if (r.url === "/v1/chat/completions") {
    const messages = (r.body.messages as unknown[]) ?? [];
    return {
      texts: messages.map((m) => contentText((m as { content?: unknown } | null)?.content)),
      tokenIds: 0,
      messages: messages.length,
    };
  }
  const p = r.body.prompt;
  if (typeof p === "string") return { texts: [p], tokenIds: 0, messages: 0 };
  if (Array.isArray(p) && p.every((x) => typeof x === "number"))
    return { texts: [], tokenIds: p.length, messages: 0 };
  if (Array.isArray(p)) return { texts: p.map(String), tokenIds: 0, messages: 0 };
  return { texts: [], tokenIds: 0, messages: 0 };
}

/** ⌈characters / 4⌉ of the prompt (at least 1). */
export function characterEstimate(r: BatchRequest): number {
  const { texts, tokenIds, messages } = promptParts(r);
  const chars = texts.reduce((s, t) => s + t.length, 0);
  return Math.max(1, Math.ceil(chars / 4) + tokenIds + messages * CHAT_TOKENS_PER_MESSAGE);
}

type Encoder = (text: string) => number;

async function localEncoder(): Promise<Encoder | null> {
  try {
    const { default: tokenizer } = await import("llama-tokenizer-js");
    return (text) => tokenizer.encode(text, false, false).length;
  } catch {
    return null;
  }
}

function localCount(r: BatchRequest, encode: Encoder): number {
  const { texts, tokenIds, messages } = promptParts(r);
  let n = tokenIds + messages * CHAT_TOKENS_PER_MESSAGE + 1; // + BOS
  for (const t of texts) if (t) n += encode(t);
  return Math.max(1, n);
}

function tokenizeInput(r: BatchRequest): TokenizeInput | null {
  const model = typeof r.body.model === "string" ? r.body.model : undefined;
  if (r.url === "/v1/chat/completions") return { model, messages: (r.body.messages as unknown[]) ?? [] };
  if (typeof r.body.prompt === "string") return { model, prompt: r.body.prompt };
  return null; // token ids or several prompts: counted locally
}

/** Options of `countPromptTokens`. */
export interface CountOptions {
  /** Which counter (default auto: server, else local, else characters). */
  tokenizer?: TokenizerChoice;
  /** Base URLs of the servers; `/tokenize` requests are spread over them. */
  endpoints?: readonly string[];
  /** Headers, retries, cancellation for the `/tokenize` requests. */
  http?: PostOptions;
  /** `/tokenize` requests in flight at once (default 16). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Counts the prompt tokens of every request (see the header for the sources). */
export async function countPromptTokens(
  requests: readonly BatchRequest[],
  opts: CountOptions = {},
): Promise<PromptTokenCounts> {
  const choice = opts.tokenizer ?? "auto";
  const tokens = new Int32Array(requests.length);
  const sources: Record<TokenSource, number> = { server: 0, local: 0, characters: 0 };
  const notes: string[] = [];
  const todo = new Set<number>(requests.map((_, i) => i));
  const endpoints = opts.endpoints ?? [];
  if ((choice === "auto" || choice === "server") && endpoints.length > 0) {
    let supported = true;
    const probe = requests.find((r) => tokenizeInput(r) !== null);
    if (probe) {
      const failure: { what?: string } = {};
      const first = await serverTokenCount(endpoints[0] as string, tokenizeInput(probe) as TokenizeInput, {
        retries: 1,
        ...opts.http,
      }).catch((e) => {
        if (!(e instanceof LlmError)) throw e;
        failure.what = e.what;
        return null;
      });
      if (first === null) {
        supported = false;
        notes.push(
          failure.what
            ? `${endpoints[0]}: /tokenize failed (${failure.what}): prompt tokens counted locally`
            : `${endpoints[0]} has no /tokenize endpoint: prompt tokens counted locally`,
        );
      } else {
        tokens[probe.index] = first;
        sources.server++;
        todo.delete(probe.index);
      }
    } else supported = false;
    if (supported) {
      const queue = requests.filter((r) => todo.has(r.index) && tokenizeInput(r) !== null);
      let next = 0;
      let done = 0;
      let failures = 0;
      const worker = async (w: number) => {
        for (let k = next++; k < queue.length; k = next++) {
          const r = queue[k] as BatchRequest;
          const url = endpoints[(k + w) % endpoints.length] as string;
          const n = await serverTokenCount(url, tokenizeInput(r) as TokenizeInput, {
            retries: 2,
            ...opts.http,
          }).catch((e) => {
            if (e instanceof LlmError) return null;
            throw e;
          });
          if (n !== null) {
            tokens[r.index] = n;
            sources.server++;
            todo.delete(r.index);
          } else failures++;
          opts.onProgress?.(++done, queue.length);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(opts.concurrency ?? 16, queue.length) }, (_, w) => worker(w)),
      );
      if (failures) notes.push(`${failures} prompt(s) could not be tokenized by the server: counted locally`);
    }
  } else if (choice === "server") notes.push("no endpoint to ask for token counts: counted locally");
  if (todo.size && choice !== "characters") {
    const encode = await localEncoder();
    if (encode)
      for (const i of todo) {
        tokens[i] = localCount(requests[i] as BatchRequest, encode);
        sources.local++;
        todo.delete(i);
      }
    else notes.push("llama-tokenizer-js could not be loaded: prompt tokens estimated from characters");
  }
  for (const i of todo) {
    tokens[i] = characterEstimate(requests[i] as BatchRequest);
    sources.characters++;
  }
  return { tokens, sources, notes };
}

/** The sources as one phrase, e.g. "server /tokenize (998), local tokenizer (2)". */
export function tokenSourceText(s: Record<TokenSource, number>): string {
  const names: Record<TokenSource, string> = {
    server: "server /tokenize",
    local: "local LLaMA tokenizer",
    characters: "characters / 4",
  };
  return (Object.keys(names) as TokenSource[])
    .filter((k) => s[k] > 0)
    .map((k) => `${names[k]} (${s[k]})`)
    .join(", ");
}
