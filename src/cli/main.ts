/**
 * The `frugal` command line: one program, one file per command. Parsing and printing only; every
 * command calls the library's plain functions.
 */
import { pathToFileURL } from "node:url";
import { type Command, CommanderError, Command as CommanderProgram } from "commander";
import { formatMessage } from "../errors/index.js";
import { frugalVersion } from "../util/version.js";
import { commands } from "./commands.js";
import { reportError } from "./common.js";

/**
 * The program with the commands `argv` needs: only the command being run (its module is loaded on
 * demand), or every command for the top-level help, `frugal help …` and unknown commands.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new CommanderProgram("frugal")
    .description(
      "Make large language models cheaper to train, serve and store, by mathematical optimization.\n" +
        "Exit codes: 0 ok (an infeasible or time-limited outcome is still a result), 1 failure, 2 usage error.",
    )
    .version(frugalVersion(), "--version", "print the version");
  const first = argv[0];
  const one = commands.find((c) => c.name === first);
  const needed = one ? [one] : first === "--version" ? [] : commands;
  const modules = await Promise.all(needed.map((c) => c.load()));
  for (const m of modules) m.command.register(program);
  const lines = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}\n${" ".repeat(13)}$ ${c.example}`);
  program.addHelpText(
    "after",
    `\nCommands with an example each:\n${lines.join("\n")}\n\nRun \`frugal COMMAND --help\` for a command's options.\n`,
  );
  configure(program);
  return program;
}

/** Every command exits through our override and prints parse errors as one line. */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({
    outputError: (str, write) => write(`frugal: error: ${oneLineUsage(str, commandPath(cmd))}\n`),
  });
  for (const s of cmd.commands) configure(s);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Rewrites one of commander's parse errors into the conventions' one-line form
 * `WHERE: WHAT; WHAT TO DO` (docs/conventions.md), naming the flag or argument.
 */
export function oneLineUsage(message: string, path: string): string {
  const msg = message
    .replace(/^error:\s*/, "")
    .replace(/\s+/g, " ")
    .trim();
  const hint = `run \`${path} --help\` for usage`;
  const patterns: [RegExp, (m: RegExpMatchArray) => { where: string; what: string }][] = [
    [
      /^option '(\S+)[^']*' argument '(.*)' is invalid\. (.*?)\.?$/,
      (m) => ({
        where: m[1] ?? "",
        what: `${JSON.stringify(m[2])} ${m[3]?.replace(/^Allowed choices are /, "is not one of ") ?? "is invalid"}`,
      }),
    ],
    [
      /^option '(\S+)[^']*' cannot be used with option '(\S+)[^']*'$/,
      (m) => ({ where: m[1] ?? "", what: `cannot be used with ${m[2]}` }),
    ],
    [/^unknown option '([^']+)'(.*)$/, (m) => ({ where: m[1] ?? "", what: `unknown option${m[2] ?? ""}` })],
    [/^option '(\S+)[^']*' argument missing$/, (m) => ({ where: m[1] ?? "", what: "needs a value" })],
    [/^required option '(\S+)[^']*' not specified$/, (m) => ({ where: m[1] ?? "", what: "is required" })],
    [
      /^option '(\S+)[^']*' cannot be used with option '(\S+)[^']*'$/,
      (m) => ({ where: m[1] ?? "", what: `cannot be used with ${m[2] ?? "another option"}` }),
    ],
    [/^missing required argument '([^']+)'$/, (m) => ({ where: `<${m[1]}>`, what: "is missing" })],
    [/^unknown command '([^']+)'(.*)$/, (m) => ({ where: m[1] ?? "", what: `unknown command${m[2] ?? ""}` })],
    [
      /^too many arguments(?: for '[^']+')?\. (.*)$/,
      (m) => ({ where: path, what: `too many arguments (${m[1]})` }),
    ],
  ];
  for (const [re, f] of patterns) {
    const m = msg.match(re);
    if (m) return formatMessage({ ...f(m), hint });
  }
  return formatMessage({ where: path, what: msg, hint });
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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
      // commander has already printed its message (one line, through configure); a bad command line is exit 2.
      return 2;
    }
    return reportError(e, argv.includes("--debug"));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
