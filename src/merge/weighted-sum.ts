/**
 * Weighted sums of tensors, the arithmetic of `linear` (and of `passthrough`'s scale), in two
 * forms that give the same bits:
 *
 * - `weightedSumF32`: over Float32 tensors, into the first one's buffer;
 * - `weightedSumRaw`: straight from the raw little-endian bytes of F32, F16 or BF16 inputs to the
 *   encoded bytes of the output dtype, in blocks of `BLOCK` elements that stay in the CPU cache:
 *   each block of each input is widened into a small scratch buffer, summed, scaled and encoded
 *   (BF16/F16 round to nearest even, as `fromFloat32`). No Float32 copy of any whole tensor is made,
 *   so a merge reads each input's bytes once and touches 2 (BF16/F16) or 4 (F32) bytes per element
 *   per input plus the output's.
 *
 * The arithmetic, per element, with f = rounding to float32 (Math.fround) and the products and sums
 * in float64 as JavaScript evaluates them: acc = f(w_0·x_0); acc = f(acc + w_i·x_i) for i = 1 … n−1;
 * out = f(acc·scale) (skipped when scale = 1 for one or more than three inputs, which changes
 * nothing). One input with weight 1 and scale 1 is a copy: out = x, bits and all (NaN payloads kept).
 * Both forms evaluate exactly this, so their results are bit-identical, with one exception: a NaN
 * computed from NaN inputs by the SIMD engine is a NaN whose payload and sign may differ from the
 * JavaScript one (WebAssembly leaves them unspecified, https://webassembly.github.io/spec/core/exec/numerics.html#nan-propagation).
 */
import { MisuseError } from "../errors/index.js";
import { f16ToF32Table, f32ToF16Bits, type WritableDType } from "../tensor/index.js";
import { type SimdKernels, simdKernels } from "./wasm-kernels.js";

/** A tensor's merge as a weighted sum: out = f(acc·scale), acc = f(acc + w_i·x_i) in input order. */
export interface WeightedSum {
  /** One weight per input, in input order. */
  weights: readonly number[];
  /** The factor applied to the sum (1/Σw for an average). */
  scale: number;
}

/** Element types `weightedSumRaw` reads and writes. */
export type StreamDType = "F32" | "F16" | "BF16";

/** Whether `d` is an element type `weightedSumRaw` reads. */
export function isStreamDType(d: string): d is StreamDType {
  return d === "F32" || d === "F16" || d === "BF16";
}

/** One input of `weightedSumRaw`: its raw little-endian bytes and their element type. */
export interface RawInput {
  bytes: Uint8Array;
  dtype: StreamDType;
}

/** Elements per block: four scratch blocks of 8 KiB stay in the L1/L2 cache. */
export const BLOCK = 2048;

const f = Math.fround;

/**
 * Σ w_i x_i (then × scale) over Float32 tensors of equal length, written into `tensors[0]`, which is
 * returned. The arithmetic is the module's (two and three inputs unrolled).
 */
export function weightedSumF32(tensors: Float32Array[], sum: WeightedSum): Float32Array {
  checkWeights(tensors.length, sum);
  const out = tensors[0]!;
  const n = out.length;
  const { weights: w, scale } = sum;
  const [w0, w1, w2] = w as [number, number, number];
  if (isCopy(sum)) return out;
  if (tensors.length === 3) {
    const [x0, x1, x2] = tensors as [Float32Array, Float32Array, Float32Array];
    for (let j = 0; j < n; j++) out[j] = f(f(f(w0 * x0[j]!) + w1 * x1[j]!) + w2 * x2[j]!) * scale;
  } else if (tensors.length === 2) {
    const [x0, x1] = tensors as [Float32Array, Float32Array];
    for (let j = 0; j < n; j++) out[j] = f(f(w0 * x0[j]!) + w1 * x1[j]!) * scale;
  } else {
    for (let j = 0; j < n; j++) out[j] = w0 * out[j]!;
    for (let i = 1; i < tensors.length; i++) {
      const x = tensors[i]!;
      const wi = w[i]!;
      for (let j = 0; j < n; j++) out[j] = out[j]! + wi * x[j]!;
    }
    if (scale !== 1) for (let j = 0; j < n; j++) out[j] = out[j]! * scale;
  }
  return out;
}

/** One input, weight 1, scale 1: the output is the input. */
function isCopy(sum: WeightedSum): boolean {
  return sum.weights.length === 1 && sum.weights[0] === 1 && sum.scale === 1;
}

function checkWeights(inputs: number, sum: WeightedSum): void {
  if (inputs < 1 || sum.weights.length !== inputs)
    throw new MisuseError({
      where: "weighted sum",
      what: `${inputs} input(s) and ${sum.weights.length} weight(s)`,
      hint: "give one weight per input",
    });
}

/** Element views of one input: 16-bit words (F16, BF16) or 32-bit words (F32). */
interface InputView {
  dtype: StreamDType;
  u16: Uint16Array;
  u32: Uint32Array;
}

// Scratch blocks: three widened inputs and the accumulator, each as floats and as bits.
const scratch = Array.from({ length: 4 }, () => {
  const f32 = new Float32Array(BLOCK);
  return { f32, u32: new Uint32Array(f32.buffer) };
});
const empty16 = new Uint16Array(0);
const empty32 = new Uint32Array(0);

function view(bytes: Uint8Array, dtype: StreamDType, n: number, what: string): InputView {
  const size = dtype === "F32" ? 4 : 2;
  if (bytes.byteLength !== n * size)
    throw new MisuseError({
      where: "weighted sum",
      what: `${what} has ${bytes.byteLength} bytes, ${n} ${dtype} elements need ${n * size}`,
      hint: "pass every tensor's exact bytes",
    });
  // Typed views need aligned offsets; an unaligned input is copied once.
  const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return size === 4
    ? { dtype, u16: empty16, u32: new Uint32Array(b.buffer, b.byteOffset, n) }
    : { dtype, u16: new Uint16Array(b.buffer, b.byteOffset, n), u32: empty32 };
}

/** Widens elements [o, o + m) of one input into `dst` (as bits). */
function widen(x: InputView, o: number, m: number, dst: Uint32Array, f16: Uint32Array): void {
  if (x.dtype === "BF16") {
    const s = x.u16;
    for (let k = 0; k < m; k++) dst[k] = s[o + k]! << 16;
  } else if (x.dtype === "F16") {
    const s = x.u16;
    for (let k = 0; k < m; k++) dst[k] = f16[s[o + k]!]!;
  } else {
    const s = x.u32;
    for (let k = 0; k < m; k++) dst[k] = s[o + k]!;
  }
}

/** Which implementation `weightedSumRaw` runs: WebAssembly SIMD where available (default), or JavaScript. */
export type SumEngine = "auto" | "simd" | "js";

/**
 * Σ w_i x_i × scale from raw F32/F16/BF16 bytes of equal element count, encoded as `outDtype`
 * into `out` (exactly n × its size bytes; a fresh buffer when omitted). Bit-identical to
 * `fromFloat32(weightedSumF32(inputs as Float32, sum), outDtype)` (the SIMD engine: up to the
 * payload and sign of NaNs computed from NaN inputs).
 */
export function weightedSumRaw(
  inputs: readonly RawInput[],
  sum: WeightedSum,
  outDtype: WritableDType,
  out?: Uint8Array,
  engine: SumEngine = "auto",
): Uint8Array {
  checkWeights(inputs.length, sum);
  const first = inputs[0]!;
  const n = first.bytes.byteLength / (first.dtype === "F32" ? 4 : 2);
  const xs = inputs.map((x, i) => view(x.bytes, x.dtype, n, `input ${i}`));
  const outSize = outDtype === "F32" ? 4 : 2;
  const res = out ?? new Uint8Array(n * outSize);
  const o = view(res, outDtype, n, "out");
  if (o.u16.buffer !== res.buffer && o.u32.buffer !== res.buffer)
    throw new MisuseError({
      where: "weighted sum",
      what: "out is not aligned",
      hint: "pass an aligned buffer",
    });
  const f16 = inputs.some((x) => x.dtype === "F16") ? f16ToF32Table() : empty32;
  const simd = engine === "js" ? null : simdChunks();
  if (engine === "simd" && !simd)
    throw new MisuseError({
      where: "weighted sum",
      what: "WebAssembly SIMD is not available in this runtime",
      hint: 'use engine "auto" or "js"',
    });
  if (simd) return sumSimd(simd, xs, sum, o, n, f16, res);
  return sumJs(xs, sum, o, n, f16, res);
}

/** The JavaScript engine: blocks of BLOCK elements through Float32 scratch buffers. */
function sumJs(
  xs: readonly InputView[],
  sum: WeightedSum,
  o: InputView,
  n: number,
  f16: Uint32Array,
  res: Uint8Array,
): Uint8Array {
  const [s0, s1, s2, acc] = scratch as [
    (typeof scratch)[0],
    (typeof scratch)[0],
    (typeof scratch)[0],
    (typeof scratch)[0],
  ];
  const { weights: w, scale } = sum;
  const [w0, w1, w2] = w as [number, number, number];
  const a = acc.f32;
  const copy = isCopy(sum);
  for (let start = 0; start < n; start += BLOCK) {
    const m = Math.min(BLOCK, n - start);
    if (copy) {
      widen(xs[0]!, start, m, acc.u32, f16);
    } else if (xs.length === 3) {
      widen(xs[0]!, start, m, s0.u32, f16);
      widen(xs[1]!, start, m, s1.u32, f16);
      widen(xs[2]!, start, m, s2.u32, f16);
      const [x0, x1, x2] = [s0.f32, s1.f32, s2.f32];
      for (let k = 0; k < m; k++) a[k] = f(f(f(w0 * x0[k]!) + w1 * x1[k]!) + w2 * x2[k]!) * scale;
    } else if (xs.length === 2) {
      widen(xs[0]!, start, m, s0.u32, f16);
      widen(xs[1]!, start, m, s1.u32, f16);
      const [x0, x1] = [s0.f32, s1.f32];
      for (let k = 0; k < m; k++) a[k] = f(f(w0 * x0[k]!) + w1 * x1[k]!) * scale;
    } else {
      widen(xs[0]!, start, m, s0.u32, f16);
      const x0 = s0.f32;
      for (let k = 0; k < m; k++) a[k] = w0 * x0[k]!;
      for (let i = 1; i < xs.length; i++) {
        widen(xs[i]!, start, m, s0.u32, f16);
        const wi = w[i]!;
        for (let k = 0; k < m; k++) a[k] = a[k]! + wi * x0[k]!;
      }
      if (scale !== 1) for (let k = 0; k < m; k++) a[k] = a[k]! * scale;
    }
    encodeBlock(acc, m, o, start);
  }
  return res;
}

/** Encodes the first `m` floats of `acc` into elements [o, o + m) of the output. */
function encodeBlock(
  acc: { f32: Float32Array; u32: Uint32Array },
  m: number,
  out: InputView,
  o: number,
): void {
  const bits = acc.u32;
  if (out.dtype === "BF16") {
    // f32ToBf16Bits: round to nearest even on the dropped 16 bits; NaN quieted.
    const d = out.u16;
    for (let k = 0; k < m; k++) {
      const b = bits[k]!;
      d[o + k] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else if (out.dtype === "F16") {
    f32ToF16Bits(acc.f32.subarray(0, m), out.u16.subarray(o, o + m));
  } else {
    const d = out.u32;
    for (let k = 0; k < m; k++) d[o + k] = bits[k]!;
  }
}

/** Elements per chunk of the SIMD engine (a multiple of 8). */
export const CHUNK = 8192;

/** The SIMD kernels with their chunk buffers in wasm memory: input, accumulator, output. */
interface SimdChunks {
  k: SimdKernels;
  u8: Uint8Array;
  u32: Uint32Array;
  f32: Float32Array;
  IN: number;
  ACC: number;
  OUT: number;
}

let chunks: SimdChunks | null | undefined;

function simdChunks(): SimdChunks | null {
  if (chunks !== undefined) return chunks;
  const k = simdKernels();
  if (!k) {
    chunks = null;
    return chunks;
  }
  const need = 3 * CHUNK * 4;
  const have = k.memory.buffer.byteLength;
  if (have < need) k.memory.grow(Math.ceil((need - have) / 65536));
  const buf = k.memory.buffer;
  chunks = {
    k,
    u8: new Uint8Array(buf),
    u32: new Uint32Array(buf),
    f32: new Float32Array(buf),
    IN: 0,
    ACC: CHUNK * 4,
    OUT: 2 * CHUNK * 4,
  };
  return chunks;
}

/**
 * The SIMD engine: each chunk of each input is copied into wasm memory (F16 widened there through
 * the table), accumulated by `acc_*`, scaled and encoded by `out_*`, and copied out.
 */
function sumSimd(
  c: SimdChunks,
  xs: readonly InputView[],
  sum: WeightedSum,
  o: InputView,
  n: number,
  f16: Uint32Array,
  res: Uint8Array,
): Uint8Array {
  const { k, u8, u32, IN, ACC, OUT } = c;
  const copy = isCopy(sum);
  const { weights: w, scale } = sum;
  // The JavaScript forms scale two and three inputs always, others only when scale ≠ 1.
  const applyScale = copy ? 0 : xs.length === 2 || xs.length === 3 || scale !== 1 ? 1 : 0;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const padded = (m + 7) & ~7;
    for (const [i, x] of xs.entries()) {
      // Inputs land at IN (or straight in ACC for a copy), as BF16 or as float32 bits.
      const at = copy && x.dtype !== "BF16" ? ACC : IN;
      if (x.dtype === "BF16") {
        const src = x.u16;
        u8.set(new Uint8Array(src.buffer, src.byteOffset + start * 2, m * 2), at);
        if (padded > m) u8.fill(0, at + m * 2, at + padded * 2);
      } else if (x.dtype === "F32") {
        const src = x.u32;
        u8.set(new Uint8Array(src.buffer, src.byteOffset + start * 4, m * 4), at);
        if (padded > m) u8.fill(0, at + m * 4, at + padded * 4);
      } else {
        const src = x.u16;
        const base = at >> 2;
        for (let j = 0; j < m; j++) u32[base + j] = f16[src[start + j]!]!;
        if (padded > m) u32.fill(0, base + m, base + padded);
      }
      if (copy) {
        if (x.dtype === "BF16") k.widen_bf16(IN, ACC, padded);
      } else if (x.dtype === "BF16") k.acc_bf16(IN, ACC, padded, w[i]!, i === 0 ? 1 : 0);
      else k.acc_f32(IN, ACC, padded, w[i]!, i === 0 ? 1 : 0);
    }
    if (o.dtype === "BF16") {
      k.out_bf16(ACC, OUT, padded, scale, applyScale);
      res.set(u8.subarray(OUT, OUT + m * 2), start * 2);
    } else if (o.dtype === "F32") {
      k.out_f32(ACC, OUT, padded, scale, applyScale);
      res.set(u8.subarray(OUT, OUT + m * 4), start * 4);
    } else {
      k.out_f32(ACC, OUT, padded, scale, applyScale);
      f32ToF16Bits(c.f32.subarray(OUT >> 2, (OUT >> 2) + m), o.u16.subarray(start, start + m));
    }
  }
  return res;
}
