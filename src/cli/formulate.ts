/**
 * `frugal formulate solve-model | solve | eval | strategies`: structured optimization models
 * (sets, parameters, variables, objective, constraints) compiled to MIPs and solved by HiGHS, and
 * written from word problems by an LLM tree search (BPP-Search).
 */
import type { Command } from "commander";
import { type SolveModelReport, solveModelFile } from "../formulate/index.js";
import { renderTable } from "../util/table.js";
import { numberArg, positiveNumber } from "./args.js";
import type { CliCommand } from "./commands.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface SolveModelFlags extends GlobalFlags {
  exportLp?: string;
  timeLimit?: number;
  gap?: number;
  all?: boolean;
  force?: boolean;
}

/** Solver values carry feasibility-tolerance noise (77499.99999999999); show nine significant digits. */
function fmt(v: number | null): string {
  return v === null ? "-" : String(Number(v.toPrecision(9)));
}

function solveModelHuman(r: SolveModelReport): string {
  const lines = [
    `${r.file}: ${r.status}`,
    `  objective  ${fmt(r.objective)}`,
    `  size       ${r.size.variables} variables (${r.size.integers} integer), ${r.size.constraints} constraints, ${r.size.nonzeros} nonzeros`,
    `  seconds    ${r.seconds.toFixed(3)}`,
  ];
  if (r.reference)
    lines.push(
      `  reference  ${fmt(r.reference.answer)} (${r.reference.dataset} #${r.reference.id}): ${r.reference.matches ? "matches" : "does not match"}`,
    );
  if (r.exportLp) lines.push(`  LP file    ${r.exportLp}`);
  for (const w of r.warnings) lines.push(`  repaired: ${w}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.values) {
    const rows = Object.entries(r.values).map(([k, v]) => [k, Number(v.toPrecision(9))]);
    lines.push(
      "",
      rows.length ? renderTable(["variable", "value"], rows, { digits: 6 }) : "(all variables are zero)",
    );
  }
  return lines.join("\n");
}

async function solveModelAction(file: string, flags: SolveModelFlags): Promise<void> {
  const { signal, dispose } = interruptSignal();
  try {
    const r = await solveModelFile(file, {
      exportLp: flags.exportLp,
      force: flags.force,
      timeLimit: flags.timeLimit,
      gap: flags.gap,
      allValues: flags.all,
      signal,
    });
    if (r.exportLp) log(flags, `wrote ${r.exportLp}`);
    emit(flags, r, () => solveModelHuman(r));
  } finally {
    dispose();
  }
}

export const command: CliCommand = {
  name: "formulate",
  summary: "word problems to solved optimization models (structured models, BPP-Search with an LLM)",
  example: "frugal formulate solve-model examples/formulate/mamo-complex-001-diet.json",
  register(program: Command) {
    const f = program
      .command("formulate")
      .description(
        "Structured optimization models (sets, parameters, variables, objective, constraints) compiled to MIPs\n" +
          "and solved with HiGHS; an LLM writes them from word problems by BPP-Search (beam search, process\n" +
          "reward model, pairwise preference).",
      );
    const sm = f
      .command("solve-model")
      .description("Compile a structured model (JSON/YAML) to a MIP and solve it with HiGHS.")
      .argument("<model>", "a structured model file (schemas/formulate-model.schema.json)")
      .option(
        "--export-lp <file>",
        "also write the compiled model as a CPLEX LP file (for frugal solve or any solver)",
      )
      .option(
        "--time-limit <seconds>",
        "stop the solver after this many seconds (default 60)",
        positiveNumber,
      )
      .option("--gap <fraction>", "stop at this relative MIP gap", numberArg({ min: 0, max: 1 }))
      .option("--all", "print zero values too")
      .option("--force", "overwrite the LP file if it exists");
    withCommonFlags(sm);
    withExamples(sm, [
      "frugal formulate solve-model examples/formulate/mamo-complex-001-diet.json",
      "frugal formulate solve-model model.json --export-lp model.lp && frugal solve model.lp",
      "frugal formulate solve-model model.yaml --json | jq .objective",
    ]);
    sm.action(action(solveModelAction));
  },
};
