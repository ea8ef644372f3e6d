import { getFloat16, setFloat16 } from "@petamoriken/float16";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { f16ToF32Table, f32ToBf16Bits, f32ToF16Bits } from "../../src/tensor/dtype.js";
import { DTYPES, encodeInPlace, fromFloat32, toFloat32, WRITABLE_DTYPES } from "../../src/tensor/index.js";

/** Reference F32 → BF16 by exact arithmetic on doubles: nearest of the two neighbours, ties to even. */
function bf16Reference(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const b = u[0]!;
  if (Number.isNaN(x)) return -1;
  const lo = b >>> 16;
  const hi = (lo + 1) & 0xffff;
  const val = (bits: number) => {
    const g = new Uint32Array([bits << 16]);
    return new Float32Array(g.buffer)[0]!;
  };
  if ((b & 0xffff) === 0) return lo;
  const vlo = val(lo);
  const vhi = val(hi);
  const dlo = Math.abs(x - vlo);
  const dhi = Math.abs(vhi - x);
  if (!Number.isFinite(vhi)) {
    // rounding past the largest finite value: halfway point is at the next (virtual) step
    return dlo < Math.abs(vlo - val(lo - 1)) / 2 ||
      (dlo === Math.abs(vlo - val(lo - 1)) / 2 && (lo & 1) === 0)
      ? lo
      : hi;
  }
  if (dlo < dhi) return lo;
  if (dhi < dlo) return hi;
  return (lo & 1) === 0 ? lo : hi;
}

describe("dtypes", () => {
  it("knows sizes of every dtype", () => {
    expect(DTYPES.F32.bytes).toBe(4);
    expect(DTYPES.BF16.bytes).toBe(2);
    expect(DTYPES.F16.bytes).toBe(2);
    expect(DTYPES.F64.bytes).toBe(8);
    expect(DTYPES.I64.bytes).toBe(8);
    expect(DTYPES.BOOL.bytes).toBe(1);
  });

  it("F16 → F32 table is bit-exact with @petamoriken/float16 for all 65,536 patterns", () => {
    const t = f16ToF32Table();
    const dv = new DataView(new ArrayBuffer(2));
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let h = 0; h < 65536; h++) {
      dv.setUint16(0, h, true);
      const ref = getFloat16(dv, 0, true);
      u[0] = t[h]!;
      if (Number.isNaN(ref)) expect(Number.isNaN(f[0]!)).toBe(true);
      else expect(Object.is(f[0], ref)).toBe(true);
    }
  });

  it("F32 → F16 rounds to nearest even exactly like @petamoriken/float16 (property)", () => {
    const dv = new DataView(new ArrayBuffer(2));
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        setFloat16(dv, 0, x, true);
        const ref = dv.getUint16(0, true);
        const got = f32ToF16Bits(new Float32Array([x]))[0]!;
        return got === ref;
      }),
      { numRuns: 20000 },
    );
  });

  it("F32 → F16 handles ties, subnormals, overflow, Inf and NaN", () => {
    const src = new Float32Array([
      65504,
      65519.99,
      65520,
      -65520,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -25,
      2 ** -26,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      Infinity,
      -Infinity,
      NaN,
      -0,
    ]);
    const bits = Array.from(f32ToF16Bits(src));
    expect(bits.slice(0, 4)).toEqual([0x7bff, 0x7bff, 0x7c00, 0xfc00]);
    expect(bits.slice(4, 8)).toEqual([0x0001, 0x0000, 0x0002, 0x0000]); // 2^-25 ties to 0 (even), 3·2^-25 ties to 2
    expect(bits.slice(8, 10)).toEqual([0x3c00, 0x3c02]); // ties to even
    expect(bits.slice(10, 12)).toEqual([0x7c00, 0xfc00]);
    expect(bits[12]! & 0x7c00).toBe(0x7c00);
    expect(bits[12]! & 0x3ff).not.toBe(0);
    expect(bits[13]).toBe(0x8000);
  });

  it("F32 → BF16 rounds to nearest even (property against exact arithmetic)", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const got = f32ToBf16Bits(new Float32Array([x]))[0]!;
        return got === bf16Reference(x);
      }),
      { numRuns: 20000 },
    );
  });

  it("F32 → BF16 keeps Inf and NaN, overflows to Inf, ties to even", () => {
    const bits = Array.from(
      f32ToBf16Bits(
        new Float32Array([Infinity, -Infinity, NaN, 3.4028234663852886e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8]),
      ),
    );
    expect(bits[0]).toBe(0x7f80);
    expect(bits[1]).toBe(0xff80);
    expect(bits[2]! & 0x7f80).toBe(0x7f80);
    expect(bits[2]! & 0x7f).not.toBe(0);
    expect(bits[3]).toBe(0x7f80); // max float rounds up to Inf in BF16
    expect(bits[4]).toBe(0x3f80); // tie → even (1.0)
    expect(bits[5]).toBe(0x3f82); // tie → even
  });

  it("round-trips every writable dtype (values representable in it are exact)", () => {
    const vals = new Float32Array([0, -0, 1, -2, 0.5, 3.75, 1024, -0.125, Infinity, -Infinity]);
    for (const d of WRITABLE_DTYPES) {
      const back = toFloat32(fromFloat32(vals, d), d);
      expect(Array.from(back)).toEqual(Array.from(vals));
      expect(Number.isNaN(toFloat32(fromFloat32(new Float32Array([NaN]), d), d)[0])).toBe(true);
    }
  });

  it("reads the read-only dtypes", () => {
    expect(Array.from(toFloat32(new Uint8Array(new Float64Array([1.5, -2]).buffer), "F64"))).toEqual([
      1.5, -2,
    ]);
    expect(Array.from(toFloat32(new Uint8Array(new BigInt64Array([5n, -7n]).buffer), "I64"))).toEqual([
      5, -7,
    ]);
    expect(Array.from(toFloat32(new Uint8Array(new Int32Array([3, -4]).buffer), "I32"))).toEqual([3, -4]);
    expect(Array.from(toFloat32(new Uint8Array(new Int16Array([3, -4]).buffer), "I16"))).toEqual([3, -4]);
    expect(Array.from(toFloat32(new Uint8Array(new Int8Array([3, -4]).buffer), "I8"))).toEqual([3, -4]);
    expect(Array.from(toFloat32(new Uint8Array([0, 255]), "U8"))).toEqual([0, 255]);
    expect(Array.from(toFloat32(new Uint8Array([0, 1, 2]), "BOOL"))).toEqual([0, 1, 1]);
    expect(Array.from(toFloat32(new Uint8Array(new BigUint64Array([5n, 2n ** 40n]).buffer), "U64"))).toEqual([
      5,
      2 ** 40,
    ]);
    expect(Array.from(toFloat32(new Uint8Array(new Uint32Array([3, 4e9]).buffer), "U32"))).toEqual([
      3,
      Math.fround(4e9),
    ]);
    expect(Array.from(toFloat32(new Uint8Array(new Uint16Array([3, 65535]).buffer), "U16"))).toEqual([
      3, 65535,
    ]);
    expect(() => toFloat32(new Uint8Array(8), "C64")).toThrow(/complex/);
  });

  it("reads the 8-bit floats: E4M3FN, E5M2 and E8M0 at their landmarks", () => {
    const f = (bytes: number[], d: "F8_E4M3" | "F8_E5M2" | "F8_E8M0") =>
      Array.from(toFloat32(new Uint8Array(bytes), d));
    // E4M3FN (OCP FP8): 0, 1 (0x38), max 448 (0x7e), smallest subnormal 2^-9 (0x01), −2 (0xc0), NaN (0x7f, 0xff).
    expect(f([0x00, 0x38, 0x7e, 0x01, 0xc0], "F8_E4M3")).toEqual([0, 1, 448, 2 ** -9, -2]);
    expect(f([0x7f, 0xff], "F8_E4M3").every(Number.isNaN)).toBe(true);
    // E5M2: 1 (0x3c), max 57344 (0x7b), smallest subnormal 2^-16 (0x01), Inf (0x7c), −Inf (0xfc), NaN (0x7d).
    expect(f([0x3c, 0x7b, 0x01, 0x7c, 0xfc], "F8_E5M2")).toEqual([1, 57344, 2 ** -16, Infinity, -Infinity]);
    expect(Number.isNaN(f([0x7d], "F8_E5M2")[0])).toBe(true);
    // E8M0: 2^(e−127); 127 is 1, 0 is 2^-127, 0xff is NaN.
    expect(f([127, 128, 0], "F8_E8M0")).toEqual([1, 2, Math.fround(2 ** -127)]);
    expect(Number.isNaN(f([0xff], "F8_E8M0")[0])).toBe(true);
    // E4M3 is exact for every value it holds: the 254 finite patterns are distinct apart from ±0.
    const all = f(
      Array.from({ length: 256 }, (_, i) => i),
      "F8_E4M3",
    ).filter((v) => !Number.isNaN(v));
    expect(new Set(all).size).toBe(253);
  });

  it("encodeInPlace writes the same bytes as fromFloat32, into the Float32 buffer itself", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 64 }), (values) => {
        for (const d of ["F32", "BF16", "F16"] as const) {
          const want = Array.from(fromFloat32(Float32Array.from(values), d));
          const buf = Float32Array.from(values);
          const got = encodeInPlace(buf, d);
          expect(got.buffer).toBe(buf.buffer);
          expect(Array.from(got)).toEqual(want);
        }
      }),
    );
  });

  it("reads unaligned byte views", () => {
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(new Float32Array([1.25, -3]).buffer), 1);
    expect(Array.from(toFloat32(buf.subarray(1), "F32"))).toEqual([1.25, -3]);
  });
});
