/** What a CLI command is: the entry each `src/cli/<area>.ts` exports as `command`, listed in `commands`. */
import type { Command } from "commander";

/** One `frugal` command: its name, one-line purpose, an example, and how it adds itself to the program. */
export interface CliCommand {
  name: string;
  summary: string;
  example: string;
  register(program: Command): void;
}
