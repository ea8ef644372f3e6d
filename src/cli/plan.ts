/**
 * `frugal plan compare | solve | presets`: pipeline/operator schedules for a model graph on a
 * cluster — every baseline, every greedy rule and the MIP planner, timed by one event simulator.
 */
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";
import {
  type Cluster,
  comparisonRows,
  type Graph,
  loadPreset,
  type PlanOptions,
  PlanOptionsSchema,
  type PlanRun,
  parseCluster,
  parseGraph,
  presetInfo,
  presetNames,
  runPlan,
  scheduleHtml,
  toChromeTrace,
  toTorchCsv,
} from "../plan/index.js";
import { checkOutputPath, readStructured, writeAtomic } from "../util/files.js";
import { renderTable } from "../util/table.js";
import { frugalVersion } from "../util/version.js";
import { positiveInt, positiveNumber } from "./args.js";
import type { CliCommand } from "./command.js";
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

interface PlanFlags extends GlobalFlags {
  preset?: string;
  graph?: string;
  cluster?: string;
  timeLimit?: number;
  memoryLimit?: number;
  stages?: number;
  seed?: number;
  mip?: boolean;
  placement?: "auto" | "fixed" | "free";
  out?: string;
  exportTorchCsv?: string;
  trace?: string;
  html?: string;
  dryRun?: boolean;
  force?: boolean;
}

interface Inputs {
  graph: Graph;
  cluster: Cluster;
  options: PlanOptions;
  source: { preset: string | null; graph: string | null; cluster: string | null };
}

export async function loadInputs(flags: PlanFlags): Promise<Inputs> {
  let base: Omit<Inputs, "options"> & { options: PlanOptions };
  if (flags.preset) {
    if (flags.graph || flags.cluster)
      throw new UsageError({
        where: "--preset",
        what: "cannot be combined with --graph/--cluster",
        hint: "give a preset or a graph and a cluster",
      });
    const p = loadPreset(flags.preset);
    base = {
      graph: p.graph,
      cluster: p.cluster,
      options: p.options,
      source: { preset: flags.preset, graph: null, cluster: null },
    };
  } else {
    if (!flags.graph || !flags.cluster)
      throw new UsageError({
        where: flags.graph ? "--cluster" : "--graph",
        what: "is required without --preset",
        hint: "give --preset NAME, or both --graph FILE and --cluster FILE",
      });
    const graph = parseGraph(await readStructured(flags.graph), flags.graph);
    const cluster = parseCluster(await readStructured(flags.cluster), flags.cluster);
    base = {
      graph,
      cluster,
      options: PlanOptionsSchema.parse({}),
      source: { preset: null, graph: flags.graph, cluster: flags.cluster },
    };
  }
  const o = { ...base.options };
  if (flags.timeLimit !== undefined) o.timeLimitSeconds = flags.timeLimit;
  if (flags.memoryLimit !== undefined) {
    o.memoryLimitBytes = flags.memoryLimit;
    delete o.memoryLimitFrom;
  }
  if (flags.stages !== undefined) o.stages = flags.stages;
  if (flags.seed !== undefined) o.seed = flags.seed;
  if (flags.mip === false) o.mip = false;
  if (flags.placement !== undefined) o.placement = flags.placement;
  if (o.stages !== undefined && o.stages > base.graph.operators.length)
    throw new UsageError({
      where: "--stages",
      what: `${o.stages} stages for ${base.graph.operators.length} operators`,
      hint: "use at most one stage per operator",
    });
  return { ...base, options: o };
}

function addInputFlags(cmd: Command): Command {
  return cmd
    .option("--preset <name>", "a built-in preset (see `frugal plan presets`)")
    .option("--graph <file>", "model graph (JSON/YAML; schema: schemas/plan-graph.schema.json)")
    .option("--cluster <file>", "cluster (JSON/YAML; schema: schemas/plan-cluster.schema.json)")
    .option("--time-limit <seconds>", "seconds for the MIP planner", positiveNumber)
    .option("--memory-limit <bytes>", "per-device activation limit (default: the preset's)", positiveNumber)
    .option("--stages <n>", "pipeline stages for the chain baselines", positiveInt)
    .option("--seed <n>", "random seed", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new UsageError({
          where: "--seed",
          what: `must be an integer ≥ 0, got "${v}"`,
          hint: "e.g. --seed 1",
        });
      return n;
    })
    .option("--no-mip", "baselines and greedy rules only")
    .option(
      "--placement <mode>",
      "unit → device in the MIP: auto | fixed (the warm start's) | free (assignment variables, small instances)",
      (v: string) => {
        if (v !== "auto" && v !== "fixed" && v !== "free")
          throw new UsageError({
            where: "--placement",
            what: `must be auto, fixed or free, got "${v}"`,
            hint: "e.g. --placement free",
          });
        return v;
      },
    );
}

function inputsJson(inp: Inputs) {
  return {
    preset: inp.source.preset,
    graphFile: inp.source.graph,
    clusterFile: inp.source.cluster,
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

function mipJson(run: PlanRun) {
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
    model: m.model,
    rounds: m.rounds.length,
    roundsAccepted: m.rounds.filter((r) => r.accepted).length,
    minimumMemoryBytes: m.minimumMemoryBytes ?? null,
    notes: m.notes,
  };
}

function humanCompare(run: PlanRun): string {
  const rows = comparisonRows(run)
    .sort(
      (a, b) =>
        (a.kind === "baseline" ? 0 : a.kind === "greedy" ? 1 : 2) -
          (b.kind === "baseline" ? 0 : b.kind === "greedy" ? 1 : 2) || a.makespanSeconds - b.makespanSeconds,
    )
    .map((r) => [
      r.name,
      r.devices,
      r.makespanSeconds,
      r.bubbleMaxSeconds,
      r.bubbleMeanSeconds,
      r.bubbleRatio,
      r.peakMemoryMaxBytes,
      r.fitsMemoryLimit ? "yes" : "no",
      r.formula ?? "",
      r.status ?? "",
      r.gap,
      r.solveSeconds,
    ]);
  const table = renderTable(
    [
      "schedule",
      "devices",
      "makespan",
      "bubble max",
      "bubble mean",
      "ratio",
      "peak mem",
      "fits",
      "formula",
      "status",
      "gap",
      "seconds",
    ],
    rows,
    { digits: 2 },
  );
  const m = run.mip;
  const lines = [table, "", `memory limit per device: ${Math.min(...run.memoryLimitBytes)}`];
  if (m) {
    lines.push(
      `MIP: ${m.status}, makespan ${m.makespan ?? "-"}, lower bound ${m.lowerBound ?? "-"}, gap ${m.gap === null ? "-" : (100 * m.gap).toFixed(2)}%, warm start ${m.warmStart ?? "-"} (${m.warmStartMakespan ?? "-"}), largest model ${m.model.variables} vars / ${m.model.integers} integer / ${m.model.constraints} rows`,
    );
    for (const n of m.notes) lines.push(`  ${n}`);
  }
  for (const n of run.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

async function runWithProgress(inp: Inputs, flags: PlanFlags): Promise<PlanRun> {
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    log(
      flags,
      `plan: ${inp.graph.name} (${inp.graph.operators.length} operators, ${inp.graph.microBatches} micro-batches) on ${inp.cluster.devices.length} devices; MIP time limit ${inp.options.mip ? `${inp.options.timeLimitSeconds} s` : "off"}`,
    );
    return await runPlan(inp.graph, inp.cluster, inp.options, { signal, onProgress: sink.update });
  } finally {
    sink.stop();
    dispose();
  }
}

function scheduleJson(run: PlanRun) {
  const b = run.best!;
  return {
    name: b.name,
    units: b.graph.units.map((u) => ({
      id: u.id,
      operators: u.operators,
      forward: u.forward,
      backward: u.backward,
      weight: u.weight,
      activationBytes: u.activationBytes,
    })),
    devices: b.sim.devices.map((d) =>
      d.timeline.map((a) => ({
        pass: a.pass,
        unit: b.graph.units[a.unit]!.id,
        microBatch: a.mb,
        ...(a.pass === "FB" ? { backwardUnit: b.graph.units[a.unit2!]!.id, backwardMicroBatch: a.mb2 } : {}),
        startSeconds: a.start,
        endSeconds: a.end,
      })),
    ),
    summary: {
      makespanSeconds: b.sim.makespan,
      bubbleMaxSeconds: b.sim.bubbleMax,
      bubbleMeanSeconds: b.sim.bubbleMean,
      bubbleRatio: b.sim.bubbleRatio,
      peakMemoryBytes: b.sim.devices.map((d) => d.peakMemoryBytes),
    },
  };
}

const compareCmd = (parent: Command) => {
  const cmd = parent
    .command("compare")
    .description("Every baseline schedule, every greedy rule and the MIP plan on the same inputs.");
  addInputFlags(cmd);
  withCommonFlags(cmd);
  withExamples(cmd, [
    "frugal plan compare --preset dualpipe-8x20",
    "frugal plan compare --preset dualpipe-8x20-overlap --time-limit 120 --json",
    "frugal plan compare --graph examples/plan/chain-8.json --cluster examples/plan/cluster-8.json",
  ]);
  cmd.action(
    action(async (flags: PlanFlags) => {
      const inp = await loadInputs(flags);
      const run = await runWithProgress(inp, flags);
      emit(
        flags,
        {
          inputs: inputsJson(inp),
          memoryLimitBytes: run.memoryLimitBytes,
          schedules: comparisonRows(run),
          mip: mipJson(run),
          notes: run.notes,
          versions: { frugal: frugalVersion() },
        },
        () => humanCompare(run),
      );
    }),
  );
};

const solveCmd = (parent: Command) => {
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
  withCommonFlags(cmd);
  withExamples(cmd, [
    "frugal plan solve --preset dualpipe-8x20-overlap --out plan.json --html plan.html",
    "frugal plan solve --preset dualpipev-4x10 --out plan.json --export-torch-csv schedule.csv --trace trace.json",
    "frugal plan solve --graph g.yaml --cluster c.yaml --out plan.json --dry-run",
    "frugal plan solve --graph g.yaml --cluster c.yaml --placement free --out plan.json",
  ]);
  cmd.action(
    action(async (flags: PlanFlags) => {
      const inp = await loadInputs(flags);
      const outs = [flags.out, flags.exportTorchCsv, flags.trace, flags.html].filter((x): x is string => !!x);
      if (outs.length === 0)
        throw new UsageError({
          where: "--out",
          what: "no output given",
          hint: "give --out FILE (and/or --html, --trace, --export-torch-csv)",
        });
      const inputs = [flags.graph, flags.cluster].filter((x): x is string => !!x);
      for (const o of outs) checkOutputPath(o, { force: !!flags.force, inputs });
      if (flags.dryRun) {
        emit(flags, { dryRun: true, inputs: inputsJson(inp), outputs: outs }, () =>
          [
            `would plan ${inp.graph.name}: ${inp.graph.operators.length} operators, ${inp.graph.microBatches} micro-batches, ${inp.cluster.devices.length} devices`,
            `options: ${JSON.stringify(inp.options)}`,
            `would write: ${outs.join(", ")}`,
          ].join("\n"),
        );
        return;
      }
      const run = await runWithProgress(inp, flags);
      if (!run.best) {
        emit(
          flags,
          { inputs: inputsJson(inp), status: "infeasible", mip: mipJson(run), written: [] },
          () => `infeasible: ${run.mip?.notes.join("; ") ?? "no schedule fits"}`,
        );
        return;
      }
      const b = run.best;
      const w = { force: !!flags.force, inputs };
      const plan = {
        frugalVersion: frugalVersion(),
        inputs: inputsJson(inp),
        memoryLimitBytes: run.memoryLimitBytes,
        schedule: scheduleJson(run),
        mip: mipJson(run),
        comparison: comparisonRows(run),
      };
      const written: string[] = [];
      if (flags.exportTorchCsv) {
        await writeAtomic(flags.exportTorchCsv, toTorchCsv(b.schedule), w);
        written.push(flags.exportTorchCsv);
      }
      if (flags.out) {
        await writeAtomic(flags.out, `${JSON.stringify(plan, null, 2)}\n`, w);
        written.push(flags.out);
      }
      if (flags.trace) {
        await writeAtomic(flags.trace, toChromeTrace(b.graph, b.sim, b.name), w);
        written.push(flags.trace);
      }
      if (flags.html) {
        const sub = `${inp.source.preset ?? inp.graph.name} · ${inp.cluster.devices.length} devices · frugal ${frugalVersion()}`;
        await writeAtomic(
          flags.html,
          scheduleHtml(b.graph, b.sim, b.name, sub, Math.min(...run.memoryLimitBytes), run.mip?.notes ?? []),
          w,
        );
        written.push(flags.html);
      }
      emit(flags, { ...plan, written }, () => `${humanCompare(run)}\n\nwrote ${written.join(", ")}`);
    }),
  );
};

const presetsCmd = (parent: Command) => {
  const cmd = parent.command("presets").description("List the built-in presets.");
  withCommonFlags(cmd);
  withExamples(cmd, ["frugal plan presets", "frugal plan presets --json"]);
  cmd.action(
    action(async (flags: PlanFlags) => {
      const list = presetNames().map((name) => ({
        name,
        description: presetInfo(name).description,
        options: presetInfo(name).options,
      }));
      emit(flags, { presets: list }, () =>
        renderTable(
          ["preset", "description"],
          list.map((p) => [p.name, p.description]),
        ),
      );
    }),
  );
};

export const command: CliCommand = {
  name: "plan",
  summary: "pipeline schedules by MIP vs GPipe/1F1B/ZB1P/DualPipe, with PyTorch/Chrome-trace/HTML exports",
  example: "frugal plan compare --preset dualpipe-8x20",
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
