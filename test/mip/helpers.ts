/** Test-only builders: random MIPs and a glpk.js cross-check (an independent solver, dev dependency). */
import GLPK from "glpk.js/node";
import { LinExpr, Model, type Var } from "../../src/mip/index.js";
import { mulberry32 as rng } from "../../src/util/random.js";

export { mulberry32 as rng } from "../../src/util/random.js";

/** A random bounded, feasible MIP: maximize c·x s.t. A x ≤ b, 0 ≤ x ≤ u, some x integer. */
export function randomMip(seed: number, n = 8, m = 5): Model {
  const r = rng(seed);
  const model = new Model(`random${seed}`);
  const xs: Var[] = [];
  for (let j = 0; j < n; j++) {
    const kind = r();
    xs.push(
      model.addVar({
        name: `x${j}`,
        type: kind < 0.4 ? "integer" : kind < 0.7 ? "binary" : "continuous",
        ub: 1 + Math.floor(r() * 9),
      }),
    );
  }
  for (let i = 0; i < m; i++) {
    const e = new LinExpr();
    for (const x of xs) if (r() < 0.7) e.add(x, Math.round((r() * 10 - 2) * 10) / 10);
    if (e.terms.size === 0) e.add(xs[0]!, 1);
    model.addConstraint(e, "<=", Math.round(5 + r() * 30), `r${i}`);
  }
  const obj = new LinExpr();
  for (const x of xs) obj.add(x, Math.round((r() * 10 - 1) * 10) / 10);
  model.setObjective(obj, r() < 0.5 ? "maximize" : "minimize");
  return model;
}

export interface GlpkOutcome {
  status: "optimal" | "infeasible" | "unbounded" | "other";
  objective: number;
}

/** Solves a Model with GLPK (converted to glpk.js's JSON form). */
export async function solveWithGlpk(model: Model): Promise<GlpkOutcome> {
  const g = await GLPK();
  const names = model.columns.map((c) => c.name);
  const lp = toGlpk(g, model);
  const res = g.solve(lp, { msglev: g.GLP_MSG_OFF, presol: true });
  const s = res.result.status;
  void names;
  return {
    status:
      s === g.GLP_OPT
        ? "optimal"
        : s === g.GLP_NOFEAS
          ? "infeasible"
          : s === g.GLP_UNBND
            ? "unbounded"
            : "other",
    objective: res.result.z,
  };
}

type Glpk = Awaited<ReturnType<typeof GLPK>>;

export function toGlpk(g: Glpk, model: Model) {
  const cols = model.columns;
  const bnd = (lo: number, hi: number) => {
    const L = Number.isFinite(lo);
    const H = Number.isFinite(hi);
    if (L && H) return lo === hi ? { type: g.GLP_FX, lb: lo, ub: hi } : { type: g.GLP_DB, lb: lo, ub: hi };
    if (L) return { type: g.GLP_LO, lb: lo, ub: 0 };
    if (H) return { type: g.GLP_UP, lb: 0, ub: hi };
    return { type: g.GLP_FR, lb: 0, ub: 0 };
  };
  return {
    name: model.name,
    objective: {
      direction: model.sense === "maximize" ? g.GLP_MAX : g.GLP_MIN,
      name: "obj",
      vars: [...model.objective.terms].map(([i, c]) => ({ name: cols[i]!.name, coef: c })),
    },
    subjectTo: model.rows.map((r) => ({
      name: r.name,
      vars: Array.from(r.indices, (i, t) => ({ name: cols[i]!.name, coef: r.values[t]! })),
      bnds: bnd(r.lower, r.upper),
    })),
    bounds: cols.map((c) => ({ name: c.name, ...bnd(c.lb, c.ub) })),
    generals: cols.filter((c) => c.type === "integer").map((c) => c.name),
    binaries: cols.filter((c) => c.type === "binary").map((c) => c.name),
  };
}
