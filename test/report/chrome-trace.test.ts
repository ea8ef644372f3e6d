/** The one Chrome-trace writer: end-point rounding (no overlapping slices on a thread), metadata, the validator. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chromeTraceChunks,
  chromeTraceJson,
  chromeTraceProblems,
  type TraceSlice,
} from "../../src/report/chrome-trace.js";
import { chromeTrace, createPolicy, loadPreset, simulate } from "../../src/serving/index.js";

/** Back-to-back slices on one thread with float durations (end of one = start of the next). */
function chain(durations: number[], t0 = 0): TraceSlice[] {
  let t = t0;
  return durations.map((d, k) => {
    const s = { pid: 0, tid: 0, name: `s${k}`, start: t, end: t + d };
    t += d;
    return s;
  });
}

const processes = [{ pid: 0, name: "p", threads: [{ tid: 0, name: "t" }] }];

describe("Chrome-trace writer", () => {
  it("rounds end points: back-to-back slices never overlap, where rounding ts and dur apart does (property)", () => {
    let separateOverlaps = 0;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-7, max: 0.2, noNaN: true }), { minLength: 2, maxLength: 60 }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        (durations, t0) => {
          const slices = chain(durations, t0);
          const doc = JSON.parse(chromeTraceJson({ processes, slices }));
          expect(chromeTraceProblems(doc)).toEqual([]);
          const x = doc.traceEvents.filter((e: { ph: string }) => e.ph === "X");
          expect(x).toHaveLength(slices.length);
          // The same slices rounded the old way (ts and dur each to 1 ns, separately).
          const old = slices.map((s) => ({
            ...s,
            ts: Math.round(s.start * 1e9) / 1e3,
            dur: Math.round((s.end - s.start) * 1e9) / 1e3,
          }));
          for (let k = 1; k < old.length; k++) {
            const [a, b] = [old[k - 1], old[k]];
            if (a && b && b.ts < a.ts + a.dur) separateOverlaps++;
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(separateOverlaps).toBeGreaterThan(0);
  });

  it("writes process and thread names, sort indices, slices with category and args, counters", () => {
    const doc = JSON.parse(
      chromeTraceJson({
        processes: [{ pid: 3, name: "device 3", threads: [{ tid: 0, name: "compute" }] }],
        slices: [{ pid: 3, tid: 0, name: "F1", category: "F", start: 0.5, end: 0.75, args: { mb: 1 } }],
        counters: [{ pid: 3, name: "memory", time: 0.5, values: { bytes: 1024 } }],
        otherData: { schedule: "x" },
      }),
    );
    expect(doc.traceEvents).toEqual([
      { name: "process_name", ph: "M", pid: 3, args: { name: "device 3" } },
      { name: "process_sort_index", ph: "M", pid: 3, args: { sort_index: 0 } },
      { name: "thread_name", ph: "M", pid: 3, tid: 0, args: { name: "compute" } },
      { name: "F1", cat: "F", ph: "X", pid: 3, tid: 0, ts: 500000, dur: 250000, args: { mb: 1 } },
      { name: "memory", ph: "C", pid: 3, ts: 500000, args: { bytes: 1024 } },
    ]);
    expect(doc.otherData).toEqual({ schedule: "x" });
    expect(doc.displayTimeUnit).toBe("ms");
  });

  it("streams the same JSON in pieces as in one string", () => {
    const input = { processes, slices: chain(Array.from({ length: 25 }, () => 0.01)) };
    const parts = [...chromeTraceChunks(input, 7)];
    expect(parts.length).toBeGreaterThan(4);
    expect(parts.join("")).toBe(chromeTraceJson(input));
  });

  it("the validator finds overlapping and nested slices, fractional times and unnamed threads", () => {
    const ev = (name: string, ts: number, dur: number, tid = 0) => ({ name, ph: "X", pid: 0, tid, ts, dur });
    const named = [
      { name: "process_name", ph: "M", pid: 0, args: { name: "p" } },
      { name: "thread_name", ph: "M", pid: 0, tid: 0, args: { name: "t" } },
    ];
    expect(chromeTraceProblems({ traceEvents: [...named, ev("a", 0, 10), ev("b", 10, 5)] })).toEqual([]);
    expect(chromeTraceProblems({ traceEvents: [...named, ev("a", 0, 10), ev("b", 9, 5)] })).toEqual([
      "thread 0/0: 1 overlapping slice pair(s), first a [0, 10) and b [9, 14)",
    ]);
    expect(chromeTraceProblems({ traceEvents: [...named, ev("a", 0, 10), ev("b", 2, 3)] })[0]).toMatch(
      /overlapping/,
    );
    expect(chromeTraceProblems({ traceEvents: [...named, ev("a", 0.5, 10)] })[0]).toMatch(/must be integers/);
    expect(chromeTraceProblems({ traceEvents: [...named, ev("a", 0, 1, 7)] })).toEqual([
      "thread 0/7 has slices but no thread_name",
    ]);
  });

  it("the serving trace of the GSM8K preset has no overlapping slices (it had thousands)", async () => {
    const p = loadPreset("gsm8k-llama65b");
    const runs = [];
    for (const name of ["vllm-v0", "vllm-v1"])
      runs.push(await simulate(p.trace, p.profile, createPolicy(name), { clients: p.spec.clients }));
    const doc = JSON.parse(chromeTrace(runs));
    expect(chromeTraceProblems(doc)).toEqual([]);
    const slices = doc.traceEvents.filter((e: { ph: string }) => e.ph === "X");
    expect(slices.length).toBe(runs.reduce((s, r) => s + r.iterations, 0));
    const names = doc.traceEvents.filter((e: { name: string }) => e.name === "process_name");
    expect(names.map((e: { args: { name: string } }) => e.args.name)).toEqual(["vllm-v0", "vllm-v1"]);
  });
});
