import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrugalError } from "../../src/errors/index.js";
import {
  float32Source,
  fromFloat32,
  readSafetensorsHeader,
  SafetensorsError,
  SafetensorsReader,
  toFloat32,
  WRITABLE_DTYPES,
  writeSafetensors,
} from "../../src/tensor/index.js";
import { encodeHeader } from "../../src/tensor/safetensors/header.js";
import { hasNumpy, python, rawSafetensors, withTempDir } from "./helpers.js";

const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

async function expectError(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await withTempDir(async (dir) => {
    const file = join(dir, "bad.safetensors");
    await writeFile(file, bytes);
    const err = await SafetensorsReader.open(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as SafetensorsError).file).toBe(file);
  });
}

describe("safetensors writer and reader", () => {
  it("round-trips every writable dtype, with metadata, 8-byte padded header", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "m.safetensors");
      const data = new Float32Array([1, -2, 0.5, 3.25, 1024, -0.125]);
      const sources = WRITABLE_DTYPES.map((d) => float32Source(`t.${d}`, [2, 3], data, d));
      sources.push(
        float32Source("scalar", [], new Float32Array([7])),
        float32Source("empty", [0, 4], new Float32Array(0)),
      );
      const size = await writeSafetensors(file, sources, { metadata: { format: "pt" } });
      expect((await stat(file)).size).toBe(size);
      const bytes = await readFile(file);
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const r = await SafetensorsReader.open(file);
      try {
        expect(r.metadata).toEqual({ format: "pt" });
        for (const d of WRITABLE_DTYPES) {
          expect(r.info(`t.${d}`).dtype).toBe(d);
          expect(r.info(`t.${d}`).shape).toEqual([2, 3]);
          expect(Array.from(await r.readFloat32(`t.${d}`))).toEqual(Array.from(data));
          const m = await r.readMatrix(`t.${d}`);
          expect([m.rows, m.cols]).toEqual([2, 3]);
        }
        expect(Array.from(await r.readFloat32("scalar"))).toEqual([7]);
        expect((await r.readFloat32("empty")).length).toBe(0);
        await expect(r.readRaw("nope")).rejects.toThrow(/nope.*no such tensor/);
      } finally {
        await r.close();
      }
    });
  });

  it("reads into a reused buffer, widening BF16/F16 in place; refuses a wrong-sized buffer", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "m.safetensors");
      const vals = new Float32Array(Array.from({ length: 1001 }, (_, i) => Math.cos(i) * 3));
      await writeSafetensors(
        file,
        WRITABLE_DTYPES.map((d) => float32Source(d, [7, 143], vals, d)),
      );
      const r = await SafetensorsReader.open(file);
      const into = new Float32Array(1001);
      for (const d of WRITABLE_DTYPES) {
        const got = await r.readFloat32(d, { into });
        expect(got).toBe(into);
        expect(Array.from(got)).toEqual(Array.from(toFloat32(fromFloat32(vals, d), d)));
      }
      await expect(r.readFloat32("F16", { into: new Float32Array(3) })).rejects.toThrow(
        /into has 3 elements, the tensor 1001/,
      );
      await r.close();
    });
  });

  it("refuses to overwrite without force and leaves no temp file", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "m.safetensors");
      await writeSafetensors(file, [float32Source("a", [1], new Float32Array([1]))]);
      await expect(writeSafetensors(file, [float32Source("a", [1], new Float32Array([2]))])).rejects.toThrow(
        /already exists/,
      );
      await writeSafetensors(file, [float32Source("a", [1], new Float32Array([2]))], { force: true });
      const r = await SafetensorsReader.open(file);
      expect(Array.from(await r.readFloat32("a"))).toEqual([2]);
      await r.close();
    });
  });

  it("overlapped writing gives the same file, and a failing source leaves no file", async () => {
    await withTempDir(async (dir) => {
      const data = (k: number) => Float32Array.from({ length: 300 }, (_, i) => i * 0.5 - k);
      const sources = [0, 1, 2, 3].map((k) => float32Source(`t${k}`, [10, 30], data(k), "BF16"));
      await writeSafetensors(join(dir, "plain.safetensors"), sources);
      await writeSafetensors(join(dir, "overlap.safetensors"), sources, { overlap: true });
      const plain = await readFile(join(dir, "plain.safetensors"));
      expect(plain.equals(await readFile(join(dir, "overlap.safetensors")))).toBe(true);
      const failing = [
        ...sources.slice(0, 2),
        { name: "bad", dtype: "F32" as const, shape: [1], bytes: () => Promise.reject(new Error("boom")) },
      ];
      const file = join(dir, "failed.safetensors");
      await expect(writeSafetensors(file, failing, { overlap: true })).rejects.toThrow(/boom/);
      await expect(stat(file)).rejects.toThrow();
    });
  });

  it("reads raw bytes into a given buffer of the tensor's byte length, and refuses another length", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "m.safetensors");
      await writeSafetensors(file, [float32Source("a", [3], new Float32Array([1, 2, 3]))]);
      const r = await SafetensorsReader.open(file);
      const into = new Uint8Array(12);
      expect(await r.readRaw("a", { into })).toBe(into);
      expect(Array.from(new Float32Array(into.buffer))).toEqual([1, 2, 3]);
      await expect(r.readRaw("a", { into: new Uint8Array(8) })).rejects.toThrow(
        /into has 8 bytes, the tensor 12/,
      );
      await r.close();
    });
  });

  it("an aborted write leaves no file", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "m.safetensors");
      const ac = new AbortController();
      ac.abort();
      await expect(
        writeSafetensors(file, [float32Source("a", [1], new Float32Array([1]))], { signal: ac.signal }),
      ).rejects.toThrow(/cancelled/);
      await expect(stat(file)).rejects.toThrow();
      const { readdir } = await import("node:fs/promises");
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it.skipIf(!hasNumpy())("reads files written by numpy code, and numpy reads ours identically", async () => {
    await withTempDir(async (dir) => {
      const theirs = join(dir, "numpy.safetensors");
      // numpy writes: F32, F16 (native), BF16 (RNE by integer arithmetic), F64, I64, with metadata.
      python(
        `
import json, struct, sys, numpy as np
rng = np.random.default_rng(0)
a = rng.standard_normal((3, 5)).astype(np.float32)
h = rng.standard_normal((4,)).astype(np.float16)
x = rng.standard_normal((2, 2)).astype(np.float32)
u = x.view(np.uint32).astype(np.uint64)
bf = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
d = np.arange(3, dtype=np.float64) / 3
i = np.array([1, -2, 3], dtype=np.int64)
items = [("a", "F32", a), ("h", "F16", h), ("bf", "BF16", bf), ("d", "F64", d), ("i", "I64", i)]
hdr = {"__metadata__": {"format": "np"}}
off = 0; blobs = []
for name, dt, arr in items:
    b = arr.tobytes(); hdr[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}; off += len(b); blobs.append(b)
js = json.dumps(hdr).encode(); js += b" " * (-len(js) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
print(json.dumps({"a": a.astype(float).tolist(), "h": h.astype(float).tolist(), "bf": (bf.astype(np.uint32) << 16).view(np.float32).astype(float).tolist(), "d": d.tolist(), "i": i.tolist()}))
`,
        [theirs],
      );
      const r = await SafetensorsReader.open(theirs);
      const ref = JSON.parse(
        python(
          `
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n]); base = 8 + n
dt = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64, "I64": np.int64}
out = {}
for k, v in h.items():
    if k == "__metadata__": continue
    s, e = v["data_offsets"]; arr = np.frombuffer(b[base+s:base+e], dtype=dt[v["dtype"]])
    if v["dtype"] == "BF16": arr = (arr.astype(np.uint32) << 16).view(np.float32)
    out[k] = arr.astype(np.float32).astype(float).tolist()
print(json.dumps(out))
`,
          [theirs],
        ),
      ) as Record<string, number[]>;
      expect(r.metadata).toEqual({ format: "np" });
      for (const name of ["a", "h", "bf", "d", "i"]) {
        expect(Array.from(await r.readFloat32(name))).toEqual(ref[name]);
      }
      expect(r.info("a").shape).toEqual([3, 5]);
      await r.close();

      // Ours → numpy: every writable dtype; numpy decodes the same values (BF16 via bit shift).
      const ours = join(dir, "ours.safetensors");
      const vals = new Float32Array(Array.from({ length: 12 }, (_, k) => Math.sin(k) * 100));
      await writeSafetensors(
        ours,
        WRITABLE_DTYPES.map((d) => float32Source(d, [3, 4], vals, d)),
      );
      const fromNumpy = JSON.parse(
        python(
          `
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; assert n % 8 == 0; h = json.loads(b[8:8+n]); base = 8 + n
out = {}
for k, v in h.items():
    s, e = v["data_offsets"]; raw = b[base+s:base+e]
    if v["dtype"] == "F32": arr = np.frombuffer(raw, np.float32)
    elif v["dtype"] == "F16": arr = np.frombuffer(raw, np.float16).astype(np.float32)
    else: arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
    assert list(arr.shape) == [12] and v["shape"] == [3, 4]
    out[k] = arr.astype(float).tolist()
# numpy's own float16 rounding of the float32 values, to compare with ours
src = np.array(json.loads(sys.argv[2]), dtype=np.float32)
out["npF16"] = src.astype(np.float16).astype(float).tolist()
print(json.dumps(out))
`,
          [ours, JSON.stringify(Array.from(vals))],
        ),
      ) as Record<string, number[]>;
      for (const d of WRITABLE_DTYPES)
        expect(fromNumpy[d]).toEqual(Array.from(toFloat32(fromFloat32(vals, d), d)));
      expect(fromNumpy.F16).toEqual(fromNumpy.npF16);
    });
  });
});

describe("safetensors validation (each error names the file and tensor)", () => {
  const good = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };

  it("accepts a well-formed file", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "ok.safetensors");
      await writeFile(file, rawSafetensors(good, f32([1, 2])));
      const h = await readSafetensorsHeader(file);
      expect(h.tensors.map((t) => t.name)).toEqual(["a"]);
    });
  });

  it("file shorter than 8 bytes", () =>
    expectError(new Uint8Array(3), /shorter than the 8-byte header length/));
  it("header length past the end", async () => {
    const b = rawSafetensors(good, f32([1, 2]));
    new DataView(b.buffer).setBigUint64(0, 10_000n, true);
    await expectError(b, /header length 10000 bytes runs past the end of the \d+-byte file/);
  });
  it("header length over 100 MB", async () => {
    const b = rawSafetensors(good, f32([1, 2]));
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    await expectError(b, /over the 100000000-byte limit/);
  });
  it("invalid JSON", () => expectError(rawSafetensors("{not json", f32([])), /header is not valid JSON/));
  it("invalid UTF-8", async () => {
    const b = rawSafetensors("{}       ");
    b[9] = 0xff;
    await expectError(b, /not valid UTF-8/);
  });
  it("not an object", () => expectError(rawSafetensors("[1,2,3]"), /header is not a JSON object/));
  it("unknown dtype", () =>
    expectError(
      rawSafetensors({ a: { dtype: "F8_E4M3X", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
      /tensor "a": unknown dtype "F8_E4M3X"/,
    ));
  it("bad shape", () =>
    expectError(
      rawSafetensors({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32([1])),
      /tensor "a": shape \[-1\] is not a list/,
    ));
  it("bad offsets", () =>
    expectError(
      rawSafetensors({ a: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, f32([1])),
      /tensor "a": data_offsets \[4,0\]/,
    ));
  it("shape disagrees with byte size", () =>
    expectError(
      rawSafetensors({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32([1, 2])),
      /tensor "a": shape \[3\] × F32 needs 12 bytes but data_offsets span 8/,
    ));
  it("overlapping tensors", () =>
    expectError(
      rawSafetensors(
        {
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
        },
        f32([1, 2]),
      ),
      /tensor "b": data \[4, 8\) overlaps the previous tensor/,
    ));
  it("a hole between tensors", () =>
    expectError(
      rawSafetensors(
        {
          a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
          b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
        },
        f32([1, 2, 3]),
      ),
      /tensor "b": data starts at 8, leaving a hole after byte 4/,
    ));
  it("data past the end", () =>
    expectError(
      rawSafetensors({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32([1, 2])),
      /tensor "a": data ends at 16, past the end of the 8-byte data section/,
    ));
  it("trailing bytes", () =>
    expectError(rawSafetensors(good, f32([1, 2, 3])), /4 bytes after the last tensor belong to no tensor/));
  it("duplicate names", () =>
    expectError(
      rawSafetensors(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        f32([1, 2]),
      ),
      /tensor "a": name appears twice in the header/,
    ));
  it("metadata that is not strings", () =>
    expectError(
      rawSafetensors({ __metadata__: { x: 1 }, ...good }, f32([1, 2])),
      /"__metadata__".x is not a string/,
    ));

  it("fuzz: random and mutated files only ever throw typed errors", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "fuzz.safetensors");
      const base = rawSafetensors(
        {
          __metadata__: { format: "pt" },
          a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
          b: { dtype: "BF16", shape: [3], data_offsets: [16, 22] },
        },
        new Uint8Array(22),
      );
      const headerText = new TextDecoder().decode(base.subarray(8, base.length - 22));
      const arb = fc.oneof(
        // random bytes
        fc.uint8Array({ maxLength: 200 }).map((b) => b),
        // byte mutations of a valid file
        fc
          .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          })
          .map((muts) => {
            const b = base.slice();
            for (const [i, v] of muts) b[i] = v;
            return b;
          }),
        // character mutations of the JSON header (length fixed up)
        fc
          .array(
            fc.tuple(fc.nat(headerText.length - 1), fc.constantFrom(...'{}[]",:0123456789-eE .abcFBI')),
            { minLength: 1, maxLength: 6 },
          )
          .map((muts) => {
            const chars = headerText.split("");
            for (const [i, c] of muts) chars[i] = c;
            return rawSafetensors(chars.join(""), new Uint8Array(22), false);
          }),
        // truncations
        fc.nat(base.length).map((n) => base.slice(0, n)),
      );
      await fc.assert(
        fc.asyncProperty(arb, async (bytes) => {
          await writeFile(file, bytes);
          try {
            const r = await SafetensorsReader.open(file);
            for (const t of r.tensors) await r.readFloat32(t.name);
            await r.close();
          } catch (e) {
            if (!(e instanceof FrugalError)) throw e;
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  it("encodeHeader pads with spaces to a multiple of 8", () => {
    for (let len = 1; len < 20; len++) {
      const { bytes } = encodeHeader([{ name: "x".repeat(len), dtype: "F32", shape: [1], byteLength: 4 }]);
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      expect(bytes.length).toBe(8 + n);
      expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8)))).toBeTruthy();
    }
  });
});
