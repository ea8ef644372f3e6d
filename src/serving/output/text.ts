/**
 * The human text of `compare`/`simulate`, `study` and `fit`, built from the same records as the
 * JSON documents and the HTML report (tables through the project's `renderTable`).
 */
import { renderTable } from "../../util/table.js";
import type { CompareResult } from "../compare.js";
import type { PredictionError } from "../predict/error.js";
import type { FitProfileResult } from "../profile/fit-profile.js";
import type { Stat, StudyResult } from "../study.js";
import { calibrationNotes, type Workload } from "../workload.js";
import { BREAKDOWN_COLUMNS, breakdownRows, POLICY_COLUMNS, policyRows } from "./policy-table.js";

/** The paper's two goals for the hybrid policy against vllm-v0 (Pang et al.; the serving spec). */
export const GOALS = { utilizationGainPoints: 8.9, gapToLowerBoundPercent: 6 } as const;

/** Whether this run meets the goals: hybrid's slot-utilization gain over vllm-v0, and its gap to the bound. */
export interface GoalCheck {
  utilizationGainPoints: number;
  gapToLowerBound: number;
  utilizationMet: boolean;
  gapMet: boolean;
}

/** The goals computed from a comparison that ran both vllm-v0 and hybrid (null otherwise). */
export function goalCheck(r: CompareResult): GoalCheck | null {
  const v0 = r.policies.find((p) => p.name === "vllm-v0")?.metrics;
  const hy = r.policies.find((p) => p.name === "hybrid")?.metrics;
  if (!v0 || !hy || hy.gapToLowerBound === null) return null;
  const gain = 100 * (hy.slotUtilization - v0.slotUtilization);
  return {
    utilizationGainPoints: gain,
    gapToLowerBound: hy.gapToLowerBound,
    utilizationMet: gain >= GOALS.utilizationGainPoints,
    gapMet: 100 * hy.gapToLowerBound <= GOALS.gapToLowerBoundPercent,
  };
}

/** The goals as one line of text. */
export function goalsLine(g: GoalCheck): string {
  const gain = g.utilizationGainPoints;
  const gap = 100 * g.gapToLowerBound;
  return `goals: hybrid slot utilization ${gain >= 0 ? "+" : ""}${gain.toFixed(1)} points over vllm-v0 (goal ≥ +${GOALS.utilizationGainPoints}: ${g.utilizationMet ? "met" : "not met"}), ${gap.toFixed(2)}% above the lower bound (goal ≤ ${GOALS.gapToLowerBoundPercent}%: ${g.gapMet ? "met" : "not met"})`;
}

/** The comparison as text: the policy table, the bound, the gap breakdown, plans, rejections, and for a preset the goals and the paper's numbers. */
export function comparisonText(w: Workload, r: CompareResult): string {
  const lb = r.lowerBound;
  const c = w.profile.client;
  const lines = [
    `${r.trace}: ${r.requests} requests on ${r.clients} clients (profile ${w.profile.name}, max batch ${c.maxBatchSize}, ${c.kvBlocks} KV blocks)`,
    "",
    renderTable(POLICY_COLUMNS, policyRows(r), { digits: 2 }),
    "",
    `lower bound ${lb.seconds.toFixed(2)} s (work ${lb.workSeconds.toFixed(2)}, chain ${lb.chainSeconds.toFixed(2)}${lb.packingSeconds === null ? "" : `, packing ${lb.packingSeconds.toFixed(2)}`}, memory ${lb.memorySeconds.toFixed(2)}, release ${lb.releaseSeconds.toFixed(2)}; binding ${lb.binding}${lb.excluded > 0 ? `; ${lb.excluded} requests no client can hold left out` : ""})`,
    "",
    "where the time above the bound goes (client finishing last; docs/serving.md):",
    renderTable(BREAKDOWN_COLUMNS, breakdownRows(r), { digits: 2 }),
    "",
  ];
  for (const { name, plan } of r.policies)
    if (plan)
      lines.push(
        `${name}: ${plan.kind}${plan.status ? ` ${plan.status}` : ""}${plan.notes?.length ? ` — ${plan.notes[0]}` : ""}`,
      );
  for (const { name, metrics } of r.policies) {
    if (metrics.rejected > 0)
      lines.push(
        `${name}: ${metrics.rejected} request(s) rejected (can never fit the KV cache or the prompt budget)`,
      );
    for (const n of metrics.notes) if (!n.includes("no lower bound was given")) lines.push(`${name}: ${n}`);
  }
  if (r.predictor) lines.push(`output lengths: the policies planned with predictor ${r.predictor}`);
  for (const { name, prediction } of r.policies)
    if (prediction) lines.push(`${name}: ${predictionLine(prediction.error)}`);
  for (const u of r.unfinished) lines.push(`${u.name}: ${u.reason}; its metrics are not reported`);
  if (r.status === "interrupted")
    lines.push(
      `interrupted: ${r.policies.length} of ${r.policies.length + r.unfinished.length} policies finished; the table shows those (status interrupted)`,
    );
  const goals = w.preset ? goalCheck(r) : null;
  if (goals) lines.push(goalsLine(goals));
  const paper = w.preset?.paper;
  if (paper)
    lines.push(
      "",
      `paper (${paper.reference}): baseline ${paper.baselineMakespanSeconds} s at ${(100 * Number(paper.baselineUtilization)).toFixed(1)}%, hybrid ${paper.hybridMakespanSeconds} s at ${(100 * Number(paper.hybridUtilization)).toFixed(1)}%`,
      ...calibrationNotes(w).map((n) => `note: ${n}`),
    );
  return lines.join("\n");
}

/** A prediction error in one phrase: MAE, relative error, bias and rank correlation. */
export function predictionLine(e: PredictionError): string {
  const rho = e.spearman === null ? "n/a" : e.spearman.toFixed(3);
  return `predicted lengths of ${e.requests} requests: MAE ${e.maeTokens.toFixed(1)} tokens, mean relative error ${(100 * e.meanRelativeError).toFixed(1)}%, bias ${e.biasTokens >= 0 ? "+" : ""}${e.biasTokens.toFixed(1)} tokens, Spearman ${rho}`;
}

/** The study as text: mean / min / max of the gains over the cases. */
export function studyText(w: Workload, s: StudyResult): string {
  const f = (x: Stat, k = 1) => [x.mean * k, x.min * k, x.max * k].map((v) => v.toFixed(2));
  return [
    `${s.cases.length} random cases of ${w.trace.name} on ${w.clients} clients: ${s.candidate} vs ${s.baseline}`,
    "",
    renderTable(
      ["quantity", "mean", "min", "max"],
      [
        ["slot utilization gain (points)", ...f(s.utilizationGainPoints)],
        ["makespan reduction (%)", ...f(s.makespanReduction, 100)],
        [`${s.candidate} gap to lower bound (%)`, ...f(s.candidateGapToLowerBound, 100)],
      ],
    ),
    "",
    `${s.candidate} faster in ${s.wins} of ${s.cases.length} cases (paper: +8.0% utilization on average over 100 cases)`,
    ...(s.predictor ? [`output lengths: planned with predictor ${s.predictor}`] : []),
    ...(s.predictionError
      ? [
          `${s.candidate}'s predictions: MAE ${s.predictionError.maeTokens.mean.toFixed(1)} tokens, Spearman ${s.predictionError.spearman.mean.toFixed(3)} (means over the cases)`,
        ]
      : []),
    ...(s.sigmaSweep.length
      ? [
          "",
          `${s.candidate} with noisy lengths (true × exp(σ·Z)): how much of the gain survives`,
          renderTable(
            [
              "sigma",
              "makespan reduction % (mean)",
              "min",
              "max",
              "gain retained %",
              "gap to LB % (mean)",
              "wins",
            ],
            s.sigmaSweep.map((p) => [
              p.sigma,
              100 * p.makespanReduction.mean,
              100 * p.makespanReduction.min,
              100 * p.makespanReduction.max,
              p.gainRetained === null ? null : 100 * p.gainRetained,
              100 * p.candidateGapToLowerBound.mean,
              `${p.wins}/${s.cases.length}`,
            ]),
            { digits: 2 },
          ),
        ]
      : []),
    ...s.notes.map((n) => `note: ${n}`),
  ].join("\n");
}

/** The fitted coefficients with each phase's fit quality, as a table. */
export function fitText(r: FitProfileResult): string {
  const { prefill, decode } = r.profile.timeModel;
  return renderTable(
    ["phase", "coefficient", "seconds", "rows", "rmse_s", "r2"],
    [
      ["prefill", "alpha", prefill.alpha, r.prefill.rows, r.prefill.rmseSeconds, r.prefill.r2],
      ["prefill", "beta (per token)", prefill.beta, null, null, null],
      ["prefill", "gamma (per token²)", prefill.gamma, null, null, null],
      ["decode", "alpha", decode.alpha, r.decode.rows, r.decode.rmseSeconds, r.decode.r2],
      ["decode", "beta (per request)", decode.beta, null, null, null],
      ["decode", "delta (per context token)", decode.delta, null, null, null],
    ],
    { digits: 6 },
  );
}
