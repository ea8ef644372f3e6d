/** The registry of CLI commands: name, one-line purpose, an example, and how to register it. */
import type { CliCommand } from "./command.js";
import * as demo from "./demo.js";
import * as formulate from "./formulate.js";
import * as inspect from "./inspect.js";
import * as merge from "./merge.js";
import * as mole from "./mole.js";
import * as plan from "./plan.js";
import * as serving from "./serving.js";
import * as solve from "./solve.js";

/** Every command, in `--help` order. */
export const commands: CliCommand[] = [
  demo.command,
  formulate.command,
  inspect.command,
  merge.command,
  mole.command,
  plan.command,
  serving.command,
  solve.command,
];
