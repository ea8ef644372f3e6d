/** The registry of CLI commands: name, one-line purpose, an example, and how to register it. */
import type { Command } from "commander";
import * as demo from "./demo.js";
import * as inspect from "./inspect.js";
import * as merge from "./merge.js";
import * as plan from "./plan.js";
import * as serving from "./serving.js";
import * as solve from "./solve.js";

export interface CliCommand {
  name: string;
  summary: string;
  example: string;
  register(program: Command): void;
}

export const commands: CliCommand[] = [
  demo.command,
  inspect.command,
  merge.command,
  plan.command,
  serving.command,
  solve.command,
];
