/**
 * Where an LLM lives: an OpenAI-style base URL (or a local GGUF file) and a model name, from the
 * caller's options, else the environment; the API key only from the environment (never a flag,
 * so it does not show in shell history or process listings). `formulate` and `serving batch`
 * resolve their endpoints here and open clients with `openClient`.
 */
import { existsSync } from "node:fs";
import { UsageError } from "../errors/index.js";
import { LocalLlamaClient } from "./local.js";
import { OpenAiClient, type OpenAiClientOptions } from "./openai.js";
import type { LlmClient } from "./types.js";

/** Environment variables read, first set one wins. */
export const LLM_ENV = {
  url: ["FRUGAL_LLM_URL", "OPENAI_BASE_URL"],
  model: ["FRUGAL_LLM_MODEL", "OPENAI_MODEL"],
  key: ["FRUGAL_LLM_API_KEY", "OPENAI_API_KEY"],
} as const;

/** The environment the resolution reads (the process's by default). */
export type Env = Readonly<Record<string, string | undefined>>;

const fromEnv = (names: readonly string[], env: Env) =>
  names.map((n) => env[n]).find((v) => v !== undefined && v !== "");

/** The API key from the environment (FRUGAL_LLM_API_KEY, else OPENAI_API_KEY), if set. */
export function apiKeyFromEnv(env: Env = process.env): string | undefined {
  return fromEnv(LLM_ENV.key, env);
}

/** A resolved endpoint: the URL or GGUF file, the model, the key from the environment. */
export interface ResolvedEndpoint {
  endpoint: string;
  model: string;
  apiKey?: string;
  /** A GGUF file run in-process (node-llama-cpp), not a server. */
  local: boolean;
}

/** What `resolveEndpoint` reads besides the environment. */
export interface EndpointOptions {
  /** A base URL or a .gguf file; default the environment's FRUGAL_LLM_URL / OPENAI_BASE_URL. */
  url?: string;
  /** The model's name on the server; default FRUGAL_LLM_MODEL / OPENAI_MODEL (a GGUF file names itself). */
  model?: string;
  /** How errors name the two options (e.g. the CLI's flags); default "url" and "model". */
  where?: { url?: string; model?: string };
  env?: Env;
}

/** "pass --flag " for a flag, "give " otherwise (the library never names a flag itself). */
const pass = (where: string) => (where.startsWith("--") ? `pass ${where} ` : "give ");

const URL_HINT = "give the server's OpenAI-style base URL, e.g. http://localhost:8000/v1";

/**
 * Checks that `url` is an http(s) URL and returns it without trailing slashes; a UsageError naming
 * `where` otherwise.
 */
export function checkBaseUrl(url: string, where = "url"): string {
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:"))
    throw new UsageError({ where, what: `${JSON.stringify(url)} is not an http(s) URL`, hint: URL_HINT });
  return url.replace(/\/+$/, "");
}

/** The endpoint and model from the options, else the environment; the API key only from the environment. */
export function resolveEndpoint(opts: EndpointOptions = {}): ResolvedEndpoint {
  const env = opts.env ?? process.env;
  const whereUrl = opts.where?.url ?? "url";
  const whereModel = opts.where?.model ?? "model";
  const endpoint = opts.url ?? fromEnv(LLM_ENV.url, env);
  if (!endpoint)
    throw new UsageError({
      where: whereUrl,
      what: "no LLM endpoint given",
      hint: `${pass(whereUrl)}http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama) or a .gguf file, or set ${LLM_ENV.url[0]}`,
    });
  const local = /\.gguf$/i.test(endpoint);
  if (!local && !/^https?:\/\//.test(endpoint))
    throw new UsageError({
      where: whereUrl,
      what: `${JSON.stringify(endpoint)} is not an http(s) URL or a .gguf file`,
      hint: URL_HINT,
    });
  if (local && !existsSync(endpoint))
    throw new UsageError({
      where: whereUrl,
      what: `${endpoint}: no such file`,
      hint: "give the path of a GGUF model file",
    });
  const model = opts.model ?? fromEnv(LLM_ENV.model, env) ?? (local ? endpoint : undefined);
  if (!model)
    throw new UsageError({
      where: whereModel,
      what: "no model name given",
      hint: `${pass(whereModel)}NAME (as the server knows it) or set ${LLM_ENV.model[0]}`,
    });
  return { endpoint, model, apiKey: apiKeyFromEnv(env), local };
}

/**
 * The base URLs of a set of servers: the given ones (each checked), else the environment's
 * FRUGAL_LLM_URL / OPENAI_BASE_URL (comma-separated for several). Duplicates are an error.
 */
export function resolveBaseUrls(urls: readonly string[], where = "url", env: Env = process.env): string[] {
  const given = urls.length
    ? [...urls]
    : (fromEnv(LLM_ENV.url, env)
        ?.split(",")
        .map((s) => s.trim()) ?? []);
  if (given.length === 0)
    throw new UsageError({
      where,
      what: "no endpoint given",
      hint: `give an OpenAI-style base URL such as http://host:8000/v1 (repeat for several servers), or set ${LLM_ENV.url[0]}`,
    });
  const out = given.map((u) => checkBaseUrl(u, where));
  const seen = new Set<string>();
  for (const u of out) {
    if (seen.has(u))
      throw new UsageError({ where, what: `${u} is given twice`, hint: "give each server once" });
    seen.add(u);
  }
  return out;
}

/** Options of `openClient` besides the endpoint (OpenAI-compatible servers only). */
export type ClientOptions = Omit<OpenAiClientOptions, "baseUrl" | "model" | "apiKey">;

/** A client for a resolved endpoint: an OpenAI-compatible server, or a local GGUF model. */
export async function openClient(e: ResolvedEndpoint, opts: ClientOptions = {}): Promise<LlmClient> {
  if (e.local) return LocalLlamaClient.open(e.endpoint);
  return new OpenAiClient({ ...opts, baseUrl: e.endpoint, model: e.model, apiKey: e.apiKey });
}
