/**
 * Trace readers: CSV (a header naming arrival / prompt / output columns), the Azure LLM inference
 * trace 2023 format as published (`TIMESTAMP,ContextTokens,GeneratedTokens`, timestamps as
 * `YYYY-MM-DD hh:mm:ss.fffffff`, made relative to the first row), and JSONL (one object per line
 * with the same keys). Every bad row is reported with its file and 1-based line number.
 */
import { checkText, parseCsv, textExcerpt } from "../../util/csv.js";
import { TraceError } from "../errors.js";
import { SERVING_LIMITS, tokenCountProblem } from "../limits.js";
import { normalizeTrace, type Request, type Trace } from "./types.js";

const ARRIVAL_KEYS = [
  "arrival",
  "arrivals",
  "arrivalseconds",
  "arrivals_s",
  "arrivaltime",
  "timestamp",
  "time",
  "t",
];
const PROMPT_KEYS = [
  "prompttokens",
  "prompt",
  "inputtokens",
  "input",
  "contexttokens",
  "context",
  "prompt_len",
];
const OUTPUT_KEYS = [
  "outputtokens",
  "output",
  "generatedtokens",
  "generated",
  "completiontokens",
  "output_len",
];

const canon = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, "");

function findKey(keys: string[], wanted: string[]): number {
  const c = keys.map(canon);
  for (const w of wanted.map(canon)) {
    const i = c.indexOf(w);
    if (i >= 0) return i;
  }
  return -1;
}

/** `2023-11-16 18:15:46.6805900` (or ISO with T/Z) → seconds since the epoch, or NaN. */
export function parseTimestamp(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)Z?$/.exec(s.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, sec] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, 0) / 1000 + (sec ?? 0);
}

function parseArrival(raw: string, file: string, line: number): number {
  const t = raw.trim();
  const n = t === "" ? Number.NaN : Number(t);
  if (Number.isFinite(n)) {
    if (n < 0) throw rowError(file, line, `arrival ${t} is negative`, "arrivals are seconds ≥ 0");
    return n;
  }
  const ts = parseTimestamp(t);
  if (Number.isFinite(ts)) return ts;
  throw rowError(
    file,
    line,
    `arrival ${textExcerpt(t)} is not a number of seconds or a timestamp`,
    "use seconds or YYYY-MM-DD hh:mm:ss.fff",
  );
}

function parseTokens(
  raw: unknown,
  column: string,
  kind: "prompt" | "output",
  file: string,
  line: number,
): number {
  const what = textExcerpt(column, 30).slice(1, -1);
  const n =
    typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  if (Number.isNaN(n))
    throw rowError(
      file,
      line,
      `${what} ${textExcerpt(String(raw))} is not a number`,
      "give a positive integer",
    );
  const max = kind === "output" ? SERVING_LIMITS.outputTokens : SERVING_LIMITS.promptTokens;
  const problem = tokenCountProblem(what, n, max);
  if (problem === null) return n;
  const hint =
    n > max
      ? `the simulator accepts up to ${max.toLocaleString("en-US")} ${kind} tokens per request`
      : n <= 0
        ? "every request needs ≥ 1 prompt and ≥ 1 output token"
        : "give a positive integer";
  throw rowError(file, line, problem, hint);
}

function rowError(file: string, line: number, what: string, hint: string): TraceError {
  return new TraceError({ where: `${file}: line ${line}`, what, hint });
}

function finish(name: string, file: string, reqs: Request[], anyTimestamp: boolean): Trace {
  if (reqs.length === 0)
    throw new TraceError({
      where: file,
      what: "the trace has no requests",
      hint: "give a file with at least one data row",
    });
  if (reqs.length > SERVING_LIMITS.requests)
    throw new TraceError({
      where: file,
      what: `${reqs.length.toLocaleString("en-US")} requests, above the limit of ${SERVING_LIMITS.requests.toLocaleString("en-US")}`,
      hint: "simulate a subset of the trace",
    });
  if (anyTimestamp || reqs.some((r) => r.arrival > 1e8)) {
    // Absolute timestamps: make relative to the earliest arrival.
    const t0 = Math.min(...reqs.map((r) => r.arrival));
    for (const r of reqs) r.arrival = Math.round((r.arrival - t0) * 1e7) / 1e7;
  }
  return normalizeTrace(name, file, reqs, true);
}

/** Parses CSV text (with header). Columns found by name; the Azure 2023 header is recognised as is. */
export function parseCsvTrace(text: string, file = "trace.csv", name = file): Trace {
  const [head, ...rows] = parseCsv(text, { file, error: TraceError });
  if (!head)
    throw new TraceError({
      where: file,
      what: "the trace is empty",
      hint: "give a CSV with a header and at least one row",
    });
  const header = head.fields.map((s) => s.trim());
  const ia = findKey(header, ARRIVAL_KEYS);
  const ip = findKey(header, PROMPT_KEYS);
  const io = findKey(header, OUTPUT_KEYS);
  if (ip < 0 || io < 0)
    throw new TraceError({
      where: `${file}: line ${head.line}`,
      what: `header ${textExcerpt(header.join(","), 80)} names no ${ip < 0 ? "prompt-token" : "output-token"} column`,
      hint: "use columns arrival,prompt_tokens,output_tokens (or the Azure TIMESTAMP,ContextTokens,GeneratedTokens)",
    });
  const reqs: Request[] = [];
  let anyTs = false;
  for (const { line, fields: cells } of rows) {
    if (cells.length < header.length)
      throw rowError(
        file,
        line,
        `${cells.length} field(s), the header has ${header.length}`,
        "fix or remove the row",
      );
    let arrival = 0;
    const cell = ia >= 0 ? cells[ia] : undefined;
    if (cell !== undefined) {
      if (!Number.isFinite(Number(cell.trim())) || cell.trim() === "") anyTs = true;
      arrival = parseArrival(cell, file, line);
    }
    reqs.push({
      id: reqs.length,
      arrival,
      promptTokens: parseTokens(cells[ip], header[ip] ?? "", "prompt", file, line),
      outputTokens: parseTokens(cells[io], header[io] ?? "", "output", file, line),
    });
  }
  return finish(name, file, reqs, anyTs);
}

/** Parses JSONL: one object per line with arrival / prompt_tokens / output_tokens (any of the aliases). */
export function parseJsonlTrace(text: string, file = "trace.jsonl", name = file): Trace {
  checkText(text, file, TraceError);
  const lines = text.split(/\r?\n/);
  const reqs: Request[] = [];
  let anyTs = false;
  for (const [k, text] of lines.entries()) {
    const raw = text.trim();
    if (raw === "") continue;
    const line = k + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw rowError(file, line, `not valid JSON (${(e as Error).message})`, "one JSON object per line");
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj))
      throw rowError(file, line, "not a JSON object", "one JSON object per line");
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec);
    const ka = keys[findKey(keys, ARRIVAL_KEYS)];
    const kp = keys[findKey(keys, PROMPT_KEYS)];
    const ko = keys[findKey(keys, OUTPUT_KEYS)];
    if (kp === undefined || ko === undefined)
      throw rowError(
        file,
        line,
        `no ${kp === undefined ? "prompt_tokens" : "output_tokens"} field`,
        "give arrival, prompt_tokens and output_tokens",
      );
    let arrival = 0;
    if (ka !== undefined) {
      const v = rec[ka];
      if (typeof v === "string" && !Number.isFinite(Number(v))) anyTs = true;
      arrival = parseArrival(String(v), file, line);
    }
    reqs.push({
      id: reqs.length,
      arrival,
      promptTokens: parseTokens(rec[kp], kp, "prompt", file, line),
      outputTokens: parseTokens(rec[ko], ko, "output", file, line),
    });
  }
  return finish(name, file, reqs, anyTs);
}
