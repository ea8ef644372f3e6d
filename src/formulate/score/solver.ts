/**
 * The solver-grounded verifier (ours, not the paper's): a partial model scores by whether it
 * compiles — sets, parameter data against their domains, variable domains, then every objective
 * and constraint expression — and a complete one by what HiGHS says of it. Repairs the compiler
 * had to make (implicit `*`, inferred sets) cost a little each.
 *
 *   does not compile → 0;  compiles → 1 − min(0.5, 0.05 · repairs);
 *   complete: optimal → that; a solution at the time limit → 0.7 × that;
 *             infeasible or unbounded → 0.1; no solution or a solver failure → 0.
 */
import { checkLayers } from "../compile.js";
import { FormulationError } from "../errors.js";
import { StructuredModelSchema } from "../schema.js";
import { solveStructured } from "../solve-model.js";
import type { PreferenceScorer, ProcessScorer, ScoreContext, ScoredModel } from "./types.js";

/** Options of the solver verifier. */
export interface VerifierOptions {
  /** Seconds HiGHS may spend on a complete model. */
  timeLimit: number;
}

/** The verifier's score of a (partial) model. */
export async function verifierScore(
  node: ScoredModel,
  o: VerifierOptions,
  signal?: AbortSignal,
): Promise<number> {
  let warnings: string[];
  try {
    warnings = checkLayers(node.model).warnings;
  } catch (e) {
    if (e instanceof FormulationError) return 0;
    throw e;
  }
  const base = 1 - Math.min(0.5, 0.05 * warnings.length);
  if (node.model.objective === undefined || node.model.constraints === undefined) return base;
  const parsed = StructuredModelSchema.safeParse(node.model);
  if (!parsed.success) return 0;
  try {
    const { result } = await solveStructured(parsed.data, { inline: true, timeLimit: o.timeLimit, signal });
    switch (result.status) {
      case "optimal":
        return base;
      case "time_limit":
        return result.objective === null ? 0 : 0.7 * base;
      case "infeasible":
      case "unbounded":
        return 0.1;
      default:
        return 0;
    }
  } catch (e) {
    if (e instanceof FormulationError) return 0;
    throw e;
  }
}

/** The verifier as a process reward. */
export function verifierProcessScorer(o: VerifierOptions): ProcessScorer {
  return {
    name: "solver",
    score: (ctx: ScoreContext, node: ScoredModel) => verifierScore(node, o, ctx.signal),
  };
}

/** The verifier as a preference: P(A ≻ B) = 0.5 + (score(A) − score(B)) / 2. */
export function verifierPreferenceScorer(o: VerifierOptions): PreferenceScorer {
  return {
    name: "solver",
    async prefer(ctx: ScoreContext, a: ScoredModel, b: ScoredModel): Promise<number> {
      const [sa, sb] = await Promise.all([verifierScore(a, o, ctx.signal), verifierScore(b, o, ctx.signal)]);
      return 0.5 + (sa - sb) / 2;
    },
  };
}
