/**
 * `frugal merge CONFIG.yml OUT` (as `mergekit-yaml config.yml out`), `frugal merge report
 * CONFIG.yml` and `frugal merge methods`: merge Hugging Face checkpoints from a mergekit config,
 * look at the task vectors, list the methods.
 */
import type { Command } from "commander";
import {
  type MergeReport,
  mergeFromConfig,
  mergeMethods,
  mergeReport,
  mergeReportHtml,
  PLAN_HEADER,
  planJson,
  planRows,
  planSummaryLines,
  REPORT_HEADER,
  reportRows,
  SHAPE_MISMATCH_POLICIES,
  type ShapeMismatchPolicy,
} from "../merge/index.js";
import { checkOutputPaths, writeAtomic } from "../util/files.js";
import { describeParams } from "../util/registry.js";
import { renderTable } from "../util/table.js";
import { byteSizeArg, choiceOption, positiveInt, seedArg } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  progressFor,
  usage,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface RunFlags extends GlobalFlags {
  dryRun?: boolean;
  force?: boolean;
  shapeMismatch?: ShapeMismatchPolicy;
  randomSeed?: number;
  outShardSize?: number;
}

interface ReportFlags extends GlobalFlags {
  html?: string;
  force?: boolean;
  filter?: string;
  limit?: number;
  rank?: number;
  shapeMismatch?: ShapeMismatchPolicy;
  randomSeed?: number;
}

const DRY_RUN_ROWS = 20;

function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

async function runAction(config: string, out: string | undefined, flags: RunFlags): Promise<void> {
  if (!out && !flags.dryRun)
    throw usage("<out>", "is missing", "give an output folder, or --dry-run to print the plan only");
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const {
      result,
      plan,
      config: cfg,
    } = await mergeFromConfig(config, out ?? null, {
      dryRun: flags.dryRun,
      force: flags.force,
      shapeMismatch: flags.shapeMismatch,
      seed: flags.randomSeed,
      maxShardBytes: flags.outShardSize,
      signal,
      onProgress: sink.update,
    });
    sink.stop();
    const refs = cfg.models.map((m) => m.ref);
    if (result.status === "planned") {
      emit(flags, { ...result, planDetail: planJson(plan, refs) }, () => {
        const rows = planRows(plan, refs, flags.verbose ? Number.POSITIVE_INFINITY : DRY_RUN_ROWS);
        const more = plan.tasks.length - rows.length;
        return [
          ...planSummaryLines(plan, result.plan.freeBytes),
          "",
          renderTable(PLAN_HEADER, rows),
          ...(more > 0 ? [`… ${more} more (--verbose lists all, --json gives every task)`] : []),
        ].join("\n");
      });
      return;
    }
    emit(flags, result, () => {
      const r = result.result!;
      const lines = [
        `merged ${r.tensors} tensors with ${result.method} into ${r.out} (${r.shards} shard(s), ${fmtBytes(r.outputBytes)}) in ${r.seconds.toFixed(1)} s, ${r.tensorsPerSecond.toFixed(1)} tensors/s`,
      ];
      if (result.lore) {
        const l = result.lore;
        lines.push(
          `lore: ${l.matrices} matrices, ${l.converged} converged; rank mean ${l.meanRank.toFixed(1)} max ${l.maxRank}; sweeps mean ${l.meanSweeps.toFixed(1)} max ${l.maxSweeps}; worst gap ${l.worstGap === null ? "-" : l.worstGap.toExponential(2)}`,
        );
      }
      if (r.copiedFiles.length) lines.push(`copied ${r.copiedFiles.join(", ")} from ${plan.copyFrom}`);
      for (const n of result.notes) lines.push(`note: ${n}`);
      return lines.join("\n");
    });
  } finally {
    sink.stop();
    dispose();
  }
}

function humanReport(r: MergeReport): string {
  return [
    `${r.tensors.length} of ${r.totalTensors} tensors; task vectors from ${r.baseModel ?? "the models' average"}; top ${r.rank} singular values`,
    "",
    renderTable(REPORT_HEADER, reportRows(r)),
  ].join("\n");
}

async function reportAction(config: string, flags: ReportFlags): Promise<void> {
  if (flags.html)
    checkOutputPaths([{ path: flags.html, flag: "--html" }], { force: flags.force, inputs: [config] });
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const r = await mergeReport(config, {
      filter: flags.filter,
      limit: flags.limit,
      rank: flags.rank,
      shapeMismatch: flags.shapeMismatch,
      seed: flags.randomSeed,
      signal,
      onProgress: sink.update,
    });
    sink.stop();
    if (flags.html) {
      await writeAtomic(flags.html, mergeReportHtml(r), { force: flags.force, inputs: [config] });
      log(flags, `wrote ${flags.html}`);
    }
    emit(flags, r, () => humanReport(r));
  } finally {
    sink.stop();
    dispose();
  }
}

function methodsAction(flags: GlobalFlags): void {
  const list = mergeMethods.entries().map((m) => ({
    name: m.name,
    summary: m.summary,
    reference: m.reference,
    baseModel: m.base,
    inputs: m.inputs,
    parameters: describeParams(m.params),
    modelParameters: describeParams(m.tensorParams),
    required: [
      ...m.requiredParams,
      ...Object.keys(m.tensorParams.shape).filter(
        (k) => !m.tensorParams.shape[k]!.safeParse(undefined).success,
      ),
    ],
  }));
  emit(flags, { methods: list }, () =>
    list
      .map((m) =>
        [
          `${m.name} — ${m.summary} (base_model: ${m.baseModel})`,
          `  ${m.reference}`,
          ...(m.parameters.length
            ? [
                `  parameters: ${m.parameters.map((p) => `${p.name}${m.required.includes(p.name) ? " (required)" : `=${JSON.stringify(p.default)}`}`).join(", ")}`,
              ]
            : []),
          ...(m.modelParameters.length
            ? [
                `  per model: ${m.modelParameters.map((p) => `${p.name}${m.required.includes(p.name) ? " (required)" : `=${JSON.stringify(p.default)}`}`).join(", ")}`,
              ]
            : []),
        ].join("\n"),
      )
      .join("\n"),
  );
}

function shapeFlag(cmd: Command): Command {
  return cmd.addOption(
    choiceOption(
      "--shape-mismatch <policy>",
      "when a tensor's shape differs between models (e.g. vocabulary sizes): refuse (default), truncate to the common sub-block (as mergekit), or pad-to-base (the base model's shape; missing rows from the base)",
      SHAPE_MISMATCH_POLICIES,
    ),
  );
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const merge = program
      .command("merge")
      .description(
        "Merge Hugging Face checkpoints from a mergekit YAML config (same keys and method names), streamed tensor by tensor.\n" +
          "`frugal merge CONFIG OUT` runs the merge (the `run` subcommand is the default).",
      );
    withExamples(merge, [
      "frugal merge config.yml ./merged",
      "frugal merge config.yml ./merged --dry-run",
      "frugal merge report config.yml --html report.html",
      "frugal merge methods",
    ]);

    const run = merge
      .command("run", { isDefault: true })
      .description("Merge the models of CONFIG into the folder OUT (written atomically).")
      .argument("<config>", "a mergekit YAML config (schema: schemas/merge-config.schema.json)")
      .argument("[out]", "output folder (a Hugging Face checkpoint folder)")
      .option(
        "--dry-run",
        "print the plan (tensors, inputs, parameters), a memory estimate and the disk space; write nothing",
      )
      .option("--force", "overwrite OUT if it exists")
      .option("--random-seed <n>", "seed of DARE/DELLA masks and LoRE's sketches (default 0)", seedArg)
      .option(
        "--out-shard-size <size>",
        "largest output shard, e.g. 500MB or 2GiB (default 5GiB)",
        byteSizeArg,
      );
    shapeFlag(run);
    withCommonFlags(run, "with --dry-run, list every task, not only the first ones");
    withExamples(run, [
      "frugal merge examples/merge/ties.yml ./merged",
      "frugal merge config.yml ./merged --dry-run --verbose",
      "frugal merge config.yml ./merged --shape-mismatch truncate --out-shard-size 2GB",
      "frugal merge config.yml ./merged --json | jq .result.seconds",
    ]);
    run.action(action(runAction));

    const report = merge
      .command("report")
      .description(
        "Per tensor: the task vectors' singular-value spectra (how low-rank they are), sign conflicts between models, and for lore the rank kept and the objective per sweep.",
      )
      .argument("<config>", "a mergekit YAML config")
      .option("--html <file>", "write a self-contained HTML page")
      .option("--force", "overwrite the HTML file if it exists")
      .option("--filter <substring>", "only tensors whose name contains this")
      .option("--limit <n>", "at most this many tensors", positiveInt)
      .option("--rank <k>", "singular values per task vector (default 16)", positiveInt)
      .option("--random-seed <n>", "seed of LoRE's sketches (default 0)", seedArg);
    shapeFlag(report);
    withCommonFlags(report);
    withExamples(report, [
      "frugal merge report config.yml --filter self_attn --limit 8",
      "frugal merge report examples/merge/lore.yml --html lore-report.html",
    ]);
    report.action(action(reportAction));

    const methods = merge
      .command("methods")
      .description("List the merge methods with their parameters and defaults.");
    withCommonFlags(methods);
    methods.action(action((flags: GlobalFlags) => methodsAction(flags)));
  },
};
