/**
 * Tensor-engine benchmark: our linear algebra (native OpenBLAS backend and pure-TS backend) and
 * checkpoint reading, each against numpy on the same data in the same run (bench/tensor_numpy.py).
 *
 *   npx tsx bench/tensor.ts            # default (~1–2 minutes)
 *   npx tsx bench/tensor.ts --full-ts  # also run the TS backend at the issue's full sizes (very slow)
 *   npx tsx bench/tensor.ts --no-io    # skip the 1 GB checkpoint read
 *   npx tsx bench/tensor.ts --json     # one JSON document on stdout
 *
 * Ratios are ours / numpy (lower is better; goal for the native backend: ≤ 1.25). numpy runs with
 * the environment this process started with (before our loader picks an OpenBLAS core type).
 */
const startEnv = { ...process.env };

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expandInPlace } from "../src/tensor/dtype.js";
import {
  backendByName,
  backendInfo,
  float32Source,
  fromFloat32,
  type LinalgBackend,
  type Matrix,
  openCheckpoint,
  randn,
  randomizedSvd,
  type TensorSource,
  writeCheckpoint,
} from "../src/tensor/index.js";
import { renderTable } from "../src/util/table.js";

interface Case {
  id: string;
  label: string;
  op: "matmul" | "qr" | "svd" | "rsvd";
  shapes: [number, number][];
  repeats: number;
  rank?: number;
  oversample?: number;
  power?: number;
  /** Which backend(s) run it. */
  backends: ("native" | "ts")[];
}

const args = new Set(process.argv.slice(2));
const here = fileURLToPath(new URL(".", import.meta.url));

function fullCases(backends: ("native" | "ts")[]): Case[] {
  return [
    {
      id: "matmul-2048",
      label: "matmul 2048²",
      op: "matmul",
      shapes: [
        [2048, 2048],
        [2048, 2048],
      ],
      repeats: 4,
      backends,
    },
    { id: "qr-14336x4096", label: "QR 14336×4096", op: "qr", shapes: [[14336, 4096]], repeats: 1, backends },
    {
      id: "rsvd-4096x14336",
      label: "rand. SVD r=256 of 4096×14336",
      op: "rsvd",
      shapes: [[4096, 14336]],
      repeats: 1,
      rank: 256,
      oversample: 10,
      power: 2,
      backends,
    },
    { id: "svd-1024", label: "exact SVD 1024²", op: "svd", shapes: [[1024, 1024]], repeats: 3, backends },
  ];
}

/** Scaled-down sizes for the TS backend (the full sizes take minutes to hours in pure TS). */
const tsScaled: Case[] = [
  {
    id: "ts-matmul-1024",
    label: "matmul 1024²",
    op: "matmul",
    shapes: [
      [1024, 1024],
      [1024, 1024],
    ],
    repeats: 2,
    backends: ["ts"],
  },
  {
    id: "ts-qr-2048x512",
    label: "QR 2048×512",
    op: "qr",
    shapes: [[2048, 512]],
    repeats: 1,
    backends: ["ts"],
  },
  {
    id: "ts-rsvd-1024x2048",
    label: "rand. SVD r=32 of 1024×2048",
    op: "rsvd",
    shapes: [[1024, 2048]],
    repeats: 1,
    rank: 32,
    oversample: 10,
    power: 2,
    backends: ["ts"],
  },
  {
    id: "ts-svd-256",
    label: "exact SVD 256²",
    op: "svd",
    shapes: [[256, 256]],
    repeats: 1,
    backends: ["ts"],
  },
];

function flops(c: Case): number | null {
  if (c.op === "matmul") return 2 * c.shapes[0]![0] * c.shapes[0]![1] * c.shapes[1]![1];
  return null;
}

function run(c: Case, b: LinalgBackend, mats: Matrix[]): { seconds: number; s?: number[] } {
  const once = () => {
    const A = mats[0]!;
    switch (c.op) {
      case "matmul":
        return b.gemm(false, false, A, mats[1]!);
      case "qr":
        return b.qr(A);
      case "svd":
        return b.svd(A);
      case "rsvd":
        return randomizedSvd(A, c.rank!, { backend: b, oversample: c.oversample, powerIterations: c.power });
    }
  };
  const times: number[] = [];
  let out: ReturnType<typeof once> | undefined;
  for (let i = 0; i < Math.max(1, c.repeats); i++) {
    const t = performance.now();
    out = once();
    times.push((performance.now() - t) / 1000);
  }
  const seconds = times.length > 1 ? Math.min(...times.slice(1)) : times[0]!;
  const s = out && "S" in out ? Array.from(out.S.slice(0, 8)) : undefined;
  return { seconds, s };
}

function numpy(
  spec: unknown,
  dir: string,
): {
  numpy: string;
  blas: string;
  results: Record<string, { seconds: number; s?: number[]; maxRssBytes?: number }>;
} {
  const specFile = join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync("python3", [join(here, "tensor_numpy.py"), specFile], {
    encoding: "utf8",
    env: startEnv,
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`numpy reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function ioChild(dir: string): Promise<void> {
  const base = process.memoryUsage().rss;
  const ck = await openCheckpoint(dir);
  const t = performance.now();
  let checksum = 0;
  let into: Float32Array | undefined;
  for (const t of ck.tensors) {
    // positional read straight into a reused Float32 buffer + in-place BF16 → F32
    const n = (t.end - t.begin) / 2;
    if (into?.length !== n) into = new Float32Array(n);
    const f = await ck.readFloat32(t.name, { into });
    checksum += f[0]!;
  }
  const seconds = (performance.now() - t) / 1000;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024; // high-water mark of the read loop
  // Conversion alone: in-place BF16 → F32 widening of one tensor already in memory, × tensors.
  const raw = await ck.readRaw(ck.tensors[0]!.name);
  const buf = new Float32Array(raw.length / 2);
  new Uint8Array(buf.buffer).set(raw);
  const c0 = performance.now();
  expandInPlace(buf, "BF16");
  const convert = (performance.now() - c0) * ck.tensors.length;
  await ck.close();
  process.stdout.write(
    JSON.stringify({ seconds, convertSeconds: convert / 1000, maxRssBytes, baseRssBytes: base, checksum }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === "--io-child") return ioChild(process.argv[3]!);
  const json = args.has("--json");
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const info = backendInfo();
  const nativeOk = info.native.available;
  say(
    `backend: ${info.backend}; native: ${nativeOk ? `${info.native.config} (core ${info.native.coreType ?? "default"} from ${info.native.coreTypeSource}), ${backendByName("native").threads()} threads` : info.native.reason}`,
  );
  const dir = await mkdtemp(join(tmpdir(), "frugal-bench-tensor-"));
  try {
    const cases = [
      ...fullCases(
        nativeOk
          ? args.has("--full-ts")
            ? ["native", "ts"]
            : ["native"]
          : args.has("--full-ts")
            ? ["ts"]
            : [],
      ),
      ...tsScaled,
    ];
    const rows: {
      name: string;
      case: string;
      backend: string;
      oursSeconds: number;
      numpySeconds: number;
      ratio: number;
      gflops: number | null;
      numpyGflops: number | null;
      agree: string;
    }[] = [];
    const data = new Map<string, Matrix[]>();
    let seed = 1;
    for (const c of cases) {
      const mats = c.shapes.map(([m, n]) => randn(m, n, seed++));
      data.set(c.id, mats);
      await Promise.all(
        mats.map((m, i) => writeFile(join(dir, `${c.id}-${i}.f32`), new Uint8Array(m.data.buffer))),
      );
    }
    // Ours and numpy alternate case by case, so both see the same machine load.
    const ours = new Map<string, Map<string, { seconds: number; s?: number[] }>>();
    const np: { numpy: string; blas: string; results: Record<string, { seconds: number; s?: number[] }> } = {
      numpy: "",
      blas: "",
      results: {},
    };
    for (const c of cases) {
      for (const bn of c.backends) {
        say(`ours   ${bn.padEnd(6)} ${c.label} …`);
        const r = run(c, backendByName(bn), data.get(c.id)!);
        if (!ours.has(c.id)) ours.set(c.id, new Map());
        ours.get(c.id)!.set(bn, r);
      }
      say(`numpy         ${c.label} …`);
      const one = numpy(
        {
          cases: [
            {
              id: c.id,
              op: c.op,
              files: c.shapes.map((_, i) => join(dir, `${c.id}-${i}.f32`)),
              shapes: c.shapes,
              repeats: c.repeats,
              rank: c.rank,
              oversample: c.oversample,
              power: c.power,
            },
          ],
        },
        dir,
      );
      np.numpy = one.numpy;
      np.blas = one.blas;
      np.results[c.id] = one.results[c.id]!;
    }
    const ioCase = !args.has("--no-io");
    data.clear();
    for (const c of cases) {
      const ref = np.results[c.id]!;
      for (const [bn, r] of ours.get(c.id) ?? []) {
        let agree = "-";
        if (r.s && ref.s) {
          const rel = Math.max(
            ...r.s.map((x, i) => Math.abs(x - ref.s![i]!) / Math.max(1e-30, Math.abs(ref.s![i]!))),
          );
          agree = `σ rel ${rel.toExponential(1)}`;
        }
        const f = flops(c);
        rows.push({
          name: c.id,
          case: c.label,
          backend: bn,
          oursSeconds: r.seconds,
          numpySeconds: ref.seconds,
          ratio: r.seconds / ref.seconds,
          gflops: f ? f / r.seconds / 1e9 : null,
          numpyGflops: f ? f / ref.seconds / 1e9 : null,
          agree,
        });
      }
    }
    let io: Record<string, number> | undefined;
    if (ioCase) io = await ioBench(dir, say);
    const out = {
      backend: info,
      numpy: { version: np.numpy, blas: np.blas },
      linalg: rows,
      io: io ?? null,
      notes: [
        "ratio = ours / numpy on the same data; best of the repeats after a warm-up",
        "TS-backend rows use scaled-down sizes unless --full-ts",
      ],
    };
    if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      process.stdout.write(
        `${renderTable(
          ["case", "backend", "ours s", "numpy s", "ratio", "GFLOPS", "numpy GFLOPS", "check"],
          rows.map((r) => [
            r.case,
            r.backend,
            r.oursSeconds,
            r.numpySeconds,
            r.ratio,
            r.gflops,
            r.numpyGflops,
            r.agree,
          ]),
          { digits: 3 },
        )}\n`,
      );
      if (io) {
        process.stdout.write(
          `\n${renderTable(
            ["1 GB BF16 checkpoint → F32", "ours", "numpy", "ratio"],
            [
              [
                "seconds (read + convert)",
                io.oursSeconds!,
                io.numpySeconds!,
                io.oursSeconds! / io.numpySeconds!,
              ],
              ["GB/s", io.fileBytes! / io.oursSeconds! / 1e9, io.fileBytes! / io.numpySeconds! / 1e9, null],
              ["peak RSS MB", io.oursMaxRssBytes! / 1e6, io.numpyMaxRssBytes! / 1e6, null],
            ],
            { digits: 2 },
          )}\n(largest tensor ${(io.largestTensorBytes! / 1e6).toFixed(0)} MB as BF16 = ${((io.largestTensorBytes! * 2) / 1e6).toFixed(0)} MB as F32; file ${(io.fileBytes! / 1e6).toFixed(0)} MB; ours: in-place BF16→F32 widening alone ≈ ${io.oursConvertSeconds!.toFixed(2)} s for all tensors; node baseline RSS ${(io.oursBaseRssBytes! / 1e6).toFixed(0)} MB)\n`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a ~1 GB BF16 checkpoint (nine 14336×4096 Mixtral-sized matrices) and reads it back in a child process. */
async function ioBench(dir: string, say: (s: string) => void): Promise<Record<string, number>> {
  const ck = join(dir, "ck");
  const [rows, cols] = [14336, 4096];
  const base = randn(rows, cols, 99);
  const bytes = fromFloat32(base.data, "BF16");
  const tensors: TensorSource[] = Array.from({ length: 9 }, (_, i) => ({
    ...float32Source(
      `model.layers.${i}.block_sparse_moe.experts.0.w1.weight`,
      [rows, cols],
      base.data,
      "BF16",
    ),
    bytes: () => bytes,
  }));
  say("writing a 1 GB BF16 checkpoint …");
  await writeCheckpoint(ck, tensors);
  const opened = await openCheckpoint(ck);
  const fileBytes = opened.shards.reduce((a, s) => a + s.bytes, 0);
  const dataStart = fileBytes - opened.tensors.reduce((a, t) => a + (t.end - t.begin), 0);
  const specTensors = opened.tensors.map((t) => ({
    offset: dataStart + t.begin,
    count: (t.end - t.begin) / 2,
  }));
  await opened.close();
  say("reading it back (ours, child process) …");
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--io-child", ck],
    { encoding: "utf8", env: process.env },
  );
  if (child.status !== 0) throw new Error(`io child failed: ${child.stderr}`);
  const o = JSON.parse(child.stdout);
  say("reading it back (numpy) …");
  const np = numpy(
    {
      cases: [
        { id: "io", op: "read_bf16", file: join(ck, "model.safetensors"), tensors: specTensors, repeats: 1 },
      ],
    },
    dir,
  ).results.io!;
  return {
    fileBytes,
    largestTensorBytes: rows * cols * 2,
    oursSeconds: o.seconds,
    oursConvertSeconds: o.convertSeconds,
    oursMaxRssBytes: o.maxRssBytes,
    oursBaseRssBytes: o.baseRssBytes,
    numpySeconds: np.seconds,
    numpyMaxRssBytes: np.maxRssBytes!,
  };
}

await main();
