/**
 * `frugal merge report CONFIG`: what the models' task vectors look like, tensor by tensor, before
 * (or instead of) merging them — the facts that decide whether a method fits:
 *
 * - the singular-value spectrum of each task vector δ_i = θ_i − base (or θ_i − the average when
 *   the config has no base model): the top k singular values, the energy they hold
 *   (Σ_{j≤k} σ_j² / ‖δ‖_F²), the rank that holds 90% of the energy, and the stable rank
 *   ‖δ‖_F² / σ_1². LoRE's premise is that these are small.
 * - sign conflicts: the fraction of entries where two models' task vectors have opposite signs
 *   (TIES's "interference"), overall and per pair of models.
 * - for `lore`: the solver's run on the tensor (rank kept per model, sweeps, objective and
 *   relative duality gap per sweep).
 *
 * It reads the same inputs with the same parameters as the merge (the plan), writes nothing but
 * the optional HTML page.
 */
import { throwIfAborted } from "../errors/index.js";
import { escapeHtml, htmlPage, htmlTable } from "../report/html.js";
import { lineChartSvg } from "../report/lines.js";
import { truncatedSvd } from "../tensor/index.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { loadMergeConfig } from "./config/load.js";
import { methodInput, openInputs, readTask } from "./executor.js";
import type { TensorMergeDiagnostics } from "./methods/types.js";
import { planMerge, type ShapeMismatchPolicy } from "./planner.js";

/** Options of `mergeReport`. */
export interface MergeReportOptions {
  /** Only tensors whose name contains this. */
  filter?: string;
  /** At most this many tensors (after the filter; default all). */
  limit?: number;
  /** Singular values kept per task vector (default 16). */
  rank?: number;
  shapeMismatch?: ShapeMismatchPolicy;
  seed?: number;
  cwd?: string;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** One model's task vector on one tensor. */
export interface TaskVectorStats {
  model: string;
  /** ‖δ‖_F. */
  norm: number;
  /** Top singular values (matrices only; empty for vectors). */
  spectrum: number[];
  /** Share of ‖δ‖_F² in the top-k singular values (null for vectors). */
  energyAtK: number | null;
  /** Smallest rank holding 90% of the energy, or null when it is beyond k (or for vectors). */
  rank90: number | null;
  /** ‖δ‖_F² / σ_1² (null for vectors). */
  stableRank: number | null;
}

/** The report of one tensor. */
export interface TensorReport {
  name: string;
  shape: number[];
  kind: "matrix" | "vector";
  /** Task vectors are measured from the base model, or from the models' average. */
  from: "base" | "mean";
  models: TaskVectorStats[];
  /** Fraction of entries where some two task vectors have opposite signs. */
  signConflict: number;
  /** Pairwise opposite-sign fractions, [i][j] for the models in order. */
  pairwiseConflict: number[][];
  /** LoRE's run on this tensor (method lore only). */
  lore: TensorMergeDiagnostics | null;
}

/** The whole report. */
export interface MergeReport {
  config: string;
  method: string;
  models: string[];
  baseModel: string | null;
  rank: number;
  tensors: TensorReport[];
  /** Tensors the plan has in all (before filter and limit). */
  totalTensors: number;
  seconds: number;
  version: string;
}

/** Builds the report for a config. */
export async function mergeReport(configFile: string, opts: MergeReportOptions = {}): Promise<MergeReport> {
  const t0 = performance.now();
  const config = await loadMergeConfig(configFile, { cwd: opts.cwd });
  const inputs = await openInputs(config, opts.signal);
  const k = opts.rank ?? 16;
  try {
    const plan = planMerge(config, inputs.infos, { shapeMismatch: opts.shapeMismatch });
    let tasks = plan.tasks.filter((t) => !opts.filter || t.name.includes(opts.filter));
    if (opts.limit !== undefined) tasks = tasks.slice(0, opts.limit);
    const tensors: TensorReport[] = [];
    for (const [ti, task] of tasks.entries()) {
      throwIfAborted(opts.signal, "merge report");
      opts.onProgress?.({ label: "analysing", done: ti, total: tasks.length, detail: task.name });
      const data = await readTask(task, inputs.checkpoints, opts.signal);
      const labels = task.inputs.map((i) => config.models[i.model]!.ref);
      const others = data.map((_, i) => i).filter((i) => i !== task.baseIndex);
      const size = data[0]!.length;
      const ref = task.baseIndex !== null ? data[task.baseIndex]! : average(others.map((i) => data[i]!));
      const deltas = others.map((i) => {
        const d = new Float32Array(size);
        const x = data[i]!;
        for (let j = 0; j < size; j++) d[j] = x[j]! - ref[j]!;
        return d;
      });
      const isMatrix = task.shape.length >= 2;
      const cols = task.shape[task.shape.length - 1] ?? 1;
      const rows = cols === 0 ? 0 : size / cols;
      const stats = deltas.map((d, j) =>
        taskVectorStats(labels[others[j]!]!, d, isMatrix ? rows : 0, cols, k),
      );
      const conflicts = signConflicts(deltas);
      let lore: TensorMergeDiagnostics | null = null;
      if (config.methodName === "lore") {
        const r = config.method.merge(methodInput(config, task, data, opts.seed ?? 0, opts.signal));
        lore = r.diagnostics ?? null;
      }
      tensors.push({
        name: task.name,
        shape: [...task.shape],
        kind: isMatrix ? "matrix" : "vector",
        from: task.baseIndex !== null ? "base" : "mean",
        models: stats,
        signConflict: conflicts.any,
        pairwiseConflict: conflicts.pairwise,
        lore,
      });
    }
    opts.onProgress?.({ label: "analysing", done: tasks.length, total: tasks.length });
    return {
      config: configFile,
      method: config.methodName,
      models: plan.models,
      baseModel: plan.baseModel,
      rank: k,
      tensors,
      totalTensors: plan.tasks.length,
      seconds: (performance.now() - t0) / 1000,
      version: frugalVersion(),
    };
  } finally {
    await inputs.close();
  }
}

function average(xs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(xs[0]!.length);
  for (const x of xs) for (let j = 0; j < out.length; j++) out[j] = out[j]! + x[j]! / xs.length;
  return out;
}

/** Norm, spectrum and rank measures of one task vector (rows = 0 for a vector). */
export function taskVectorStats(
  model: string,
  d: Float32Array,
  rows: number,
  cols: number,
  k: number,
): TaskVectorStats {
  let e = 0;
  for (const v of d) e += v * v;
  const norm = Math.sqrt(e);
  if (rows === 0 || cols === 0 || e === 0)
    return { model, norm, spectrum: [], energyAtK: rows ? 0 : null, rank90: null, stableRank: null };
  const kk = Math.min(k, rows, cols);
  const svd = truncatedSvd({ rows, cols, data: d }, kk, { seed: 11 });
  const spectrum = Array.from(svd.S, (s) => Number(s.toPrecision(6)));
  let cum = 0;
  let rank90: number | null = null;
  for (const [j, s] of spectrum.entries()) {
    cum += s * s;
    if (rank90 === null && cum >= 0.9 * e) rank90 = j + 1;
  }
  const s1 = spectrum[0] ?? 0;
  return {
    model,
    norm,
    spectrum,
    energyAtK: Math.min(1, cum / e),
    rank90,
    stableRank: s1 > 0 ? e / (s1 * s1) : null,
  };
}

/** Opposite-sign rates: any pair per entry, and per pair of task vectors. */
export function signConflicts(deltas: readonly Float32Array[]): { any: number; pairwise: number[][] } {
  const n = deltas.length;
  const size = deltas[0]?.length ?? 0;
  const pair = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let any = 0;
  for (let j = 0; j < size; j++) {
    let pos = false;
    let neg = false;
    for (let a = 0; a < n; a++) {
      const va = deltas[a]![j]!;
      if (va > 0) pos = true;
      else if (va < 0) neg = true;
      for (let b = a + 1; b < n; b++) {
        const vb = deltas[b]![j]!;
        if ((va > 0 && vb < 0) || (va < 0 && vb > 0)) pair[a]![b]! += 1;
      }
    }
    if (pos && neg) any++;
  }
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      const r = size ? pair[a]![b]! / size : 0;
      pair[a]![b] = r;
      pair[b]![a] = r;
    }
  return { any: size ? any / size : 0, pairwise: pair };
}

/** Table rows (one per tensor and model) shared by the terminal and the HTML page. */
export function reportRows(r: MergeReport): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [];
  for (const t of r.tensors)
    for (const [i, m] of t.models.entries())
      rows.push([
        i === 0 ? t.name : "",
        i === 0 ? `[${t.shape.join("×")}]` : "",
        m.model,
        Number(m.norm.toPrecision(4)),
        m.spectrum[0] === undefined ? null : Number(m.spectrum[0].toPrecision(4)),
        m.energyAtK === null ? null : Number(m.energyAtK.toFixed(3)),
        m.rank90 === null ? (t.kind === "matrix" ? `>${r.rank}` : null) : m.rank90,
        m.stableRank === null ? null : Number(m.stableRank.toFixed(2)),
        i === 0 ? Number(t.signConflict.toFixed(3)) : "",
        t.lore?.ranks?.[i] ?? (t.lore && i === 0 ? (t.lore.mode ?? "") : null),
        i === 0 && t.lore ? (t.lore.sweeps ?? null) : null,
        i === 0 && t.lore?.gap?.length ? t.lore.gap.at(-1)!.toExponential(1) : null,
      ]);
  return rows;
}

/** The column headers of `reportRows`. */
export const REPORT_HEADER = [
  "tensor",
  "shape",
  "model",
  "‖δ‖",
  "σ1",
  "energy@k",
  "rank90",
  "stable rank",
  "sign conflict",
  "lore rank",
  "sweeps",
  "gap",
];

/** The report as a self-contained HTML page. */
export function mergeReportHtml(r: MergeReport): string {
  const matrices = r.tensors.filter((t) => t.kind === "matrix");
  const spectra = matrices.slice(0, 6).flatMap((t) =>
    t.models.slice(0, 1).map((m) => ({
      label: `${shorten(t.name)} (${shorten(m.model)})`,
      points: m.spectrum.map((s, j) => [j + 1, s / (m.spectrum[0] || 1)] as [number, number]),
    })),
  );
  const lore = r.tensors.filter((t) => t.lore?.objective?.length);
  const objective = lore.slice(0, 6).map((t) => {
    const obj = t.lore!.objective!;
    const best = Math.min(...obj);
    return {
      label: shorten(t.name),
      points: obj.map((f, j) => [j + 1, Math.max((f - best) / best, 1e-12)] as [number, number]),
    };
  });
  const gaps = lore.slice(0, 6).map((t) => ({
    label: shorten(t.name),
    points: t.lore!.gap!.map((g, j) => [j + 1, Math.max(g, 1e-12)] as [number, number]),
  }));
  const charts = [
    spectra.length
      ? lineChartSvg(spectra, {
          title: "task-vector spectra (σ_j / σ_1)",
          xLabel: "j",
          yLabel: "σ_j / σ_1",
          logY: true,
        })
      : "",
    gaps.length
      ? lineChartSvg(gaps, {
          title: "LoRE: relative duality gap per sweep",
          xLabel: "sweep",
          yLabel: "gap",
          logY: true,
        })
      : "",
    objective.length
      ? lineChartSvg(objective, {
          title: "LoRE: (F − F_last) / F_last per sweep",
          xLabel: "sweep",
          yLabel: "relative excess",
          logY: true,
        })
      : "",
  ].join("\n");
  const body = `<section><h2>Task vectors</h2>
<p>${r.tensors.length} of ${r.totalTensors} tensors; task vectors measured from ${r.baseModel ? `the base model <code>${escapeHtml(r.baseModel)}</code>` : "the models' average (no base model)"}; spectra of the top ${r.rank} singular values.
LoRE's premise is a small rank90 (the rank holding 90% of a task vector's energy) relative to the matrix size; a high sign-conflict rate is the interference TIES addresses.</p>
<div>${charts}</div>
${htmlTable(REPORT_HEADER, reportRows(r), 3)}</section>`;
  return htmlPage(
    {
      title: `Merge report: ${r.config}`,
      subtitle: `frugal ${r.version} · ${r.method} · ${r.models.length} models · ${r.seconds.toFixed(1)} s`,
    },
    body,
  );
}

function shorten(s: string): string {
  return s.length > 40 ? `…${s.slice(-39)}` : s;
}
