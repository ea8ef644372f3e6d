/**
 * The safetensors header: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON mapping tensor
 * names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte after the
 * header), plus an optional "__metadata__" map of strings. Format: huggingface/safetensors,
 * README "Format" section.
 *
 * Validation covers everything a broken or malicious file can get wrong: header length past the
 * end of the file or over 100 MB, invalid UTF-8/JSON, a non-object header, duplicate names,
 * unknown dtypes, bad shapes, offsets that overlap, leave holes or run past the end, and byte
 * sizes that disagree with shape × dtype. Every failure is a SafetensorsError naming the file and,
 * where there is one, the tensor.
 */
import { DTYPES, type DType, dtypeBytes, isDType } from "../dtype.js";
import { SafetensorsError } from "../errors.js";

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
/** The header key of the optional string-to-string metadata map (not a tensor). */
export const METADATA_KEY = "__metadata__";

/** One tensor of a safetensors header: name, dtype, shape and where its bytes are. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  /** Dimensions, outermost first (row-major); `[]` is a scalar. */
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  begin: number;
  end: number;
}

/** A validated safetensors header: the tensors in file order, the metadata, and the layout in bytes. */
export interface SafetensorsHeader {
  /** Tensors in file order (ascending offsets). */
  tensors: TensorInfo[];
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
  /** N, the JSON length in bytes. */
  headerBytes: number;
  /** Absolute file offset of the data section: 8 + N. */
  dataStart: number;
  /** Size of the whole file in bytes. */
  fileBytes: number;
}

/** Number of elements of a tensor of this shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Validates the 8-byte length prefix against the file size; returns N. */
export function checkHeaderLength(prefix: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError({
      file,
      what: `file is ${fileBytes} bytes, shorter than the 8-byte header length`,
      hint: "the file is truncated or not a safetensors file",
    });
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError({
      file,
      what: `header length ${n} bytes is over the ${MAX_HEADER_BYTES}-byte limit`,
      hint: "the file is corrupt or not a safetensors file",
    });
  }
  const len = Number(n);
  if (8 + len > fileBytes) {
    throw new SafetensorsError({
      file,
      what: `header length ${len} bytes runs past the end of the ${fileBytes}-byte file`,
      hint: "the file is truncated or not a safetensors file",
    });
  }
  return len;
}

/** Finds a key that occurs twice in the top-level object of valid JSON text (JSON.parse keeps the last). */
export function findDuplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      if (depth === 1) {
        let k = j + 1;
        while (k < n && /\s/.test(text.charAt(k))) k++;
        if (text[k] === ":") {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    i++;
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and validates the JSON header bytes (without the 8-byte prefix). */
export function parseHeader(json: Uint8Array, fileBytes: number, file: string): SafetensorsHeader {
  const headerBytes = json.byteLength;
  const dataStart = 8 + headerBytes;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch (e) {
    throw new SafetensorsError({
      file,
      what: "header is not valid UTF-8",
      hint: "the file is corrupt",
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError({
      file,
      what: `header is not valid JSON (${(e as Error).message.split("\n")[0]})`,
      hint: "the file is corrupt or not a safetensors file",
      cause: e,
    });
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError({
      file,
      what: "header is not a JSON object",
      hint: "the file is corrupt or not a safetensors file",
    });
  }
  const dup = findDuplicateTopLevelKey(text);
  if (dup !== undefined) {
    throw new SafetensorsError({
      file,
      tensor: dup,
      what: "name appears twice in the header",
      hint: "rewrite the file with unique names",
    });
  }
  const metadata: Record<string, string> = {};
  const meta = parsed[METADATA_KEY];
  if (meta !== undefined) {
    if (!isPlainObject(meta)) {
      throw new SafetensorsError({
        file,
        what: `"${METADATA_KEY}" is not an object of strings`,
        hint: "the file is corrupt",
      });
    }
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== "string") {
        throw new SafetensorsError({
          file,
          what: `"${METADATA_KEY}".${k} is not a string`,
          hint: "metadata values must be strings",
        });
      }
      metadata[k] = v;
    }
  }
  const tensors: TensorInfo[] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === METADATA_KEY) continue;
    const bad = (what: string, hint = "the file is corrupt; re-export it") =>
      new SafetensorsError({ file, tensor: name, what, hint });
    if (name.length === 0) throw bad("tensor name is empty");
    if (!isPlainObject(raw)) throw bad("entry is not an object with dtype, shape and data_offsets");
    const { dtype, shape, data_offsets: offs } = raw;
    if (!isDType(dtype))
      throw bad(`unknown dtype ${JSON.stringify(dtype)}`, `supported: ${Object.keys(DTYPES).join(", ")}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offs[0] as number) > (offs[1] as number)
    ) {
      throw bad(`data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const dims = shape as number[];
    const elements = numel(dims);
    const expected = elements * dtypeBytes(dtype);
    const [begin, end] = offs as [number, number];
    if (!Number.isSafeInteger(expected) || expected !== end - begin) {
      throw bad(
        `shape [${dims.join(", ")}] × ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.push({ name, dtype, shape: dims, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataBytes = fileBytes - dataStart;
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin < cursor) {
      throw new SafetensorsError({
        file,
        tensor: t.name,
        what: `data [${t.begin}, ${t.end}) overlaps the previous tensor (which ends at ${cursor})`,
        hint: "the file is corrupt",
      });
    }
    if (t.begin > cursor) {
      throw new SafetensorsError({
        file,
        tensor: t.name,
        what: `data starts at ${t.begin}, leaving a hole after byte ${cursor}`,
        hint: "the file is corrupt",
      });
    }
    if (t.end > dataBytes) {
      throw new SafetensorsError({
        file,
        tensor: t.name,
        what: `data ends at ${t.end}, past the end of the ${dataBytes}-byte data section`,
        hint: "the file is truncated",
      });
    }
    cursor = t.end;
  }
  if (cursor !== dataBytes) {
    throw new SafetensorsError({
      file,
      what: `${dataBytes - cursor} bytes after the last tensor belong to no tensor`,
      hint: "the file is corrupt or was appended to",
    });
  }
  return { tensors, metadata, headerBytes, dataStart, fileBytes };
}

/** Builds the header bytes (8-byte length + JSON padded with spaces to a multiple of 8). */
export function encodeHeader(
  entries: readonly { name: string; dtype: DType; shape: readonly number[]; byteLength: number }[],
  metadata?: Record<string, string>,
): { bytes: Uint8Array; offsets: [number, number][] } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) obj[METADATA_KEY] = metadata;
  const offsets: [number, number][] = [];
  let cursor = 0;
  for (const e of entries) {
    offsets.push([cursor, cursor + e.byteLength]);
    obj[e.name] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [cursor, cursor + e.byteLength] };
    cursor += e.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + padded);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.byteLength);
  json = bytes;
  return { bytes: json, offsets };
}
