/** `frugal solve MODEL.lp|MODEL.mps`: solve an LP/MIP file with HiGHS and print the outcome. */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { InputError, parseWith } from "../errors/index.js";
import { type SolveResult, solveText } from "../mip/index.js";
import { fileReadError, readStructured } from "../util/files.js";
import { renderTable } from "../util/table.js";
import { frugalVersion } from "../util/version.js";
import type { CliCommand } from "./commands.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  nonNegativeNumber,
  positiveNumber,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface SolveFlags extends GlobalFlags {
  timeLimit?: number;
  gap?: number;
  format?: "lp" | "mps";
  log?: boolean;
  all?: boolean;
  start?: string;
}

const StartSchema = z.record(z.string(), z.number().refine(Number.isFinite, "must be a finite number"));

/** Reads a MIP start: a JSON/YAML object of variable name → value (partial is fine). */
export async function readStart(file: string): Promise<Record<string, number>> {
  return parseWith(StartSchema, await readStructured(file), file, 'give an object like {"x": 1, "y": 0}');
}

export async function solveFile(file: string, flags: SolveFlags, signal?: AbortSignal): Promise<SolveResult> {
  const format = flags.format ?? (file.toLowerCase().endsWith(".mps") ? "mps" : "lp");
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fileReadError(file, e);
  }
  const text = bytes.toString("utf8");
  const start = flags.start ? await readStart(flags.start) : undefined;
  if (
    format === "lp" &&
    !/^\s*(max(imi[sz]e|imum)?|min(imi[sz]e|imum)?)\b/im.test(text.replace(/\\.*$/gm, ""))
  )
    throw new InputError({
      where: file,
      what: "not a CPLEX LP file: no Minimize/Maximize section",
      hint: "give an LP file (or --format mps for MPS)",
    });
  let lastLine = 0;
  const result = await solveText(
    format === "mps" ? new Uint8Array(bytes) : text,
    format,
    {
      timeLimit: flags.timeLimit,
      gap: flags.gap,
      log: flags.log,
      warmStart: start ? { byName: start } : undefined,
      signal,
      onProgress: (p) => {
        if (flags.quiet || p.seconds - lastLine < 2) return;
        lastLine = p.seconds;
        log(
          flags,
          `  ${p.seconds.toFixed(1)} s  incumbent ${p.incumbent ?? "-"}  bound ${p.bound ?? "-"}  gap ${p.gap === null ? "-" : `${(p.gap * 100).toFixed(2)}%`}`,
        );
      },
    },
    file,
  );
  if (result.names.length === 0)
    throw new InputError({
      where: file,
      what: `the solver found no variables in it`,
      hint: `check that it is a valid ${format.toUpperCase()} file`,
    });
  return result;
}

function humanReport(file: string, r: SolveResult, all: boolean): string {
  const lines = [
    `${file}: ${r.status}`,
    `  objective  ${r.objective ?? "-"}`,
    `  bound      ${r.bound ?? "-"}`,
    `  gap        ${r.gap === null ? "-" : `${(r.gap * 100).toFixed(4)}%`}`,
    `  seconds    ${r.seconds.toFixed(3)}${r.nodes === null ? "" : `  (${r.nodes} nodes)`}`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.values) {
    const rows = r.names.flatMap((n, i) =>
      all || Math.abs(r.values![i]!) > 1e-9 ? [[n, r.values![i]!]] : [],
    );
    lines.push(
      "",
      rows.length ? renderTable(["variable", "value"], rows, { digits: 6 }) : "(all variables are zero)",
    );
  }
  return lines.join("\n");
}

export const command: CliCommand = {
  name: "solve",
  summary: "solve an LP/MIP file (CPLEX LP or MPS) with HiGHS",
  example: "frugal solve examples/mip/workshop.lp --time-limit 60",
  register(program: Command) {
    const cmd = program
      .command("solve")
      .description("Solve a linear or mixed-integer program from a CPLEX LP or MPS file with HiGHS.")
      .argument("<model>", "an .lp or .mps file")
      .option(
        "--time-limit <seconds>",
        "stop after this many seconds (status time_limit)",
        positiveNumber("--time-limit"),
      )
      .option("--gap <fraction>", "stop at this relative MIP gap, e.g. 0.01", nonNegativeNumber("--gap"))
      .option("--format <lp|mps>", "the file's format (default: from its extension)")
      .option("--start <file>", "a MIP start: JSON/YAML object of variable name → value (partial is fine)")
      .option("--all", "print zero values too")
      .option("--log", "print the solver's log to stderr");
    withCommonFlags(cmd);
    withExamples(cmd, [
      "frugal solve examples/mip/workshop.lp",
      "frugal solve model.mps --time-limit 30 --gap 0.01",
      "frugal solve model.lp --json | jq .objective",
      'frugal solve model.lp --start start.json   # warm start from {"x": 1, "y": 0}',
    ]);
    cmd.action(
      action(async (file: string, flags: SolveFlags) => {
        if (flags.format && flags.format !== "lp" && flags.format !== "mps")
          throw new InputError({
            where: "--format",
            what: `unknown format "${flags.format}"`,
            hint: "use lp or mps",
          });
        const { signal, dispose } = interruptSignal();
        try {
          const r = await solveFile(file, flags, signal);
          const values: Record<string, number> = {};
          if (r.values)
            r.names.forEach((n, i) => {
              if (flags.all || Math.abs(r.values![i]!) > 1e-9) values[n] = r.values![i]!;
            });
          emit(
            flags,
            {
              file,
              status: r.status,
              objective: r.objective,
              bound: r.bound,
              gap: r.gap,
              seconds: r.seconds,
              nodes: r.nodes,
              values: r.values ? values : null,
              notes: r.notes,
              options: { timeLimit: flags.timeLimit ?? null, gap: flags.gap ?? null },
              versions: { frugal: frugalVersion(), solver: r.solver },
            },
            () => humanReport(file, r, !!flags.all),
          );
        } finally {
          dispose();
        }
      }),
    );
  },
};
