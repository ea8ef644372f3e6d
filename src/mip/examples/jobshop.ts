/**
 * The job-shop scheduling problem as a disjunctive MIP (Manne, "On the job-shop scheduling
 * problem", Operations Research 8(2), 1960): start times S, one order binary per pair of
 * operations on the same machine, big-M no-overlap rows, makespan C ≥ every job's end.
 * Used by `frugal demo` and as a solver test with an optimum checked by enumeration.
 */
import { z } from "zod";
import { expr } from "../expr.js";
import { Model } from "../model.js";

export const JobShopSchema = z.object({
  name: z.string().default("jobshop"),
  /** jobs[j] = ordered operations [machine, duration]. */
  jobs: z.array(z.array(z.tuple([z.number().int().min(0), z.number().positive()])).min(1)).min(1),
});
export type JobShop = z.infer<typeof JobShopSchema>;

export interface JobShopModel {
  model: Model;
  /** start[j][k] = variable index of the start of job j's k-th operation. */
  start: number[][];
  makespan: number;
}

export function buildJobShop(inst: JobShop): JobShopModel {
  const m = new Model(inst.name);
  const horizon = inst.jobs.flat().reduce((s, [, d]) => s + d, 0);
  const start = inst.jobs.map((ops, j) => ops.map((_, k) => m.addVar({ name: `S_${j}_${k}`, ub: horizon })));
  const C = m.addVar({ name: "C", ub: horizon });
  for (const [j, ops] of inst.jobs.entries()) {
    const S = start[j] ?? [];
    for (const [k, [, d]] of ops.entries()) {
      const [s, next] = [S[k], S[k + 1]];
      if (s && next) m.addConstraint(expr(next), ">=", expr(s, d), `prec_${j}_${k}`);
      if (s && !next) m.addConstraint(C, ">=", expr(s, d), `end_${j}`);
    }
  }
  const byMachine = new Map<number, [number, number, number][]>();
  inst.jobs.forEach((ops, j) =>
    ops.forEach(([mach, d], k) => {
      const list = byMachine.get(mach) ?? [];
      list.push([j, k, d]);
      byMachine.set(mach, list);
    }),
  );
  for (const [mach, ops] of byMachine) {
    for (const [a, [ja, ka, da]] of ops.entries())
      for (const [jb, kb, db] of ops.slice(a + 1)) {
        const [sa, sb] = [start[ja]?.[ka], start[jb]?.[kb]];
        if (!sa || !sb) continue;
        const y = m.addVar({ name: `y_${mach}_${ja}_${ka}_${jb}_${kb}`, type: "binary" });
        // y = 1: a before b.  S_b ≥ S_a + d_a − M(1 − y);  S_a ≥ S_b + d_b − M·y
        m.addConstraint(expr(sb, [-1, sa], [-horizon, y]), ">=", da - horizon);
        m.addConstraint(expr(sa, [-1, sb], [horizon, y]), ">=", db);
      }
  }
  m.setObjective(C, "minimize");
  return { model: m, start: start.map((r) => r.map((v) => v.index)), makespan: C.index };
}

/** The classic 3×3 instance used by the demo. */
export const DEMO_JOBSHOP: JobShop = {
  name: "demo-3x3",
  jobs: [
    [
      [0, 3],
      [1, 2],
      [2, 2],
    ],
    [
      [0, 2],
      [2, 1],
      [1, 4],
    ],
    [
      [1, 4],
      [2, 3],
      [0, 1],
    ],
  ],
};
