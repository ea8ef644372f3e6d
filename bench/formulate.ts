/**
 * formulate benchmarks, each against a reference in the same run:
 *
 * 1. The expression layer's cost: a transportation model written as a structured model (indexed
 *    sums parsed and expanded by the compiler) against the same MIP built directly with the
 *    modeling layer (`Model.addVar` / `addConstraint`, the hand-written reference); both LP texts
 *    must be identical. Also against HiGHS's time to solve it.
 * 2. The shipped examples: parse + compile + solve throughput, and the compile share of it.
 * 3. The search's overhead: BPP-Search (n = 3, b = 2) against a scripted OpenAI-compatible server
 *    on loopback that answers every request after a fixed delay; the reference is the critical
 *    path of that delay (dependent rounds × delay, with the client's concurrency limit).
 */

import { compileModel } from "../src/formulate/compile.js";
import { readExamples } from "../src/formulate/examples.js";
import { StructuredModelSchema } from "../src/formulate/schema.js";
import { runSearch } from "../src/formulate/search/run.js";
import { solveStructured } from "../src/formulate/solve-model.js";
import { OpenAiClient } from "../src/llm/openai.js";
import { LinExpr, Model, solveModel, toLpText } from "../src/mip/index.js";
import { mulberry32 } from "../src/util/random.js";
import { renderTable } from "../src/util/table.js";
import { TOY_QUESTION, toyAnswer } from "../test/formulate/helpers/toy-world.js";
import { startScriptedServer } from "../test/helpers/scripted-server.js";

/** CPU seconds per call of `f` (this process's user + system time: robust on a shared, loaded machine). */
function time<T>(f: () => T, reps: number): { value: T; seconds: number } {
  let value = f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) value = f();
  const c = process.cpuUsage(c0);
  return { value, seconds: (c.user + c.system) / 1e6 / reps };
}

async function cpu<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const c0 = process.cpuUsage();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, seconds: (c.user + c.system) / 1e6 };
}

// HiGHS loads its WebAssembly on the first solve: do that outside the measurements
{
  const m = new Model("warm-up");
  const x = m.addVar({ name: "x", ub: 1 });
  m.setObjective(x, "maximize");
  await solveModel(m, { inline: true });
}

// ---- 1. transportation: structured model vs direct build -------------------------------------
function transport(p: number, m: number) {
  const r = mulberry32(p * 1000 + m);
  const supply = Array.from({ length: p }, () => 50 + Math.floor(r() * 100));
  const total = supply.reduce((a, b) => a + b, 0);
  const demand = Array.from({ length: m }, () => Math.floor((0.9 * total) / m));
  const cost = Array.from({ length: p }, () => Array.from({ length: m }, () => Math.round(r() * 1000) / 10));
  const structured = StructuredModelSchema.parse({
    sets: [
      { name: "P", data: `1..${p}` },
      { name: "M", data: `1..${m}` },
    ],
    parameters: [
      { name: "supply", domain: "i in P", data: supply },
      { name: "demand", domain: "j in M", data: demand },
      { name: "cost", domain: "i in P, j in M", data: cost },
    ],
    variables: [{ name: "x", domain: "i in P, j in M" }],
    objective: { sense: "min", function: "sum_{i in P} sum_{j in M} cost_{i,j} * x_{i,j}" },
    constraints: [
      { name: "cap", domain: "i in P", function: "sum_{j in M} x_{i,j} <= supply_i" },
      { name: "need", domain: "j in M", function: "sum_{i in P} x_{i,j} >= demand_j" },
    ],
  });
  const direct = () => {
    const model = new Model("formulate");
    const x = Array.from({ length: p }, (_, i) =>
      Array.from({ length: m }, (_, j) => model.addVar({ name: `x(${i + 1},${j + 1})` })),
    );
    const obj = new LinExpr();
    for (let i = 0; i < p; i++) for (let j = 0; j < m; j++) obj.add(x[i]![j]!, cost[i]![j]!);
    model.setObjective(obj, "minimize");
    for (let i = 0; i < p; i++) {
      const e = new LinExpr();
      for (let j = 0; j < m; j++) e.add(x[i]![j]!);
      model.addConstraint(e, "<=", supply[i]!, `cap(${i + 1})`);
    }
    for (let j = 0; j < m; j++) {
      const e = new LinExpr();
      for (let i = 0; i < p; i++) e.add(x[i]![j]!);
      model.addConstraint(e, ">=", demand[j]!, `need(${j + 1})`);
    }
    return model;
  };
  return { structured, direct };
}

const rows1: (string | number)[][] = [];
for (const [p, m] of [
  [20, 50],
  [50, 100],
  [100, 200],
] as const) {
  const t = transport(p, m);
  const reps = p * m > 10_000 ? 3 : 10;
  const c = time(() => compileModel(t.structured), reps);
  const d = time(() => t.direct(), reps);
  const same =
    toLpText(c.value.model, { names: "escape" }).text === toLpText(d.value, { names: "escape" }).text;
  const { value: r, seconds: solve } = await cpu(() => solveModel(c.value.model, { inline: true }));
  rows1.push([
    `${p}×${m}`,
    p * m,
    c.value.model.numNonzeros,
    c.seconds * 1000,
    d.seconds * 1000,
    c.seconds / d.seconds,
    solve * 1000,
    c.seconds / solve,
    same ? "yes" : "NO",
    r.status,
  ]);
}
console.log(
  "1. structured model (parse + expand indexed sums) vs the same MIP built directly with the Model API (CPU time)",
);
console.log(
  renderTable(
    [
      "model",
      "variables",
      "nonzeros",
      "compile ms",
      "direct ms",
      "compile/direct",
      "HiGHS ms",
      "compile/solve",
      "same LP",
      "status",
    ],
    rows1,
    { digits: 2 },
  ),
);

// ---- 2. shipped examples --------------------------------------------------------------------
const examples = await readExamples();
let compileS = 0;
let totalS = 0;
let ok = 0;
for (const ex of examples) {
  const c = time(() => compileModel(ex.model), 20);
  compileS += c.seconds;
  const { value, seconds } = await cpu(() => solveStructured(ex.model, { inline: true }));
  totalS += seconds;
  if (value.result.status === "optimal") ok++;
}
console.log(
  `\n2. the ${examples.length} shipped examples (${ok} optimal), CPU time: parse + compile ${(compileS * 1000).toFixed(2)} ms in all, parse + compile + solve ${(totalS * 1000).toFixed(1)} ms; compile share ${((100 * compileS) / totalS).toFixed(1)}%, ${(examples.length / totalS).toFixed(0)} models/s`,
);

// ---- 3. search overhead vs the server's latency -------------------------------------------
const rows3: (string | number)[][] = [];
for (const delay of [20, 50]) {
  const server = await startScriptedServer((req) => {
    const a = toyAnswer(req);
    return a.kind === "reply" ? { ...a, delayMs: delay } : a;
  });
  const concurrency = 8;
  const llm = new OpenAiClient({ baseUrl: server.url, model: "toy", concurrency });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await runSearch({
    question: TOY_QUESTION,
    llm,
    strategy: "bpp",
    params: { children: 3, beam: 2 },
  });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // dependent rounds: policy L1; PRM ×3; policy L2 ×2; PRM ×6; policy L3 ×2; preference ×30 (in waves of the concurrency limit)
  const rounds =
    1 +
    Math.ceil(3 / concurrency) +
    Math.ceil(2 / concurrency) +
    Math.ceil(6 / concurrency) +
    Math.ceil(2 / concurrency) +
    Math.ceil(30 / concurrency);
  const bound = (rounds * delay) / 1000;
  const calls = r.calls.policy + r.calls.prm + r.calls.preference;
  rows3.push([
    delay,
    server.requests.length,
    rounds,
    bound,
    wall,
    wall / bound,
    calls,
    (c.user + c.system) / 1000 / server.requests.length,
  ]);
  await server.close();
}
console.log(
  "\n3. bpp (n = 3, b = 2) against a loopback server answering after a fixed delay; reference: the critical path of that delay",
);
console.log(
  renderTable(
    [
      "delay ms",
      "requests",
      "rounds",
      "critical path s",
      "wall s",
      "wall/critical",
      "calls",
      "CPU ms/request",
    ],
    rows3,
    { digits: 3 },
  ),
);
console.log(
  "(CPU ms/request: this process, client and scripted server together: prompts, JSON, layer checks, leaf solves)",
);
