/**
 * `frugal plan compare | solve | presets`: pipeline/operator schedules for a model graph on a
 * cluster — every baseline, every greedy rule and the MIP planner, timed by one event simulator.
 */
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";
import {
  compareReport,
  comparisonRows,
  inputsRecord,
  mipRecord,
  PLACEMENTS,
  type PlanInputs,
  type PlanOverrides,
  type PlanRun,
  type PlanSource,
  planDocument,
  planTable,
  presetList,
  presetNames,
  resolvePlanInputs,
  runPlan,
  torchExportProblem,
  unitsFromGraph,
  writePlanOutputs,
} from "../plan/index.js";
import { checkOutputPaths } from "../util/files.js";
import type { OnProgress } from "../util/progress.js";
import { renderTable } from "../util/table.js";
import { choiceOption, positiveInt, positiveNumber, seedArg } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  progressFor,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface InputFlags extends GlobalFlags {
  preset?: string;
  graph?: string;
  cluster?: string;
  timeLimit?: number;
  nodeLimit?: number;
  memoryLimit?: number;
  stages?: number;
  seed?: number;
  mip?: boolean;
  placement?: (typeof PLACEMENTS)[number];
  oneRankPerStage?: boolean;
}

interface SolveFlags extends InputFlags {
  out?: string;
  exportTorchCsv?: string;
  trace?: string;
  html?: string;
  dryRun?: boolean;
  force?: boolean;
}

function addInputFlags(cmd: Command): Command {
  return cmd
    .addOption(
      choiceOption(
        "--preset <name>",
        "a built-in preset (see `frugal plan presets`)",
        presetNames(),
      ).conflicts(["graph", "cluster"]),
    )
    .option("--graph <file>", "model graph (JSON/YAML; schema: schemas/plan-graph.schema.json)")
    .option("--cluster <file>", "cluster (JSON/YAML; schema: schemas/plan-cluster.schema.json)")
    .option("--time-limit <seconds>", "seconds for the MIP planner", positiveNumber)
    .option(
      "--node-limit <n>",
      "branch-and-bound nodes per MIP round (a deterministic work limit)",
      positiveInt,
    )
    .option("--memory-limit <bytes>", "per-device activation limit (default: the preset's)", positiveNumber)
    .option("--stages <n>", "pipeline stages for the chain baselines", positiveInt)
    .option("--seed <n>", "random seed", seedArg)
    .option("--no-mip", "baselines and greedy rules only")
    .addOption(
      choiceOption(
        "--placement <mode>",
        "unit → device in the MIP (fixed: the warm start's; free: assignment variables, small instances)",
        PLACEMENTS,
      ),
    )
    .option(
      "--one-rank-per-stage",
      "every stage runs all its micro-batches on one device, as PyTorch's pipelining needs (implied by --export-torch-csv)",
    );
}

/** The flags as the library's source and overrides; a graph and a cluster are needed without a preset. */
function inputsOf(flags: InputFlags, implied: PlanOverrides = {}): Promise<PlanInputs> {
  let source: PlanSource;
  if (flags.preset) source = { preset: flags.preset };
  else if (flags.graph && flags.cluster) source = { graphFile: flags.graph, clusterFile: flags.cluster };
  else
    throw new UsageError({
      where: flags.graph ? "--cluster" : "--graph",
      what: "is required without --preset",
      hint: "give --preset NAME, or both --graph FILE and --cluster FILE",
    });
  const overrides: PlanOverrides = {
    timeLimitSeconds: flags.timeLimit,
    nodeLimit: flags.nodeLimit,
    memoryLimitBytes: flags.memoryLimit,
    stages: flags.stages,
    seed: flags.seed,
    placement: flags.placement,
    ...(flags.oneRankPerStage ? { oneRankPerStage: true } : {}),
    ...(flags.mip === false ? { mip: false } : {}),
    ...implied,
  };
  return resolvePlanInputs(source, overrides);
}

async function runWithProgress(inp: PlanInputs, flags: InputFlags): Promise<PlanRun> {
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const { graph, cluster, options } = inp;
    log(
      flags,
      `plan: ${graph.name} (${graph.operators.length} operators, ${graph.microBatches} micro-batches) on ${cluster.devices.length} devices; MIP time limit ${options.mip ? `${options.timeLimitSeconds} s` : "off"}`,
    );
    return await runPlan(graph, cluster, options, { signal, onProgress: verboseMip(flags, sink.update) });
  } finally {
    sink.stop();
    dispose();
  }
}

/** --verbose: a line for each MIP round or solver report (window, status, makespan), besides the bar. */
function verboseMip(flags: GlobalFlags, update: OnProgress): OnProgress {
  if (!flags.verbose) return update;
  let last = "";
  return (e) => {
    update(e);
    if (e.label !== "mip" || !e.detail || e.detail === last) return;
    last = e.detail;
    log(flags, `plan: mip ${e.done} s: ${e.detail}`);
  };
}

/** The smallest per-device limit, or "unlimited". */
function memoryLimitText(limit: readonly number[]): string {
  const m = Math.min(...limit);
  return Number.isFinite(m) ? String(m) : "unlimited";
}

function human(run: PlanRun): string {
  const t = planTable(comparisonRows(run));
  const lines = [
    renderTable(t.header, t.rows, { digits: 2 }),
    "",
    `memory limit per device: ${memoryLimitText(run.memoryLimitBytes)}`,
  ];
  const m = run.mip;
  if (m) {
    const gap = m.gap === null ? "-" : (100 * m.gap).toFixed(2);
    const size = `${m.model.variables} vars / ${m.model.integers} integer / ${m.model.constraints} rows`;
    lines.push(
      `MIP: ${m.status}, makespan ${m.makespan ?? "-"}, lower bound ${m.lowerBound ?? "-"}, gap ${gap}%, warm start ${m.warmStart ?? "-"} (${m.warmStartMakespan ?? "-"}), largest model ${size}`,
    );
    for (const n of m.notes) lines.push(`  ${n}`);
  }
  for (const n of run.notes) lines.push(`note: ${n}`);
  if (run.interrupted) lines.push("interrupted: this is the best plan found before the stop");
  return lines.join("\n");
}

async function compareAction(flags: InputFlags): Promise<void> {
  const inp = await inputsOf(flags);
  const run = await runWithProgress(inp, flags);
  emit(flags, compareReport(inp, run), () => human(run));
}

async function solveAction(flags: SolveFlags): Promise<void> {
  // PyTorch runs a stage on one rank only: a plan for export is made under that placement
  const inp = await inputsOf(flags, flags.exportTorchCsv ? { oneRankPerStage: true } : {});
  const torchProblem = flags.exportTorchCsv ? torchExportProblem(unitsFromGraph(inp.graph)) : null;
  if (torchProblem)
    throw new UsageError({
      where: "--export-torch-csv",
      what: `cannot export ${inp.source.preset ?? inp.graph.name}: ${torchProblem}`,
      hint: "drop --export-torch-csv (the plan JSON, --trace and --html describe any graph)",
    });
  const outs = (
    [
      ["--out", flags.out],
      ["--export-torch-csv", flags.exportTorchCsv],
      ["--trace", flags.trace],
      ["--html", flags.html],
    ] as const
  ).flatMap(([flag, path]) => (path ? [{ flag, path }] : []));
  if (outs.length === 0)
    throw new UsageError({
      where: "--out",
      what: "no output given",
      hint: "give --out FILE (and/or --html, --trace, --export-torch-csv)",
    });
  const write = {
    force: !!flags.force,
    inputs: [flags.graph, flags.cluster].filter((x): x is string => !!x),
  };
  checkOutputPaths(outs, write);
  const paths = outs.map((o) => o.path);
  if (flags.dryRun) {
    const { graph, cluster, options } = inp;
    const text = [
      `would plan ${graph.name}: ${graph.operators.length} operators, ${graph.microBatches} micro-batches, ${cluster.devices.length} devices`,
      `options: ${JSON.stringify(options)}`,
      `would write: ${paths.join(", ")}`,
    ];
    emit(flags, { dryRun: true, inputs: inputsRecord(inp), outputs: paths }, () => text.join("\n"));
    return;
  }
  const run = await runWithProgress(inp, flags);
  const doc = planDocument(inp, run);
  if (!doc) {
    const why = run.mip?.notes.join("; ") ?? "no schedule fits";
    emit(
      flags,
      { inputs: inputsRecord(inp), status: "infeasible", mip: mipRecord(run), written: [] },
      () => `infeasible: ${why}\nnothing was written (${paths.join(", ")})`,
    );
    return;
  }
  const written = await writePlanOutputs(
    inp,
    run,
    { plan: flags.out, torchCsv: flags.exportTorchCsv, trace: flags.trace, html: flags.html },
    write,
  );
  emit(flags, { ...doc, written }, () => `${human(run)}\n\nwrote ${written.join(", ")}`);
}

async function presetsAction(flags: GlobalFlags): Promise<void> {
  const list = presetList();
  emit(flags, { presets: list }, () =>
    renderTable(
      ["preset", "description"],
      list.map((p) => [p.name, p.description]),
    ),
  );
}

function compareCmd(parent: Command): void {
  const cmd = parent
    .command("compare")
    .description("Every baseline schedule, every greedy rule and the MIP plan on the same inputs.");
  addInputFlags(cmd);
  withCommonFlags(
    cmd,
    "log each MIP round (window, solver status, makespan) and the whole-model solver's incumbent and bound",
  );
  withExamples(cmd, [
    "frugal plan compare --preset dualpipe-8x20",
    "frugal plan compare --preset dualpipe-8x20-overlap --time-limit 120 --json",
    "frugal plan compare --graph examples/plan/chain-8.json --cluster examples/plan/cluster-8.json",
  ]);
  cmd.action(action(compareAction));
}

function solveCmd(parent: Command): void {
  const cmd = parent
    .command("solve")
    .description(
      "Plan a schedule (MIP warm-started from the best baseline/greedy rule) and write it, with optional exports.",
    )
    .option("--out <file>", "the plan (JSON)")
    .option("--export-torch-csv <file>", "PyTorch torch.distributed.pipelining compute-only CSV")
    .option("--trace <file>", "Chrome-trace JSON (open in Perfetto)")
    .option("--html <file>", "self-contained HTML Gantt chart")
    .option("--dry-run", "print what would be planned and written, and stop")
    .option("--force", "overwrite existing outputs");
  addInputFlags(cmd);
  withCommonFlags(
    cmd,
    "log each MIP round (window, solver status, makespan) and the whole-model solver's incumbent and bound",
  );
  withExamples(cmd, [
    "frugal plan solve --preset dualpipe-8x20-overlap --out plan.json --html plan.html",
    "frugal plan solve --preset dualpipev-4x10 --out plan.json --export-torch-csv schedule.csv --trace trace.json",
    "frugal plan solve --preset chain-nonuniform-8 --no-mip --export-torch-csv schedule.csv   # one rank per stage",
    "frugal plan solve --graph g.yaml --cluster c.yaml --out plan.json --dry-run",
    "frugal plan solve --graph g.yaml --cluster c.yaml --placement free --out plan.json",
  ]);
  cmd.action(action(solveAction));
}

function presetsCmd(parent: Command): void {
  const cmd = parent.command("presets").description("List the built-in presets.");
  withCommonFlags(cmd);
  withExamples(cmd, ["frugal plan presets", "frugal plan presets --json"]);
  cmd.action(action(presetsAction));
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const plan = program
      .command("plan")
      .description("Operator-level parallelism planning: schedules for a model graph on a cluster.");
    compareCmd(plan);
    solveCmd(plan);
    presetsCmd(plan);
    withExamples(plan, [
      "frugal plan presets",
      "frugal plan compare --preset dualpipe-8x20",
      "frugal plan solve --preset dualpipe-8x20-overlap --out plan.json --html plan.html",
    ]);
  },
};
