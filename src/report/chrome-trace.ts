/**
 * The one Chrome-trace writer (Trace Event Format, https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
 * processes and threads named by metadata events (`ph: "M"`), slices as complete events
 * (`ph: "X"`), counters (`ph: "C"`). Perfetto and chrome://tracing open the JSON.
 *
 * Times are given in seconds (or any unit, with `microsecondsPerUnit`) and written as integer
 * microseconds by rounding the END POINTS: ts = round(start), dur = round(end) − round(start).
 * Rounding ts and dur separately lets a slice end after the next one on its thread starts, and
 * viewers then nest them; with rounded end points, slices that touch in time touch in the file.
 * `chromeTraceProblems` checks a written trace (tests use it): integer times, named processes and
 * threads, and no two slices on one thread overlapping.
 */

/** A process (a track group) and its threads (tracks). */
export interface TraceProcess {
  pid: number;
  name: string;
  /** Order of the process in the viewer (smaller first); default: as given. */
  sortIndex?: number;
  threads: { tid: number; name: string }[];
}

/** One slice on a thread: from `start` to `end` (seconds unless `microsecondsPerUnit` says otherwise). */
export interface TraceSlice {
  pid: number;
  tid: number;
  name: string;
  /** Category (viewers filter and colour by it). */
  category?: string;
  start: number;
  end: number;
  /** Shown when the slice is selected. */
  args?: Record<string, unknown>;
}

/** One sample of a counter track of a process: its series' values from `time` on. */
export interface TraceCounter {
  pid: number;
  name: string;
  time: number;
  values: Record<string, number>;
}

/** Everything one trace file holds. */
export interface ChromeTraceInput {
  processes: TraceProcess[];
  slices: Iterable<TraceSlice>;
  counters?: Iterable<TraceCounter>;
  /** Free-form facts about the trace (shown by chrome://tracing's metadata view). */
  otherData?: Record<string, unknown>;
  /** Microseconds per time unit of the slices and counters (default 1e6: times in seconds). */
  microsecondsPerUnit?: number;
}

/** A time as integer microseconds (the end-point rounding of the header). */
export function toMicroseconds(t: number, microsecondsPerUnit = 1e6): number {
  return Math.round(t * microsecondsPerUnit);
}

/** The trace's events in file order: metadata first, then slices, then counters. */
export function* chromeTraceEvents(input: ChromeTraceInput): Generator<Record<string, unknown>> {
  const k = input.microsecondsPerUnit ?? 1e6;
  for (const [i, p] of input.processes.entries()) {
    yield { name: "process_name", ph: "M", pid: p.pid, args: { name: p.name } };
    yield { name: "process_sort_index", ph: "M", pid: p.pid, args: { sort_index: p.sortIndex ?? i } };
    for (const t of p.threads)
      yield { name: "thread_name", ph: "M", pid: p.pid, tid: t.tid, args: { name: t.name } };
  }
  for (const s of input.slices) {
    const ts = toMicroseconds(s.start, k);
    yield {
      name: s.name,
      ...(s.category === undefined ? {} : { cat: s.category }),
      ph: "X",
      pid: s.pid,
      tid: s.tid,
      ts,
      dur: Math.max(0, toMicroseconds(s.end, k) - ts),
      ...(s.args === undefined ? {} : { args: s.args }),
    };
  }
  for (const c of input.counters ?? [])
    yield { name: c.name, ph: "C", pid: c.pid, ts: toMicroseconds(c.time, k), args: c.values };
}

/**
 * The trace as JSON text in pieces of about `chunkEvents` events each (join them for the whole
 * file; write them one by one to stream a large trace).
 */
export function* chromeTraceChunks(input: ChromeTraceInput, chunkEvents = 10_000): Generator<string> {
  yield '{"traceEvents":[';
  let n = 0;
  let buf: string[] = [];
  for (const e of chromeTraceEvents(input)) {
    buf.push(`${n === 0 ? "" : ","}\n${JSON.stringify(e)}`);
    n++;
    if (buf.length >= chunkEvents) {
      yield buf.join("");
      buf = [];
    }
  }
  if (buf.length) yield buf.join("");
  const tail: Record<string, unknown> = { displayTimeUnit: "ms" };
  if (input.otherData) tail.otherData = input.otherData;
  yield `\n],${JSON.stringify(tail).slice(1)}\n`;
}

/** The whole trace as JSON text. */
export function chromeTraceJson(input: ChromeTraceInput): string {
  return [...chromeTraceChunks(input)].join("");
}

interface RawEvent {
  name?: unknown;
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: unknown;
}

/**
 * What is wrong with a Chrome trace (JSON text or parsed), as a list of problems (empty when
 * none): a slice or counter without integer, non-negative ts/dur, a process or thread with slices
 * but no name, two slices on one thread that overlap. At most `limit` problems are listed.
 */
export function chromeTraceProblems(trace: string | { traceEvents?: unknown }, limit = 20): string[] {
  const doc = typeof trace === "string" ? (JSON.parse(trace) as { traceEvents?: unknown }) : trace;
  const out: string[] = [];
  const add = (p: string) => {
    if (out.length < limit) out.push(p);
  };
  if (!Array.isArray(doc.traceEvents)) return ["traceEvents is not an array"];
  const events = doc.traceEvents as RawEvent[];
  const processNames = new Set<number>();
  const threadNames = new Set<string>();
  const byThread = new Map<string, { ts: number; end: number; name: string }[]>();
  const isTime = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  for (const [i, e] of events.entries()) {
    if (e.ph === "M") {
      if (e.name === "process_name") processNames.add(Number(e.pid));
      if (e.name === "thread_name") threadNames.add(`${e.pid}/${e.tid}`);
    } else if (e.ph === "X") {
      if (!isTime(e.ts) || !isTime(e.dur)) {
        add(
          `event ${i} (${String(e.name)}): ts ${String(e.ts)} and dur ${String(e.dur)} must be integers ≥ 0`,
        );
        continue;
      }
      const key = `${e.pid}/${e.tid}`;
      const list = byThread.get(key) ?? [];
      list.push({ ts: e.ts, end: e.ts + e.dur, name: String(e.name) });
      byThread.set(key, list);
    } else if (e.ph === "C") {
      if (!isTime(e.ts))
        add(`event ${i} (${String(e.name)}): counter ts ${String(e.ts)} must be an integer ≥ 0`);
      const args = e.args as Record<string, unknown> | undefined;
      if (!args || Object.values(args).some((v) => typeof v !== "number" || !Number.isFinite(v)))
        add(`event ${i} (${String(e.name)}): counter values must be finite numbers`);
    } else add(`event ${i}: phase ${String(e.ph)} is not written by this project (M, X or C)`);
  }
  for (const [key, slices] of byThread) {
    const [pid] = key.split("/");
    if (!processNames.has(Number(pid))) add(`process ${pid} has slices but no process_name`);
    if (!threadNames.has(key)) add(`thread ${key} has slices but no thread_name`);
    slices.sort((a, b) => a.ts - b.ts || a.end - b.end);
    let overlaps = 0;
    let first = "";
    for (let k = 1; k < slices.length; k++) {
      const [a, b] = [slices[k - 1], slices[k]];
      if (a && b && b.ts < a.end) {
        if (overlaps === 0) first = `${a.name} [${a.ts}, ${a.end}) and ${b.name} [${b.ts}, ${b.end})`;
        overlaps++;
      }
    }
    if (overlaps > 0) add(`thread ${key}: ${overlaps} overlapping slice pair(s), first ${first}`);
  }
  return out;
}
