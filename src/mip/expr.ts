/**
 * Linear expressions over model variables, built without string concatenation:
 * a sparse map from variable index to coefficient plus a constant.
 */
import { MisuseError } from "../errors/index.js";

/** A handle to a model variable. Create with `Model.addVar`. */
export interface Var {
  readonly index: number;
  readonly name: string;
  /** Identifies the owning model, so mixing models is caught. */
  readonly modelId: number;
}

/** Anything that can stand in a linear expression: a variable, an expression or a constant. */
export type Term = Var | LinExpr | number;

/** A linear expression Σ coef·var + constant, changed in place by `add`, `sub` and `scale`. */
export class LinExpr {
  readonly terms = new Map<number, number>();
  constant = 0;
  modelId = -1;

  /** Adds `coef × term` in place and returns this expression. */
  add(term: Term, coef = 1): this {
    if (!Number.isFinite(coef))
      throw new MisuseError({
        where: "LinExpr.add",
        what: `coefficient ${coef} is not finite`,
        hint: "use finite coefficients",
      });
    if (typeof term === "number") {
      this.constant += coef * term;
      return this;
    }
    this.checkModel(term.modelId);
    if (term instanceof LinExpr) {
      for (const [i, c] of term.terms) this.addIndex(i, c * coef);
      this.constant += term.constant * coef;
      return this;
    }
    this.addIndex(term.index, coef);
    return this;
  }

  /** Subtracts `coef × term` in place. */
  sub(term: Term, coef = 1): this {
    return this.add(term, -coef);
  }

  /** Multiplies the whole expression by `k` in place. */
  scale(k: number): this {
    for (const [i, c] of this.terms) this.terms.set(i, c * k);
    this.constant *= k;
    return this;
  }

  clone(): LinExpr {
    const e = new LinExpr();
    e.modelId = this.modelId;
    e.constant = this.constant;
    for (const [i, c] of this.terms) e.terms.set(i, c);
    return e;
  }

  /** Value of the expression for a full assignment indexed by variable index. */
  evaluate(values: ArrayLike<number>): number {
    let v = this.constant;
    for (const [i, c] of this.terms) v += c * values[i]!;
    return v;
  }

  private addIndex(i: number, c: number): void {
    const v = (this.terms.get(i) ?? 0) + c;
    if (v === 0) this.terms.delete(i);
    else this.terms.set(i, v);
  }

  private checkModel(id: number): void {
    if (id === -1) return;
    if (this.modelId === -1) this.modelId = id;
    else if (this.modelId !== id)
      throw new MisuseError({
        where: "LinExpr",
        what: "an expression mixes variables of two different models",
        hint: "build each expression from one model's variables",
      });
  }
}

/** Builds `Σ coef·term` from terms or [coef, term] pairs: `expr(x, [2, y], 5)` = x + 2y + 5. */
export function expr(...parts: (Term | readonly [number, Term])[]): LinExpr {
  const e = new LinExpr();
  for (const p of parts) {
    if (Array.isArray(p)) e.add(p[1] as Term, p[0] as number);
    else e.add(p as Term);
  }
  return e;
}

/** Σ of terms. */
export function sum(terms: Iterable<Term>): LinExpr {
  const e = new LinExpr();
  for (const t of terms) e.add(t);
  return e;
}
