/**
 * The result documents of `compare`/`simulate` and `study`: plain JSON-ready records with the inputs
 * that determine them (preset, profile, clients, policy parameters) and the versions, so a result
 * file explains itself. The CLI prints them as its JSON output; the text forms are built from them.
 */
import { frugalVersion } from "../../util/version.js";
import type { GapBreakdown } from "../breakdown.js";
import type { CompareResult, RunPrediction } from "../compare.js";
import type { RunMetrics } from "../metrics.js";
import type { LowerBound } from "../offline/bounds.js";
import type { PolicyParams } from "../params.js";
import type { PolicyPlanInfo } from "../policies/types.js";
import type { PresetSpec } from "../presets.js";
import type { StudyResult } from "../study.js";
import { calibrationNotes, type Workload } from "../workload.js";

/** One policy in a comparison document: its metrics, its plan and where its time above the bound goes. */
export type PolicyRecord = RunMetrics & {
  plan: PolicyPlanInfo | null;
  gapBreakdown: GapBreakdown;
  /** The predictor's error on the lengths this policy planned with (null: true lengths, or none used). */
  prediction: RunPrediction | null;
};

/**
 * A policy that did not finish (the comparison was interrupted): the same keys as a
 * `PolicyRecord`, status `interrupted`, every metric null, the reason in `notes`.
 */
export type InterruptedPolicyRecord = {
  [K in keyof PolicyRecord]: K extends "name"
    ? string
    : K extends "status"
      ? "interrupted"
      : K extends "requests"
        ? number
        : K extends "notes"
          ? string[]
          : null;
};

/** The JSON result of `compare` and `simulate`. */
export interface ComparisonDocument {
  /** `interrupted` when Ctrl-C stopped the comparison: finished policies as they are, the others null. */
  status: CompareResult["status"];
  preset: string | null;
  trace: string;
  requests: number;
  clients: number;
  profile: string;
  maxBatchSize: number;
  kvBlocks: number;
  policyParams: PolicyParams;
  /** The output-length predictor the policies planned with; null: the true lengths. */
  predictor: string | null;
  lowerBound: LowerBound;
  policies: (PolicyRecord | InterruptedPolicyRecord)[];
  paper: PresetSpec["paper"] | null;
  notes: string[];
  /** frugal's version, and the solver's when a MIP was solved (null when none was). */
  versions: { frugal: string; solver: string | null };
}

/** The solver of a comparison's MIPs (the bound's packing or a policy's plan), null when none ran. */
export function comparisonSolver(r: CompareResult): string | null {
  return r.lowerBound.solver ?? r.policies.find((p) => p.plan?.solver)?.plan?.solver ?? null;
}

/** The comparison as a document (the workload gives the inputs, the result the numbers). */
export function comparisonDocument(w: Workload, r: CompareResult): ComparisonDocument {
  const interrupted = r.unfinished.map((u) => interruptedRecord(u.name, r.requests, u.reason));
  return {
    status: r.status,
    preset: w.preset?.name ?? null,
    trace: r.trace,
    requests: r.requests,
    clients: r.clients,
    profile: w.profile.name,
    maxBatchSize: w.profile.client.maxBatchSize,
    kvBlocks: w.profile.client.kvBlocks,
    policyParams: w.policyParams,
    predictor: r.predictor,
    lowerBound: r.lowerBound,
    policies: [
      ...r.policies.map((p) => {
        const { clients, ...critical } = p.breakdown;
        return {
          ...p.metrics,
          name: p.name,
          plan: p.plan ?? null,
          gapBreakdown: { ...critical, clients },
          prediction: p.prediction,
        };
      }),
      ...interrupted,
    ],
    paper: w.preset?.paper ?? null,
    notes: [...calibrationNotes(w), ...r.unfinished.map((u) => `${u.name}: ${u.reason}`)],
    versions: { frugal: frugalVersion(), solver: comparisonSolver(r) },
  };
}

const RECORD_KEYS: (keyof PolicyRecord)[] = [
  "name",
  "status",
  "requests",
  "completed",
  "rejected",
  "makespanSeconds",
  "busyUtilization",
  "slotUtilization",
  "ttftSeconds",
  "tpotSeconds",
  "latencySeconds",
  "outputTokensPerSecond",
  "totalTokensPerSecond",
  "preemptions",
  "iterations",
  "events",
  "wallSeconds",
  "gapToLowerBound",
  "notes",
  "plan",
  "gapBreakdown",
  "prediction",
];

/** The record of a policy that did not finish: every metric null, the reason in `notes`. */
export function interruptedRecord(name: string, requests: number, reason: string): InterruptedPolicyRecord {
  const out = Object.fromEntries(RECORD_KEYS.map((k) => [k, null])) as Record<string, unknown>;
  Object.assign(out, {
    name,
    status: "interrupted",
    requests,
    notes: [`${name}: ${reason}; its metrics are null`],
  });
  return out as InterruptedPolicyRecord;
}

/** The JSON result of `study`. */
export type StudyDocument = {
  preset: string | null;
  clients: number;
  profile: string;
  notes: string[];
} & StudyResult;

/** The study as a document. */
export function studyDocument(w: Workload, s: StudyResult): StudyDocument {
  return {
    preset: w.preset?.name ?? null,
    clients: w.clients,
    profile: w.profile.name,
    ...s,
    notes: [...calibrationNotes(w), ...s.notes],
  };
}
