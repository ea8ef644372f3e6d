import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MisuseError } from "../../src/errors/index.js";
import {
  CHUNK,
  type RawInput,
  type StreamDType,
  weightedSumF32,
  weightedSumRaw,
} from "../../src/merge/weighted-sum.js";
import { fromFloat32, toFloat32, type WritableDType } from "../../src/tensor/index.js";
import { Rng } from "../../src/util/random.js";

const STREAM: StreamDType[] = ["F32", "F16", "BF16"];
const size = (d: StreamDType) => (d === "F32" ? 4 : 2);

/** The reference: widen every input to Float32, sum with weightedSumF32, encode with fromFloat32. */
function reference(
  inputs: readonly RawInput[],
  weights: number[],
  scale: number,
  out: WritableDType,
): Uint8Array {
  const xs = inputs.map((x) => toFloat32(x.bytes.slice(), x.dtype));
  return fromFloat32(weightedSumF32(xs, { weights, scale }), out).slice();
}

/** Random bit patterns (every value: NaN, ±Inf, subnormals, ±0) or values near 1 (mostly normal sums). */
const bitsArb = (n: number, d: StreamDType) =>
  fc.oneof(
    fc.uint8Array({ minLength: n * size(d), maxLength: n * size(d) }),
    fc
      .array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n })
      .map((v) => fromFloat32(new Float32Array(v), d).slice()),
  );

const caseArb = fc
  .record({
    n: fc.integer({ min: 1, max: 40 }),
    dtypes: fc.array(fc.constantFrom(...STREAM), { minLength: 1, maxLength: 5 }),
    out: fc.constantFrom<WritableDType>("F32", "F16", "BF16"),
    normalize: fc.boolean(),
  })
  .chain(({ n, dtypes, out, normalize }) =>
    fc.record({
      n: fc.constant(n),
      out: fc.constant(out),
      normalize: fc.constant(normalize),
      inputs: fc.tuple(...dtypes.map((d) => bitsArb(n, d).map((bytes): RawInput => ({ bytes, dtype: d })))),
      weights: fc.array(
        fc.oneof(fc.constant(1), fc.constant(0.5), fc.double({ min: -3, max: 3, noNaN: true })),
        { minLength: dtypes.length, maxLength: dtypes.length },
      ),
    }),
  );

const sameBits = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * The same bits, except that a NaN may be any NaN: WebAssembly leaves the payload and sign of a
 * NaN produced from NaN operands unspecified, so the SIMD engine keeps "NaN" but not its bits.
 */
function sameValues(a: Uint8Array, b: Uint8Array, d: WritableDType): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = toFloat32(a.slice(), d);
  const y = toFloat32(b.slice(), d);
  return x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i]!)));
}

/** Checks both engines on one case against the reference. */
function checkCase(
  inputs: readonly RawInput[],
  weights: number[],
  normalize: boolean,
  out: WritableDType,
): void {
  const wsum = weights.reduce((s, x) => s + x, 0);
  const scale = normalize && wsum !== 0 ? 1 / wsum : 1;
  const want = reference(inputs, weights, scale, out);
  const what = `${inputs.map((x) => x.dtype)} → ${out}, weights ${weights}, scale ${scale}`;
  const js = weightedSumRaw(inputs, { weights, scale }, out, undefined, "js");
  expect(sameBits(js, want), `js: ${what}`).toBe(true);
  const simd = weightedSumRaw(inputs, { weights, scale }, out, undefined, "simd");
  expect(sameValues(simd, want, out), `simd: ${what}`).toBe(true);
}

describe("weighted sum", () => {
  it("streams raw bytes to the bits of widening, summing and encoding (JS; SIMD up to NaN payloads; property)", () => {
    fc.assert(
      fc.property(caseArb, ({ inputs, weights, normalize, out }) =>
        checkCase(inputs, weights, normalize, out),
      ),
      { numRuns: 300 },
    );
  });

  it("gives the same results across chunk boundaries (lengths around the SIMD chunk, seeded)", () => {
    const rng = new Rng(7);
    for (let run = 0; run < 24; run++) {
      const n = CHUNK - 9 + rng.int(0, 27);
      const inputs = Array.from({ length: 1 + (run % 5) }, (_, i): RawInput => {
        const dtype = STREAM[(run + i) % 3]!;
        const bytes = new Uint8Array(n * size(dtype));
        if (run % 2 === 0) for (let j = 0; j < bytes.length; j++) bytes[j] = rng.int(0, 256);
        else
          bytes.set(
            fromFloat32(
              Float32Array.from({ length: n }, () => rng.normal()),
              dtype,
            ),
          );
        return { bytes, dtype };
      });
      const weights = inputs.map((_, i) => (i === 0 ? 1 : rng.normal()));
      checkCase(inputs, weights, run % 3 !== 0, STREAM[run % 3]!);
    }
  });

  it("computes a hand-checked average of BF16, F16 and F32 inputs", () => {
    const inputs: RawInput[] = [
      { bytes: fromFloat32(new Float32Array([1, -2, 0.5]), "BF16").slice(), dtype: "BF16" },
      { bytes: fromFloat32(new Float32Array([3, 2, 0.25]), "F16").slice(), dtype: "F16" },
      { bytes: fromFloat32(new Float32Array([5, 6, -1]), "F32").slice(), dtype: "F32" },
    ];
    for (const engine of ["js", "simd"] as const) {
      // (1·x0 + 2·x1 + 1·x2) / 4
      const got = weightedSumRaw(inputs, { weights: [1, 2, 1], scale: 0.25 }, "F32", undefined, engine);
      expect(Array.from(new Float32Array(got.buffer, got.byteOffset, 3))).toEqual([3, 2, 0]);
    }
  });

  it("copies one input with weight 1 and scale 1 bit for bit, NaN payloads included", () => {
    const bits = new Uint32Array([0x7fc00001, 0xff800000, 0x00000001, 0x80000000, 0x3f800000]);
    const input: RawInput = { bytes: new Uint8Array(bits.buffer), dtype: "F32" };
    for (const engine of ["js", "simd"] as const) {
      const got = weightedSumRaw([input], { weights: [1], scale: 1 }, "F32", undefined, engine);
      expect(Array.from(new Uint32Array(got.buffer, got.byteOffset, bits.length))).toEqual(Array.from(bits));
    }
  });

  it("writes into the given output buffer", () => {
    const x: RawInput = { bytes: fromFloat32(new Float32Array([2, 4]), "BF16").slice(), dtype: "BF16" };
    const out = new Uint8Array(4);
    const got = weightedSumRaw([x, x], { weights: [1, 1], scale: 0.5 }, "BF16", out);
    expect(got).toBe(out);
    expect(Array.from(toFloat32(out, "BF16"))).toEqual([2, 4]);
  });

  it("refuses a weight count or byte length that does not match", () => {
    const x: RawInput = { bytes: new Uint8Array(8), dtype: "F32" };
    const y: RawInput = { bytes: new Uint8Array(6), dtype: "F32" };
    expect(() => weightedSumRaw([x], { weights: [1, 1], scale: 1 }, "F32")).toThrow(MisuseError);
    expect(() => weightedSumRaw([x, y], { weights: [1, 1], scale: 1 }, "F32")).toThrow(/input 1 has 6 bytes/);
    expect(() => weightedSumRaw([x], { weights: [1], scale: 1 }, "F32", new Uint8Array(4))).toThrow(
      /out has 4 bytes/,
    );
    expect(() => weightedSumF32([], { weights: [], scale: 1 })).toThrow(MisuseError);
  });
});
