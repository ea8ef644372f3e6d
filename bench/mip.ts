/**
 * MIP engine benchmark: HiGHS (through our worker adapter) against GLPK (glpk.js) on the same
 * job-shop instances, in the same run. Prints times, optima and the ratio.
 */
import GLPK from "glpk.js/node";
import { buildJobShop, type JobShop } from "../src/mip/examples/jobshop.js";
import { solveModel } from "../src/mip/index.js";
import { renderTable } from "../src/util/table.js";
import { rng, toGlpk } from "../test/mip/helpers.js";

function randomJobShop(seed: number, jobs: number, machines: number): JobShop {
  const r = rng(seed);
  return {
    name: `js-${jobs}x${machines}`,
    jobs: Array.from({ length: jobs }, () =>
      Array.from({ length: machines }, (_, k) => k)
        .sort(() => r() - 0.5)
        .map((m) => [m, 1 + Math.floor(r() * 9)] as [number, number]),
    ),
  };
}

const g = await GLPK();
const rows: (string | number | null)[][] = [];
for (const [j, m, seed] of [
  [4, 3, 1],
  [6, 4, 2],
  [8, 4, 3],
] as const) {
  const inst = randomJobShop(seed, j, m);
  const { model } = buildJobShop(inst);
  const t0 = performance.now();
  const ours = await solveModel(model, { timeLimit: 60 });
  const tOurs = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const theirs = g.solve(toGlpk(g, model), { msglev: g.GLP_MSG_OFF, tmlim: 60 });
  const tGlpk = (performance.now() - t1) / 1000;
  rows.push([
    inst.name,
    model.numIntegers,
    ours.status,
    ours.objective,
    tOurs,
    theirs.result.z,
    tGlpk,
    tGlpk / tOurs,
  ]);
}
console.log(
  renderTable(
    ["instance", "binaries", "status", "HiGHS opt", "HiGHS s", "GLPK opt", "GLPK s", "GLPK/HiGHS"],
    rows,
  ),
);
