import { describe, expect, it } from "vitest";
import { MisuseError } from "../../src/errors/index.js";
import { buildJobShop, DEMO_JOBSHOP, type JobShop } from "../../src/mip/examples/jobshop.js";
import { expr, LinExpr, Model, solveModel, sum } from "../../src/mip/index.js";
import { expectClose } from "../helpers/tolerance.js";
import { randomMip, rng, solveWithGlpk } from "./helpers.js";

describe("textbook models with known optima", () => {
  it("0/1 knapsack matches dynamic programming", async () => {
    const w = [12, 7, 11, 8, 9, 6, 14, 5, 10, 3];
    const v = [24, 13, 23, 15, 16, 11, 28, 9, 19, 5];
    const cap = 40;
    // DP reference
    const best = new Array(cap + 1).fill(0);
    for (let i = 0; i < w.length; i++)
      for (let c = cap; c >= w[i]!; c--) best[c] = Math.max(best[c], best[c - w[i]!] + v[i]!);
    const m = new Model("knapsack");
    const x = w.map((_, i) => m.addVar({ name: `take${i}`, type: "binary" }));
    m.addConstraint(sum(x.map((xi, i) => new LinExpr().add(xi, w[i]!))), "<=", cap, "capacity");
    m.setObjective(sum(x.map((xi, i) => new LinExpr().add(xi, v[i]!))), "maximize");
    const r = await solveModel(m);
    expect(r.status).toBe("optimal");
    expectClose(r.objective, best[cap]);
    expect(m.maxViolation(r.values!)).toBeLessThan(1e-6);
  });

  it("transportation LP (3 plants × 4 markets) has the textbook optimum", async () => {
    // Supplies, demands and unit costs; balanced, so the optimum is unique in value.
    const supply = [35, 50, 40];
    const demand = [45, 20, 30, 30];
    const cost = [
      [8, 6, 10, 9],
      [9, 12, 13, 7],
      [14, 9, 16, 5],
    ];
    const m = new Model("transport");
    const x = supply.map((_, i) => demand.map((_, j) => m.addVar({ name: `ship_${i}_${j}` })));
    supply.forEach((s, i) => m.addConstraint(sum(x[i]!), "<=", s, `supply_${i}`));
    demand.forEach((d, j) => m.addConstraint(sum(x.map((row) => row[j]!)), ">=", d, `demand_${j}`));
    const obj = new LinExpr();
    x.forEach((row, i) => row.forEach((xij, j) => obj.add(xij, cost[i]![j]!)));
    m.setObjective(obj);
    const r = await solveModel(m);
    expect(r.status).toBe("optimal");
    expectClose(r.objective, 1020); // Winston, Operations Research, §7.1 (Powerco): 1020
    expect(r.bound).toBe(r.objective);
    expect(r.gap).toBe(0);
  });

  it("job-shop optimum equals the best of all machine orders (enumeration)", async () => {
    const inst = DEMO_JOBSHOP;
    const { model, makespan } = buildJobShop(inst);
    const r = await solveModel(model);
    expect(r.status).toBe("optimal");
    expectClose(r.values![makespan]!, enumerateJobShop(inst), { abs: 1e-6 });
  });

  it("reports infeasible and unbounded as values, not errors", async () => {
    const a = new Model("infeasible");
    const x = a.addVar({ name: "x", type: "integer", ub: 10 });
    a.addConstraint(expr([2, x]), "=", 7);
    a.setObjective(x);
    const ra = await solveModel(a);
    expect(ra.status).toBe("infeasible");
    expect(ra.objective).toBeNull();
    expect(ra.values).toBeNull();

    const b = new Model("unbounded");
    const y = b.addVar({ name: "y" });
    const z = b.addVar({ name: "z" });
    b.addConstraint(expr(y, [-1, z]), "<=", 1);
    b.setObjective(expr(y, z), "maximize");
    const rb = await solveModel(b);
    expect(["unbounded"]).toContain(rb.status);
  });
});

describe("limits, warm starts and cancellation", () => {
  const hard = randomJobShop(11, 10, 5);

  it("a node limit stops at the same point on any machine: status node_limit, a valid incumbent, a bound below it", async () => {
    const inst = randomJobShop(3, 8, 4);
    const built = buildJobShop(inst);
    const { model } = built;
    const { warm } = serialSchedule(inst, built);
    // in this thread: the two solves share one solver instance
    const opts = { nodeLimit: 20, timeLimit: 600, warmStart: { byIndex: warm }, inline: true };
    const r = await solveModel(model, opts);
    expect(r.status).toBe("node_limit");
    expect(r.solverStatus).toBe("solutionLimit");
    expect(r.nodes).toBe(20);
    expect(r.values).not.toBeNull();
    expect(model.maxViolation(r.values!)).toBeLessThan(1e-5);
    expect(r.bound!).toBeLessThanOrEqual(r.objective! + 1e-6);
    expect(r.gap!).toBeGreaterThan(0);
    const again = await solveModel(model, opts);
    expect([again.status, again.objective, again.bound, again.nodes]).toEqual([
      r.status,
      r.objective,
      r.bound,
      r.nodes,
    ]);
  });

  it("a tiny time limit gives a valid result, whatever its status", async () => {
    const built = buildJobShop(hard);
    const { model } = built;
    const r = await solveModel(model, {
      timeLimit: 0.01,
      warmStart: { byIndex: serialSchedule(hard, built).warm },
    });
    expect(["time_limit", "optimal"]).toContain(r.status);
    expect(r.values).not.toBeNull();
    expect(model.maxViolation(r.values!)).toBeLessThan(1e-5);
    if (r.bound !== null) expect(r.bound).toBeLessThanOrEqual(r.objective! + 1e-6);
  });

  it("uses a warm start: HiGHS accepts it and never returns worse", async () => {
    const built = buildJobShop(hard);
    const { model } = built;
    const { warm, makespan: t } = serialSchedule(hard, built);
    const r = await solveModel(model, { nodeLimit: 1, timeLimit: 600, warmStart: { byIndex: warm } });
    const accepted = r.notes.find((n) => n.startsWith("warm start accepted"));
    expect(accepted, r.notes.join("; ")).toBeDefined();
    expectClose(Number(/objective (\S+)\)/.exec(accepted!)![1]), t);
    expect(r.objective!).toBeLessThanOrEqual(t + 1e-6);
  });

  it("a warm start by name works for a partial assignment", async () => {
    const m = new Model("named");
    const x = m.addVar({ name: "x", type: "integer", ub: 5 });
    const y = m.addVar({ name: "y", type: "integer", ub: 5 });
    m.addConstraint(expr(x, y), "<=", 7);
    m.setObjective(expr([2, x], [3, y]), "maximize");
    const r = await solveModel(m, { warmStart: { byName: { y: 5 } } });
    expect(r.status).toBe("optimal");
    expect(r.objective).toBe(19);
    expect(r.notes.join(" ")).toMatch(/warm start/);
  });

  it("an AbortSignal stops the solve and keeps the incumbent", async () => {
    const inst = randomJobShop(5, 15, 6);
    const built = buildJobShop(inst);
    const { model } = built;
    const ac = new AbortController();
    const progress: number[] = [];
    // The warm start guarantees an incumbent; the abort comes with the first progress report, so
    // it happens after the search has started however slow the machine is.
    const { warm } = serialSchedule(inst, built);
    const r = await solveModel(model, {
      signal: ac.signal,
      warmStart: { byIndex: warm },
      onProgress: (p) => {
        progress.push(p.seconds);
        ac.abort();
      },
    });
    expect(r.status).toBe("interrupted");
    expect(r.values).not.toBeNull();
    expect(model.maxViolation(r.values!)).toBeLessThan(1e-5);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("solves inline too (same answer)", async () => {
    const { model } = buildJobShop(DEMO_JOBSHOP);
    const a = await solveModel(model, { inline: true });
    const b = await solveModel(model);
    expectClose(a.objective, b.objective!, { abs: 1e-6 });
  });
});

describe("cross-check with an independent solver (GLPK)", () => {
  it("agrees with glpk.js on 12 random MIPs", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const m = randomMip(seed);
      const [ours, theirs] = await Promise.all([solveModel(m, { inline: true }), solveWithGlpk(m)]);
      expect(ours.status, `seed ${seed}`).toBe(theirs.status);
      if (ours.status === "optimal") expectClose(ours.objective, theirs.objective, { rel: 1e-6, abs: 1e-6 });
    }
  });
});

describe("misuse is a typed error", () => {
  it("rejects empty bounds, duplicate names, mixed models and non-finite coefficients", () => {
    const m = new Model("m");
    expect(() => m.addVar({ name: "a", lb: 3, ub: 1 })).toThrow(MisuseError);
    m.addVar({ name: "a" });
    expect(() => m.addVar({ name: "a" })).toThrow(/used twice/);
    const other = new Model("other");
    const z = other.addVar({ name: "z" });
    expect(() => m.addConstraint(z, "<=", 1)).toThrow(/another model/);
    expect(() => new LinExpr().add(z, Number.NaN)).toThrow(/not finite/);
  });
  it("refuses to solve a model without variables", async () => {
    await expect(solveModel(new Model("empty"))).rejects.toThrow(/no variables/);
  });
});

/** A feasible full assignment: jobs run one after another; y = 1 when the lower job index goes first. */
function serialSchedule(inst: JobShop, built: ReturnType<typeof buildJobShop>) {
  const warm = new Map<number, number>();
  let t = 0;
  inst.jobs.forEach((ops, j) =>
    ops.forEach(([, d], k) => {
      warm.set(built.start[j]![k]!, t);
      t += d;
    }),
  );
  warm.set(built.makespan, t);
  built.model.columns.forEach((c, i) => {
    const y = /^y_\d+_(\d+)_\d+_(\d+)_\d+$/.exec(c.name);
    if (y) warm.set(i, Number(y[1]) < Number(y[2]) ? 1 : 0);
  });
  return { warm, makespan: t };
}

/** Random job-shop: each job visits every machine once, in a random order, durations 1..9. */
function randomJobShop(seed: number, jobs: number, machines: number): JobShop {
  const r = rng(seed);
  return {
    name: `random-${jobs}x${machines}`,
    jobs: Array.from({ length: jobs }, () => {
      const order = Array.from({ length: machines }, (_, k) => k).sort(() => r() - 0.5);
      return order.map((mach) => [mach, 1 + Math.floor(r() * 9)] as [number, number]);
    }),
  };
}

/**
 * Exact job-shop optimum by enumeration: every combination of per-machine operation orders;
 * each consistent combination gives a semi-active schedule by longest path; the best is optimal.
 */
function enumerateJobShop(inst: JobShop): number {
  const ops: { j: number; k: number; m: number; d: number }[] = [];
  inst.jobs.forEach((o, j) => o.forEach(([m, d], k) => ops.push({ j, k, m, d })));
  const machines = [...new Set(ops.map((o) => o.m))];
  const perMachine = machines.map((m) => ops.filter((o) => o.m === m));
  const perms = <T>(a: T[]): T[][] =>
    a.length <= 1
      ? [a]
      : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((p) => [x, ...p]));
  const choices = perMachine.map((list) => perms(list));
  let best = Number.POSITIVE_INFINITY;
  const pick = (mi: number, chosen: (typeof ops)[]) => {
    if (mi === choices.length) {
      const end = new Map<(typeof ops)[number], number>();
      // Iterate to a fixed point (the precedence graph is acyclic iff this converges in |ops| rounds).
      const start = new Map(ops.map((o) => [o, 0]));
      for (let round = 0; round <= ops.length; round++) {
        let changed = false;
        for (const o of ops) {
          let s = 0;
          const prevInJob = ops.find((p) => p.j === o.j && p.k === o.k - 1);
          if (prevInJob) s = Math.max(s, start.get(prevInJob)! + prevInJob.d);
          for (const seq of chosen) {
            const idx = seq.indexOf(o);
            if (idx > 0) s = Math.max(s, start.get(seq[idx - 1]!)! + seq[idx - 1]!.d);
          }
          if (s !== start.get(o)) {
            start.set(o, s);
            changed = true;
          }
        }
        if (!changed) {
          for (const o of ops) end.set(o, start.get(o)! + o.d);
          best = Math.min(best, Math.max(...end.values()));
          return;
        }
      }
      return; // cyclic: no schedule with these orders
    }
    for (const c of choices[mi]!) pick(mi + 1, [...chosen, c]);
  };
  pick(0, []);
  return best;
}
