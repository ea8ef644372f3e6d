/**
 * The files of `frugal plan solve`: the plan (JSON), the PyTorch compute-only CSV, the Chrome trace
 * and the HTML Gantt page of the chosen schedule, each written atomically.
 */
import { type WriteOptions, writeAtomic } from "../util/files.js";
import { frugalVersion } from "../util/version.js";
import { ScheduleError } from "./errors.js";
import { toChromeTrace } from "./export/chrome-trace.js";
import { scheduleHtml } from "./export/html.js";
import { toTorchCsv } from "./export/torch-csv.js";
import type { PlanInputs } from "./inputs.js";
import { comparisonRows, planDocument } from "./report.js";
import type { PlanRun } from "./run.js";
import { planTable } from "./table.js";

/** Where each output goes (omit the ones not wanted). */
export interface PlanOutputs {
  /** The plan document (JSON). */
  plan?: string;
  /** PyTorch `torch.distributed.pipelining` compute-only CSV. */
  torchCsv?: string;
  /** Chrome-trace JSON. */
  trace?: string;
  /** Self-contained HTML Gantt page. */
  html?: string;
}

/** Writes the wanted outputs of a run with a schedule; returns the paths written, in order. */
export async function writePlanOutputs(
  inp: PlanInputs,
  run: PlanRun,
  outputs: PlanOutputs,
  opts: WriteOptions = {},
): Promise<string[]> {
  const best = run.best;
  const doc = planDocument(inp, run);
  if (!best || !doc) return [];
  const written: string[] = [];
  const write = async (path: string | undefined, data: () => string) => {
    if (!path) return;
    await writeAtomic(path, data(), opts);
    written.push(path);
  };
  await write(outputs.plan, () => `${JSON.stringify(doc, null, 2)}\n`);
  await write(outputs.trace, () => toChromeTrace(best.graph, best.sim, best.name));
  await write(outputs.html, () => {
    const subtitle = `${inp.source.preset ?? inp.graph.name} · ${inp.cluster.devices.length} devices · frugal ${frugalVersion()}`;
    const min = Math.min(...run.memoryLimitBytes);
    const limit = Number.isFinite(min) ? min : undefined;
    const table = planTable(comparisonRows(run));
    return scheduleHtml(best.graph, best.sim, best.name, subtitle, limit, run.mip?.notes ?? [], table);
  });
  // last, so a schedule torch cannot run (plan without oneRankPerStage) loses no other output
  try {
    await write(outputs.torchCsv, () => toTorchCsv(best.schedule, best.graph));
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    throw new ScheduleError({
      where: e.where,
      what: `${e.what}; ${written.length ? `wrote ${written.join(", ")}, not` : "did not write"} ${outputs.torchCsv}`,
      hint: e.hint,
      cause: e,
    });
  }
  return written;
}
