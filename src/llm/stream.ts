/**
 * Streamed OpenAI answers put back together: the `chat.completion.chunk` events of
 * `/v1/chat/completions` with `stream: true` become the `chat.completion` the same request
 * without streaming returns (message content, reasoning content, tool calls, log-probabilities,
 * finish reason, usage), and `text_completion` chunks of `/v1/completions` become one
 * `text_completion`. Streaming is how a client sees the first token (TTFT) of a request whose
 * answer it still wants whole. Format: https://platform.openai.com/docs/api-reference/chat-streaming
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

interface ToolCallAcc {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChatChoiceAcc {
  role: string;
  content: string | null;
  reasoning: string | null;
  toolCalls: Map<number, ToolCallAcc>;
  logprobs: unknown[] | null;
  finishReason: unknown;
  /** Events that carried content for this choice (≈ tokens when the server sends one per event). */
  contentEvents: number;
}

interface TextChoiceAcc {
  text: string;
  logprobs: {
    tokens: unknown[];
    token_logprobs: unknown[];
    top_logprobs: unknown[];
    text_offset: unknown[];
  } | null;
  finishReason: unknown;
  contentEvents: number;
}

/** A streamed answer assembled, with what the events said about its length. */
export interface AssembledCompletion {
  /** The body the request would have returned without streaming. */
  body: Json;
  /** Index of the first event that carried output (content, reasoning, a tool call or text); −1 if none. */
  firstOutputEvent: number;
  /** `usage.completion_tokens` when the server sent usage, else the number of events with output. */
  completionTokens: number;
  /** Whether `completionTokens` came from the server's usage record. */
  usageReported: boolean;
}

/** The head fields every chunk repeats (id, created, model, system_fingerprint), from the first that has them. */
function head(events: readonly unknown[]): Json {
  const out: Json = {};
  for (const e of events) {
    if (!isObject(e)) continue;
    for (const k of ["id", "created", "model", "system_fingerprint"])
      if (out[k] === undefined && e[k] !== undefined && e[k] !== null) out[k] = e[k];
  }
  return out;
}

function usageOf(events: readonly unknown[]): Json | null {
  let u: Json | null = null;
  for (const e of events) if (isObject(e) && isObject(e.usage)) u = e.usage;
  return u;
}

/** The `chat.completion` body of a streamed chat answer. */
export function assembleChatCompletion(events: readonly unknown[]): AssembledCompletion {
  const choices = new Map<number, ChatChoiceAcc>();
  let first = -1;
  for (const [k, e] of events.entries()) {
    if (!isObject(e) || !Array.isArray(e.choices)) continue;
    for (const c of e.choices) {
      if (!isObject(c)) continue;
      const index = typeof c.index === "number" ? c.index : 0;
      let acc = choices.get(index);
      if (!acc) {
        acc = {
          role: "assistant",
          content: null,
          reasoning: null,
          toolCalls: new Map(),
          logprobs: null,
          finishReason: null,
          contentEvents: 0,
        };
        choices.set(index, acc);
      }
      const d = isObject(c.delta) ? c.delta : {};
      if (str(d.role)) acc.role = d.role as string;
      let output = false;
      const content = str(d.content);
      if (content !== undefined && content !== "") {
        acc.content = (acc.content ?? "") + content;
        output = true;
      } else if (content === "" && acc.content === null) acc.content = "";
      const reasoning = str(d.reasoning_content) ?? str(d.reasoning);
      if (reasoning) {
        acc.reasoning = (acc.reasoning ?? "") + reasoning;
        output = true;
      }
      if (Array.isArray(d.tool_calls))
        for (const t of d.tool_calls) {
          if (!isObject(t)) continue;
          const ti = typeof t.index === "number" ? t.index : acc.toolCalls.size;
          const call = acc.toolCalls.get(ti) ?? { name: "", arguments: "" };
          if (str(t.id)) call.id = t.id as string;
          if (str(t.type)) call.type = t.type as string;
          const f = isObject(t.function) ? t.function : {};
          call.name += str(f.name) ?? "";
          call.arguments += str(f.arguments) ?? "";
          acc.toolCalls.set(ti, call);
          output = true;
        }
      if (isObject(c.logprobs) && Array.isArray(c.logprobs.content))
        acc.logprobs = [...(acc.logprobs ?? []), ...c.logprobs.content];
      if (c.finish_reason !== undefined && c.finish_reason !== null) acc.finishReason = c.finish_reason;
      if (output) {
        acc.contentEvents++;
        if (first < 0) first = k;
      }
    }
  }
  const usage = usageOf(events);
  const out = [...choices.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, a]) => {
      const message: Json = { role: a.role, content: a.content };
      if (a.reasoning !== null) message.reasoning_content = a.reasoning;
      if (a.toolCalls.size)
        message.tool_calls = [...a.toolCalls.entries()]
          .sort(([x], [y]) => x - y)
          .map(([, t]) => ({
            id: t.id ?? null,
            type: t.type ?? "function",
            function: { name: t.name, arguments: t.arguments },
          }));
      return {
        index,
        message,
        logprobs: a.logprobs === null ? null : { content: a.logprobs },
        finish_reason: a.finishReason,
      };
    });
  return assembled(
    { ...head(events), object: "chat.completion", choices: out },
    usage,
    choices.values(),
    first,
  );
}

/** The `text_completion` body of a streamed `/v1/completions` answer. */
export function assembleTextCompletion(events: readonly unknown[]): AssembledCompletion {
  const choices = new Map<number, TextChoiceAcc>();
  let first = -1;
  for (const [k, e] of events.entries()) {
    if (!isObject(e) || !Array.isArray(e.choices)) continue;
    for (const c of e.choices) {
      if (!isObject(c)) continue;
      const index = typeof c.index === "number" ? c.index : 0;
      const acc = choices.get(index) ?? { text: "", logprobs: null, finishReason: null, contentEvents: 0 };
      choices.set(index, acc);
      const text = str(c.text);
      if (text) {
        acc.text += text;
        acc.contentEvents++;
        if (first < 0) first = k;
      }
      const lp = c.logprobs;
      if (isObject(lp)) {
        const l = acc.logprobs ?? { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
        for (const key of ["tokens", "token_logprobs", "top_logprobs", "text_offset"] as const) {
          const v = lp[key];
          if (Array.isArray(v)) l[key].push(...v);
        }
        acc.logprobs = l;
      }
      if (c.finish_reason !== undefined && c.finish_reason !== null) acc.finishReason = c.finish_reason;
    }
  }
  const usage = usageOf(events);
  const out = [...choices.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, a]) => ({ index, text: a.text, logprobs: a.logprobs, finish_reason: a.finishReason }));
  return assembled(
    { ...head(events), object: "text_completion", choices: out },
    usage,
    choices.values(),
    first,
  );
}

/**
 * The assembled answer: the body with the usage the server reported, and the completion tokens
 * from that usage, else counted as the events that carried content.
 */
function assembled(
  body: Json,
  usage: ReturnType<typeof usageOf>,
  choices: Iterable<{ contentEvents: number }>,
  first: number,
): AssembledCompletion {
  if (usage) body.usage = usage;
  let counted = 0;
  for (const a of choices) counted += a.contentEvents;
  const reported = typeof usage?.completion_tokens === "number";
  return {
    body,
    firstOutputEvent: first,
    completionTokens: reported ? (usage?.completion_tokens as number) : counted,
    usageReported: reported,
  };
}

/** Whether a streamed chunk (chat or text completion) carries output: content, reasoning, a tool call or text. */
export function eventHasOutput(ev: unknown): boolean {
  if (!isObject(ev) || !Array.isArray(ev.choices)) return false;
  for (const c of ev.choices) {
    if (!isObject(c)) continue;
    if (typeof c.text === "string" && c.text !== "") return true;
    const d = c.delta;
    if (!isObject(d)) continue;
    if ((typeof d.content === "string" && d.content !== "") || str(d.reasoning_content) || str(d.reasoning))
      return true;
    if (Array.isArray(d.tool_calls) && d.tool_calls.length > 0) return true;
  }
  return false;
}
