/**
 * `frugal inspect PATH`: tensors (name, dtype, shape, bytes), totals, shard layout and detected
 * architecture of a safetensors file or Hugging Face checkpoint folder; `--env` reports the
 * linear-algebra backend (native OpenBLAS or pure TypeScript) and its threads.
 */
import type { Command } from "commander";
import { type BackendInfo, backendInfo, type InspectReport, inspectCheckpoint } from "../tensor/index.js";
import { renderTable } from "../util/table.js";
import { frugalVersion } from "../util/version.js";
import { positiveInt } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  usage,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface InspectFlags extends GlobalFlags {
  env?: boolean;
  all?: boolean;
  limit?: number;
}

const DEFAULT_ROWS = 40;

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function humanEnv(e: BackendInfo): string {
  const lines = [
    `linear algebra backend: ${e.backend} (requested ${e.requested} by ${e.requestedBy}), ${e.threads} thread(s) on ${e.cores} core(s)`,
  ];
  if (e.native.available) {
    lines.push(`  native: ${e.native.config ?? "OpenBLAS"}`);
    lines.push(
      `  OpenBLAS core type: ${e.native.coreType ?? "library default"} (from ${e.native.coreTypeSource})`,
    );
  } else {
    lines.push(`  native: unavailable — ${e.native.reason}`);
  }
  return lines.join("\n");
}

export function humanReport(r: InspectReport, rows: number): string {
  const a = r.architecture;
  const lines = [
    `${r.path}: ${r.totals.tensors} tensors, ${formatCount(r.totals.parameters)} parameters, ${formatBytes(r.totals.bytes)} of tensor data in ${r.shards.length} ${r.sharded ? "shards (model.safetensors.index.json)" : "file"}`,
    `architecture: ${a.label} [${a.name}]${a.kind === "moe" ? `, ${a.layers.length} MoE layers × ${a.expertsPerLayer} experts${a.hasSharedExpert ? " + shared expert" : ""}` : ""}${a.hidden ? `, d=${a.hidden}` : ""}${a.intermediate ? ` p=${a.intermediate}` : ""}`,
    `  evidence: ${a.evidence.join("; ")}`,
  ];
  if (r.config.present)
    lines.push(
      `config.json: model_type=${r.config.modelType ?? "-"}${r.config.architectures.length ? `, architectures=${r.config.architectures.join(",")}` : ""}`,
    );
  lines.push(
    "",
    renderTable(
      ["dtype", "tensors", "parameters", "bytes"],
      r.totals.byDtype.map((d) => [d.dtype, d.tensors, d.parameters, d.bytes]),
    ),
  );
  if (r.shards.length > 1 || r.sharded) {
    lines.push(
      "",
      renderTable(
        ["shard", "tensors", "bytes"],
        r.shards.map((s) => [s.file, s.tensors, s.bytes]),
      ),
    );
  }
  const shown = r.tensors.slice(0, rows);
  lines.push(
    "",
    renderTable(
      r.shards.length > 1
        ? ["tensor", "dtype", "shape", "bytes", "shard"]
        : ["tensor", "dtype", "shape", "bytes"],
      shown.map((t) => {
        const row: (string | number)[] = [t.name, t.dtype, `[${t.shape.join(", ")}]`, t.bytes];
        if (r.shards.length > 1) row.push(t.shard);
        return row;
      }),
      { align: ["left", "left", "left", "right", "left"] },
    ),
  );
  if (r.tensors.length > shown.length)
    lines.push(`… ${r.tensors.length - shown.length} more tensors (use --all, or --json for the full list)`);
  return lines.join("\n");
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const cmd = program
      .command("inspect")
      .description(
        "Read a safetensors file or a Hugging Face checkpoint folder (model.safetensors or shards with\n" +
          "model.safetensors.index.json) without loading tensor data, and print its tensors, totals,\n" +
          "shard layout and detected architecture (dense, Mixtral, Qwen2-MoE, DeepSeek-MoE, …).\n" +
          "With --env, report which linear-algebra backend runs (FRUGAL_BACKEND=native|ts|auto).",
      )
      .argument("[path]", "a checkpoint folder or a .safetensors file")
      .option("--env", "report the linear-algebra backend (native OpenBLAS or TypeScript) and its threads")
      .option("--all", "list every tensor (default: the first 40)")
      .option("--limit <n>", "list this many tensors", positiveInt);
    withCommonFlags(cmd, "also describe the linear-algebra backend (as --env does)");
    withExamples(cmd, [
      "frugal inspect ./Mixtral-8x7B-v0.1",
      "frugal inspect model.safetensors --all",
      "frugal inspect ./my-model --json | jq .architecture",
      "frugal inspect --env",
      "FRUGAL_BACKEND=ts frugal inspect --env --json",
    ]);
    cmd.action(
      action(async (path: string | undefined, flags: InspectFlags) => {
        if (!path && !flags.env)
          throw usage("inspect", "missing PATH", "give a checkpoint folder or .safetensors file, or --env");
        const env = flags.env || flags.verbose ? backendInfo() : undefined;
        if (flags.verbose && env && !flags.env) log(flags, humanEnv(env));
        if (!path) {
          emit(flags, { env, versions: { frugal: frugalVersion() } }, () => humanEnv(env!));
          return;
        }
        const { signal, dispose } = interruptSignal();
        try {
          const report = await inspectCheckpoint(path, { signal });
          const rows = flags.all ? Number.POSITIVE_INFINITY : (flags.limit ?? DEFAULT_ROWS);
          emit(
            flags,
            { ...report, ...(flags.env ? { env } : {}), versions: { frugal: frugalVersion() } },
            () => (flags.env ? `${humanEnv(env!)}\n\n` : "") + humanReport(report, rows),
          );
        } finally {
          dispose();
        }
      }),
    );
  },
};
