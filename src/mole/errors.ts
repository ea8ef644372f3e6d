/**
 * Errors of `frugal mole`. Each names the file (and the tensor or path inside it) and says what to
 * do, in the project's one-line form `WHERE: WHAT; WHAT TO DO`.
 */
import { InputError } from "../errors/index.js";

/** The checkpoint's expert tensors match no layout of the architecture table. */
export class UnknownLayoutError extends InputError {
  /** Expert-like tensor names found (all of them, not only the ones in the message). */
  readonly expertLike: readonly string[];
  constructor(where: string, expertLike: readonly string[], what?: string) {
    const shown = expertLike.slice(0, 6).map((n) => JSON.stringify(n));
    const more = expertLike.length > shown.length ? ` and ${expertLike.length - shown.length} more` : "";
    super({
      where,
      what:
        what ??
        (expertLike.length
          ? `no MoE layout of the architecture table matches its ${expertLike.length} expert-like tensors (${shown.join(", ")}${more})`
          : "has no expert tensors (a dense model, or an unknown naming)"),
      hint: expertLike.length
        ? "add an entry to src/tensor/architectures.json: an `expert` name template with {L} (layer), {E} (expert) and {P} (projection), the `projections` gate/up/down names, the `router` template and a `moe` object (see docs/mole.md, Adding a layout)"
        : "give a Mixture-of-Experts checkpoint (Mixtral, Qwen2-MoE, Qwen3-MoE, DeepSeek-MoE, fused 3-D experts)",
    });
    this.expertLike = expertLike;
  }
}

/** Expert tensors with missing, inconsistent or corrupted shapes or dtypes. */
export class ExpertShapeError extends InputError {}

/** A MoE layer without its router (gate) tensor, or a router of the wrong shape. */
export class MissingRouterError extends InputError {}

/** A requested rank that no factorization of the group can have, or a rank rule that yields none. */
export class RankError extends InputError {}

/** A MoLE checkpoint (mole_config.json and its tensors) that is missing, invalid or inconsistent. */
export class MoleFormatError extends InputError {}

/** A calibration file whose tensors are missing or do not fit the model. */
export class CalibrationError extends InputError {}

/** Options that cannot go together (e.g. only one half of a fused gate_up tensor). */
export class MoleOptionsError extends InputError {}
