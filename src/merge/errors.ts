/**
 * Errors of the merge area. Each names the config file and the path inside it
 * (`config.yml: models[1].parameters.weight`), or the checkpoint and tensor, and says what to do.
 */
import { InputError } from "../errors/index.js";

/** A merge config (mergekit YAML) that cannot be merged as written. */
export class MergeConfigError extends InputError {}

/** Input checkpoints that do not fit together (missing tensors, different shapes, layer ranges). */
export class MergeInputError extends InputError {}
