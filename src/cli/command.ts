/** What a CLI command is: its entry in `commands.ts` and the module `src/cli/<area>.ts` that registers it. */
import type { Command } from "commander";

/** What each command module `src/cli/<area>.ts` exports as `command`. */
export interface CliModule {
  /** Adds the command and its subcommands (options, help, action) to the program. */
  register(program: Command): void;
}

/**
 * One `frugal` command: its name, one-line purpose, an example, and the module that registers it,
 * loaded only when the command runs (or for the top-level help).
 */
export interface CliCommand {
  name: string;
  summary: string;
  example: string;
  load(): Promise<{ command: CliModule }>;
}
