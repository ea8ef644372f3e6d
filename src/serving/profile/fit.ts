/**
 * Fits the linear time model from measured iterations by non-negative least squares (exhaustive
 * active set over the ≤ 3 coefficients of each phase: every subset of coefficients is solved by
 * the normal equations and the best one with all coefficients ≥ 0 is kept).
 * Rows: phase (prefill|decode), batch (requests), tokens (prefill: Σ prompt tokens; decode: Σ
 * context tokens), seconds. Prefill: s = α_p + β_p·tokens + γ_p·tokens²/batch (equal prompts);
 * decode: s = α_d + β_d·batch + δ_d·tokens.
 */
import { parseCsv } from "../../util/csv.js";
import { readText } from "../../util/files.js";
import { ProfileError } from "../errors.js";
import type { TimeModel } from "./schema.js";

/** One measured iteration. */
export interface FitRow {
  phase: "prefill" | "decode";
  batch: number;
  tokens: number;
  seconds: number;
}

/** The fit of one phase: coefficients (α, β, γ or α, β, δ), rows used, RMSE and R². */
export interface PhaseFit {
  coefficients: number[];
  rows: number;
  rmseSeconds: number;
  r2: number;
}

/** The fitted time model and each phase's fit. */
export interface FitResult {
  timeModel: TimeModel;
  prefill: PhaseFit;
  decode: PhaseFit;
}

/** Solves the small dense system A x = b by Gaussian elimination with partial pivoting (null if singular). */
function solveDense(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) < 1e-300) return null;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r, i) => r[n]! / r[i]!);
}

/** Non-negative least squares over k ≤ 3 features, exhaustive over supports. */
export function nnls(X: number[][], y: number[]): number[] {
  const k = X[0]?.length ?? 0;
  let best: number[] = new Array(k).fill(0);
  let bestErr = y.reduce((s, v) => s + v * v, 0);
  for (let mask = 1; mask < 1 << k; mask++) {
    const cols = [...Array(k).keys()].filter((j) => mask & (1 << j));
    // Column scaling keeps the normal equations well conditioned (features differ by 10^6).
    const scale = cols.map((j) => Math.sqrt(X.reduce((s, r) => s + r[j]! * r[j]!, 0)) || 1);
    const A = cols.map((a, ia) =>
      cols.map((b, ib) => X.reduce((s, r) => s + r[a]! * r[b]!, 0) / (scale[ia]! * scale[ib]!)),
    );
    const rhs = cols.map((a, ia) => X.reduce((s, r, i) => s + r[a]! * y[i]!, 0) / scale[ia]!);
    const sol = solveDense(A, rhs);
    if (!sol || sol.some((v) => v < -1e-12)) continue;
    const x = new Array(k).fill(0);
    cols.forEach((j, i) => (x[j] = Math.max(0, sol[i]! / scale[i]!)));
    const err = X.reduce((s, r, i) => s + (r.reduce((t, v, j) => t + v * x[j]!, 0) - y[i]!) ** 2, 0);
    if (err < bestErr - 1e-18) {
      bestErr = err;
      best = x;
    }
  }
  return best;
}

function fitPhase(X: number[][], y: number[]): PhaseFit {
  const c = nnls(X, y);
  const pred = X.map((r) => r.reduce((t, v, j) => t + v * c[j]!, 0));
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const sse = y.reduce((s, v, i) => s + (v - pred[i]!) ** 2, 0);
  const sst = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  return {
    coefficients: c,
    rows: y.length,
    rmseSeconds: Math.sqrt(sse / y.length),
    r2: sst > 0 ? 1 - sse / sst : 1,
  };
}

/** Fits both phases by non-negative least squares; fewer than 2 rows of a phase is a ProfileError naming `where`. */
export function fitTimeModel(rows: readonly FitRow[], where = "fit rows"): FitResult {
  const pre = rows.filter((r) => r.phase === "prefill");
  const dec = rows.filter((r) => r.phase === "decode");
  if (pre.length < 2 || dec.length < 2)
    throw new ProfileError({
      where,
      what: `${pre.length} prefill and ${dec.length} decode row(s)`,
      hint: "measure at least 2 rows of each phase (3+ with varied batch and tokens for all coefficients)",
    });
  const prefill = fitPhase(
    pre.map((r) => [1, r.tokens, (r.tokens * r.tokens) / r.batch]),
    pre.map((r) => r.seconds),
  );
  const decode = fitPhase(
    dec.map((r) => [1, r.batch, r.tokens]),
    dec.map((r) => r.seconds),
  );
  const [ap, bp, gp] = prefill.coefficients;
  const [ad, bd, dd] = decode.coefficients;
  return {
    timeModel: {
      prefill: { alpha: ap!, beta: bp!, gamma: gp! },
      decode: { alpha: ad!, beta: bd!, delta: dd! },
    },
    prefill,
    decode,
  };
}

/** Parses fit rows from CSV with header phase,batch,tokens,seconds (line numbers in errors). */
export function parseFitCsv(text: string, file = "fit.csv"): FitRow[] {
  const [head, ...records] = parseCsv(text, { file, error: ProfileError });
  const header = (head?.fields ?? []).map((s) => s.trim().toLowerCase());
  const [ip, ib, it, is] = ["phase", "batch", "tokens", "seconds"].map((k) => header.indexOf(k));
  if (
    ip === undefined ||
    ib === undefined ||
    it === undefined ||
    is === undefined ||
    Math.min(ip, ib, it, is) < 0
  )
    throw new ProfileError({
      where: `${file}: line ${head?.line ?? 1}`,
      what: `header "${head?.fields.join(",") ?? ""}" lacks phase,batch,tokens,seconds`,
      hint: "use the header phase,batch,tokens,seconds",
    });
  const rows: FitRow[] = [];
  for (const { line, fields } of records) {
    const c = fields.map((s) => s.trim());
    const where = `${file}: line ${line}`;
    const bad = (what: string) => new ProfileError({ where, what, hint: "fix the row" });
    const phase = c[ip];
    if (phase !== "prefill" && phase !== "decode")
      throw bad(`phase "${phase ?? ""}" is not prefill or decode`);
    const [batch, tokens, seconds] = [ib, it, is].map((i) => Number(c[i] ?? Number.NaN));
    if (batch === undefined || !(batch >= 1) || !Number.isInteger(batch))
      throw bad(`batch "${c[ib] ?? ""}" is not a positive integer`);
    if (tokens === undefined || !(tokens >= 0)) throw bad(`tokens "${c[it] ?? ""}" is not a number ≥ 0`);
    if (seconds === undefined || !(seconds > 0))
      throw bad(`seconds "${c[is] ?? ""}" is not a positive number`);
    rows.push({ phase, batch, tokens, seconds });
  }
  if (rows.length === 0)
    throw new ProfileError({ where: file, what: "no data rows", hint: "add measured rows" });
  return rows;
}

/** Reads and parses a fit CSV file. */
export async function readFitCsv(file: string): Promise<FitRow[]> {
  return parseFitCsv(await readText(file), file);
}
