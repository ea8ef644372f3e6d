/**
 * A plan run as plain JSON records: the inputs that determine it, one comparison row per schedule,
 * the MIP report, the chosen schedule, and the two documents `frugal plan` prints or writes (the
 * comparison of `compare`, the `plan.json` of `solve`). Keys are camelCase with units.
 */
import { frugalVersion } from "../util/version.js";
import type { Candidate, CandidateKind } from "./candidates.js";
import type { PlanInputs } from "./inputs.js";
import type { PlanOptions } from "./options.js";
import type { MipReport, PlanRun } from "./run.js";
import type { SimResult } from "./simulate.js";

/** One schedule of a comparison. */
export interface ComparisonRow {
  name: string;
  kind: CandidateKind;
  devices: number;
  makespanSeconds: number;
  bubbleMaxSeconds: number;
  bubbleMeanSeconds: number;
  bubbleRatio: number;
  peakMemoryBytes: number[];
  peakMemoryMaxBytes: number;
  fitsMemoryLimit: boolean;
  /** Closed-form bubble on uniform stages (baselines), else null. */
  formula: string | null;
  /** The MIP's status, gap and seconds on its own row; null on the others. */
  status: MipReport["status"] | null;
  gap: number | null;
  solveSeconds: number | null;
}

/** A schedule's comparison row under a memory limit (`mip` fills the MIP row's status). */
export function comparisonRow(
  c: { name: string; kind: CandidateKind; sim: SimResult; formula?: string },
  memoryLimitBytes: readonly number[],
  mip: MipReport | null = null,
): ComparisonRow {
  const own = c.kind === "mip" ? mip : null;
  return {
    name: c.name,
    kind: c.kind,
    devices: c.sim.devices.length,
    makespanSeconds: c.sim.makespan,
    bubbleMaxSeconds: c.sim.bubbleMax,
    bubbleMeanSeconds: c.sim.bubbleMean,
    bubbleRatio: c.sim.bubbleRatio,
    peakMemoryBytes: c.sim.devices.map((d) => d.peakMemoryBytes),
    peakMemoryMaxBytes: c.sim.peakMemoryBytes,
    fitsMemoryLimit: c.sim.devices.every(
      (d, i) => d.peakMemoryBytes <= (memoryLimitBytes[i] ?? Number.POSITIVE_INFINITY) + 1e-9,
    ),
    formula: c.formula ?? null,
    status: own?.status ?? null,
    gap: own?.gap ?? null,
    solveSeconds: own?.seconds ?? null,
  };
}

/** One comparison row per candidate (the `schedules` of `frugal plan compare --json`). */
export function comparisonRows(run: PlanRun): ComparisonRow[] {
  return run.candidates.map((c) => comparisonRow(c, run.memoryLimitBytes, run.mip));
}

/** The inputs that determine a run: source files or preset, graph size, devices, options. */
export interface InputsRecord {
  preset: string | null;
  graphFile: string | null;
  clusterFile: string | null;
  graph: {
    name: string;
    operators: number;
    edges: number;
    microBatches: number;
    overlapFactor: number | null;
  };
  devices: number;
  options: PlanOptions;
}

/** The inputs record of a run. */
export function inputsRecord(inp: PlanInputs): InputsRecord {
  return {
    preset: inp.source.preset,
    graphFile: inp.source.graphFile,
    clusterFile: inp.source.clusterFile,
    graph: {
      name: inp.graph.name,
      operators: inp.graph.operators.length,
      edges: inp.graph.edges.length,
      microBatches: inp.graph.microBatches,
      overlapFactor: inp.graph.overlap?.factor ?? null,
    },
    devices: inp.cluster.devices.length,
    options: inp.options,
  };
}

/** The MIP report in the solver-result shape (status, objective, bound, gap, seconds, …). */
export interface MipRecord {
  status: MipReport["status"];
  objective: number | null;
  bound: number | null;
  gap: number | null;
  seconds: number;
  warmStart: string | null;
  warmStartMakespanSeconds: number | null;
  improvedOnWarmStart: boolean;
  placement: "fixed" | "free";
  /** What produced the plan: "mip" (a MIP round), or the candidate it is (e.g. the warm start). */
  planFrom: string;
  /** Under status `optimal`: over which schedules it is proven. */
  optimalFor: string | null;
  model: MipReport["model"];
  rounds: number;
  roundsAccepted: number;
  minimumMemoryBytes: number | null;
  notes: string[];
}

/** The MIP record of a run (null when the MIP was off). */
export function mipRecord(run: PlanRun): MipRecord | null {
  const m = run.mip;
  if (!m) return null;
  return {
    status: m.status,
    objective: m.makespan,
    bound: m.lowerBound,
    gap: m.gap,
    seconds: m.seconds,
    warmStart: m.warmStart,
    warmStartMakespanSeconds: m.warmStartMakespan,
    improvedOnWarmStart: m.improvedOnWarmStart,
    placement: m.placement,
    planFrom: m.planFrom,
    optimalFor: m.optimalFor,
    model: m.model,
    rounds: m.rounds.length,
    roundsAccepted: m.rounds.filter((r) => r.accepted).length,
    minimumMemoryBytes: m.minimumMemoryBytes ?? null,
    notes: m.notes,
  };
}

/** One timed action of the chosen schedule. */
export interface ActionRecord {
  pass: string;
  unit: string;
  microBatch: number;
  backwardUnit?: string;
  backwardMicroBatch?: number;
  startSeconds: number;
  endSeconds: number;
}

/** The chosen schedule: its units, per device its timed actions, and its summary. */
export interface ScheduleRecord {
  name: string;
  units: {
    id: string;
    operators: string[];
    forward: number;
    backward: number;
    weight: number;
    activationBytes: number;
  }[];
  devices: ActionRecord[][];
  summary: {
    makespanSeconds: number;
    bubbleMaxSeconds: number;
    bubbleMeanSeconds: number;
    bubbleRatio: number;
    peakMemoryBytes: number[];
  };
}

/** A candidate as the `schedule` of `plan.json`. */
export function scheduleRecord(c: Candidate): ScheduleRecord {
  const { units } = c.graph;
  const unitId = (u: number | undefined) => units[u ?? -1]?.id ?? String(u);
  return {
    name: c.name,
    units: units.map(({ id, operators, forward, backward, weight, activationBytes }) => ({
      id,
      operators,
      forward,
      backward,
      weight,
      activationBytes,
    })),
    devices: c.sim.devices.map((d) =>
      d.timeline.map((a) => ({
        pass: a.pass,
        unit: unitId(a.unit),
        microBatch: a.mb,
        ...(a.pass === "FB" ? { backwardUnit: unitId(a.unit2), backwardMicroBatch: a.mb2 ?? 0 } : {}),
        startSeconds: a.start,
        endSeconds: a.end,
      })),
    ),
    summary: {
      makespanSeconds: c.sim.makespan,
      bubbleMaxSeconds: c.sim.bubbleMax,
      bubbleMeanSeconds: c.sim.bubbleMean,
      bubbleRatio: c.sim.bubbleRatio,
      peakMemoryBytes: c.sim.devices.map((d) => d.peakMemoryBytes),
    },
  };
}

/** Versions that produced a result. */
export interface Versions {
  frugal: string;
}

/** How a run ended: complete, or stopped by its signal with the best result so far. */
export type RunStatus = "complete" | "interrupted";

/** What `frugal plan compare --json` prints. */
export interface CompareReport {
  status: RunStatus;
  inputs: InputsRecord;
  memoryLimitBytes: number[];
  schedules: ComparisonRow[];
  mip: MipRecord | null;
  notes: string[];
  versions: Versions;
}

/** The comparison document of a run. */
export function compareReport(inp: PlanInputs, run: PlanRun): CompareReport {
  return {
    status: runStatus(run),
    inputs: inputsRecord(inp),
    memoryLimitBytes: run.memoryLimitBytes,
    schedules: comparisonRows(run),
    mip: mipRecord(run),
    notes: run.notes,
    versions: { frugal: frugalVersion() },
  };
}

/** The plan file (`plan.json`): inputs, memory limit, the chosen schedule, MIP report, comparison. */
export interface PlanDocument {
  /** `interrupted`: the best plan found before the run was stopped. */
  status: RunStatus;
  frugalVersion: string;
  inputs: InputsRecord;
  memoryLimitBytes: number[];
  schedule: ScheduleRecord;
  mip: MipRecord | null;
  comparison: ComparisonRow[];
  notes: string[];
}

/** The plan document of a run; null when no schedule fits (see `run.mip` for why). */
export function planDocument(inp: PlanInputs, run: PlanRun): PlanDocument | null {
  if (!run.best) return null;
  return {
    status: runStatus(run),
    frugalVersion: frugalVersion(),
    inputs: inputsRecord(inp),
    memoryLimitBytes: run.memoryLimitBytes,
    schedule: scheduleRecord(run.best),
    mip: mipRecord(run),
    comparison: comparisonRows(run),
    notes: run.notes,
  };
}

/** The status of a run's documents. */
export function runStatus(run: PlanRun): RunStatus {
  return run.interrupted ? "interrupted" : "complete";
}
