/**
 * `serving batch` as a library: a batch input file (OpenAI Batch API) run on OpenAI-compatible
 * endpoints, dispatched by a policy (dispatch/), results appended to the output file as they arrive.
 *
 * Pipeline: read and validate the input → read the results file (resume: requests already there
 * are skipped; a torn last line is dropped) → count prompt tokens (server `/tokenize`, else local)
 * → fit the length predictor (history file, plus the results already there) → plan (the dispatcher;
 * `prepareBatch` stops here for `--dry-run`) → execute: the dispatcher releases requests, each is
 * POSTed through `src/llm/http.ts` (streamed, to see its first token; retries with backoff on
 * 429/5xx and dropped connections), its result line is appended, and the dispatcher hears how long
 * the output was.
 *
 * Exactly once: a request's line is written when its answer is complete, never before, and a
 * request is sent again only by a later run that does not find its line. Interrupts: `signal`
 * stops dispatching; in-flight requests are then waited for (`onInterrupt: "wait"`) or cancelled
 * (`"cancel"`, or when `cancel` fires: a second Ctrl-C). Cancelled requests have no line, so a rerun
 * sends them; the file is valid either way.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AbortedError, MisuseError } from "../../errors/index.js";
import { LlmError } from "../../llm/errors.js";
import {
  type HttpAnswer,
  type PostOptions,
  postForAnswer,
  postForStream,
  type RetryPolicy,
} from "../../llm/http.js";
import { assembleChatCompletion, assembleTextCompletion, eventHasOutput } from "../../llm/stream.js";
import { fileReadError } from "../../util/files.js";
import type { OnProgress } from "../../util/progress.js";
import { readLengthHistory } from "../predict/history.js";
import { createPredictor, type PredictorSpec } from "../predict/spec.js";
import type { LengthPredictor, LengthSample } from "../predict/types.js";
import { builtinProfile, DEFAULT_PROFILE } from "../profile/load.js";
import type { Profile } from "../profile/schema.js";
import { createDispatcher } from "./dispatch/registry.js";
import type { Dispatcher, DispatchItem, DispatchPlan, Release } from "./dispatch/types.js";
import { type BatchOutputLine, isSuccess, usageOf } from "./format.js";
import { type BatchRequest, readBatchInput } from "./input.js";
import { type ExistingResults, parseResults, ResultsWriter } from "./results.js";
import { countPromptTokens, type TokenizerChoice, type TokenSource } from "./tokens.js";

/** Defaults of a batch run. */
export const BATCH_DEFAULTS = {
  policy: "hybrid",
  maxConcurrency: 64,
  predictor: { name: "buckets", params: {} } as PredictorSpec,
} as const;

/** Options of `prepareBatch` and `runBatch`. */
export interface BatchOptions {
  /** The batch input file (OpenAI Batch API JSONL). */
  input: string;
  /** The results file: appended to, resumed from when it exists. */
  out: string;
  /** OpenAI-style base URLs, one per server (e.g. `http://host:8000/v1`). */
  endpoints: string[];
  /** Dispatch policy (default hybrid) and its parameters. */
  policy?: string;
  policyParams?: Record<string, unknown>;
  /** Requests in flight per endpoint (default 64). */
  maxConcurrency?: number;
  /** Output-length predictor (default buckets). */
  predictor?: PredictorSpec;
  /** A trace or earlier results file to fit the predictor on. */
  history?: string;
  /** The time model behind work estimates and the release rule (default the shipped llama65b). */
  profile?: Profile;
  tokenizer?: TokenizerChoice;
  /** Stream answers (default true): the only way a client sees each request's first token. */
  stream?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Sent as `Authorization: Bearer …` (from the environment; see src/llm/endpoint.ts). */
  apiKey?: string;
  /** Start over: empty an existing results file instead of resuming. */
  restart?: boolean;
  /** Send again the requests whose results in the file are failures. */
  retryFailed?: boolean;
  /** What an interrupt does to requests in flight: wait for them (default) or cancel them. */
  onInterrupt?: "wait" | "cancel";
  /** Fires on the first Ctrl-C: stop dispatching. */
  signal?: AbortSignal;
  /** Fires on the second Ctrl-C: cancel the requests in flight. */
  cancel?: AbortSignal;
  onProgress?: OnProgress;
  /** Retries, notes and other things worth a log line. */
  onEvent?: (e: { kind: "retry" | "note"; detail: string }) => void;
  /** How errors name the options (e.g. the CLI's flags). */
  where?: { policy?: string; predictor?: string; history?: string };
}

/** A batch planned and ready to run: the requests left to send, the predictor and the dispatcher. */
export interface PreparedBatch {
  requests: BatchRequest[];
  existing: ExistingResults;
  /** Requests to send (not in the results file). */
  pending: BatchRequest[];
  items: DispatchItem[];
  predictor: LengthPredictor;
  predictorSpec: PredictorSpec;
  /** What the predictor was fitted on (to create a fresh one for the simulator's prediction). */
  predictorHistory: { samples: LengthSample[]; source: string | undefined };
  dispatcher: Dispatcher;
  profile: Profile;
  policy: string;
  policyParams: Record<string, unknown>;
  maxConcurrency: number;
  tokenSources: Record<TokenSource, number>;
  notes: string[];
  /** The plan before the first release. */
  plan: DispatchPlan;
}

/** What happened to one request sent in this run (times in seconds from the run's start). */
export interface BatchRecord {
  index: number;
  customId: string;
  endpoint: number;
  promptTokens: number;
  /** The prediction the plan used. */
  predictedOutputTokens: number;
  /** Output tokens of the answer (usage, else streamed chunks); null when unknown or failed. */
  outputTokens: number | null;
  releasedSeconds: number;
  /** First output token (streamed answers only). */
  firstTokenSeconds: number | null;
  finishedSeconds: number;
  status: "ok" | "http_error" | "error";
  statusCode: number | null;
  attempts: number;
}

/** The outcome of a run. */
export interface BatchRunResult {
  status: "completed" | "interrupted";
  prepared: PreparedBatch;
  endpoints: string[];
  /** One per request sent in this run and answered (or failed for good), in completion order. */
  records: BatchRecord[];
  /** In flight when the run was interrupted and cancelled (no line written; a rerun sends them). */
  cancelled: number;
  /** Not sent because the run was interrupted. */
  notSent: number;
  retries: number;
  /** Whether answers were streamed (TTFT known). */
  streamed: boolean;
  /** Seconds from the first release to the last answer. */
  wallSeconds: number;
}

const urlOf = (base: string, path: string) => (base.endsWith("/v1") ? base + path.slice(3) : base + path);

/** Sequences a request generates: `n` × the number of prompts. */
function sequencesOf(r: BatchRequest): number {
  const n = typeof r.body.n === "number" ? r.body.n : 1;
  const p = r.body.prompt;
  const prompts = Array.isArray(p) && p.length > 0 && typeof p[0] === "string" ? p.length : 1;
  return n * prompts;
}

async function existingResults(
  file: string,
  requests: BatchRequest[],
  restart: boolean,
): Promise<ExistingResults> {
  if (restart) return { lines: new Map(), droppedBytes: 0 };
  try {
    return parseResults(await readFile(file), file, requests);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { lines: new Map(), droppedBytes: 0 };
    if (e instanceof Error && "where" in e) throw e;
    throw fileReadError(file, e);
  }
}

function httpOptions(opts: BatchOptions): PostOptions {
  return {
    ...opts.retry,
    headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
    signal: opts.signal,
  };
}

/**
 * Reads the input and the results file (read-only), counts prompt tokens, fits the predictor and
 * plans: everything before the first request is sent (what `--dry-run` shows).
 */
export async function prepareBatch(opts: BatchOptions): Promise<PreparedBatch> {
  const where = opts.where ?? {};
  const requests = await readBatchInput(opts.input);
  const existing = await existingResults(opts.out, requests, !!opts.restart);
  const skip = (id: string) => {
    const l = existing.lines.get(id);
    return l !== undefined && !(opts.retryFailed && !isSuccess(l));
  };
  const pending = requests.filter((r) => !skip(r.customId));
  const notes: string[] = [];
  const profile = opts.profile ?? builtinProfile(DEFAULT_PROFILE);
  const spec = opts.predictor ?? BATCH_DEFAULTS.predictor;
  const history: LengthSample[] = [];
  let historySource: string | undefined;
  if (opts.history !== undefined) {
    const h = await readLengthHistory(opts.history);
    history.push(...h.samples);
    historySource = `${h.source} (${h.kind})`;
  }
  const done = [...existing.lines.values()].flatMap((l) => {
    const u = isSuccess(l) ? usageOf(l) : null;
    return u && u.completionTokens > 0
      ? [{ promptTokens: u.promptTokens, outputTokens: u.completionTokens }]
      : [];
  });
  if (done.length) {
    history.push(...done);
    historySource = historySource
      ? `${historySource} and ${done.length} earlier results`
      : `${done.length} earlier results in ${opts.out}`;
  }
  const predictor = createPredictor(spec, {
    history,
    historySource,
    truth: false,
    where: where.predictor,
  });
  const counts = await countPromptTokens(pending, {
    tokenizer: opts.tokenizer,
    endpoints: opts.endpoints,
    http: { ...httpOptions(opts), retries: 2 },
  });
  notes.push(...counts.notes);
  const items: DispatchItem[] = pending.map((r, k) => ({
    index: r.index,
    promptTokens: counts.tokens[k] ?? 1,
    maxTokens: r.maxTokens,
    sequences: sequencesOf(r),
  }));
  const policy = opts.policy ?? BATCH_DEFAULTS.policy;
  const maxConcurrency = opts.maxConcurrency ?? BATCH_DEFAULTS.maxConcurrency;
  const dispatcher = createDispatcher(
    policy,
    items,
    { endpoints: opts.endpoints.length, maxConcurrency, predictor, profile },
    opts.policyParams ?? {},
    where.policy,
  );
  return {
    requests,
    existing,
    pending,
    items,
    predictor,
    predictorSpec: spec,
    predictorHistory: { samples: history, source: historySource },
    dispatcher,
    profile,
    policy,
    policyParams: opts.policyParams ?? {},
    maxConcurrency,
    tokenSources: counts.sources,
    notes,
    plan: dispatcher.plan(),
  };
}

/** The output line of an HTTP answer. */
function responseLine(
  r: BatchRequest,
  status: number,
  body: unknown,
  requestId: string | null,
): BatchOutputLine {
  const bodyId = (body as { id?: unknown } | null)?.id;
  return {
    id: `batch_req_${randomUUID().replace(/-/g, "")}`,
    custom_id: r.customId,
    response: {
      status_code: status,
      request_id: requestId ?? (typeof bodyId === "string" ? bodyId : `frugal-${randomUUID()}`),
      body,
    },
    error: null,
  };
}

/** The output line of a request that never got an answer. */
function errorLine(r: BatchRequest, e: LlmError): BatchOutputLine {
  return {
    id: `batch_req_${randomUUID().replace(/-/g, "")}`,
    custom_id: r.customId,
    response: null,
    error: { code: e.status === null ? "connection_error" : "invalid_response", message: e.message },
  };
}

/** What one request's exchange produced. */
interface Exchange {
  line: BatchOutputLine;
  outputTokens: number | null;
  firstTokenAt: number | null;
  status: BatchRecord["status"];
  statusCode: number | null;
  attempts: number;
}

/** Runs a prepared batch (see the header). The results file is opened (and repaired) here. */
export async function runBatch(opts: BatchOptions, prepared?: PreparedBatch): Promise<BatchRunResult> {
  const p = prepared ?? (await prepareBatch(opts));
  const writer = await ResultsWriter.open(opts.out, p.requests, {
    restart: opts.restart,
    retryFailed: opts.retryFailed,
  });
  if (writer.existing.droppedBytes > 0)
    opts.onEvent?.({
      kind: "note",
      detail: `${opts.out}: dropped a torn last line (${writer.existing.droppedBytes} bytes) left by an interrupted run; its request is sent again`,
    });
  const byIndex = new Map(p.pending.map((r) => [r.index, r]));
  const itemOf = new Map(p.items.map((it) => [it.index, it]));
  const streamed = opts.stream !== false;
  const noStreamOptions = new Set<number>();
  const t0 = performance.now();
  const clock = () => (performance.now() - t0) / 1000;
  const records: BatchRecord[] = [];
  const inFlight = new Map<number, AbortController>();
  const http = httpOptions(opts);
  let retries = 0;
  let stopping = false;
  let cancelled = 0;
  let fatal: unknown = null;
  let wake: NodeJS.Timeout | null = null;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let failed = 0;
  const total = p.pending.length;

  const progress = () => {
    const done = records.length;
    const elapsed = clock();
    const eta = done > 0 && done < total ? (elapsed / done) * (total - done) : null;
    opts.onProgress?.({
      label: "batch",
      done,
      total,
      detail: `${failed} failed, ${inFlight.size} in flight${eta === null ? "" : `, ETA ${formatEta(eta)}`}`,
    });
  };

  const exchange = async (r: BatchRequest, endpoint: number, signal: AbortSignal): Promise<Exchange> => {
    const url = urlOf(opts.endpoints[endpoint] as string, r.url);
    const postOpts: PostOptions = {
      ...http,
      signal,
      onRetry: (attempt, reason) => {
        retries++;
        opts.onEvent?.({ kind: "retry", detail: `${r.customId}: attempt ${attempt} failed: ${reason}` });
      },
    };
    if (!streamed) {
      const a = await postForAnswer(url, r.body, postOpts);
      return fromAnswer(r, a);
    }
    for (;;) {
      const withOptions = !noStreamOptions.has(endpoint);
      const body: Record<string, unknown> = { ...r.body, stream: true };
      if (withOptions)
        body.stream_options = {
          ...((r.body.stream_options as object | undefined) ?? {}),
          include_usage: true,
        };
      let outputEvents = 0;
      const a = await postForStream(url, body, {
        ...postOpts,
        onAttempt: () => {
          outputEvents = 0;
        },
        onEvent: (ev, at) => {
          if (!eventHasOutput(ev)) return;
          outputEvents++;
          p.dispatcher.progress(r.index, outputEvents, (at - t0) / 1000);
        },
      });
      if (withOptions && a.status === 400 && /stream_options/i.test(a.text)) {
        noStreamOptions.add(endpoint);
        opts.onEvent?.({
          kind: "note",
          detail: `${opts.endpoints[endpoint]}: refuses stream_options; usage counted from the stream`,
        });
        continue;
      }
      if (!a.streamed) return fromAnswer(r, a);
      const assembled =
        r.url === "/v1/chat/completions"
          ? assembleChatCompletion(a.events)
          : assembleTextCompletion(a.events);
      const first =
        assembled.firstOutputEvent >= 0 ? (a.eventTimes[assembled.firstOutputEvent] ?? null) : null;
      return {
        line: responseLine(r, a.status, assembled.body, a.requestId),
        outputTokens: assembled.completionTokens > 0 ? assembled.completionTokens : null,
        firstTokenAt: first === null ? null : (first - t0) / 1000,
        status: "ok",
        statusCode: a.status,
        attempts: a.attempts,
      };
    }
  };

  const fromAnswer = (r: BatchRequest, a: HttpAnswer): Exchange => {
    const ok = a.status >= 200 && a.status < 300;
    const body = a.json ?? { error: { message: a.text.slice(0, 2000), type: "non_json_response" } };
    const u = ok
      ? usageOf({
          id: "",
          custom_id: r.customId,
          response: { status_code: a.status, request_id: "", body },
          error: null,
        })
      : null;
    return {
      line: responseLine(r, a.status, body, a.requestId),
      outputTokens: u && u.completionTokens > 0 ? u.completionTokens : null,
      firstTokenAt: null,
      status: ok ? "ok" : "http_error",
      statusCode: a.status,
      attempts: a.attempts,
    };
  };

  const settle = () => {
    if (inFlight.size === 0 && (stopping || p.dispatcher.pending() === 0)) finish();
  };

  const start = (rel: Release, releasedAt: number) => {
    const r = byIndex.get(rel.index) as BatchRequest;
    const ac = new AbortController();
    inFlight.set(rel.index, ac);
    exchange(r, rel.endpoint, opts.cancel ? AbortSignal.any([ac.signal, opts.cancel]) : ac.signal)
      .catch((e: unknown): Exchange => {
        if (e instanceof LlmError)
          return {
            line: errorLine(r, e),
            outputTokens: null,
            firstTokenAt: null,
            status: "error",
            statusCode: e.status,
            attempts: e.attempts,
          };
        throw e;
      })
      .then(async (x) => {
        await writer.append(x.line);
        const now = clock();
        if (x.status !== "ok") failed++;
        records.push({
          index: r.index,
          customId: r.customId,
          endpoint: rel.endpoint,
          promptTokens: itemOf.get(r.index)?.promptTokens ?? 0,
          predictedOutputTokens: p.dispatcher.predicted(r.index),
          outputTokens: x.outputTokens,
          releasedSeconds: releasedAt,
          firstTokenSeconds: x.firstTokenAt,
          finishedSeconds: now,
          status: x.status,
          statusCode: x.statusCode,
          attempts: x.attempts,
        });
        inFlight.delete(r.index);
        p.dispatcher.finished(r.index, x.status === "ok" ? x.outputTokens : null, now);
        progress();
        pump();
      })
      .catch((e: unknown) => {
        inFlight.delete(r.index);
        if (e instanceof AbortedError) cancelled++;
        else if (!fatal) {
          fatal = e;
          stop(true);
        }
        settle();
      });
  };

  const pump = () => {
    if (wake) {
      clearTimeout(wake);
      wake = null;
    }
    if (!stopping) {
      const now = clock();
      const releases = p.dispatcher.take(now);
      for (const rel of releases) start(rel, now);
      const at = p.dispatcher.wakeAt();
      if (at !== null) wake = setTimeout(pump, Math.max(1, (at - clock()) * 1000));
      else if (releases.length === 0 && inFlight.size === 0 && p.dispatcher.pending() > 0)
        fatal ??= new MisuseError({
          where: `dispatch policy ${p.policy}`,
          what: "released nothing with nothing in flight and requests left",
          hint: "this is a bug in the policy",
        });
    }
    settle();
  };

  const stop = (cancelInFlight: boolean) => {
    stopping = true;
    if (wake) clearTimeout(wake);
    if (cancelInFlight) for (const ac of inFlight.values()) ac.abort();
    settle();
  };
  const onStop = () => stop(opts.onInterrupt === "cancel");
  const onCancel = () => stop(true);
  opts.signal?.addEventListener("abort", onStop, { once: true });
  opts.cancel?.addEventListener("abort", onCancel, { once: true });
  try {
    if (opts.signal?.aborted) stopping = true;
    progress();
    pump();
    await finished;
  } finally {
    opts.signal?.removeEventListener("abort", onStop);
    opts.cancel?.removeEventListener("abort", onCancel);
    if (wake) clearTimeout(wake);
    await writer.close();
  }
  if (fatal) throw fatal;
  const interrupted = stopping && (p.dispatcher.pending() > 0 || cancelled > 0);
  return {
    status: interrupted ? "interrupted" : "completed",
    prepared: p,
    endpoints: opts.endpoints,
    records,
    cancelled,
    notSent: p.dispatcher.pending(),
    retries,
    streamed,
    wallSeconds: clock(),
  };
}

/** Seconds as `1h02m`, `3m12s` or `42s`. */
export function formatEta(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}
