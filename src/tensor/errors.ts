/**
 * Typed errors of the tensor engine. Each names the file (and the tensor inside it when there is
 * one) so `frugal: error: model.safetensors: tensor "a.weight": …; …` tells the user where to look.
 */
import { InputError } from "../errors/index.js";

/** What a tensor error is made from: the file, the tensor (when there is one), what went wrong and what to do. */
export interface TensorErrorFields {
  /** The file or folder the problem is in. */
  file: string;
  /** The tensor the problem is about, when there is one. */
  tensor?: string;
  /** What went wrong, in one clause. */
  what: string;
  /** What the user can do about it. */
  hint: string;
  /** The underlying error. */
  cause?: unknown;
}

function whereOf(file: string, tensor?: string): string {
  return tensor === undefined ? file : `${file}: tensor ${JSON.stringify(tensor)}`;
}

/** A tensor file or folder is wrong; carries the file and tensor the message names. */
export class TensorFileError extends InputError {
  /** The file or folder the problem is in. */
  readonly file: string;
  /** The tensor the problem is about, when there is one. */
  readonly tensor: string | undefined;
  constructor(f: TensorErrorFields) {
    super({ where: whereOf(f.file, f.tensor), what: f.what, hint: f.hint, cause: f.cause });
    this.file = f.file;
    this.tensor = f.tensor;
  }
}

/** A safetensors file is malformed, truncated or malicious. */
export class SafetensorsError extends TensorFileError {}

/** A checkpoint folder (config.json, index, shards) is inconsistent. */
export class CheckpointError extends TensorFileError {}
