/**
 * Hugging Face checkpoint folder writer, in the project's plan → execute → write shape:
 *   planShards(tensors, maxShardBytes) is pure: it assigns tensors (in order) to shards so no
 *   shard's data exceeds the limit (a tensor larger than the limit gets a shard of its own), and
 *   names them `model-00001-of-0000N.safetensors` (or `model.safetensors` when one suffices);
 *   writeCheckpoint executes the plan inside a temporary sibling folder — every shard, the
 *   `model.safetensors.index.json` weight map with metadata.total_size, config.json and the
 *   tokenizer files copied from a source folder — and renames it to `out` only when complete,
 *   so an interrupted write never leaves a folder that looks like a checkpoint.
 */
import { copyFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MisuseError, throwIfAborted } from "../../errors/index.js";
import { type WriteOptions, writeFolderAtomic } from "../../util/files.js";
import type { OnProgress } from "../../util/progress.js";
import {
  sourceBytes,
  type TensorSource,
  validateSources,
  writeSafetensorsTo,
} from "../safetensors/writer.js";
import layout from "./layout.json" with { type: "json" };

/** One planned shard: its file name, the tensors it holds (in order) and their bytes of data. */
export interface ShardPlan {
  file: string;
  tensors: string[];
  bytes: number;
}

/** How a checkpoint will be written: its shards, whether an index file is needed, and the bytes of tensor data. */
export interface CheckpointPlan {
  shards: ShardPlan[];
  /** More than one shard: an index file lists them. */
  sharded: boolean;
  /** Tensor data in bytes (without headers), the index's `metadata.total_size`. */
  totalBytes: number;
}

/** The default shard size limit: 5 GiB of tensor data, as transformers uses. */
export const DEFAULT_MAX_SHARD_BYTES = 5 * 1024 ** 3;

/** The file name of shard `i` (1-based) of `n`: `model-00001-of-00003.safetensors`. */
export function shardFileName(i: number, n: number): string {
  const pad = (x: number) => String(x).padStart(layout.shardDigits, "0");
  return layout.shardPattern.replace("{i}", pad(i)).replace("{n}", pad(n));
}

/** Assigns tensors to shards of at most `maxShardBytes` of tensor data each, keeping order. */
export function planShards(
  tensors: readonly Pick<TensorSource, "name" | "dtype" | "shape">[],
  maxShardBytes = DEFAULT_MAX_SHARD_BYTES,
): CheckpointPlan {
  if (!(maxShardBytes > 0))
    throw new MisuseError({
      where: "planShards",
      what: `maxShardBytes = ${maxShardBytes}`,
      hint: "use a positive size",
    });
  const groups: { tensors: string[]; bytes: number }[] = [];
  let cur: { tensors: string[]; bytes: number } | undefined;
  let total = 0;
  for (const t of tensors) {
    const b = sourceBytes(t);
    total += b;
    if (!cur || (cur.tensors.length > 0 && cur.bytes + b > maxShardBytes)) {
      cur = { tensors: [], bytes: 0 };
      groups.push(cur);
    }
    cur.tensors.push(t.name);
    cur.bytes += b;
  }
  if (groups.length === 0) groups.push({ tensors: [], bytes: 0 });
  const sharded = groups.length > 1;
  return {
    sharded,
    totalBytes: total,
    shards: groups.map((g, i) => ({
      file: sharded ? shardFileName(i + 1, groups.length) : layout.singleFile,
      tensors: g.tensors,
      bytes: g.bytes,
    })),
  };
}

/** Options of `writeCheckpoint`: sharding, companion files, metadata, overwrite, cancel, progress. */
export interface WriteCheckpointOptions extends WriteOptions {
  /** Shard size limit in bytes of tensor data (default 5 GiB, as transformers). */
  maxShardBytes?: number;
  /** config.json content to write (overrides a copied one). */
  config?: unknown;
  /** A folder to copy config.json, tokenizer and generation files from. */
  copyFrom?: string;
  /**
   * Extra files to write: name → content, or a function returning them, called after every shard
   * is written (for files that describe what the shards' producers computed).
   */
  extraFiles?:
    | Record<string, string | Uint8Array>
    | (() => Promise<Record<string, string | Uint8Array>> | Record<string, string | Uint8Array>);
  /** safetensors `__metadata__` for every shard (default {format: "pt"}, which transformers expects). */
  metadata?: Record<string, string>;
  /** Cancels between tensors; no folder is left at the output. */
  signal?: AbortSignal;
  /** Called after each tensor is written. */
  onProgress?: OnProgress;
  /**
   * Overlap writing each tensor with producing the next (see WriteSafetensorsOptions.overlap):
   * a source's bytes must stay unchanged until `bytes()` of the tensor after next is called.
   * Shards are written one after another either way.
   */
  overlap?: boolean;
}

/** What `writeCheckpoint` wrote. */
export interface WrittenCheckpoint {
  /** The output folder. */
  dir: string;
  /** The shard plan it executed. */
  plan: CheckpointPlan;
  /** Companion files copied from `copyFrom`. */
  copied: string[];
}

/**
 * Writes a Hugging Face checkpoint folder: the shards of `planShards`, the index when sharded,
 * config.json, companion files and extra files, built in a temporary sibling folder and renamed to
 * `out` only when complete.
 */
export async function writeCheckpoint(
  out: string,
  tensors: readonly TensorSource[],
  opts: WriteCheckpointOptions = {},
): Promise<WrittenCheckpoint> {
  validateSources(tensors, out);
  const plan = planShards(tensors, opts.maxShardBytes);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return writeCheckpointShards(
    out,
    plan.shards.map((s) => ({ tensors: () => s.tensors.map((n) => byName.get(n)!) })),
    opts,
  );
}

/** One shard whose tensors are produced when the writer reaches it (e.g. computed just then). */
export interface LazyShard {
  tensors: () => Promise<readonly TensorSource[]> | readonly TensorSource[];
}

/**
 * Writes a checkpoint whose shards are produced one at a time, in order: the number of shards is
 * known up front (so they are named `model-0000i-of-0000N.safetensors`), their tensors only when
 * the writer reaches each one, so a producer can compute a shard's tensors, have them written and
 * release them before the next. Everything goes into a temporary sibling folder renamed to `out`
 * at the end (an error or an abort leaves no folder).
 */
export async function writeCheckpointShards(
  out: string,
  shards: readonly LazyShard[],
  opts: WriteCheckpointOptions = {},
): Promise<WrittenCheckpoint> {
  const copied: string[] = [];
  const metadata = opts.metadata ?? { format: "pt" };
  const n = Math.max(1, shards.length);
  const sharded = n > 1;
  const written: ShardPlan[] = [];
  await writeFolderAtomic(
    out,
    async (tmp) => {
      const seen = new Set<string>();
      let done = 0;
      for (const [i, shard] of (shards.length ? shards : [{ tensors: () => [] }]).entries()) {
        throwIfAborted(opts.signal, out);
        const file = sharded ? shardFileName(i + 1, n) : layout.singleFile;
        const tensors = await shard.tensors();
        validateSources(tensors, out);
        for (const t of tensors) {
          if (seen.has(t.name))
            throw new MisuseError({
              where: out,
              what: `tensor ${JSON.stringify(t.name)} given twice`,
              hint: "names must be unique",
            });
          seen.add(t.name);
        }
        await writeSafetensorsTo(join(tmp, file), tensors, {
          metadata,
          signal: opts.signal,
          overlap: opts.overlap,
          onProgress: () => opts.onProgress?.({ label: `writing ${file}`, done: ++done, total: seen.size }),
        });
        written.push({
          file,
          tensors: tensors.map((t) => t.name),
          bytes: tensors.reduce((a, t) => a + sourceBytes(t), 0),
        });
      }
      const totalBytes = written.reduce((a, s) => a + s.bytes, 0);
      if (sharded) {
        const weightMap: Record<string, string> = {};
        for (const s of written) for (const name of s.tensors) weightMap[name] = s.file;
        const index = { metadata: { total_size: totalBytes }, weight_map: weightMap };
        await writeFileIn(tmp, layout.indexFile, `${JSON.stringify(index, null, 2)}\n`);
      }
      if (opts.copyFrom) {
        for (const f of layout.companionFiles) {
          const src = join(opts.copyFrom, f);
          if (await isFile(src)) {
            await copyFile(src, join(tmp, f));
            copied.push(f);
          }
        }
      }
      if (opts.config !== undefined)
        await writeFileIn(tmp, "config.json", `${JSON.stringify(opts.config, null, 2)}\n`);
      const extra = typeof opts.extraFiles === "function" ? await opts.extraFiles() : (opts.extraFiles ?? {});
      for (const [name, content] of Object.entries(extra)) {
        if (name.includes("/") || name.includes("\\") || name.startsWith(".")) {
          throw new MisuseError({
            where: "writeCheckpoint",
            what: `extra file name "${name}"`,
            hint: "use a plain file name",
          });
        }
        await writeFileIn(tmp, name, content);
      }
    },
    opts,
  );
  return {
    dir: out,
    plan: { shards: written, sharded, totalBytes: written.reduce((a, s) => a + s.bytes, 0) },
    copied,
  };
}

async function writeFileIn(dir: string, name: string, content: string | Uint8Array): Promise<void> {
  await writeFile(join(dir, name), content);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
