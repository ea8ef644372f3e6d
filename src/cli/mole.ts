/**
 * `frugal mole convert | expand | report | analyze`: MoE checkpoints to Mixture of Latent Experts
 * and back, the report of a conversion, and the analytic MoE-vs-MoLE comparison.
 */
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";
import {
  analysisRows,
  analyzeConfigFile,
  analyzePreset,
  analyzePresetNames,
  conversionRows,
  convertCheckpoint,
  expandCheckpoint,
  factorizationMethods,
  KIND_TABLE_HEADER,
  KINDS,
  type Kind,
  kindTableRows,
  planRows,
  reportConversion,
  reportHtml,
} from "../mole/index.js";
import { WRITABLE_DTYPES, type WritableDType } from "../tensor/index.js";
import { checkOutputPaths, readStructured, writeAtomic } from "../util/files.js";
import { renderTable } from "../util/table.js";
import { byteSizeArg, choiceOption, intArg, listArg, numberArg, positiveInt, seedArg } from "./args.js";
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

interface RankFlags {
  rank?: number;
  energy?: number;
  maxError?: number;
  targetRatio?: number;
}

interface ConvertFlags extends GlobalFlags, RankFlags {
  groupSize?: number;
  down?: boolean;
  kinds?: Kind[];
  method?: string;
  calibration?: string;
  damping?: number;
  calibrationTokens?: number;
  dtype?: "source" | WritableDType;
  maxShardSize?: number;
  dryRun?: boolean;
  force?: boolean;
}

function rankRule(
  flags: RankFlags,
  allowSpectrum = true,
): { name: string; params: Record<string, unknown> } | undefined {
  const given = [
    flags.rank !== undefined && { name: "rank", params: { rank: flags.rank }, flag: "--rank" },
    flags.energy !== undefined && { name: "energy", params: { energy: flags.energy }, flag: "--energy" },
    flags.maxError !== undefined && {
      name: "max-error",
      params: { maxError: flags.maxError },
      flag: "--max-error",
    },
    flags.targetRatio !== undefined && {
      name: "target-ratio",
      params: { ratio: flags.targetRatio },
      flag: "--target-ratio",
    },
  ].filter((x) => x !== false);
  if (given.length > 1)
    throw new UsageError({
      where: given[1]!.flag,
      what: `cannot be combined with ${given[0]!.flag}`,
      hint: "choose the rank one way: --rank, --energy, --max-error or --target-ratio",
    });
  const g = given[0];
  if (g && !allowSpectrum && (g.name === "energy" || g.name === "max-error"))
    throw new UsageError({
      where: g.flag,
      what: "needs the singular values of real weights",
      hint: "analyze works from shapes: use --rank or --target-ratio",
    });
  return g ? { name: g.name, params: g.params } : undefined;
}

function addRankFlags(cmd: Command, spectrum = true): Command {
  cmd
    .option("--rank <r>", "the rank r of every layer", positiveInt)
    .option(
      "--target-ratio <x>",
      "the largest r with parameters after / before ≤ x (default 0.5)",
      numberArg({ above: 0, max: 1 }),
    );
  if (spectrum)
    cmd
      .option(
        "--energy <e>",
        "the smallest r keeping a fraction e of Σσ² in every group, e.g. 0.99",
        numberArg({ above: 0, max: 1 }),
      )
      .option(
        "--max-error <e>",
        "the smallest r with relative Frobenius error ≤ e in every group",
        numberArg({ min: 0, max: 0.999999 }),
      );
  return cmd;
}

async function convertAction(src: string, out: string | undefined, flags: ConvertFlags): Promise<void> {
  if (!flags.dryRun && !out)
    throw new UsageError({
      where: "convert",
      what: "missing OUT",
      hint: "give an output folder, or --dry-run",
    });
  const kinds = flags.kinds ?? (flags.down ? ["gate", "up", "down"] : undefined);
  if (flags.kinds && flags.down && !flags.kinds.includes("down"))
    throw new UsageError({
      where: "--down",
      what: "contradicts --kinds without down",
      hint: "use one of them",
    });
  if (!flags.dryRun)
    checkOutputPaths([{ path: out!, flag: "OUT", folder: true }], { force: flags.force, inputs: [src] });
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const r = await convertCheckpoint(src, out ?? "", {
      rankRule: rankRule(flags),
      groupSize: flags.groupSize ?? null,
      kinds,
      method: flags.method ? { name: flags.method } : undefined,
      calibration: flags.calibration ?? null,
      damping: flags.damping,
      calibrationTokens: flags.calibrationTokens,
      dtype: flags.dtype,
      maxShardBytes: flags.maxShardSize,
      dryRun: flags.dryRun,
      force: flags.force,
      signal,
      onProgress: sink.update,
    });
    sink.stop();
    emit(flags, r, () => {
      const p = r.plan;
      const lines = [
        `${r.source}: ${p.architecture} (${p.storage === "fused" ? "fused 3-D experts" : "per-expert tensors"}${p.family !== p.architecture ? `, ${p.family} routing` : ""}), ${p.tasks.length} tasks, d=${p.hidden}, ${p.experts} experts; rank: ${p.rankRule}; method ${p.options.method.name}${p.options.calibration ? `; calibrated on ${p.options.calibration}` : ""}`,
      ];
      if (r.status === "dry-run") {
        const t = planRows(p);
        lines.push(
          "",
          renderTable(t.header, t.rows),
          "",
          `parameters: model ${p.params.model}, experts ${p.params.experts}, converted ${p.params.convertedBefore} → ${p.params.convertedAfter ?? "(decided from the spectrum)"}`,
          `estimated peak memory ≈ ${(p.memoryBytes / 1e6).toFixed(0)} MB plus Node's baseline; ${p.copied.length} tensors copied unchanged`,
        );
      } else {
        const c = r.config!;
        const t = conversionRows(c);
        lines.push(
          "",
          renderTable(t.header, t.rows),
          "",
          `wrote ${r.out} (${r.shards} shards + mole_config.json) in ${r.seconds.toFixed(1)} s`,
          `converted parameters ${c.totals.convertedParamsBefore} → ${c.totals.convertedParamsAfter} (×${(c.totals.convertedParamsAfter / c.totals.convertedParamsBefore).toFixed(3)}); model ${c.totals.modelParamsBefore} → ${c.totals.modelParamsAfter}`,
        );
      }
      for (const n of p.notes) lines.push(`note: ${n}`);
      return lines.join("\n");
    });
  } finally {
    sink.stop();
    dispose();
  }
}

async function expandAction(
  src: string,
  out: string,
  flags: GlobalFlags & { force?: boolean; maxShardSize?: number },
): Promise<void> {
  checkOutputPaths([{ path: out, flag: "OUT", folder: true }], { force: flags.force, inputs: [src] });
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const r = await expandCheckpoint(src, out, {
      force: flags.force,
      maxShardBytes: flags.maxShardSize,
      signal,
      onProgress: sink.update,
    });
    sink.stop();
    emit(
      flags,
      r,
      () =>
        `wrote ${r.out}: ${r.rebuilt} tensors rebuilt from latents, ${r.copied} copied, ${r.shards} shards, ${r.seconds.toFixed(1)} s`,
    );
  } finally {
    sink.stop();
    dispose();
  }
}

async function reportAction(
  src: string,
  molePath: string,
  flags: GlobalFlags & {
    tokens?: number;
    seed?: number;
    calibration?: string;
    verify?: boolean;
    html?: string;
    force?: boolean;
  },
): Promise<void> {
  if (flags.html)
    checkOutputPaths([{ path: flags.html, flag: "--html" }], {
      force: flags.force,
      inputs: [src, molePath],
    });
  const { signal, dispose } = interruptSignal();
  const sink = progressFor(flags);
  try {
    const r = await reportConversion(src, molePath, {
      tokens: flags.tokens,
      seed: flags.seed,
      calibration: flags.calibration,
      verify: flags.verify,
      signal,
      onProgress: sink.update,
    });
    sink.stop();
    if (flags.html) {
      await writeAtomic(flags.html, reportHtml(r), { force: flags.force });
      log(flags, `wrote ${flags.html}`);
    }
    emit(flags, { ...r, html: flags.html ?? null }, () =>
      [
        renderTable(KIND_TABLE_HEADER, kindTableRows(r)),
        "",
        renderTable(
          ["layer", "tokens", "output rel. error", "mean cosine"],
          r.layers.map((l) => [
            l.layer,
            l.tokens,
            Number(l.outputRelativeError.toPrecision(4)),
            Number(l.outputCosine.toFixed(5)),
          ]),
        ),
        "",
        `converted parameters ${r.totals.convertedParamsBefore} → ${r.totals.convertedParamsAfter} (×${r.totals.ratio.toFixed(3)}); MoE output error on ${r.inputs} inputs: mean ${r.totals.meanOutputRelativeError.toPrecision(3)}, max ${r.totals.maxOutputRelativeError.toPrecision(3)}`,
      ].join("\n"),
    );
  } finally {
    sink.stop();
    dispose();
  }
}

async function analyzeAction(
  flags: GlobalFlags &
    RankFlags & {
      arch?: string;
      config?: string;
      groupSize?: number;
      down?: boolean;
      dtype?: WritableDType;
      context?: number;
    },
): Promise<void> {
  if (!flags.arch === !flags.config)
    throw new UsageError({
      where: flags.arch ? "--config" : "--arch",
      what: flags.arch ? "cannot be combined with --arch" : "is required (or --config)",
      hint: `give --arch (${analyzePresetNames().join(", ")}) or --config config.json`,
    });
  const o = {
    rankRule: rankRule(flags, false),
    groupSize: flags.groupSize ?? null,
    kinds: (flags.down ? ["gate", "up", "down"] : ["gate", "up"]) as Kind[],
    dtype: flags.dtype,
    context: flags.context,
  };
  const a = flags.arch
    ? analyzePreset(flags.arch, o)
    : analyzeConfigFile(await readStructured(flags.config!), flags.config!, o);
  emit(flags, a, () => {
    const t = analysisRows(a);
    const s = a.shape;
    return [
      `${a.model} (${a.architecture}): ${s.layers} layers (${s.moeLayers} MoE), d=${s.hidden}, ${s.experts} experts of p=${s.expertIntermediate}, top-${s.topK}${s.sharedIntermediate ? `, shared ${s.sharedIntermediate}` : ""}`,
      `MoLE: rank ${a.rank}, ${a.groups} group(s) per layer (a token reaches ${a.groupsReached.toFixed(2)}), kinds ${a.options.kinds.join(",")}`,
      "",
      renderTable(t.header, t.rows),
      "",
      `savings: total params ${(100 * a.savings.totalParams).toFixed(1)}%, expert params ${(100 * a.savings.expertParams).toFixed(1)}%, active params ${(100 * a.savings.activeParams).toFixed(1)}%, FLOPs/token ${(100 * a.savings.flops).toFixed(1)}%, weight memory ${(100 * a.savings.weightBytes).toFixed(1)}%`,
      ...a.notes.map((n) => `note: ${n}`),
    ].join("\n");
  });
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const mole = program
      .command("mole")
      .description(
        "Mixture of Latent Experts (Liu et al., arXiv 2503.23100): the experts of a group share a " +
          "projection B into an r-dimensional latent space and keep only a small A^i each (W^i ≈ A^i B).",
      );

    const convert = mole
      .command("convert")
      .description(
        "Convert an MoE checkpoint folder (Mixtral, Qwen2/1.5-MoE, Qwen3-MoE, DeepSeek-MoE/V2/V3, fused 3-D " +
          "experts) to MoLE: per layer and group, the truncated SVD of the stacked gate and up (and with " +
          "--down, down) matrices. Writes a sharded safetensors folder with mole_config.json.",
      )
      .argument("<src>", "the MoE checkpoint folder")
      .argument("[out]", "the output folder (must not exist unless --force)");
    addRankFlags(convert)
      .option(
        "--group-size <k>",
        "experts per group, consecutive (default: all experts of a layer)",
        positiveInt,
      )
      .option("--down", "also convert the down projections (shared output basis C, transposed construction)")
      .option("--kinds <list>", "kinds to convert: gate,up,down (default gate,up)", listArg(KINDS))
      .addOption(
        choiceOption("--method <name>", "factorization method (default gram)", factorizationMethods.names()),
      )
      .option(
        "--calibration <file>",
        "MoE-block inputs (safetensors, layers.{L}.moe_input) for data-aware gate/up factors",
      )
      .option(
        "--damping <x>",
        "calibration damping relative to the mean input energy (default 0.01)",
        numberArg({ min: 0 }),
      )
      .option("--calibration-tokens <n>", "use at most n calibration tokens per layer", positiveInt)
      .addOption(
        choiceOption("--dtype <dtype>", "dtype of the latents (default: the experts' own)", [
          "source",
          ...WRITABLE_DTYPES,
        ]),
      )
      .option(
        "--max-shard-size <size>",
        "shard size for copied tensors, e.g. 5GB (default 5GiB)",
        byteSizeArg,
      )
      .option("--dry-run", "print the plan (layers, groups, ranks, memory) and stop")
      .option("--force", "replace OUT if it exists");
    withCommonFlags(convert);
    withExamples(convert, [
      "frugal mole convert ./Mixtral-8x7B-v0.1 ./mixtral-mole --rank 1024",
      "frugal mole convert ./Qwen1.5-MoE-A2.7B ./qwen-mole --target-ratio 0.4 --group-size 15",
      "frugal mole convert ./model ./model-mole --energy 0.95 --down",
      "frugal mole convert ./model ./model-mole --rank 256 --calibration acts.safetensors",
      "frugal mole convert ./model --max-error 0.2 --dry-run",
    ]);
    convert.action(action(convertAction));

    const expand = mole
      .command("expand")
      .description(
        "Multiply a MoLE checkpoint back to its source layout (W^i = A^i B), with the source's tensor names, " +
          "shapes and dtypes, so transformers and vLLM load it unchanged.",
      )
      .argument("<mole>", "a folder written by `frugal mole convert`")
      .argument("<out>", "the output folder")
      .option("--max-shard-size <size>", "shard size for copied tensors (default 5GiB)", byteSizeArg)
      .option("--force", "replace OUT if it exists");
    withCommonFlags(expand);
    withExamples(expand, ["frugal mole expand ./mixtral-mole ./mixtral-expanded"]);
    expand.action(action(expandAction));

    const report = mole
      .command("report")
      .description(
        "Compare a MoLE checkpoint with its source: per layer and kind the rank, parameters and relative " +
          "Frobenius error; per layer the MoE block's output error on hidden states routed by the " +
          "checkpoint's own router (random, or --calibration inputs); totals; an HTML report.",
      )
      .argument("<src>", "the source MoE checkpoint")
      .argument("<mole>", "the MoLE folder converted from it")
      .option("--tokens <n>", "hidden states per layer (default 256)", positiveInt)
      .option("--seed <n>", "seed of the random hidden states", seedArg)
      .option(
        "--calibration <file>",
        "use these MoE-block inputs (layers.{L}.moe_input) instead of random states",
      )
      .option("--verify", "measure the weight errors again from the stored tensors")
      .option("--html <file>", "write the HTML report here")
      .option("--force", "replace the HTML file if it exists");
    withCommonFlags(report);
    withExamples(report, [
      "frugal mole report ./Mixtral-8x7B-v0.1 ./mixtral-mole --html mole.html",
      "frugal mole report ./model ./model-mole --calibration acts.safetensors --json | jq .totals",
    ]);
    report.action(action(reportAction));

    const analyze = mole
      .command("analyze")
      .description(
        "Parameters, FLOPs per token and weight memory of an MoE model and its MoLE conversion, from shapes " +
          "only: a shipped model (--arch) or any Hugging Face config.json (--config).",
      )
      .addOption(choiceOption("--arch <name>", "a shipped model shape", analyzePresetNames()))
      .option("--config <file>", "a Hugging Face config.json of an MoE model");
    addRankFlags(analyze, false)
      .option("--group-size <k>", "experts per group (default: all)", positiveInt)
      .option("--down", "also convert the down projections")
      .addOption(choiceOption("--dtype <dtype>", "dtype for weight memory (default BF16)", WRITABLE_DTYPES))
      .option("--context <tokens>", "context length for attention FLOPs (default 4096)", intArg({ min: 0 }));
    withCommonFlags(analyze);
    withExamples(analyze, [
      "frugal mole analyze --arch mixtral-8x7b --rank 1024",
      "frugal mole analyze --arch qwen3-30b-a3b --target-ratio 0.5 --down",
      "frugal mole analyze --config ./my-moe/config.json --rank 512 --json",
    ]);
    analyze.action(action(analyzeAction));
  },
};
