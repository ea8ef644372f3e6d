/**
 * One time origin (docs/metrics.md): every time in a run counts from the trace's first arrival, and
 * so do the makespan and the lower bound. Shifting every arrival by a constant c changes no metric,
 * only the absolute times in the files; the gap to the bound is never negative.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  builtinProfile,
  type CompareResult,
  comparePolicies,
  type Request,
  requestsCsv,
  type Trace,
} from "../../src/serving/index.js";
import { expectClose } from "../helpers/tolerance.js";

const prof = builtinProfile("llama65b");
const params = { hybrid: { packing: "lpt" } };

function shifted(t: Trace, c: number): Trace {
  return { ...t, requests: t.requests.map((r) => ({ ...r, arrival: r.arrival + c })) };
}

/** The metrics of a comparison without wall-clock fields. */
function metricsOf(r: CompareResult) {
  return r.policies.map(({ metrics: { wallSeconds: _, ...m }, breakdown }) => ({ m, breakdown }));
}

describe("time origin", () => {
  it("a trace whose first arrival is at 100 s has the bound and makespan of the same trace at 0 s", async () => {
    const reqs: Request[] = [
      { id: 0, arrival: 0, promptTokens: 100, outputTokens: 20 },
      { id: 1, arrival: 0.125, promptTokens: 50, outputTokens: 10 },
      { id: 2, arrival: 0.25, promptTokens: 300, outputTokens: 30 },
    ];
    const at0: Trace = { name: "t", source: "test", requests: reqs };
    const a = await comparePolicies(at0, prof, { clients: 4, policyParams: params });
    const b = await comparePolicies(shifted(at0, 100), prof, { clients: 4, policyParams: params });
    expect(b.lowerBound).toEqual(a.lowerBound);
    expect(metricsOf(b)).toEqual(metricsOf(a));
    for (const p of b.policies) {
      expect(p.metrics.makespanSeconds).toBeLessThan(5);
      expect(p.metrics.gapToLowerBound).toBeGreaterThanOrEqual(0);
    }
    expect(b.runs[0]?.origin).toBe(100);
    // The per-request CSV is on the trace's own clock: arrivals as given.
    const rows = requestsCsv(b.runs).trim().split("\n").slice(1, 4);
    expect(rows.map((l) => l.split(",")[3])).toEqual(["100", "100.125", "100.25"]);
  });

  it("shifting every arrival by c changes no metric but absolute times; the gap is never negative (property)", async () => {
    // Arrivals are multiples of 1/64 and c an integer, so arrival − first arrival is exact in
    // floating point and the shifted run is the same computation.
    const request = fc.record({
      tick: fc.integer({ min: 0, max: 4000 }),
      promptTokens: fc.integer({ min: 1, max: 400 }),
      outputTokens: fc.integer({ min: 1, max: 60 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 14 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 3 }),
        async (rows, offline, c, clients) => {
          const requests = rows
            .map((r) => ({ ...r, arrival: offline ? 0 : r.tick / 64 }))
            .sort((x, y) => x.arrival - y.arrival)
            .map(({ arrival, promptTokens, outputTokens }, id) => ({
              id,
              arrival,
              promptTokens,
              outputTokens,
            }));
          const t: Trace = { name: "p", source: "property", requests };
          const opts = { clients, policyParams: params, packingBound: false };
          const a = await comparePolicies(t, prof, opts);
          const b = await comparePolicies(shifted(t, c), prof, opts);
          expect(b.lowerBound).toEqual(a.lowerBound);
          expect(metricsOf(b)).toEqual(metricsOf(a));
          for (const [k, run] of b.runs.entries()) {
            expect(run.origin - (a.runs[k]?.origin ?? 0)).toBe(c);
            expect(run.requests).toEqual(a.runs[k]?.requests);
          }
          for (const p of a.policies) {
            const gap = p.metrics.gapToLowerBound;
            if (p.metrics.rejected > 0) expect(gap).toBeNull();
            else {
              expect(gap).not.toBeNull();
              expect(gap ?? -1).toBeGreaterThanOrEqual(0);
            }
            expectClose(p.breakdown.makespanSeconds, p.metrics.makespanSeconds, { abs: 1e-9 });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
