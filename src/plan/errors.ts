/** Errors of the `plan` area: bad graph, cluster or schedule input. */
import { InputError, MisuseError } from "../errors/index.js";

/** A graph or cluster that is well-formed JSON but cannot be planned (cycle, unknown operator …). */
export class PlanInputError extends InputError {}

/** A schedule that is not executable on its graph (missing pass, wrong device, deadlock). */
export class ScheduleError extends MisuseError {}
