/**
 * WebAssembly SIMD kernels of the streamed weighted sum (weighted-sum.ts), assembled here from
 * their instructions (no build step, no binary file): the module is a few hundred bytes, validated
 * and compiled once, on first use. Each kernel walks a chunk of elements in wasm memory 4 or 8 at a
 * time and evaluates exactly the scalar arithmetic of `weightedSumF32`: products and sums in
 * float64 (f64x2), rounding to float32 after every step (f32x4.demote_f64x2_zero, round to nearest
 * even, as Math.fround), BF16 output rounded to nearest even on the dropped 16 bits with NaN
 * quieted (as f32ToBf16Bits). WebAssembly forbids fused multiply-add and evaluates IEEE-754
 * binary64 exactly, so the results are the JavaScript ones bit for bit, except that a NaN computed
 * from NaN operands may carry another payload or sign (WebAssembly leaves them unspecified).
 *
 * Encoding: the WebAssembly core binary format (https://webassembly.github.io/spec/core/binary/)
 * and its fixed-width SIMD instructions (0xFD prefix, https://github.com/WebAssembly/simd, final
 * opcode table in proposals/simd/BinarySIMD.md).
 *
 * Kernels (byte offsets into memory; `m` elements, a multiple of 8; `acc` holds float32):
 *   acc_bf16(src, acc, m, w, first)  acc = f(w·x) (first ≠ 0) or f(acc + w·x), x = BF16 at src
 *   acc_f32 (src, acc, m, w, first)  the same with x = float32 at src
 *   widen_bf16(src, acc, m)          acc = BF16 at src widened (bits: u16 << 16)
 *   out_bf16(acc, dst, m, s, scale)  dst = BF16 of f(acc·s) (scale ≠ 0) or of acc
 *   out_f32 (acc, dst, m, s, scale)  dst = f(acc·s) (scale ≠ 0) or acc (bits)
 */

/** The parts of the WebAssembly JavaScript API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A wasm memory: its current buffer and `grow` (in 64 KiB pages). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The exported kernels of the module. */
export interface SimdKernels {
  memory: WasmMemory;
  acc_bf16(src: number, acc: number, m: number, w: number, first: number): void;
  acc_f32(src: number, acc: number, m: number, w: number, first: number): void;
  widen_bf16(src: number, acc: number, m: number): void;
  out_bf16(acc: number, dst: number, m: number, s: number, scale: number): void;
  out_f32(acc: number, dst: number, m: number, s: number, scale: number): void;
}

// --- encoding helpers --------------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** Core opcodes used here. */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (l: number) => [0x0c, ...uleb(l)],
  brIf: (l: number) => [0x0d, ...uleb(l)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  i32Eqz: [0x45],
};

/** A SIMD instruction: 0xFD, the opcode as unsigned LEB128, then immediates. */
const simd = (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm];
/** memarg: alignment exponent and offset 0. */
const mem = (align: number) => [align, 0];
const v = {
  load: simd(0x00, ...mem(4)),
  load16x4u: simd(0x04, ...mem(3)),
  store: simd(0x0b, ...mem(4)),
  const32x4: (x: number) => simd(0x0c, ...new Uint8Array(new Uint32Array([x, x, x, x]).buffer)),
  /** i8x16.shuffle taking bytes 8..15 of the first operand into lanes 0..7 (high half → low). */
  highToLow: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15),
  /** i8x16.shuffle: the low halves of both operands (two float32 pairs → one f32x4). */
  lowLow: simd(0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
  f64Splat: simd(0x14),
  and: simd(0x4e),
  or: simd(0x50),
  bitselect: simd(0x52),
  narrowU: simd(0x86),
  i32Shl: simd(0xab),
  i32ShrU: simd(0xad),
  i32Add: simd(0xae),
  i32GtU: simd(0x3c),
  f64Add: simd(0xf0),
  f64Mul: simd(0xf2),
  demote: simd(0x5e),
  promote: simd(0x5f),
};

/** `local += k` for an i32 local. */
const bump = (local: number, k: number) => [...op.get(local), ...op.i32(k), ...op.i32Add, ...op.set(local)];

/**
 * A loop `while (p < end) { body; p += step... }`: `end` is a local set before, `bumps` advance the
 * pointers after the body.
 */
function whileLess(p: number, end: number, body: number[], bumps: number[]): number[] {
  return [
    ...op.block,
    ...op.loop,
    ...op.get(p),
    ...op.get(end),
    ...op.i32GeU,
    ...op.brIf(1),
    ...body,
    ...bumps,
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/** f64x2 of the low / high two lanes of the f32x4 on the stack (consumes it via a local). */
function promoteHalves(f32Local: number): { lo: number[]; hi: number[] } {
  return {
    lo: [...op.get(f32Local), ...v.promote],
    hi: [...op.get(f32Local), ...op.get(f32Local), ...v.highToLow, ...v.promote],
  };
}

/**
 * acc_*(src, acc, m, w, first): params 0..4; locals 5 end (i32), 6 wv (v128), 7 x (v128), 8 a (v128).
 * `load` puts the four inputs as f32x4 on the stack; `srcStep` is their bytes.
 */
function accKernel(load: number[], srcStep: number): { params: number[]; locals: number[]; body: number[] } {
  const [SRC, ACC, M, W, FIRST, END, WV, X, A] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const x = promoteHalves(X);
  const a = promoteHalves(A);
  // w·x on both halves, as f64x2
  const wx = (half: number[]) => [...half, ...op.get(WV), ...v.f64Mul];
  const initBody = [
    ...op.get(ACC),
    ...load,
    ...op.set(X),
    ...wx(x.lo),
    ...v.demote,
    ...wx(x.hi),
    ...v.demote,
    ...v.lowLow,
    ...v.store,
  ];
  const addBody = [
    ...op.get(ACC),
    ...load,
    ...op.set(X),
    ...op.get(ACC),
    ...v.load,
    ...op.set(A),
    ...a.lo,
    ...wx(x.lo),
    ...v.f64Add,
    ...v.demote,
    ...a.hi,
    ...wx(x.hi),
    ...v.f64Add,
    ...v.demote,
    ...v.lowLow,
    ...v.store,
  ];
  const bumps = [...bump(SRC, srcStep), ...bump(ACC, 16)];
  const body = [
    ...op.get(W),
    ...v.f64Splat,
    ...op.set(WV),
    // end = src + m·(bytes per element)
    ...op.get(SRC),
    ...op.get(M),
    ...op.i32(srcStep === 8 ? 1 : 2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.set(END),
    ...op.get(FIRST),
    ...op.if,
    ...whileLess(SRC, END, initBody, bumps),
    ...op.else,
    ...whileLess(SRC, END, addBody, bumps),
    ...op.end,
  ];
  return { params: [I32, I32, I32, F64, I32], locals: [I32, V128, V128, V128], body };
}

/** BF16 at `src` (local) as f32x4 bits: four u16 zero-extended, shifted left by 16. */
const loadBf16 = (src: number) => [...op.get(src), ...v.load16x4u, ...op.i32(16), ...v.i32Shl];

/** widen_bf16(src, acc, m): params 0..2, local 3 end. */
function widenKernel(): { params: number[]; locals: number[]; body: number[] } {
  const [SRC, ACC, M, END] = [0, 1, 2, 3];
  return {
    params: [I32, I32, I32],
    locals: [I32],
    body: [
      ...op.get(SRC),
      ...op.get(M),
      ...op.i32(1),
      ...op.i32Shl,
      ...op.i32Add,
      ...op.set(END),
      ...whileLess(
        SRC,
        END,
        [...op.get(ACC), ...loadBf16(SRC), ...v.store],
        [...bump(SRC, 8), ...bump(ACC, 16)],
      ),
    ],
  };
}

/**
 * out_*(acc, dst, m, s, scale): params 0..4; locals 5 end (i32), 6 sv (v128), 7 a (v128).
 * `emit(valueAt)` stores the output of 8 elements given code that pushes the f32x4 bits of
 * elements 0..3 (`valueAt(0)`) and 4..7 (`valueAt(16)`); `dstStep` is the bytes it writes.
 */
function outKernel(
  emit: (valueAt: (offset: number) => number[]) => number[],
  dstStep: number,
): { params: number[]; locals: number[]; body: number[] } {
  const [ACC, DST, M, S, SCALE, END, SV, A] = [0, 1, 2, 3, 4, 5, 6, 7];
  const loadAt = (offset: number) => [...op.get(ACC), ...op.i32(offset), ...op.i32Add, ...v.load];
  const a = promoteHalves(A);
  const scaled = (offset: number) => [
    ...loadAt(offset),
    ...op.set(A),
    ...a.lo,
    ...op.get(SV),
    ...v.f64Mul,
    ...v.demote,
    ...a.hi,
    ...op.get(SV),
    ...v.f64Mul,
    ...v.demote,
    ...v.lowLow,
  ];
  const bumps = [...bump(ACC, 32), ...bump(DST, dstStep)];
  return {
    params: [I32, I32, I32, F64, I32],
    locals: [I32, V128, V128],
    body: [
      ...op.get(S),
      ...v.f64Splat,
      ...op.set(SV),
      ...op.get(ACC),
      ...op.get(M),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.i32Add,
      ...op.set(END),
      ...op.get(SCALE),
      ...op.if,
      ...whileLess(ACC, END, emit(scaled), bumps),
      ...op.else,
      ...whileLess(ACC, END, emit(loadAt), bumps),
      ...op.end,
    ],
  };
}

/** Out kernel locals used by the BF16 encoder: 8 b (v128). */
const B_LOCAL = 8;

/** f32x4 bits (on the stack) → their BF16 values in the low 16 bits of each i32 lane. */
function bf16Round(): number[] {
  // nan = (b & 0x7fffffff) > 0x7f800000; value = nan ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16
  return [
    ...op.set(B_LOCAL),
    // (b >>> 16) | 0x40
    ...op.get(B_LOCAL),
    ...op.i32(16),
    ...v.i32ShrU,
    ...v.const32x4(0x40),
    ...v.or,
    // (b + 0x7fff + ((b >>> 16) & 1)) >>> 16
    ...op.get(B_LOCAL),
    ...v.const32x4(0x7fff),
    ...v.i32Add,
    ...op.get(B_LOCAL),
    ...op.i32(16),
    ...v.i32ShrU,
    ...v.const32x4(1),
    ...v.and,
    ...v.i32Add,
    ...op.i32(16),
    ...v.i32ShrU,
    // mask
    ...op.get(B_LOCAL),
    ...v.const32x4(0x7fffffff),
    ...v.and,
    ...v.const32x4(0x7f800000),
    ...v.i32GtU,
    ...v.bitselect,
  ];
}

function outBf16Kernel(): { params: number[]; locals: number[]; body: number[] } {
  const k = outKernel(
    (valueAt) => [
      ...op.get(1),
      ...valueAt(0),
      ...bf16Round(),
      ...valueAt(16),
      ...bf16Round(),
      ...v.narrowU,
      ...v.store,
    ],
    16,
  );
  return { ...k, locals: [...k.locals, V128] };
}

function outF32Kernel(): { params: number[]; locals: number[]; body: number[] } {
  // Two stores of four float32 each: dst, then dst + 16.
  return outKernel(
    (valueAt) => [
      ...op.get(1),
      ...valueAt(0),
      ...v.store,
      ...op.get(1),
      ...op.i32(16),
      ...op.i32Add,
      ...valueAt(16),
      ...v.store,
    ],
    32,
  );
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};

/** The module's bytes. */
export function kernelModuleBytes(): Uint8Array {
  const fns: [string, { params: number[]; locals: number[]; body: number[] }][] = [
    ["acc_bf16", accKernel(loadBf16(0), 8)],
    ["acc_f32", accKernel([...op.get(0), ...v.load], 16)],
    ["widen_bf16", widenKernel()],
    ["out_bf16", outBf16Kernel()],
    ["out_f32", outF32Kernel()],
  ];
  const types = fns.map(([, f]) => [0x60, ...vec(f.params.map((t) => [t])), 0x00]);
  const bodies = fns.map(([, f]) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d, // \0asm
    0x01,
    0x00,
    0x00,
    0x00, // version 1
    ...section(1, vec(types)),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(1)]])), // one memory, min 1 page, no max
    ...section(
      7,
      vec([[...name("memory"), 0x02, 0x00], ...fns.map(([n], i) => [...name(n), 0x00, ...uleb(i)])]),
    ),
    ...section(10, vec(bodies)),
  ];
  return new Uint8Array(bytes);
}

let kernels: SimdKernels | null | undefined;

/**
 * The compiled kernels, or null where WebAssembly SIMD is unavailable (callers then use the
 * JavaScript loops, which give the same bits). Compiled once, synchronously (the module is tiny).
 */
export function simdKernels(): SimdKernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(kernelModuleBytes()), {});
    kernels = instance.exports as unknown as SimdKernels;
  } catch {
    kernels = null;
  }
  return kernels;
}
