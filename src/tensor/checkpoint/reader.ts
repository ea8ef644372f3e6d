/**
 * Hugging Face checkpoint folder reader: `config.json` plus either `model.safetensors` or shards
 * listed in `model.safetensors.index.json` ({"metadata": {"total_size": …}, "weight_map":
 * {tensor: shard file}}). Only shard headers are read at open; tensor data is read lazily, and
 * at most one shard file is open at a time. A path to a single .safetensors file also works.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { InputError, parseWith, throwIfAborted } from "../../errors/index.js";
import { isDirectory, readStructured } from "../../util/files.js";
import { CheckpointError } from "../errors.js";
import type { Matrix } from "../linalg/matrix.js";
import type { TensorInfo } from "../safetensors/header.js";
import { type ReadFloat32Options, type ReadRawOptions, SafetensorsReader } from "../safetensors/reader.js";
import { type DetectedArchitecture, detectArchitecture } from "./architecture.js";
import layout from "./layout.json" with { type: "json" };

/** The weight map of a sharded checkpoint: `model.safetensors.index.json`. */
export const INDEX_FILE: string = layout.indexFile;
/** The weights of an unsharded checkpoint: `model.safetensors`. */
export const SINGLE_FILE: string = layout.singleFile;

const IndexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(z.string(), z.string()),
});

/** One shard file of a checkpoint. */
export interface ShardInfo {
  /** File name inside the folder. */
  file: string;
  /** File size in bytes. */
  bytes: number;
  /** Number of tensors in it. */
  tensors: number;
  /** Its safetensors `__metadata__`. */
  metadata: Record<string, string>;
}

/** A tensor of a checkpoint: its header entry and the shard file that holds it. */
export interface CheckpointTensor extends TensorInfo {
  /** File name of its shard inside the folder. */
  shard: string;
}

/** Options of `openCheckpoint` and of raw reads. */
export interface OpenOptions {
  /** Cancels between shards (throws AbortedError). */
  signal?: AbortSignal;
}

/**
 * An open Hugging Face checkpoint (a folder, sharded or not, or one .safetensors file): every shard
 * header validated at open, tensor data read lazily with at most one shard file open. Close it
 * with `close()` (or `await using`).
 */
export class Checkpoint {
  /** The folder (or the single file's folder). */
  readonly dir: string;
  /** The path given to `open`. */
  readonly path: string;
  /** The parsed config.json, or undefined when there is none. */
  readonly config: unknown;
  /** The shard files, sorted by name. */
  readonly shards: readonly ShardInfo[];
  /** Whether the weights are listed in model.safetensors.index.json. */
  readonly sharded: boolean;
  /** Tensors in shard order, then file order. */
  readonly tensors: readonly CheckpointTensor[];
  /** The index file's `metadata` (e.g. `total_size`), when sharded. */
  readonly indexMetadata: Record<string, unknown> | undefined;
  private readonly byName: Map<string, CheckpointTensor>;
  private open_: SafetensorsReader | undefined;
  /** Set when the checkpoint is one .safetensors file given by path. */
  private readonly singleFile: string | undefined;

  private constructor(init: {
    dir: string;
    path: string;
    config: unknown;
    shards: ShardInfo[];
    sharded: boolean;
    tensors: CheckpointTensor[];
    indexMetadata?: Record<string, unknown>;
    singleFile?: string;
  }) {
    this.singleFile = init.singleFile;
    this.dir = init.dir;
    this.path = init.path;
    this.config = init.config;
    this.shards = init.shards;
    this.sharded = init.sharded;
    this.tensors = init.tensors;
    this.indexMetadata = init.indexMetadata;
    this.byName = new Map(init.tensors.map((t) => [t.name, t]));
  }

  /** Opens a checkpoint folder or a single .safetensors file, validating every shard header. */
  static async open(path: string, opts: OpenOptions = {}): Promise<Checkpoint> {
    if (!(await isDirectory(path))) {
      const r = await SafetensorsReader.open(path);
      await r.close();
      const st = await stat(path);
      const file = basename(path);
      return new Checkpoint({
        dir: dirname(path),
        path,
        config: undefined,
        shards: [{ file, bytes: st.size, tensors: r.tensors.length, metadata: r.metadata }],
        sharded: false,
        tensors: r.tensors.map((t) => ({ ...t, shard: file })),
        singleFile: path,
      });
    }
    const dir = path;
    const configPath = join(dir, "config.json");
    const config = (await exists(configPath)) ? await readStructured(configPath) : undefined;
    const indexPath = join(dir, INDEX_FILE);
    if (await exists(indexPath)) {
      const index = parseIndex(await readStructured(indexPath), indexPath);
      const shardFiles = [...new Set(Object.values(index.weight_map))].sort();
      const shards: ShardInfo[] = [];
      const tensors: CheckpointTensor[] = [];
      for (const file of shardFiles) {
        throwIfAborted(opts.signal, dir);
        const full = join(dir, file);
        if (!(await exists(full))) {
          throw new CheckpointError({
            file: indexPath,
            what: `weight_map names shard "${file}", which does not exist`,
            hint: "copy the missing shard or fix the index",
          });
        }
        const r = await SafetensorsReader.open(full);
        await r.close();
        shards.push({ file, bytes: r.header.fileBytes, tensors: r.tensors.length, metadata: r.metadata });
        for (const t of r.tensors) {
          const listed = index.weight_map[t.name];
          if (listed === undefined) {
            throw new CheckpointError({
              file: indexPath,
              tensor: t.name,
              what: `is in shard "${file}" but not in weight_map`,
              hint: "regenerate the index",
            });
          }
          if (listed !== file) {
            throw new CheckpointError({
              file: indexPath,
              tensor: t.name,
              what: `weight_map says "${listed}" but the tensor is in "${file}"`,
              hint: "regenerate the index",
            });
          }
          tensors.push({ ...t, shard: file });
        }
      }
      const found = new Set(tensors.map((t) => t.name));
      for (const [name, file] of Object.entries(index.weight_map)) {
        if (!found.has(name)) {
          throw new CheckpointError({
            file: indexPath,
            tensor: name,
            what: `weight_map puts it in "${file}", which has no such tensor`,
            hint: "regenerate the index or restore the shard",
          });
        }
      }
      return new Checkpoint({
        dir,
        path,
        config,
        shards,
        sharded: true,
        tensors,
        indexMetadata: index.metadata,
      });
    }
    const single = join(dir, SINGLE_FILE);
    if (!(await exists(single))) {
      throw new CheckpointError({
        file: dir,
        what: `has neither ${SINGLE_FILE} nor ${INDEX_FILE}`,
        hint: "give a Hugging Face checkpoint folder with safetensors weights (or a .safetensors file)",
      });
    }
    const r = await SafetensorsReader.open(single);
    await r.close();
    return new Checkpoint({
      dir,
      path,
      config,
      shards: [
        { file: SINGLE_FILE, bytes: r.header.fileBytes, tensors: r.tensors.length, metadata: r.metadata },
      ],
      sharded: false,
      tensors: r.tensors.map((t) => ({ ...t, shard: SINGLE_FILE })),
    });
  }

  /** Whether the checkpoint has a tensor called `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Tensor `name`'s header entry and shard; a CheckpointError when there is none. */
  info(name: string): CheckpointTensor {
    const t = this.byName.get(name);
    if (!t)
      throw new CheckpointError({
        file: this.path,
        tensor: name,
        what: "no such tensor in this checkpoint",
        hint: "list the tensors with `frugal inspect`",
      });
    return t;
  }

  /** Tensor names grouped by shard, in file order: read in this order to open each shard once. */
  namesByShard(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const t of this.tensors) {
      const names = m.get(t.shard);
      if (names) names.push(t.name);
      else m.set(t.shard, [t.name]);
    }
    return m;
  }

  private async reader(shard: string): Promise<SafetensorsReader> {
    if (this.open_ && basename(this.open_.file) === shard) return this.open_;
    await this.open_?.close();
    this.open_ = undefined;
    const file = this.singleFile ?? join(this.dir, shard);
    this.open_ = await SafetensorsReader.open(file);
    return this.open_;
  }

  /** The raw little-endian bytes of tensor `name` (into `opts.into` when given: exactly its byte length). */
  async readRaw(name: string, opts: ReadRawOptions = {}): Promise<Uint8Array> {
    const t = this.info(name);
    return (await this.reader(t.shard)).readRaw(name, opts);
  }

  /** Tensor `name` converted to Float32 (any dtype but C64). */
  async readFloat32(name: string, opts: ReadFloat32Options = {}): Promise<Float32Array> {
    const t = this.info(name);
    return (await this.reader(t.shard)).readFloat32(name, opts);
  }

  /** Elements [start, start + count) of one tensor as Float32 (see SafetensorsReader.readFloat32Range). */
  async readFloat32Range(
    name: string,
    start: number,
    count: number,
    opts: ReadFloat32Options = {},
  ): Promise<Float32Array> {
    const t = this.info(name);
    return (await this.reader(t.shard)).readFloat32Range(name, start, count, opts);
  }

  /** Tensor `name` as a row-major matrix (leading dimensions flattened into rows). */
  async readMatrix(name: string, opts: ReadFloat32Options = {}): Promise<Matrix> {
    const t = this.info(name);
    return (await this.reader(t.shard)).readMatrix(name, opts);
  }

  /** The architecture detected from the tensor names and config.json. */
  architecture(): DetectedArchitecture {
    return detectArchitecture(this.tensors, this.config);
  }

  /** Closes the open shard file. Closing twice is harmless; a later read reopens a shard. */
  async close(): Promise<void> {
    await this.open_?.close();
    this.open_ = undefined;
  }

  /** `await using` support: closes the checkpoint. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens a checkpoint folder or a single .safetensors file, validating every shard header (see Checkpoint). */
export function openCheckpoint(path: string, opts: OpenOptions = {}): Promise<Checkpoint> {
  return Checkpoint.open(path, opts);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function parseIndex(raw: unknown, file: string): z.infer<typeof IndexSchema> {
  const index = parseWithCheckpoint(raw, file);
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (
      shard.includes("/") ||
      shard.includes("\\") ||
      shard === ".." ||
      shard === "." ||
      !shard.endsWith(".safetensors")
    ) {
      throw new CheckpointError({
        file,
        tensor: name,
        what: `shard "${shard}" is not a .safetensors file name inside the folder`,
        hint: "shard names must be plain file names",
      });
    }
  }
  return index;
}

function parseWithCheckpoint(raw: unknown, file: string): z.infer<typeof IndexSchema> {
  const hint = "the index must be {metadata, weight_map: {tensor: shard}}";
  try {
    return parseWith(IndexSchema, raw, file, hint);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new CheckpointError({ file: e.where, what: e.what, hint, cause: e });
  }
}
