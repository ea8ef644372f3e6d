/**
 * Element types of safetensors files and bulk conversions to and from Float32.
 *
 * - BF16 is the upper half of an IEEE-754 binary32: BF16→F32 is `u32 = u16 << 16` (exact);
 *   F32→BF16 rounds to nearest, ties to even, on the dropped 16 bits; NaN stays NaN (quieted),
 *   ±Inf stays ±Inf, overflow rounds to ±Inf.
 * - F16 (IEEE-754 binary16) → F32 goes through a 65,536-entry table of binary32 bit patterns
 *   (exact, NaN payloads kept). F32→F16 rounds to nearest, ties to even, including into the
 *   subnormal range (2^-24 units) and to ±Inf above 65520.
 * - F64, I64, I32, I16, I8, U64, U32, U16, U8, BOOL and the 8-bit floats F8_E4M3 (OCP E4M3FN:
 *   bias 7, no infinities, S.1111.111 is NaN), F8_E5M2 (bias 15, IEEE-style Inf/NaN) and
 *   F8_E8M0 (exponent only: 2^(e−127), 0xFF is NaN) are read-only here: converted to Float32 for
 *   inspection and arithmetic (64-bit integers beyond 2^53 lose precision).
 * - C64 (complex64) is listed and its bytes can be read, but it has no Float32 value.
 * Safetensors data is little-endian; so is every platform Node 20 ships for, which is checked.
 */
import { endianness } from "node:os";
import { MisuseError } from "../errors/index.js";

/**
 * Every safetensors element type: its size in bytes, whether it is a floating-point type, and
 * whether this engine can write it (F32, F16, BF16); the rest are read-only.
 */
export const DTYPES = {
  F64: { bytes: 8, float: true, writable: false },
  F32: { bytes: 4, float: true, writable: true },
  F16: { bytes: 2, float: true, writable: true },
  BF16: { bytes: 2, float: true, writable: true },
  I64: { bytes: 8, float: false, writable: false },
  I32: { bytes: 4, float: false, writable: false },
  I16: { bytes: 2, float: false, writable: false },
  I8: { bytes: 1, float: false, writable: false },
  U64: { bytes: 8, float: false, writable: false },
  U32: { bytes: 4, float: false, writable: false },
  U16: { bytes: 2, float: false, writable: false },
  U8: { bytes: 1, float: false, writable: false },
  BOOL: { bytes: 1, float: false, writable: false },
  F8_E4M3: { bytes: 1, float: true, writable: false },
  F8_E5M2: { bytes: 1, float: true, writable: false },
  F8_E8M0: { bytes: 1, float: true, writable: false },
  C64: { bytes: 8, float: true, writable: false },
} as const;

/** A safetensors element type name, e.g. `"BF16"` (a key of DTYPES). */
export type DType = keyof typeof DTYPES;
/** The dtypes this engine can write. */
export type WritableDType = "F32" | "F16" | "BF16";
/** The dtypes this engine can write, in order of precision. */
export const WRITABLE_DTYPES: readonly WritableDType[] = ["F32", "F16", "BF16"];

/** Whether `s` is a safetensors dtype name. */
export function isDType(s: unknown): s is DType {
  return typeof s === "string" && Object.hasOwn(DTYPES, s);
}

/** Whether `s` is a dtype this engine can write (F32, F16, BF16). */
export function isWritableDType(s: unknown): s is WritableDType {
  return s === "F32" || s === "F16" || s === "BF16";
}

/** Bytes per element of `d`. */
export function dtypeBytes(d: DType): number {
  return DTYPES[d].bytes;
}

if (endianness() !== "LE") {
  throw new MisuseError({
    where: "tensor engine",
    what: "this platform is big-endian and safetensors data is little-endian",
    hint: "run frugal on a little-endian machine (x86-64, arm64)",
  });
}

/** A typed-array view of `bytes` if it is aligned for `size`, else a view of an aligned copy. */
function aligned(bytes: Uint8Array, size: number): { buffer: ArrayBufferLike; offset: number } {
  if (bytes.byteOffset % size === 0) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { buffer: copy.buffer, offset: 0 };
}

let f16Table: Uint32Array | undefined;

/** The binary32 bit pattern of every binary16 value (index = binary16 bits). */
export function f16ToF32Table(): Uint32Array {
  if (f16Table) return f16Table;
  const t = new Uint32Array(65536);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      f[0] = mant * 2 ** -24; // zero or subnormal: exact in binary32
      t[h] = (u[0]! | sign) >>> 0;
    } else if (exp === 31) {
      t[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0; // Inf, or NaN with its payload
    } else {
      t[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  f16Table = t;
  return t;
}

/** Whether `toFloat32` can convert the dtype (every dtype but the complex C64). */
export function isWidenable(d: DType): boolean {
  return d !== "C64";
}

let f8Tables: { E4M3: Float32Array; E5M2: Float32Array; E8M0: Float32Array } | undefined;

/** Float32 values of all 256 bit patterns of the three 8-bit float formats. */
export function float8Tables(): { E4M3: Float32Array; E5M2: Float32Array; E8M0: Float32Array } {
  if (f8Tables) return f8Tables;
  const E4M3 = new Float32Array(256);
  const E5M2 = new Float32Array(256);
  const E8M0 = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    // E4M3FN: 4 exponent bits (bias 7), 3 mantissa bits; exponent 15 with mantissa 7 is NaN.
    const e4 = (b >>> 3) & 0xf;
    const m3 = b & 0x7;
    E4M3[b] =
      e4 === 0xf && m3 === 0x7 ? Number.NaN : sign * (e4 === 0 ? m3 * 2 ** -9 : (1 + m3 / 8) * 2 ** (e4 - 7));
    // E5M2: 5 exponent bits (bias 15), 2 mantissa bits; exponent 31 is Inf (mantissa 0) or NaN.
    const e5 = (b >>> 2) & 0x1f;
    const m2 = b & 0x3;
    E5M2[b] =
      e5 === 0x1f
        ? m2 === 0
          ? sign * Number.POSITIVE_INFINITY
          : Number.NaN
        : sign * (e5 === 0 ? m2 * 2 ** -16 : (1 + m2 / 4) * 2 ** (e5 - 15));
    // E8M0: an unsigned exponent (bias 127); 0xFF is NaN.
    E8M0[b] = b === 0xff ? Number.NaN : 2 ** (b - 127);
  }
  f8Tables = { E4M3, E5M2, E8M0 };
  return f8Tables;
}

/**
 * Converts the little-endian elements of `dtype` in `bytes` to Float32 (into `out` when given,
 * which must have exactly one slot per element). Throws MisuseError for C64 or a partial element.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType, out?: Float32Array): Float32Array {
  if (!isWidenable(dtype))
    throw new MisuseError({
      where: "toFloat32",
      what: `${dtype} (complex) values have no Float32 form`,
      hint: "read the raw bytes instead",
    });
  const size = dtypeBytes(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new MisuseError({
      where: "toFloat32",
      what: `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`,
      hint: "pass the exact byte range of one tensor",
    });
  }
  const n = bytes.byteLength / size;
  if (out && out.length !== n) {
    throw new MisuseError({
      where: "toFloat32",
      what: `out has ${out.length} elements, need ${n}`,
      hint: "size it to the tensor",
    });
  }
  if (dtype === "F32") {
    const { buffer, offset } = aligned(bytes, 4);
    const view = new Float32Array(buffer, offset, n);
    if (out) {
      out.set(view);
      return out;
    }
    // A fresh, owned copy unless the input is already an exact, aligned buffer of its own.
    return offset === 0 && buffer.byteLength === n * 4 ? view : view.slice();
  }
  const res = out ?? new Float32Array(n);
  switch (dtype) {
    case "BF16": {
      const { buffer, offset } = aligned(bytes, 2);
      const src = new Uint16Array(buffer, offset, n);
      const dst = new Uint32Array(res.buffer, res.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i]! << 16;
      return res;
    }
    case "F16": {
      const { buffer, offset } = aligned(bytes, 2);
      const src = new Uint16Array(buffer, offset, n);
      const dst = new Uint32Array(res.buffer, res.byteOffset, n);
      const t = f16ToF32Table();
      for (let i = 0; i < n; i++) dst[i] = t[src[i]!]!;
      return res;
    }
    case "F64": {
      const { buffer, offset } = aligned(bytes, 8);
      res.set(new Float64Array(buffer, offset, n));
      return res;
    }
    case "I64": {
      const { buffer, offset } = aligned(bytes, 8);
      const src = new BigInt64Array(buffer, offset, n);
      for (let i = 0; i < n; i++) res[i] = Number(src[i]!);
      return res;
    }
    case "I32": {
      const { buffer, offset } = aligned(bytes, 4);
      res.set(new Int32Array(buffer, offset, n));
      return res;
    }
    case "I16": {
      const { buffer, offset } = aligned(bytes, 2);
      res.set(new Int16Array(buffer, offset, n));
      return res;
    }
    case "I8":
      res.set(new Int8Array(bytes.buffer, bytes.byteOffset, n));
      return res;
    case "U64": {
      const { buffer, offset } = aligned(bytes, 8);
      const src = new BigUint64Array(buffer, offset, n);
      for (let i = 0; i < n; i++) res[i] = Number(src[i]);
      return res;
    }
    case "U32": {
      const { buffer, offset } = aligned(bytes, 4);
      res.set(new Uint32Array(buffer, offset, n));
      return res;
    }
    case "U16": {
      const { buffer, offset } = aligned(bytes, 2);
      res.set(new Uint16Array(buffer, offset, n));
      return res;
    }
    case "U8":
      res.set(bytes);
      return res;
    case "BOOL":
      for (let i = 0; i < n; i++) res[i] = bytes[i] ? 1 : 0;
      return res;
    case "F8_E4M3":
    case "F8_E5M2":
    case "F8_E8M0": {
      const t = float8Tables()[dtype === "F8_E4M3" ? "E4M3" : dtype === "F8_E5M2" ? "E5M2" : "E8M0"];
      for (let i = 0; i < n; i++) res[i] = t[bytes[i] as number] as number;
      return res;
    }
    case "C64":
      return res; // unreachable: refused above
  }
}

/**
 * Widens BF16/F16 values stored in the first half of `out`'s memory (2 bytes each) into Float32,
 * in place, walking backwards so no value is overwritten before it is read (writing element i
 * touches 16-bit slots 2i and 2i+1, both ≥ i). No second buffer: peak memory is the F32 tensor.
 */
export function expandInPlace(out: Float32Array, dtype: "BF16" | "F16"): Float32Array {
  const n = out.length;
  const src = new Uint16Array(out.buffer, out.byteOffset, n);
  const dst = new Uint32Array(out.buffer, out.byteOffset, n);
  if (dtype === "BF16") {
    for (let i = n - 1; i >= 0; i--) dst[i] = src[i]! << 16;
  } else {
    const t = f16ToF32Table();
    for (let i = n - 1; i >= 0; i--) dst[i] = t[src[i]!]!;
  }
  return out;
}

/** Float32 → BF16 bits, round to nearest even; NaN quieted, Inf kept. */
export function f32ToBf16Bits(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const u = new Uint32Array(src.buffer, src.byteOffset, n);
  const dst = out ?? new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const b = u[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) dst[i] = (b >>> 16) | 0x40;
    else dst[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return dst;
}

/** Float32 → binary16 bits, round to nearest even (also into subnormals); NaN quieted, Inf kept. */
export function f32ToF16Bits(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const u = new Uint32Array(src.buffer, src.byteOffset, n);
  const dst = out ?? new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const b = u[i]!;
    const sign = (b >>> 16) & 0x8000;
    const x = b & 0x7fffffff;
    if (x >= 0x7f800000) {
      dst[i] = x === 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((x >>> 13) & 0x3ff);
    } else if (x >= 0x477ff000) {
      dst[i] = sign | 0x7c00; // ≥ 65520 rounds to infinity
    } else if (x >= 0x38800000) {
      const m = x - 0x38000000; // rebias the exponent from 127 to 15
      dst[i] = sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
    } else {
      // Subnormal (or zero) in binary16: round |v| / 2^-24 to nearest even integer.
      const v = Math.abs(src[i]!) * 2 ** 24;
      let r = Math.floor(v);
      const frac = v - r;
      if (frac > 0.5 || (frac === 0.5 && (r & 1) === 1)) r += 1;
      dst[i] = sign | r;
    }
  }
  return dst;
}

/**
 * Encodes Float32 values as little-endian bytes of a writable dtype (F16/BF16 round to nearest
 * even). For F32 the result is a view of `src`'s memory, not a copy.
 */
export function fromFloat32(src: Float32Array, dtype: WritableDType): Uint8Array {
  switch (dtype) {
    case "F32":
      return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    case "BF16": {
      const bits = f32ToBf16Bits(src);
      return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    }
    case "F16": {
      const bits = f32ToF16Bits(src);
      return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    }
  }
}

/**
 * Encodes Float32 data as a writable dtype in place (the 16-bit values overwrite the first half of
 * the buffer: writing slot i touches 32-bit element ⌊i/2⌋, already read). Returns the bytes view.
 */
export function encodeInPlace(data: Float32Array, dtype: WritableDType): Uint8Array {
  if (dtype === "F32") return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bits = new Uint16Array(data.buffer, data.byteOffset, data.length);
  if (dtype === "BF16") f32ToBf16Bits(data, bits);
  else f32ToF16Bits(data, bits);
  return new Uint8Array(data.buffer, data.byteOffset, data.length * 2);
}
