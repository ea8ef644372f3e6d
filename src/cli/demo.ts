/** `frugal demo`: run every capability on built-in examples, offline, and write a report. */
import type { Command } from "commander";
import { demoSections, runDemo } from "../demo/index.js";
import { UsageError } from "../errors/index.js";
import { positiveNumber } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  progressFor,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface DemoFlags extends GlobalFlags {
  out: string;
  force?: boolean;
  only?: string;
  timeLimit?: number;
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const cmd = program
      .command("demo")
      .description(
        "Run every capability on built-in examples, offline, and write report.html and demo.json into a folder.",
      )
      .option("--out <dir>", "output folder (must not exist unless --force)", "frugal-demo")
      .option("--force", "replace the output folder if it exists")
      .option("--only <sections>", `comma-separated sections: ${demoSections.map((s) => s.name).join(",")}`)
      .option("--time-limit <seconds>", "solver time limit per section", positiveNumber, 30);
    withCommonFlags(cmd);
    withExamples(cmd, [
      "frugal demo",
      "frugal demo --out reports/demo --force",
      "frugal demo --only mip --json",
    ]);
    cmd.action(
      action(async (flags: DemoFlags) => {
        const only = flags.only
          ?.split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        for (const o of only ?? [])
          if (!demoSections.some((s) => s.name === o))
            throw new UsageError({
              where: "--only",
              what: `unknown section "${o}"`,
              hint: `use ${demoSections.map((s) => s.name).join(", ")}`,
            });
        const { signal, dispose } = interruptSignal();
        const bar = progressFor(flags);
        try {
          const r = await runDemo({
            out: flags.out,
            force: flags.force,
            only,
            timeLimit: flags.timeLimit,
            signal,
            onProgress: bar.update,
          });
          bar.stop();
          emit(flags, r, () =>
            [
              ...r.sections.flatMap((s) => [
                `${s.title}  (${s.seconds.toFixed(1)} s)`,
                ...s.summary.map((l) => `  ${l}`),
              ]),
              "",
              `report: ${r.report}`,
            ].join("\n"),
          );
        } finally {
          bar.stop();
          dispose();
        }
      }),
    );
  },
};
