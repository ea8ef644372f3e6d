/**
 * Routing of every policy, checked against each rule recomputed from the run's outcomes: at the
 * arrival of request k, a request i < k routed to client j is outstanding on j unless it was
 * rejected or finished by then (iteration ends are processed before arrivals at the same time).
 * Time model: every iteration costs 1 s and B = 4, so a request's work is o/4 s, exact in binary,
 * and the least-work sums have no rounding ties.
 */
import { describe, expect, it } from "vitest";
import {
  createPolicy,
  type Profile,
  ProfileSchema,
  policyNames,
  type Request,
  ROUTINGS,
  type Routing,
  requestWork,
  type SimRun,
  simulate,
  type Trace,
} from "../../src/serving/index.js";
import { lpt } from "../../src/serving/offline/lpt.js";
import type { LengthPredictor } from "../../src/serving/predict/types.js";

const J = 3;
const unit: Profile = ProfileSchema.parse({
  name: "unit",
  timeModel: { prefill: { alpha: 1, beta: 0 }, decode: { alpha: 1 } },
  client: { maxBatchSize: 4, kvBlocks: 1000, blockSize: 16, maxBatchedTokens: 2048, watermark: 0 },
});

/** 40 requests arriving every 0.7 s with outputs of 1…23 tokens, so queues build and drain. */
function trace(offline = false): Trace {
  const requests: Request[] = Array.from({ length: 40 }, (_, id) => ({
    id,
    arrival: offline ? 0 : Math.round(id * 0.7 * 10) / 10,
    promptTokens: 8,
    outputTokens: 1 + ((id * 7) % 23),
  }));
  return { name: "routing", source: "test", requests };
}

/** The client each rule picks for every request, replayed from the outcomes. */
function expectedClients(run: SimRun, rule: Routing): number[] {
  const load = (k: number, j: number) => {
    let n = 0;
    for (const r of run.requests.slice(0, k)) {
      const arrival = run.requests[k]?.arrival ?? 0;
      if (r.client !== j || r.rejected || r.finishTime <= arrival) continue;
      n += rule === "least-loaded" ? 1 : requestWork(r, unit);
    }
    return n;
  };
  return run.requests.map((_, k) => {
    if (rule === "round-robin") return k % J;
    let best = 0;
    for (let j = 1; j < J; j++) if (load(k, j) < load(k, best)) best = j;
    return best;
  });
}

const clientsOf = (run: SimRun) => run.requests.map((r) => r.client);

describe("routing", () => {
  const baselines = policyNames().filter((p) => p !== "hybrid");
  it("covers every policy", () => {
    expect(baselines).toEqual(["vllm-v0", "vllm-v1", "orca"]);
  });

  for (const policy of baselines)
    for (const routing of ROUTINGS)
      it(`${policy} with routing ${routing} sends each request where the rule says, to every client`, async () => {
        const run = await simulate(trace(), unit, createPolicy(policy, { routing }), { clients: J });
        expect(run.status).toBe("completed");
        expect(clientsOf(run)).toEqual(expectedClients(run, routing));
        for (let j = 0; j < J; j++) expect(clientsOf(run)).toContain(j);
      });

  it("least-work differs from least-loaded where the outstanding requests differ in work", async () => {
    const go = (routing: Routing) =>
      simulate(trace(), unit, createPolicy("vllm-v0", { routing }), { clients: J });
    expect(clientsOf(await go("least-work"))).not.toEqual(clientsOf(await go("least-loaded")));
  });

  it("hybrid routes requests that arrive over time to the least outstanding work", async () => {
    const run = await simulate(trace(), unit, createPolicy("hybrid"), { clients: J });
    expect(run.plan?.kind).toBe("online least-work routing");
    expect(clientsOf(run)).toEqual(expectedClients(run, "least-work"));
    for (let j = 0; j < J; j++) expect(clientsOf(run)).toContain(j);
  });

  it("hybrid routes an offline batch by its packing (LPT here: the MIP is not needed)", async () => {
    const t = trace(true);
    const run = await simulate(t, unit, createPolicy("hybrid", { packing: "lpt" }), { clients: J });
    const { assignment, loads } = lpt(
      t.requests.map((r) => requestWork(r, unit)),
      J,
    );
    expect(clientsOf(run)).toEqual(Array.from(assignment));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(0.25);
  });

  it("hybrid with predicted lengths: a client whose queue runs dry takes queued requests of the busiest", async () => {
    // A predictor that knows nothing (every request 12 tokens): the packing balances counts, not
    // work, so the clients' real loads differ and the first to run dry takes from the busiest.
    const flat: LengthPredictor = {
      name: "flat",
      predict: () => 12,
      remaining: (_q, generated) => Math.max(1, 12 - generated),
      survival: (_q, generated, t) => (generated + t < 12 ? 1 : 0),
      observe: () => {},
      version: 0,
      describe: () => "every request 12 tokens",
    };
    // Equal predictions pack the batch round-robin by index: client 0 gets every long request.
    const t: Trace = {
      name: "skewed",
      source: "test",
      requests: Array.from({ length: 30 }, (_, id) => ({
        id,
        arrival: 0,
        promptTokens: 8,
        outputTokens: id % J === 0 ? 40 : 2,
      })),
    };
    const go = (steal: "on" | "off") =>
      simulate(t, unit, createPolicy("hybrid", { packing: "lpt", steal }), { clients: J, predictor: flat });
    const [off, on] = [await go("off"), await go("on")];
    for (const run of [off, on]) {
      expect(run.status).toBe("completed");
      expect(run.requests.every((r) => !r.rejected && r.finishTime > 0)).toBe(true);
    }
    const packed = lpt(
      t.requests.map((r) => requestWork({ ...r, outputTokens: 12 }, unit)),
      J,
    ).assignment;
    expect(clientsOf(off)).toEqual(Array.from(packed));
    expect(clientsOf(on)).not.toEqual(Array.from(packed));
    expect(on.plan?.notes?.some((n) => n.includes("takes queued requests from the busiest"))).toBe(true);
    const makespan = (run: SimRun) => Math.max(...run.requests.map((r) => r.finishTime));
    expect(makespan(on)).toBeLessThan(makespan(off));
    // With true lengths ("auto") nothing is stolen: the packing is kept request by request.
    const truth = await simulate(t, unit, createPolicy("hybrid", { packing: "lpt" }), { clients: J });
    expect(clientsOf(truth)).toEqual(
      Array.from(
        lpt(
          t.requests.map((r) => requestWork(r, unit)),
          J,
        ).assignment,
      ),
    );
  });
});
