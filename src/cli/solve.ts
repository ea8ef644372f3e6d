/** `frugal solve MODEL.lp|MODEL.mps`: solve an LP/MIP file with HiGHS and print the outcome. */
import type { Command } from "commander";
import { MODEL_FORMATS, type ModelFormat, type SolveFileReport, solveFile } from "../mip/index.js";
import { renderTable } from "../util/table.js";
import { choiceOption, numberArg, positiveInt, positiveNumber } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface SolveFlags extends GlobalFlags {
  timeLimit?: number;
  nodeLimit?: number;
  gap?: number;
  format?: ModelFormat;
  log?: boolean;
  all?: boolean;
  start?: string;
}

function human(r: SolveFileReport): string {
  const lines = [
    `${r.file}: ${r.status}`,
    `  objective  ${r.objective ?? "-"}`,
    `  bound      ${r.bound ?? "-"}`,
    `  gap        ${r.gap === null ? "-" : `${(r.gap * 100).toFixed(4)}%`}`,
    `  seconds    ${r.seconds.toFixed(3)}${r.nodes === null ? "" : `  (${r.nodes} nodes)`}`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.values) {
    const rows = Object.entries(r.values);
    lines.push(
      "",
      rows.length ? renderTable(["variable", "value"], rows, { digits: 6 }) : "(all variables are zero)",
    );
  }
  return lines.join("\n");
}

async function solveAction(file: string, flags: SolveFlags): Promise<void> {
  const { signal, dispose } = interruptSignal();
  let lastLine = 0;
  try {
    const r = await solveFile(file, {
      format: flags.format,
      timeLimit: flags.timeLimit,
      nodeLimit: flags.nodeLimit,
      gap: flags.gap,
      start: flags.start,
      log: flags.log,
      allValues: flags.all,
      signal,
      onSolverProgress: (p) => {
        if (p.seconds - lastLine < 2) return;
        lastLine = p.seconds;
        log(
          flags,
          `  ${p.seconds.toFixed(1)} s  incumbent ${p.incumbent ?? "-"}  bound ${p.bound ?? "-"}  gap ${p.gap === null ? "-" : `${(p.gap * 100).toFixed(2)}%`}`,
        );
      },
    });
    emit(flags, r, () => human(r));
  } finally {
    dispose();
  }
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const cmd = program
      .command("solve")
      .description("Solve a linear or mixed-integer program from a CPLEX LP or MPS file with HiGHS.")
      .argument("<model>", "an .lp or .mps file")
      .option("--time-limit <seconds>", "stop after this many seconds (status time_limit)", positiveNumber)
      .option(
        "--node-limit <n>",
        "stop after this many branch-and-bound nodes (status node_limit; same result on any machine)",
        positiveInt,
      )
      .option("--gap <fraction>", "stop at this relative MIP gap, e.g. 0.01", numberArg({ min: 0, max: 1 }))
      .addOption(
        choiceOption("--format <format>", "the file's format (default: from its extension)", MODEL_FORMATS),
      )
      .option("--start <file>", "a MIP start: JSON/YAML object of variable name → value (partial is fine)")
      .option("--all", "print zero values too")
      .option("--log", "print the solver's log to stderr");
    withCommonFlags(cmd);
    withExamples(cmd, [
      "frugal solve examples/mip/workshop.lp",
      "frugal solve model.mps --time-limit 30 --gap 0.01",
      "frugal solve model.lp --node-limit 1000   # a deterministic work limit",
      "frugal solve model.lp --json | jq .objective",
      'frugal solve model.lp --start start.json   # warm start from {"x": 1, "y": 0}',
    ]);
    cmd.action(action(solveAction));
  },
};
