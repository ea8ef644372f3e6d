/**
 * NL4OPT documents (Ramamonjison et al., "NL4Opt Competition: Formulating Optimization Problems
 * Based on Their Natural Language Descriptions", NeurIPS 2022 competition track, arXiv 2303.08233).
 * The dev set carries no objective value, but each document is annotated with its objective and
 * constraint declarations (`linear`, `sum`, `upperbound`, `lowerbound`, `xy`, `xby`, `ratio`). This
 * module turns the annotation into a linear program over non-negative continuous variables, so the
 * reference answer of a document is the optimum of its annotated LP. Numbers written as words
 * ("twice", "a third", "30%", "one hundred thousand") are read; variable mentions are matched to
 * the declared variables by normalized words. An annotation that cannot be read yields a reason,
 * not a guess.
 */
import { z } from "zod";
import { LinExpr, Model, type Var } from "../../mip/index.js";

const Decl = z.object({ type: z.string() }).passthrough();

/** One NL4OPT record: `{ "<id>": { document, vars, obj_declaration, const_declarations, … } }`. */
export const Nl4optRecordSchema = z.object({
  document: z.string(),
  vars: z.array(z.string()).default([]),
  var_mention_to_first_var: z.record(z.string(), z.string()).default({}),
  first_var_to_mentions: z.record(z.string(), z.array(z.string())).default({}),
  obj_declaration: Decl.optional(),
  const_declarations: z.array(Decl).default([]),
});
/** One NL4OPT document with its annotations, as validated. */
export type Nl4optRecord = z.output<typeof Nl4optRecordSchema>;

const WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1_000_000,
  twice: 2,
  double: 2,
  triple: 3,
  half: 0.5,
  third: 1 / 3,
  quarter: 0.25,
  fourth: 0.25,
  fifth: 0.2,
};

/** Reads an annotated number: "4,000", "70%", "7.5%", "twice", "a third", "thirty percent", "8000 minutes". */
export function readAnnotatedNumber(text: string): number | null {
  const t = text.trim().toLowerCase().replace(/,/g, "");
  const pct = /%|\bpercent\b/.test(t);
  const scale = pct ? 0.01 : 1;
  const m = /^-?\d+(\.\d+)?/.exec(t);
  if (m) return Number(m[0]) * scale;
  const words = t
    .replace(/%/g, " ")
    .split(/[\s-]+/)
    .filter((w) => w && !["a", "an", "the", "times", "percent", "of"].includes(w));
  if (words.length === 0) return null;
  let total = 0;
  let current = 0;
  for (const w of words) {
    const v = WORDS[w];
    if (v === undefined) return null;
    if (w === "hundred") current = (current || 1) * 100;
    else if (v >= 1000) {
      total += (current || 1) * v;
      current = 0;
    } else current += v;
  }
  return (total + current) * scale;
}

function normalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, " ")
    .split(/\s+/)
    .filter((w) => w && w !== "the")
    .map((w) =>
      w.length > 3 && w.endsWith("es") && !w.endsWith("ses")
        ? w.slice(0, -2)
        : w.length > 2 && w.endsWith("s")
          ? w.slice(0, -1)
          : w,
    )
    .join(" ");
}

/** Matches a mention to a declared variable (exact mention, normalized words, then word overlap). */
function matchVar(mention: string, rec: Nl4optRecord): string | null {
  const direct = rec.var_mention_to_first_var[mention];
  if (direct && rec.vars.includes(direct)) return direct;
  const n = normalize(mention);
  const forms = rec.vars.map((v) => ({
    v,
    forms: [v, ...(rec.first_var_to_mentions[v] ?? [])].map(normalize),
  }));
  const exact = forms.filter((f) => f.forms.includes(n));
  if (exact.length === 1) return exact[0]!.v;
  const words = new Set(n.split(" "));
  let best: string | null = null;
  let bestScore = 0;
  let tie = false;
  for (const f of forms) {
    const score = Math.max(
      ...f.forms.map((form) => {
        const fw = form.split(" ");
        const common = fw.filter((w) => words.has(w)).length;
        return common / Math.max(fw.length, words.size);
      }),
    );
    if (score > bestScore) {
      bestScore = score;
      best = f.v;
      tie = false;
    } else if (score === bestScore && score > 0) tie = true;
  }
  return bestScore > 0 && !tie ? best : null;
}

/** An annotated LP, or why the annotation cannot be read. */
export type AnnotatedLp = { ok: true; model: Model; notes: string[] } | { ok: false; reason: string };

const MAX_DIRS = /max|highest|most|largest|increase|greatest/i;
const MIN_DIRS = /min|lowest|least|smallest|decrease|reduce|fewest/i;

/** Builds the annotated LP of an NL4OPT record. */
export function annotatedLp(rec: Nl4optRecord, name = "nl4opt"): AnnotatedLp {
  if (rec.vars.length === 0) return { ok: false, reason: "no variables are annotated" };
  const m = new Model(name);
  const vars = new Map<string, Var>();
  rec.vars.forEach((v, i) => {
    vars.set(v, m.addVar({ name: `v${i}` }));
  });
  const v = (mention: unknown): Var | string => {
    if (typeof mention !== "string") return "a declaration names no variable";
    const k = matchVar(mention, rec);
    return k ? vars.get(k)! : `cannot match "${mention}" to a variable (${rec.vars.join(", ")})`;
  };
  const num = (text: unknown, what: string): number | string => {
    const n = typeof text === "number" ? text : typeof text === "string" ? readAnnotatedNumber(text) : null;
    return n === null || !Number.isFinite(n) ? `cannot read the ${what} ${JSON.stringify(text)}` : n;
  };
  const terms = (raw: unknown): LinExpr | string => {
    if (!raw || typeof raw !== "object") return "a declaration has no terms";
    const e = new LinExpr();
    for (const [mention, coef] of Object.entries(raw as Record<string, unknown>)) {
      const x = v(mention);
      if (typeof x === "string") return x;
      const c = num(coef, "coefficient");
      if (typeof c === "string") return c;
      e.add(x, c);
    }
    return e;
  };
  const all = () => {
    const e = new LinExpr();
    for (const x of vars.values()) e.add(x);
    return e;
  };
  const obj = rec.obj_declaration;
  if (!obj) return { ok: false, reason: "no objective is annotated" };
  const dir = String(obj.direction ?? "");
  const sense = MAX_DIRS.test(dir) ? "maximize" : MIN_DIRS.test(dir) ? "minimize" : null;
  if (!sense) return { ok: false, reason: `cannot tell the objective's direction from "${dir}"` };
  let oe: LinExpr | string;
  if (obj.type === "objective") oe = terms(obj.terms);
  else if (obj.type === "objvar") {
    const list = Array.isArray(obj.vars) ? obj.vars : [];
    const e = new LinExpr();
    oe = e;
    for (const mention of list) {
      const x = v(mention);
      if (typeof x === "string") {
        oe = x;
        break;
      }
      e.add(x);
    }
  } else return { ok: false, reason: `unknown objective type "${obj.type}"` };
  if (typeof oe === "string") return { ok: false, reason: oe };
  m.setObjective(oe, sense);
  const notes: string[] = [];
  for (const [k, c] of rec.const_declarations.entries()) {
    const op =
      c.operator === "LESS_OR_EQUAL"
        ? "<="
        : c.operator === "GREATER_OR_EQUAL"
          ? ">="
          : c.operator === "EQUAL"
            ? "="
            : null;
    if (!op) return { ok: false, reason: `constraint ${k}: unknown operator ${JSON.stringify(c.operator)}` };
    let lhs: LinExpr | string;
    let rhs: LinExpr | number | string;
    switch (c.type) {
      case "linear":
        lhs = terms(c.terms);
        rhs = num(c.limit, "limit");
        break;
      case "sum":
        lhs = all();
        rhs = num(c.limit, "limit");
        break;
      case "upperbound":
      case "lowerbound": {
        const x = v(c.var);
        lhs = typeof x === "string" ? x : new LinExpr().add(x);
        rhs = num(c.limit, "limit");
        break;
      }
      case "xy": {
        const x = v(c.x_var);
        const y = v(c.y_var);
        lhs = typeof x === "string" ? x : new LinExpr().add(x);
        rhs = typeof y === "string" ? y : new LinExpr().add(y);
        break;
      }
      case "xby": {
        const x = v(c.x_var);
        const y = v(c.y_var);
        const p = num(c.param, "factor");
        lhs = typeof x === "string" ? x : new LinExpr().add(x);
        rhs = typeof y === "string" ? y : typeof p === "string" ? p : new LinExpr().add(y, p);
        break;
      }
      case "ratio": {
        const x = v(c.var);
        const r = num(c.limit, "ratio");
        lhs = typeof x === "string" ? x : new LinExpr().add(x);
        rhs = typeof r === "string" ? r : all().scale(r > 1 ? r / 100 : r);
        if (typeof r === "number" && r > 1)
          notes.push(`constraint ${k}: ratio ${c.limit} read as ${r / 100}`);
        break;
      }
      default:
        return { ok: false, reason: `constraint ${k}: unknown type "${c.type}"` };
    }
    if (typeof lhs === "string") return { ok: false, reason: `constraint ${k}: ${lhs}` };
    if (typeof rhs === "string") return { ok: false, reason: `constraint ${k}: ${rhs}` };
    m.addConstraint(lhs, op, rhs, `c${k}`);
  }
  return { ok: true, model: m, notes };
}
