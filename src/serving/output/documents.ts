/**
 * The result documents of `compare`/`simulate` and `study`: plain JSON-ready records with the inputs
 * that determine them (preset, profile, clients, policy parameters) and the versions, so a result
 * file explains itself. The CLI prints them as its JSON output; the text forms are built from them.
 */
import { frugalVersion } from "../../util/version.js";
import type { GapBreakdown } from "../breakdown.js";
import type { CompareResult } from "../compare.js";
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
};

/** The JSON result of `compare` and `simulate`. */
export interface ComparisonDocument {
  preset: string | null;
  trace: string;
  requests: number;
  clients: number;
  profile: string;
  maxBatchSize: number;
  kvBlocks: number;
  policyParams: PolicyParams;
  lowerBound: LowerBound;
  policies: PolicyRecord[];
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
  return {
    preset: w.preset?.name ?? null,
    trace: r.trace,
    requests: r.requests,
    clients: r.clients,
    profile: w.profile.name,
    maxBatchSize: w.profile.client.maxBatchSize,
    kvBlocks: w.profile.client.kvBlocks,
    policyParams: w.policyParams,
    lowerBound: r.lowerBound,
    policies: r.policies.map((p) => {
      const { clients, ...critical } = p.breakdown;
      return { ...p.metrics, name: p.name, plan: p.plan ?? null, gapBreakdown: { ...critical, clients } };
    }),
    paper: w.preset?.paper ?? null,
    notes: calibrationNotes(w),
    versions: { frugal: frugalVersion(), solver: comparisonSolver(r) },
  };
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
    notes: calibrationNotes(w),
  };
}
