/**
 * Benchmark of `frugal plan` on every preset: the baselines (the reference, in the same run), the
 * best greedy rule and the MIP planner, with makespan, bubble, peak memory, lower bound, gap and
 * solve time. Prints a table and the goal checks of the issue as ratios.
 * Then the greedy rules at scale against simulating their schedules (all presets, or `--greedy`).
 *   npx tsx bench/plan.ts [preset ...] [--time-limit S] [--greedy]
 */
import { parseCluster } from "../src/plan/cluster.js";
import { transformerChain } from "../src/plan/generators.js";
import { parseGraph } from "../src/plan/graph.js";
import { GREEDY_RULES, greedySchedule } from "../src/plan/greedy.js";
import { type Candidate, loadPreset, presetNames, runPlan } from "../src/plan/index.js";
import { dualPlacement, linearPlacement } from "../src/plan/placement.js";
import { simulate } from "../src/plan/simulate.js";
import { unitsFromGraph } from "../src/plan/units.js";
import { renderTable } from "../src/util/table.js";

const args = process.argv.slice(2);
const tl = args.indexOf("--time-limit");
const timeLimit = tl >= 0 ? Number(args[tl + 1]) : undefined;
const names = args.filter((a, i) => !a.startsWith("--") && (tl < 0 || i !== tl + 1));
const greedyOnly = args.includes("--greedy") && !names.length;
const rows: (string | number | null)[][] = [];
const r3 = (x: number) => Number(x.toFixed(3));
const byMakespan = (a: Candidate, b: Candidate) => a.sim.makespan - b.sim.makespan;
const checks: string[] = [];
for (const name of greedyOnly ? [] : names.length ? names : presetNames()) {
  const p = loadPreset(name);
  const opts = { ...p.options, ...(timeLimit ? { timeLimitSeconds: timeLimit } : {}) };
  const t0 = Date.now();
  const run = await runPlan(p.graph, p.cluster, opts);
  const wall = (Date.now() - t0) / 1000;
  const fits = (c: Candidate) =>
    c.sim.devices.every((d, i) => d.peakMemoryBytes <= (run.memoryLimitBytes[i] ?? Infinity) + 1e-9);
  const bl = run.candidates.filter((c) => c.kind === "baseline");
  const [bestGreedy] = run.candidates.filter((c) => c.kind === "greedy" && fits(c)).sort(byMakespan);
  const mip = run.candidates.find((c) => c.kind === "mip");
  const [bestBaseline] = [...bl].sort(byMakespan);
  const [bestFitBaseline] = bl.filter(fits).sort(byMakespan);
  const dp = bl.find((c) => c.name === "dualpipe" || c.name === "dualpipev");
  rows.push([
    name,
    dp ? `${dp.name} ${r3(dp.sim.makespan)}/${r3(dp.sim.bubbleMax)}/${r3(dp.sim.peakMemoryBytes)}` : "-",
    bestBaseline ? `${bestBaseline.name} ${r3(bestBaseline.sim.makespan)}` : "-",
    bestGreedy ? `${bestGreedy.name} ${r3(bestGreedy.sim.makespan)}` : "-",
    mip?.sim.makespan ?? null,
    mip?.sim.bubbleMax ?? null,
    mip?.sim.peakMemoryBytes ?? null,
    Math.min(...run.memoryLimitBytes),
    run.mip?.lowerBound ?? null,
    run.mip?.gap ?? null,
    run.mip?.status ?? null,
    run.mip?.warmStart ? `${run.mip.warmStart} ${r3(run.mip.warmStartMakespan ?? 0)}` : null,
    wall,
  ]);
  if (mip) {
    const ok = (b: boolean) => (b ? "ok" : "MISSED");
    if (dp)
      checks.push(
        `${name}: MIP bubble / ${dp.name} bubble = ${(mip.sim.bubbleMax / dp.sim.bubbleMax).toFixed(3)}, makespan ratio ${(mip.sim.makespan / dp.sim.makespan).toFixed(4)}, peak ${mip.sim.peakMemoryBytes} vs ${dp.sim.peakMemoryBytes} [${ok(mip.sim.makespan < dp.sim.makespan && mip.sim.peakMemoryBytes <= dp.sim.peakMemoryBytes)}]`,
      );
    const all = run.candidates.filter((c) => c.kind !== "mip" && fits(c));
    checks.push(
      `${name}: MIP ≤ every fitting baseline/greedy rule: ${ok(all.every((c) => mip.sim.makespan <= c.sim.makespan + 1e-9))}; vs best chain baseline ${bestFitBaseline ? (mip.sim.makespan / bestFitBaseline.sim.makespan).toFixed(4) : "-"}; within 120 s: ${ok(wall <= 120)} (${wall.toFixed(1)} s)`,
    );
  }
}
if (rows.length)
  console.log(
    renderTable(
      [
        "preset",
        "DualPipe(V) mk/bubble/peak",
        "best baseline",
        "best greedy (fits)",
        "MIP makespan",
        "MIP bubble",
        "MIP peak",
        "mem limit",
        "lower bound",
        "gap",
        "status",
        "MIP warm start",
        "seconds",
      ],
      rows,
      { digits: 3 },
    ),
  );
console.log("");
for (const c of checks) console.log(c);

// Greedy rules at scale: every rule on the linear and DualPipe placements of an 8-stage chain, for
// growing micro-batch counts. Reference in the same run: simulating the schedules they produce
// (one pass over every action). The ratio shows how the list scheduling grows against a linear-time
// pass; the jobs limit (PLAN_LIMITS.greedyJobs) is set from these times.
if (!names.length || args.includes("--greedy")) {
  const S = 8;
  const cluster = parseCluster({ devices: S });
  const scale: (string | number)[][] = [];
  for (const M of [128, 256, 512, 1024]) {
    const ug = unitsFromGraph(parseGraph(transformerChain({ stages: S, microBatches: M })));
    const t0 = performance.now();
    const schedules = [linearPlacement(S), dualPlacement(S, M)].flatMap((pl) =>
      GREEDY_RULES.map((rule) => greedySchedule(ug, cluster, pl, rule, { unitCap: true })),
    );
    const greedyMs = performance.now() - t0;
    const t1 = performance.now();
    for (const s of schedules) if (s) simulate(ug, cluster, s);
    const simMs = performance.now() - t1;
    scale.push([`${S} × ${M}`, S * M, schedules.length, greedyMs, simMs, greedyMs / simMs]);
  }
  console.log("");
  console.log(
    renderTable(
      ["chain", "jobs", "schedules", "greedy ms", "simulate ms (reference)", "greedy / simulate"],
      scale,
      { digits: 1 },
    ),
  );
}
