/**
 * The `frugal` command line: one program, one file per command. Parsing and printing only; every
 * command calls the library's plain functions.
 */
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { frugalVersion } from "../util/version.js";
import { commands } from "./commands.js";
import { reportError } from "./common.js";

export function buildProgram(): Command {
  const program = new Command("frugal")
    .description(
      "Make large language models cheaper to train, serve and store, by mathematical optimization.\n" +
        "Exit codes: 0 ok (an infeasible or time-limited outcome is still a result), 1 failure, 2 usage error.",
    )
    .version(frugalVersion(), "--version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      outputError: (str, write) => write(str.startsWith("error:") ? `frugal: ${str}` : str),
    })
    .exitOverride();
  for (const c of commands) c.register(program);
  const lines = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}\n${" ".repeat(13)}$ ${c.example}`);
  program.addHelpText(
    "after",
    `\nCommands with an example each:\n${lines.join("\n")}\n\nRun \`frugal COMMAND --help\` for a command's options.\n`,
  );
  // Every subcommand exits through our override too.
  for (const sub of program.commands) propagate(sub);
  return program;
}

function propagate(cmd: Command): void {
  cmd.exitOverride();
  cmd.showHelpAfterError("(run with --help for usage)");
  cmd.configureOutput({
    outputError: (str, write) => write(str.startsWith("error:") ? `frugal: ${str}` : str),
  });
  for (const s of cmd.commands) propagate(s);
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      // commander has already printed its message; a bad command line is exit 2.
      return 2;
    }
    return reportError(e, argv.includes("--debug"));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
