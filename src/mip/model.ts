/**
 * The MIP modeling layer: variables (continuous, integer, binary) with bounds, linear constraints
 * (≤, ≥, =, or ranged) and a linear objective. Stored sparsely by row; the HiGHS adapter turns it
 * into CSR arrays and the LP writer into CPLEX LP text.
 */
import { MisuseError } from "../errors/index.js";
import { LinExpr, type Term, type Var } from "./expr.js";

/** A variable's domain: continuous, integer, or binary (integer in [0, 1]). */
export type VarType = "continuous" | "integer" | "binary";
/** The objective's direction. */
export type Sense = "minimize" | "maximize";
/** The relation of a constraint. */
export type Comparison = "<=" | ">=" | "=";

/** What `Model.addVar` takes: name, type and bounds, all optional. */
export interface VarSpec {
  name?: string;
  type?: VarType;
  /** Default 0. Use -Infinity for a free variable. */
  lb?: number;
  /** Default +Infinity (1 for binaries). */
  ub?: number;
}

/** A variable as stored in the model. */
export interface Column {
  name: string;
  type: VarType;
  lb: number;
  ub: number;
}

/** A constraint as stored in the model: sparse coefficients and activity bounds. */
export interface Row {
  name: string;
  /** Row activity bounds: lower ≤ Σ a·x ≤ upper (constants moved to the bounds). */
  lower: number;
  upper: number;
  indices: Int32Array;
  values: Float64Array;
}

let nextModelId = 1;

/** A linear or mixed-integer program: variables, constraints, objective. Solve it with `solveModel`. */
export class Model {
  readonly id = nextModelId++;
  readonly name: string;
  readonly columns: Column[] = [];
  readonly rows: Row[] = [];
  sense: Sense = "minimize";
  objective = new LinExpr();
  private readonly colNames = new Set<string>();
  private readonly rowNames = new Set<string>();

  constructor(name = "model") {
    this.name = name;
  }

  get numVars(): number {
    return this.columns.length;
  }
  get numConstraints(): number {
    return this.rows.length;
  }
  get numIntegers(): number {
    let n = 0;
    for (const c of this.columns) if (c.type !== "continuous") n++;
    return n;
  }
  get numNonzeros(): number {
    let n = 0;
    for (const r of this.rows) n += r.indices.length;
    return n;
  }

  addVar(spec: VarSpec = {}): Var {
    const type = spec.type ?? "continuous";
    const index = this.columns.length;
    const name = spec.name ?? `x${index}`;
    let lb = spec.lb ?? 0;
    let ub = spec.ub ?? (type === "binary" ? 1 : Number.POSITIVE_INFINITY);
    if (type === "binary") {
      lb = Math.max(lb, 0);
      ub = Math.min(ub, 1);
    }
    if (Number.isNaN(lb) || Number.isNaN(ub) || lb > ub)
      throw new MisuseError({
        where: `variable ${name}`,
        what: `bounds [${lb}, ${ub}] are empty or NaN`,
        hint: "give lb ≤ ub",
      });
    if (this.colNames.has(name))
      throw new MisuseError({
        where: `variable ${name}`,
        what: "the name is used twice",
        hint: "give each variable a unique name",
      });
    this.colNames.add(name);
    this.columns.push({ name, type, lb, ub });
    return { index, name, modelId: this.id };
  }

  /** Adds `lhs (cmp) rhs`, where either side may be an expression, a variable or a number. */
  addConstraint(lhs: Term, cmp: Comparison, rhs: Term, name?: string): number {
    const e = toExpr(lhs).clone().sub(rhs);
    this.checkExpr(e);
    const k = -e.constant;
    const lower = cmp === "<=" ? Number.NEGATIVE_INFINITY : k;
    const upper = cmp === ">=" ? Number.POSITIVE_INFINITY : k;
    return this.pushRow(e, lower, upper, name);
  }

  /** Adds `lower ≤ e ≤ upper` (a ranged row). */
  addRange(lower: number, e: LinExpr, upper: number, name?: string): number {
    this.checkExpr(e);
    return this.pushRow(e, lower - e.constant, upper - e.constant, name);
  }

  setObjective(e: Term, sense: Sense = "minimize"): void {
    const ex = toExpr(e).clone();
    this.checkExpr(ex);
    this.objective = ex;
    this.sense = sense;
  }

  /** Evaluates every row and bound at `values`; returns the worst violation (0 when feasible). */
  maxViolation(values: ArrayLike<number>): number {
    let worst = 0;
    this.columns.forEach((c, i) => {
      const v = values[i]!;
      worst = Math.max(worst, c.lb - v, v - c.ub);
      if (c.type !== "continuous") worst = Math.max(worst, Math.abs(v - Math.round(v)));
    });
    for (const r of this.rows) {
      let a = 0;
      for (let t = 0; t < r.indices.length; t++) a += r.values[t]! * values[r.indices[t]!]!;
      worst = Math.max(worst, r.lower - a, a - r.upper);
    }
    return worst;
  }

  private pushRow(e: LinExpr, lower: number, upper: number, name?: string): number {
    const idx = this.rows.length;
    const rowName = name ?? `c${idx}`;
    if (this.rowNames.has(rowName))
      throw new MisuseError({
        where: `constraint ${rowName}`,
        what: "the name is used twice",
        hint: "give each constraint a unique name",
      });
    this.rowNames.add(rowName);
    const entries = [...e.terms.entries()].sort((a, b) => a[0] - b[0]);
    this.rows.push({
      name: rowName,
      lower,
      upper,
      indices: Int32Array.from(entries, (t) => t[0]),
      values: Float64Array.from(entries, (t) => t[1]),
    });
    return idx;
  }

  private checkExpr(e: LinExpr): void {
    if (e.modelId !== -1 && e.modelId !== this.id)
      throw new MisuseError({
        where: this.name,
        what: "an expression uses variables of another model",
        hint: "build it from this model's variables",
      });
  }
}

function toExpr(t: Term): LinExpr {
  if (t instanceof LinExpr) return t;
  return new LinExpr().add(t);
}
