/**
 * Serving simulator benchmark: the whole Azure LLM inference conversation trace (19,366 requests)
 * on 8 clients under all four policies; prints simulated seconds per wall second and events per
 * second, and compares each run against a naive reference in the same run: the closed-form
 * lower bound (work / J, one pass over the requests) — how far above the bound each policy ends,
 * and how much slower simulating is than evaluating the formula.
 * Usage: npx tsx bench/serving.ts [trace.csv] [clients]
 */
import { existsSync } from "node:fs";
import {
  builtinProfile,
  createPolicy,
  lowerBound,
  policyNames,
  readTrace,
  runMetrics,
  simulate,
} from "../src/serving/index.js";

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
  "policy     makespan_s  vs_LB  rejected  events   wall_s  sim_s/wall_s  events/s   wall_vs_formula",
);
let total = 0;
for (const name of policyNames()) {
  const r = await simulate(trace, profile, createPolicy(name, name === "hybrid" ? { packing: "lpt" } : {}), {
    clients,
  });
  const m = runMetrics(r, lb.seconds);
  total += r.wallSeconds;
  console.log(
    `${name.padEnd(9)} ${m.makespanSeconds.toFixed(1).padStart(10)}  ${(m.makespanSeconds / lb.seconds).toFixed(3)}  ${String(m.rejected).padStart(8)}  ${String(r.events).padStart(7)}  ${r.wallSeconds.toFixed(3).padStart(6)}  ${(m.makespanSeconds / r.wallSeconds).toFixed(0).padStart(12)}  ${(r.events / r.wallSeconds).toFixed(0).padStart(8)}  ${(r.wallSeconds / lbWall).toFixed(0)}x`,
  );
}
console.log(`all four policies: ${total.toFixed(2)} s wall`);
