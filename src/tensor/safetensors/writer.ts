/**
 * Safetensors writer. Tensors are given as sources (dtype, shape, and a function that produces
 * the bytes), so a writer streams one tensor at a time and never holds the file in memory. The
 * header is padded with spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned
 * relative to the data section. The file is written to a temporary sibling and renamed when
 * complete: an interrupted write leaves no file at `out`.
 */
import { open } from "node:fs/promises";
import { IoError, MisuseError, throwIfAborted } from "../../errors/index.js";
import { type WriteOptions, writeError, writeFileAtomic } from "../../util/files.js";
import type { OnProgress } from "../../util/progress.js";
import { type DType, dtypeBytes, fromFloat32, isWritableDType, type WritableDType } from "../dtype.js";
import { encodeHeader, METADATA_KEY, numel } from "./header.js";

/**
 * A tensor to write: name, dtype, shape, and a function producing its bytes when the writer gets
 * to it, so tensors are produced (e.g. computed or read) one at a time.
 */
export interface TensorSource {
  name: string;
  dtype: DType;
  /** Dimensions, outermost first (row-major). */
  shape: readonly number[];
  /** Produces the tensor's little-endian bytes (exactly numel × dtype size). Called once, in order. */
  bytes(): Promise<Uint8Array> | Uint8Array;
}

/** A source for an in-memory Float32 tensor stored as `dtype` (converted when written). */
export function float32Source(
  name: string,
  shape: readonly number[],
  data: Float32Array,
  dtype: WritableDType = "F32",
): TensorSource {
  if (numel(shape) !== data.length) {
    throw new MisuseError({
      where: name,
      what: `shape [${shape.join(", ")}] has ${numel(shape)} elements but data has ${data.length}`,
      hint: "pass matching shape and data",
    });
  }
  if (!isWritableDType(dtype))
    throw new MisuseError({ where: name, what: `cannot write dtype ${dtype}`, hint: "use F32, F16 or BF16" });
  return { name, dtype, shape, bytes: () => fromFloat32(data, dtype) };
}

/** Options of `writeSafetensors`: overwrite and input protection, metadata, cancel, progress. */
export interface WriteSafetensorsOptions extends WriteOptions {
  /** The `__metadata__` map written in the header (none when empty). */
  metadata?: Record<string, string>;
  /** Cancels between tensors; nothing is left at the output. */
  signal?: AbortSignal;
  /** Called after each tensor is written. */
  onProgress?: OnProgress;
  /**
   * Overlap writing one tensor with producing the next: `bytes()` of tensor k + 1 is called while
   * tensor k's bytes are still being written, so a source's bytes must stay unchanged until the
   * writer calls `bytes()` of the tensor after next (or returns). Off by default.
   */
  overlap?: boolean;
}

/** Checks tensor names (non-empty, unique, not `__metadata__`) and shapes; MisuseError naming `where` otherwise. */
export function validateSources(tensors: readonly TensorSource[], where: string): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name.length === 0 || t.name === METADATA_KEY) {
      throw new MisuseError({
        where,
        what: `invalid tensor name ${JSON.stringify(t.name)}`,
        hint: "use a non-empty name other than __metadata__",
      });
    }
    if (seen.has(t.name))
      throw new MisuseError({
        where,
        what: `tensor ${JSON.stringify(t.name)} given twice`,
        hint: "names must be unique",
      });
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new MisuseError({
        where,
        what: `tensor ${JSON.stringify(t.name)} has shape [${t.shape.join(", ")}]`,
        hint: "dimensions are non-negative integers",
      });
    }
  }
}

/** Bytes a tensor occupies in a file. */
export function sourceBytes(t: Pick<TensorSource, "dtype" | "shape">): number {
  return numel(t.shape) * dtypeBytes(t.dtype);
}

/** Writes `tensors` (in the given order) to `out`, atomically. Returns the file size in bytes. */
export async function writeSafetensors(
  out: string,
  tensors: readonly TensorSource[],
  opts: WriteSafetensorsOptions = {},
): Promise<number> {
  return writeFileAtomic(out, (tmp) => writeSafetensorsTo(tmp, tensors, opts), opts);
}

/** Writes to `path` directly (no temp/rename: for callers that already write into a temporary folder). */
export async function writeSafetensorsTo(
  path: string,
  tensors: readonly TensorSource[],
  opts: WriteSafetensorsOptions = {},
): Promise<number> {
  validateSources(tensors, path);
  const { bytes: header } = encodeHeader(
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: sourceBytes(t) })),
    opts.metadata,
  );
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "w");
  } catch (e) {
    throw new IoError({
      where: path,
      what: `cannot create (${(e as Error).message})`,
      hint: "check the folder exists and is writable",
      cause: e,
    });
  }
  try {
    let pos = 0;
    const write = async (b: Uint8Array) => {
      let done = 0;
      while (done < b.byteLength) {
        const { bytesWritten } = await fh.write(b, done, Math.min(1 << 30, b.byteLength - done), pos + done);
        done += bytesWritten;
      }
      pos += b.byteLength;
    };
    await write(header);
    let i = 0;
    // With `overlap`, the write of the previous tensor is in flight while the next one's bytes are
    // produced; at most one write is outstanding.
    let writing: Promise<void> | undefined;
    try {
      for (const t of tensors) {
        throwIfAborted(opts.signal, path);
        const data = await t.bytes();
        const want = sourceBytes(t);
        if (data.byteLength !== want) {
          throw new MisuseError({
            where: `${path}: tensor ${JSON.stringify(t.name)}`,
            what: `got ${data.byteLength} bytes, shape × ${t.dtype} needs ${want}`,
            hint: "pass bytes matching the shape",
          });
        }
        await writing;
        const done = ++i;
        writing = write(data).then(() =>
          opts.onProgress?.({ label: "writing tensors", done, total: tensors.length }),
        );
        writing.catch(() => {}); // awaited below; no unhandled rejection while the next tensor is produced
        if (!opts.overlap) await writing;
      }
      await writing;
    } finally {
      // An error while producing a tensor leaves no write running on the closing file.
      await writing?.catch(() => undefined);
    }
    return pos;
  } catch (e) {
    throw writeError(path, e);
  } finally {
    await fh.close();
  }
}
