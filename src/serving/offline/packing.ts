/**
 * Minimum-makespan bin packing (P||Cmax) of requests onto clients, the offline stage of Pang et al.
 * (arXiv 2502.15763, §3 "offline"): min C  s.t.  Σ_j x_ij = 1 ∀i,  Σ_i w_i x_ij ≤ C ∀j,  x binary.
 * Solved through the MIP engine with the LPT packing as MIP start; symmetry is cut by fixing the
 * largest job on client 0. Large instances (n·J above `maxBinaries`) or solver failures fall back
 * to LPT. The solver's dual bound is itself a valid lower bound on the best packing's max load.
 */
import { throwIfAborted } from "../../errors/index.js";
import { LinExpr, Model, type SolveResult, solveModel, sum, type Var } from "../../mip/index.js";
import { lpt, type Packing, packingLoads } from "./lpt.js";

/** Options of `packMakespan`. */
export interface PackOptions {
  /** Seconds for the MIP (default 10). */
  timeLimit?: number;
  /** Relative MIP gap tolerance (default 1e-3); LPT within it of the simple bound is accepted without solving. */
  gap?: number;
  /** Above this many binaries the MIP is skipped and LPT is returned (status "heuristic"). */
  maxBinaries?: number;
  signal?: AbortSignal;
  onProgress?: (p: { seconds: number; incumbent: number | null; bound: number | null }) => void;
}

/** A packing with how it was found: the method, the solver's outcome and the proven bound. */
export interface PackResult extends Packing {
  status: SolveResult["status"] | "heuristic";
  method: "mip" | "lpt";
  /** The solver and its version when the MIP ran, else null. */
  solver: string | null;
  lptMakespan: number;
  /** Best proven lower bound on the optimal max load (max of the MIP bound and the simple bound). */
  bound: number;
  gap: number | null;
  seconds: number;
  binaries: number;
  notes: string[];
}

/** The simple bound LB = max(Σ w / J, max w). */
export function simplePackingBound(work: readonly number[], machines: number): number {
  let s = 0;
  let m = 0;
  for (const w of work) {
    s += w;
    m = Math.max(m, w);
  }
  return Math.max(s / machines, m);
}

/** Packs `work` onto `machines` minimizing the largest load (MIP with LPT start; LPT fallback). */
export async function packMakespan(
  work: readonly number[],
  machines: number,
  opts: PackOptions = {},
): Promise<PackResult> {
  const t0 = performance.now();
  const heur = lpt(work, machines);
  const simple = simplePackingBound(work, machines);
  const n = work.length;
  const binaries = n * machines;
  const base = (notes: string[], status: PackResult["status"]): PackResult => ({
    ...heur,
    status,
    method: "lpt",
    lptMakespan: heur.makespan,
    bound: simple,
    gap: heur.makespan > 0 ? (heur.makespan - simple) / heur.makespan : 0,
    seconds: (performance.now() - t0) / 1000,
    binaries,
    solver: null,
    notes,
  });
  if (machines === 1 || n === 0)
    return base(["one client or no requests: the packing is trivial"], "optimal");
  const tol = opts.gap ?? 1e-3;
  if (heur.makespan - simple <= tol * heur.makespan)
    return base(
      [
        `LPT is within the gap tolerance ${tol} of the bound max(Σw/J, max w): optimal within tolerance, MIP not needed`,
      ],
      "optimal",
    );
  if (binaries > (opts.maxBinaries ?? 20000))
    return base(
      [`${binaries} binaries exceed the limit ${opts.maxBinaries ?? 20000}: LPT packing used`],
      "heuristic",
    );
  throwIfAborted(opts.signal, "packing");

  // The largest job is fixed on client 0 (symmetry).
  const largest = work.reduce((b, w, i) => (w > (work[b] ?? 0) ? i : b), 0);
  const m = new Model("makespan-packing");
  const x: Var[][] = work.map((_, i) =>
    Array.from({ length: machines }, (_, j) => {
      const fixed = i === largest ? (j === 0 ? 1 : 0) : undefined;
      return m.addVar({ name: `x_${i}_${j}`, type: "binary", lb: fixed ?? 0, ub: fixed ?? 1 });
    }),
  );
  const C = m.addVar({ name: "C", lb: simple, ub: heur.makespan });
  for (const [i, row] of x.entries()) m.addConstraint(sum(row), "=", 1, `assign_${i}`);
  const loadRows = Array.from({ length: machines }, () => new LinExpr());
  for (const [i, row] of x.entries()) for (const [j, v] of row.entries()) loadRows[j]?.add(v, work[i] ?? 0);
  for (const [j, e] of loadRows.entries()) m.addConstraint(e, "<=", C, `load_${j}`);
  m.setObjective(C, "minimize");
  // Warm start from LPT with client labels permuted so the largest job sits on client 0.
  const perm = Int32Array.from({ length: machines }, (_, j) => j);
  const j0 = heur.assignment[largest] ?? 0;
  perm[j0] = 0;
  perm[0] = j0;
  const start = new Map<number, number>();
  for (const [i, row] of x.entries())
    for (const [j, v] of row.entries()) start.set(v.index, perm[heur.assignment[i] ?? 0] === j ? 1 : 0);
  start.set(C.index, heur.makespan);
  const r = await solveModel(m, {
    timeLimit: opts.timeLimit ?? 10,
    gap: tol,
    seed: 0,
    warmStart: { byIndex: start },
    signal: opts.signal,
    onProgress: opts.onProgress
      ? (p) => opts.onProgress!({ seconds: p.seconds, incumbent: p.incumbent, bound: p.bound })
      : undefined,
  });
  if (r.status === "interrupted") throwIfAborted(opts.signal, "packing");
  const notes = [...r.notes];
  if (!r.values || r.objective === null || r.objective >= heur.makespan - 1e-12) {
    const out = base([...notes, `MIP ${r.status}: no packing better than LPT found`], r.status);
    out.solver = r.solver;
    out.bound = Math.max(simple, r.bound ?? 0);
    out.gap = heur.makespan > 0 ? (heur.makespan - out.bound) / heur.makespan : 0;
    out.seconds = (performance.now() - t0) / 1000;
    return out;
  }
  const values = r.values;
  const assignment = Int32Array.from(x, (row) => {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const [j, v] of row.entries()) {
      const value = values[v.index] ?? 0;
      if (value > bestValue) [best, bestValue] = [j, value];
    }
    return best;
  });
  const loads = packingLoads(work, assignment, machines);
  const makespan = Math.max(...loads);
  const bound = Math.max(simple, r.bound ?? 0);
  return {
    assignment,
    loads,
    makespan,
    status: r.status,
    method: "mip",
    lptMakespan: heur.makespan,
    bound,
    gap: makespan > 0 ? (makespan - bound) / makespan : 0,
    seconds: (performance.now() - t0) / 1000,
    binaries,
    solver: r.solver,
    notes,
  };
}
