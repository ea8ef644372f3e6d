/**
 * Lazy safetensors reader: opens the file, reads and validates the header only, and reads one
 * tensor at a time by offset with positional reads on a FileHandle, so memory stays near the size
 * of the largest tensor read, never the file.
 */
import { type FileHandle, open } from "node:fs/promises";
import { MisuseError, throwIfAborted } from "../../errors/index.js";
import { fileReadError } from "../../util/files.js";
import { dtypeBytes, expandInPlace, isWidenable, toFloat32 } from "../dtype.js";
import { SafetensorsError } from "../errors.js";
import type { Matrix } from "../linalg/matrix.js";
import { checkHeaderLength, numel, parseHeader, type SafetensorsHeader, type TensorInfo } from "./header.js";

/** Positional reads are split into chunks of this size (a single read is capped near 2 GiB). */
const CHUNK = 1 << 30;

/** Options of a tensor read. */
export interface ReadOptions {
  /** Cancels the read between chunks (throws AbortedError). */
  signal?: AbortSignal;
}

/** Options of a raw read. */
export interface ReadRawOptions extends ReadOptions {
  /** Read into this buffer (exactly the tensor's byte length) instead of allocating one. */
  into?: Uint8Array;
}

/** Options of a Float32 or matrix read. */
export interface ReadFloat32Options extends ReadOptions {
  /** Reuse this buffer (exactly numel elements) instead of allocating one per tensor. */
  into?: Float32Array;
}

async function readExactly(
  fh: FileHandle,
  into: Uint8Array,
  position: number,
  file: string,
  signal?: AbortSignal,
): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    throwIfAborted(signal, file);
    const want = Math.min(CHUNK, into.byteLength - done);
    const { bytesRead } = await fh.read(into, done, want, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError({
        file,
        what: `unexpected end of file at byte ${position + done}`,
        hint: "the file was truncated while reading",
      });
    }
    done += bytesRead;
  }
}

/**
 * One open safetensors file: the validated header, and tensors read one at a time by positional
 * reads (memory stays near the largest tensor read, never the file). Open with `SafetensorsReader.open`.
 */
export class SafetensorsReader {
  /** The path the reader was opened with. */
  readonly file: string;
  /** The validated header. */
  readonly header: SafetensorsHeader;
  private fh: FileHandle | undefined;
  private readonly byName: Map<string, TensorInfo>;

  private constructor(file: string, fh: FileHandle, header: SafetensorsHeader) {
    this.file = file;
    this.fh = fh;
    this.header = header;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /** Opens `file` and validates its header. Close it with `close()` (or `await using`). */
  static async open(file: string): Promise<SafetensorsReader> {
    let fh: FileHandle;
    try {
      fh = await open(file, "r");
    } catch (e) {
      throw fileReadError(file, e);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile())
        throw new SafetensorsError({ file, what: "is not a regular file", hint: "give a .safetensors file" });
      const prefix = new Uint8Array(8);
      if (st.size >= 8) await readExactly(fh, prefix, 0, file);
      const n = checkHeaderLength(prefix, st.size, file);
      const json = new Uint8Array(n);
      await readExactly(fh, json, 8, file);
      return new SafetensorsReader(file, fh, parseHeader(json, st.size, file));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The tensors in file order. */
  get tensors(): readonly TensorInfo[] {
    return this.header.tensors;
  }

  /** The `__metadata__` map ({} when absent). */
  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** Whether the file has a tensor called `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The header entry of tensor `name`; a SafetensorsError when there is none. */
  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) {
      throw new SafetensorsError({
        file: this.file,
        tensor: name,
        what: "no such tensor in this file",
        hint: "list the tensors with `frugal inspect`",
      });
    }
    return t;
  }

  private handle(): FileHandle {
    if (!this.fh)
      throw new SafetensorsError({
        file: this.file,
        what: "the reader is closed",
        hint: "open the file again",
      });
    return this.fh;
  }

  /** The raw little-endian bytes of one tensor, in a fresh aligned buffer (or in `opts.into`). */
  async readRaw(name: string, opts: ReadRawOptions = {}): Promise<Uint8Array> {
    const t = this.info(name);
    if (opts.into && opts.into.byteLength !== t.end - t.begin) {
      throw new MisuseError({
        where: `${this.file}: tensor ${JSON.stringify(name)}`,
        what: `into has ${opts.into.byteLength} bytes, the tensor ${t.end - t.begin}`,
        hint: "pass a buffer of the tensor's byte length",
      });
    }
    const out = opts.into ?? new Uint8Array(t.end - t.begin);
    await readExactly(this.handle(), out, this.header.dataStart + t.begin, this.file, opts.signal);
    return out;
  }

  /** One tensor converted to Float32 (any dtype; see dtype.ts). */
  async readFloat32(name: string, opts: ReadFloat32Options = {}): Promise<Float32Array> {
    const t = this.info(name);
    const n = numel(t.shape);
    const into = opts.into;
    if (into && into.length !== n) {
      throw new MisuseError({
        where: `${this.file}: tensor ${JSON.stringify(name)}`,
        what: `into has ${into.length} elements, the tensor ${n}`,
        hint: "pass a buffer of the tensor's size",
      });
    }
    if (!isWidenable(t.dtype))
      throw new SafetensorsError({
        file: this.file,
        tensor: name,
        what: `${t.dtype} (complex) values have no float32 form`,
        hint: "read its bytes with readRaw",
      });
    const out = into ?? new Float32Array(n);
    if (t.dtype === "BF16" || t.dtype === "F16" || t.dtype === "F32") {
      // Read straight into the Float32 buffer (16-bit data into its first half, widened in place).
      const bytes = new Uint8Array(out.buffer, out.byteOffset, t.end - t.begin);
      await readExactly(this.handle(), bytes, this.header.dataStart + t.begin, this.file, opts.signal);
      return t.dtype === "F32" ? out : expandInPlace(out, t.dtype);
    }
    return toFloat32(await this.readRaw(name, { signal: opts.signal }), t.dtype, out);
  }

  /**
   * Elements [start, start + count) of one tensor (in its row-major order) converted to Float32:
   * a positional read of just those bytes, e.g. one expert's slice of a fused (E, 2p, d) tensor.
   */
  async readFloat32Range(
    name: string,
    start: number,
    count: number,
    opts: ReadFloat32Options = {},
  ): Promise<Float32Array> {
    const t = this.info(name);
    const n = numel(t.shape);
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > n
    )
      throw new MisuseError({
        where: `${this.file}: tensor ${JSON.stringify(name)}`,
        what: `elements [${start}, ${start + count}) are outside the tensor's ${n}`,
        hint: "read a range inside the tensor",
      });
    if (opts.into && opts.into.length !== count)
      throw new MisuseError({
        where: `${this.file}: tensor ${JSON.stringify(name)}`,
        what: `into has ${opts.into.length} elements, the range ${count}`,
        hint: "pass a buffer of the range's size",
      });
    const out = opts.into ?? new Float32Array(count);
    const size = dtypeBytes(t.dtype);
    const position = this.header.dataStart + t.begin + start * size;
    if (t.dtype === "BF16" || t.dtype === "F16" || t.dtype === "F32") {
      const bytes = new Uint8Array(out.buffer, out.byteOffset, count * size);
      await readExactly(this.handle(), bytes, position, this.file, opts.signal);
      return t.dtype === "F32" ? out : expandInPlace(out, t.dtype);
    }
    const raw = new Uint8Array(count * size);
    await readExactly(this.handle(), raw, position, this.file, opts.signal);
    return toFloat32(raw, t.dtype, out);
  }

  /**
   * One tensor as a row-major matrix: 2-D as is, 1-D as a row, N-D with the leading dimensions
   * flattened into rows (e.g. fused experts (E, 2p, d) → (E·2p) × d).
   */
  async readMatrix(name: string, opts: ReadFloat32Options = {}): Promise<Matrix> {
    const t = this.info(name);
    const cols = t.shape.at(-1) ?? 1;
    const rows = cols === 0 ? 0 : numel(t.shape) / cols;
    return { rows, cols, data: await this.readFloat32(name, opts) };
  }

  /** Closes the file; reads after this throw. Closing twice is harmless. */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  /** `await using` support: closes the file. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens, reads the header, and closes: the tensor list of one file. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const r = await SafetensorsReader.open(file);
  await r.close();
  return r.header;
}
