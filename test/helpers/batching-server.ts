/**
 * TEST DOUBLE at the edge this machine cannot reach (no GPU, no LLM server): an OpenAI-compatible
 * server on 127.0.0.1 that emulates continuous batching. It runs steps back to back while it has
 * work; a step admits waiting requests up to a batch limit, lasts
 *   a + b·(requests decoding) + c·(prompt tokens of the requests joining)   milliseconds,
 * and gives every request in it one token; a request ends with exactly `max_tokens` tokens
 * (`finish_reason: "length"`). That is the simulator's mixed-iteration time model (vLLM V1 with a
 * large token budget): α_p = α_d = a, β_d = b, β_p = c, so a run's makespan can be compared with
 * the simulator's prediction. Steps are scheduled on an absolute timeline (a step that the event
 * loop notices late still ends when it should have), so timer jitter does not accumulate.
 *
 * It speaks `/v1/chat/completions` and `/v1/completions` (streamed as server-sent events, with the
 * usage chunk when `stream_options.include_usage`, or as one JSON body) and vLLM's `POST /tokenize`;
 * prompt tokens are ⌈characters / 4⌉. A `fault` script can answer an attempt with an HTTP status,
 * drop the connection at once, or drop it in the middle of the stream. Nothing here ships.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A fault injected into one attempt. */
export type Fault =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "drop" }
  | { kind: "dropAfter"; tokens: number };

/** What the fault script sees of an attempt. */
export interface Attempt {
  /** The request's first user message or prompt (tests put the custom_id there). */
  key: string;
  /** 1-based attempt number of this key. */
  attempt: number;
  path: string;
}

/** Options of the emulator. */
export interface BatchingServerOptions {
  /** Fixed milliseconds per step (a). */
  stepMs: number;
  /** Milliseconds per decoding request in a step (b). */
  perRequestMs: number;
  /** Milliseconds per prompt token of a joining request (c, default 0). */
  perPromptTokenMs?: number;
  /** Requests in one step at most; the rest wait. */
  maxBatch: number;
  /** Serve `POST /tokenize` (default true). */
  tokenize?: boolean;
  /** Output tokens of a request without max_tokens (default 16). */
  defaultMaxTokens?: number;
  fault?: (a: Attempt) => Fault | null;
}

/** One request the emulator completed. */
export interface Served {
  key: string;
  path: string;
  promptTokens: number;
  tokens: number;
  stream: boolean;
  /** performance.now() when it arrived, joined a step, and got its last token. */
  arrivedAt: number;
  joinedAt: number;
  finishedAt: number;
}

/** A running emulator. */
export interface BatchingServer {
  /** OpenAI-style base URL `http://127.0.0.1:PORT/v1`. */
  url: string;
  served: Served[];
  /** Attempts per key (faulted ones included). */
  attempts: Map<string, number>;
  /** Most requests open at once (in a step or waiting). */
  maxOpen: number;
  /** Most requests in one step. */
  maxInStep: number;
  /** performance.now() of the first arrival and of the last completion. */
  firstArrival: number;
  lastFinish: number;
  close(): Promise<void>;
}

interface Live {
  key: string;
  path: string;
  promptTokens: number;
  maxTokens: number;
  tokens: number;
  stream: boolean;
  usage: boolean;
  chat: boolean;
  dropAfter: number | null;
  res: ServerResponse;
  req: IncomingMessage;
  arrivedAt: number;
  joinedAt: number;
  id: string;
}

/** ⌈characters / 4⌉ of a prompt or of the messages' contents (at least 1). */
export function emulatedPromptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  if (Array.isArray(body.messages))
    for (const m of body.messages) chars += String((m as { content?: unknown })?.content ?? "").length;
  else chars = String(body.prompt ?? "").length;
  return Math.max(1, Math.ceil(chars / 4));
}

function keyOf(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages)) {
    const user = [...body.messages].reverse().find((m) => (m as { role?: string })?.role === "user") as
      | { content?: unknown }
      | undefined;
    return String(user?.content ?? "");
  }
  return String(body.prompt ?? "");
}

export async function startBatchingServer(opts: BatchingServerOptions): Promise<BatchingServer> {
  const waiting: Live[] = [];
  let active: Live[] = [];
  const sockets = new Set<Socket>();
  const state: BatchingServer = {
    url: "",
    served: [],
    attempts: new Map(),
    maxOpen: 0,
    maxInStep: 0,
    firstArrival: Number.POSITIVE_INFINITY,
    lastFinish: 0,
    close: async () => undefined,
  };
  let timer: NodeJS.Timeout | null = null;
  /** Planned end of the running step (performance.now() ms), or null when idle. */
  let stepEnd: number | null = null;
  let ids = 0;

  const chunk = (l: Live, delta: string | null, finish: string | null) =>
    l.chat
      ? {
          id: l.id,
          object: "chat.completion.chunk",
          created: 0,
          model: "emulated",
          choices: [
            {
              index: 0,
              delta:
                delta === null
                  ? {}
                  : l.tokens === 1
                    ? { role: "assistant", content: delta }
                    : { content: delta },
              finish_reason: finish,
            },
          ],
        }
      : {
          id: l.id,
          object: "text_completion",
          created: 0,
          model: "emulated",
          choices: [{ index: 0, text: delta ?? "", finish_reason: finish }],
        };
  const usage = (l: Live) => ({
    prompt_tokens: l.promptTokens,
    completion_tokens: l.tokens,
    total_tokens: l.promptTokens + l.tokens,
  });
  const sse = (l: Live, v: unknown) =>
    l.res.write(`data: ${typeof v === "string" ? v : JSON.stringify(v)}\n\n`);

  const complete = (l: Live, at: number) => {
    if (l.stream) {
      sse(l, chunk(l, null, "length"));
      if (l.usage)
        sse(l, {
          id: l.id,
          object: l.chat ? "chat.completion.chunk" : "text_completion",
          choices: [],
          usage: usage(l),
        });
      sse(l, "[DONE]");
      l.res.end();
    } else {
      const text = Array.from({ length: l.tokens }, () => "tok ").join("");
      const body = l.chat
        ? {
            id: l.id,
            object: "chat.completion",
            created: 0,
            model: "emulated",
            choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "length" }],
            usage: usage(l),
          }
        : {
            id: l.id,
            object: "text_completion",
            created: 0,
            model: "emulated",
            choices: [{ index: 0, text, finish_reason: "length" }],
            usage: usage(l),
          };
      l.res.writeHead(200, { "content-type": "application/json", "x-request-id": l.id });
      l.res.end(JSON.stringify(body));
    }
    state.served.push({
      key: l.key,
      path: l.path,
      promptTokens: l.promptTokens,
      tokens: l.tokens,
      stream: l.stream,
      arrivedAt: l.arrivedAt,
      joinedAt: l.joinedAt,
      finishedAt: at,
    });
    state.lastFinish = Math.max(state.lastFinish, at);
  };

  /** Starts a step at `at` (ms) if there is work: admits waiting requests, plans its end. */
  const startStep = (at: number) => {
    const joining: Live[] = [];
    while (active.length < opts.maxBatch && waiting.length) {
      const l = waiting.shift() as Live;
      l.joinedAt = at;
      joining.push(l);
      active.push(l);
    }
    if (active.length === 0) {
      stepEnd = null;
      return;
    }
    state.maxInStep = Math.max(state.maxInStep, active.length);
    const decoding = active.length - joining.length;
    const prompt = joining.reduce((s, l) => s + l.promptTokens, 0);
    stepEnd = at + opts.stepMs + opts.perRequestMs * decoding + (opts.perPromptTokenMs ?? 0) * prompt;
    timer = setTimeout(endStep, Math.max(0, stepEnd - performance.now()));
  };

  const endStep = () => {
    timer = null;
    const at = stepEnd as number;
    const still: Live[] = [];
    for (const l of active) {
      if (l.res.destroyed || l.req.socket.destroyed) continue; // the client went away: its slot frees
      l.tokens++;
      if (l.stream) {
        if (l.tokens === 1)
          l.res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": l.id });
        if (l.dropAfter !== null && l.tokens >= l.dropAfter) {
          l.req.socket.destroy();
          continue;
        }
        sse(l, chunk(l, "tok ", null));
      }
      if (l.tokens >= l.maxTokens) complete(l, at);
      else still.push(l);
    }
    active = still;
    startStep(at);
  };

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const path = req.url ?? "";
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { message: "not JSON" } }));
      }
      if (path === "/tokenize") {
        if (opts.tokenize === false) {
          res.writeHead(404, { "content-type": "application/json" });
          return res.end(JSON.stringify({ detail: "Not Found" }));
        }
        const count = emulatedPromptTokens(body);
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            count,
            max_model_len: 1 << 20,
            tokens: Array.from({ length: count }, (_, i) => i),
          }),
        );
      }
      if (path !== "/v1/chat/completions" && path !== "/v1/completions") {
        res.writeHead(404, { "content-type": "application/json" });
        return res.end(JSON.stringify({ detail: "Not Found" }));
      }
      const key = keyOf(body);
      const attempt = (state.attempts.get(key) ?? 0) + 1;
      state.attempts.set(key, attempt);
      const fault = opts.fault?.({ key, attempt, path }) ?? null;
      if (fault?.kind === "status") {
        res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
        return res.end(fault.body ?? JSON.stringify({ error: { message: `emulated ${fault.status}` } }));
      }
      if (fault?.kind === "drop") return req.socket.destroy();
      const now = performance.now();
      state.firstArrival = Math.min(state.firstArrival, now);
      const l: Live = {
        key,
        path,
        promptTokens: emulatedPromptTokens(body),
        maxTokens: Number(body.max_tokens ?? body.max_completion_tokens ?? opts.defaultMaxTokens ?? 16),
        tokens: 0,
        stream: body.stream === true,
        usage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
        chat: path === "/v1/chat/completions",
        dropAfter: fault?.kind === "dropAfter" ? fault.tokens : null,
        res,
        req,
        arrivedAt: now,
        joinedAt: -1,
        id: `emu-${++ids}`,
      };
      waiting.push(l);
      state.maxOpen = Math.max(state.maxOpen, waiting.length + active.length);
      if (stepEnd === null) startStep(now);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      if (timer) clearTimeout(timer);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
