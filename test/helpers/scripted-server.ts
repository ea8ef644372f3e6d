/**
 * TEST DOUBLE at the edge this machine cannot reach (no LLM server runs here): a scripted
 * OpenAI-compatible chat-completions server, and a classifier endpoint, on 127.0.0.1. It speaks
 * real HTTP; each request is recorded and answered by the test's script: a completion, an HTTP
 * status, a garbage body, a dropped connection, or no answer at all. Nothing here ships.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A request as the server saw it. */
export interface Recorded {
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: a request body is whatever JSON the client sent
  body: any;
  /** `response_format.json_schema.name`, or null. */
  schema: string | null;
  /** `n` asked for (1 when absent). */
  n: number;
  /** The text of the last user message. */
  user: string;
  /** 0-based order of arrival. */
  index: number;
  /** The Authorization header, if any. */
  authorization: string | null;
}

export type Action =
  | {
      kind: "reply";
      contents: string[];
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
      delayMs?: number;
    }
  | { kind: "json"; body: unknown; delayMs?: number }
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "raw"; body: string }
  | { kind: "drop" }
  | { kind: "hang" };

export type Script = (req: Recorded) => Action;

export interface ScriptedServer {
  /** The OpenAI-style base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** The bare origin, `http://127.0.0.1:PORT`. */
  origin: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A chat completion body with `contents` as its choices. */
export function completion(
  contents: string[],
  usage: { prompt_tokens: number; completion_tokens: number } | null = {
    prompt_tokens: 100,
    completion_tokens: 20,
  },
): unknown {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    model: "scripted",
    choices: contents.map((c, index) => ({
      index,
      message: { role: "assistant", content: c },
      finish_reason: "stop",
    })),
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      let body: Recorded["body"] = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      const messages: { role: string; content: string }[] = Array.isArray(body?.messages)
        ? body.messages
        : [];
      const rec: Recorded = {
        path: req.url ?? "",
        body,
        schema: body?.response_format?.json_schema?.name ?? null,
        n: typeof body?.n === "number" ? body.n : 1,
        user: [...messages].reverse().find((m) => m.role === "user")?.content ?? "",
        index: requests.length,
        authorization: req.headers.authorization ?? null,
      };
      requests.push(rec);
      const a = script(rec);
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(text);
      };
      const later = (ms: number | undefined, f: () => void) => {
        if (!ms) return f();
        const t = setTimeout(() => {
          timers.delete(t);
          f();
        }, ms);
        timers.add(t);
      };
      switch (a.kind) {
        case "reply":
          return later(a.delayMs, () =>
            send(200, JSON.stringify(completion(a.contents, a.usage === undefined ? undefined : a.usage))),
          );
        case "json":
          return later(a.delayMs, () => send(200, JSON.stringify(a.body)));
        case "status":
          return send(
            a.status,
            a.body ?? JSON.stringify({ error: { message: `scripted ${a.status}` } }),
            a.headers,
          );
        case "raw":
          return send(200, a.body, { "content-type": "text/html" });
        case "drop":
          return req.socket.destroy();
        case "hang":
          return; // never answers; the socket is destroyed when the server closes
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
