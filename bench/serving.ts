/**
 * Serving simulator benchmark: the whole Azure LLM inference conversation trace (19,366 requests)
 * on 8 clients under all four policies; prints simulated seconds per wall second and events per
 * second, and compares each run against a naive reference in the same run: the closed-form
 * lower bound (work / J, one pass over the requests) — how far above the bound each policy ends,
 * and how much slower simulating is than evaluating the formula.
 *
 * Goal: the simulator at ≥ 10,000× real time on this trace — printed as simulated seconds per wall
 * second and per CPU second of this process, per policy and over all four (on a shared machine the
 * wall clock also measures the other jobs' load).
 *
 * Second part: hybrid planning with predicted lengths against vllm-v1 (the strongest length-blind
 * baseline), on the shipped gsm8k-llama65b preset and on the Azure trace. The bucket predictor is
 * fitted out of sample where the data allows: on the Azure trace it is fitted on the first half of
 * the requests (by arrival) and the policies run on the second half; on the preset (one batch of
 * 1,319 requests, no separate history shipped) it is fitted in sample (it knows the length
 * distribution by prompt length, not each request's length) and, out of sample, 2-fold: on the odd
 * requests, run on the even ones. The oracle (true lengths) is printed as the ceiling.
 *
 * Third part: the same comparison for `serving batch`'s client-side dispatchers, run on simulated
 * vLLM V1 servers (the summary's prediction, src/serving/batch/sim-adapter.ts).
 * Usage: npx tsx bench/serving.ts [trace.csv] [clients]
 */
import { existsSync } from "node:fs";
import { simulateDispatch } from "../src/serving/batch/index.js";
import {
  builtinProfile,
  createPolicy,
  lowerBound,
  type PolicyParams,
  policyNames,
  readTrace,
  resolveWorkload,
  runMetrics,
  simulate,
  type Trace,
} from "../src/serving/index.js";
import { predictorSetup, simulationPredictor } from "../src/serving/predict/index.js";
import { createPredictor, parsePredictorSpec } from "../src/serving/predict/spec.js";
import type { Profile } from "../src/serving/profile/schema.js";

const file =
  process.argv[2] ??
  new URL("../../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", import.meta.url).pathname;
const clients = Number(process.argv[3] ?? 8);
if (!existsSync(file)) {
  process.stderr.write(`bench/serving: trace ${file} not found; pass a trace path\n`);
  process.exit(1);
}
const trace = await readTrace(file);
const profile = builtinProfile("llama65b");
// The Azure trace has prompts up to ~8k tokens: give the clients vLLM's usual max_num_seqs 256 and an 8k budget.
profile.client = { ...profile.client, maxBatchSize: 256, maxBatchedTokens: 8192 };
const t0 = performance.now();
const lb = lowerBound(trace, profile, clients);
const lbWall = (performance.now() - t0) / 1000;
console.log(
  `${trace.name}: ${trace.requests.length} requests, ${clients} clients, profile ${profile.name} (max batch 256)`,
);
console.log(
  `reference: closed-form lower bound ${lb.seconds.toFixed(1)} s computed in ${(lbWall * 1e3).toFixed(2)} ms`,
);
console.log(
  "policy     makespan_s  vs_LB  rejected  events   wall_s   cpu_s  sim_s/wall_s  sim_s/cpu_s  events/s   wall_vs_formula",
);
let total = 0;
let totalCpu = 0;
let simulated = 0;
for (const name of policyNames()) {
  const c0 = process.cpuUsage();
  const r = await simulate(trace, profile, createPolicy(name, name === "hybrid" ? { packing: "lpt" } : {}), {
    clients,
  });
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const m = runMetrics(r, lb.seconds);
  total += r.wallSeconds;
  totalCpu += cpu;
  simulated += m.makespanSeconds;
  console.log(
    `${name.padEnd(9)} ${m.makespanSeconds.toFixed(1).padStart(10)}  ${(m.makespanSeconds / lb.seconds).toFixed(3)}  ${String(m.rejected).padStart(8)}  ${String(r.events).padStart(7)}  ${r.wallSeconds.toFixed(3).padStart(6)}  ${cpu.toFixed(3).padStart(6)}  ${(m.makespanSeconds / r.wallSeconds).toFixed(0).padStart(12)}  ${(m.makespanSeconds / cpu).toFixed(0).padStart(11)}  ${(r.events / r.wallSeconds).toFixed(0).padStart(8)}  ${(r.wallSeconds / lbWall).toFixed(0)}x`,
  );
}
// Wall time on a shared machine measures its load as much as the simulator (a run can get a third
// of a core); the CPU time of this process is the simulator's own cost. Both are printed.
const perWall = simulated / total;
const perCpu = simulated / totalCpu;
console.log(
  `all four policies: ${total.toFixed(2)} s wall, ${totalCpu.toFixed(2)} s CPU; simulated ${perWall.toFixed(0)}× real time per wall second, ${perCpu.toFixed(0)}× per CPU second (goal ≥ 10,000×: ${perCpu >= 10_000 ? "met" : "not met"} per CPU second, ${perWall >= 10_000 ? "met" : "not met"} per wall second)`,
);

/** The requests of `t` whose position passes `keep`, renumbered (arrival order kept). */
function part(t: Trace, name: string, keep: (i: number) => boolean): Trace {
  const requests = t.requests.filter((_, i) => keep(i)).map((r, id) => ({ ...r, id }));
  return { name: `${t.name}[${name}]`, source: t.source, requests };
}

/** Makespans of vllm-v1, hybrid with the bucket predictor fitted on `history`, and hybrid with the true lengths. */
async function versus(
  label: string,
  work: Trace,
  history: Trace | null,
  prof: Profile,
  J: number,
  params: PolicyParams,
): Promise<void> {
  const spec = parsePredictorSpec("buckets");
  const setup = predictorSetup(
    spec,
    work,
    history
      ? {
          samples: history.requests.map((r) => ({
            promptTokens: r.promptTokens,
            outputTokens: r.outputTokens,
          })),
          source: history.name,
        }
      : undefined,
  );
  const hybridParams = { packing: "lpt", ...(params.hybrid ?? {}) };
  const v1 = await simulate(work, prof, createPolicy("vllm-v1", params["vllm-v1"] ?? {}), { clients: J });
  const hb = await simulate(work, prof, createPolicy("hybrid", hybridParams), {
    clients: J,
    predictor: simulationPredictor(setup),
  });
  const ho = await simulate(work, prof, createPolicy("hybrid", hybridParams), { clients: J });
  const lbw = lowerBound(work, prof, J).seconds;
  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log(
    `${label.padEnd(44)} ${f(v1.makespan)} ${f(hb.makespan)} ${f(ho.makespan)} ${f(lbw)}   ${(v1.makespan / hb.makespan).toFixed(3)}×  ${(v1.makespan / ho.makespan).toFixed(3)}×   ${setup.label}`,
  );
}

console.log(
  "\nhybrid with predicted lengths (buckets) vs vllm-v1; ratio = vllm-v1 makespan / hybrid makespan",
);
console.log(
  `${"workload".padEnd(44)} ${"vllm-v1".padStart(9)} ${"hyb+bkt".padStart(9)} ${"hyb+true".padStart(9)} ${"bound".padStart(9)}   bucket   oracle    predictor`,
);
const preset = await resolveWorkload({ preset: "gsm8k-llama65b" });
await versus(
  "gsm8k-llama65b (in sample)",
  preset.trace,
  null,
  preset.profile,
  preset.clients,
  preset.policyParams,
);
const odd = part(preset.trace, "odd", (i) => i % 2 === 1);
const even = part(preset.trace, "even", (i) => i % 2 === 0);
await versus(
  "gsm8k-llama65b even half, fitted on odd half",
  even,
  odd,
  preset.profile,
  preset.clients,
  preset.policyParams,
);
const half = Math.floor(trace.requests.length / 2);
const first = part(trace, "first half", (i) => i < half);
const second = part(trace, "second half", (i) => i >= half);
await versus(`${trace.name} 2nd half, fitted on 1st`, second, first, profile, clients, {});

/**
 * `serving batch`'s client-side dispatch on simulated vLLM V1 servers (sim-adapter.ts): every
 * request at once, the client keeps ≤ B in flight per server. round-robin is the length-blind
 * baseline (it equals the simulator's vllm-v1 on the preset); least-work routes each release to
 * the server with the least predicted work in flight; hybrid packs by predicted work, longest first,
 * with the insertion rule and re-planning.
 */
async function dispatchVersus(
  label: string,
  work: Trace,
  history: Trace,
  prof: Profile,
  J: number,
  kvCache: "unlimited" | "profile",
): Promise<void> {
  const items = work.requests.map((r, index) => ({
    index,
    promptTokens: r.promptTokens,
    maxTokens: null,
    sequences: 1,
    outputTokens: r.outputTokens,
  }));
  const samples = history.requests.map((r) => ({
    promptTokens: r.promptTokens,
    outputTokens: r.outputTokens,
  }));
  const run = async (policy: string, predictor: string) =>
    (
      await simulateDispatch({
        items,
        policy,
        endpoints: J,
        maxConcurrency: prof.client.maxBatchSize,
        predictor: createPredictor(
          { name: predictor, params: {} },
          { history: samples, historySource: history.name, truth: true },
        ),
        profile: prof,
        kvCache,
      })
    ).makespan;
  const rr = await run("round-robin", "buckets");
  const lw = await run("least-work", "buckets");
  const hb = await run("hybrid", "buckets");
  const ho = await run("hybrid", "oracle");
  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log(
    `${label.padEnd(44)} ${f(rr)} ${f(lw)} ${f(hb)} ${f(ho)}   ${(rr / hb).toFixed(3)}×  ${(rr / ho).toFixed(3)}×`,
  );
}

console.log(
  "\nserving batch dispatch on simulated vLLM V1 servers (all requests at once); ratio = round-robin / hybrid",
);
console.log(
  `${"workload (buckets fitted on the other half)".padEnd(44)} ${"rr".padStart(9)} ${"lw+bkt".padStart(9)} ${"hyb+bkt".padStart(9)} ${"hyb+true".padStart(9)}   bucket   oracle`,
);
await dispatchVersus("gsm8k-llama65b even half", even, odd, preset.profile, preset.clients, "unlimited");
await dispatchVersus("gsm8k-llama65b odd half", odd, even, preset.profile, preset.clients, "unlimited");
const offline = (t: Trace): Trace => ({ ...t, requests: t.requests.map((r) => ({ ...r, arrival: 0 })) });
await dispatchVersus(
  "Azure conv 2nd half as one batch (KV: profile)",
  offline(second),
  first,
  profile,
  clients,
  "profile",
);
