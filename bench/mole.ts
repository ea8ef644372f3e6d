/**
 * MoLE benchmark (`npm run bench -- mole`), each case against a reference in the same run:
 *
 * 1. Full-size Mixtral gate+up group: 8 experts × 14336 × 4096 for gate and for up, BF16, written
 *    to a temporary checkpoint; factorized at rank 1024 on the native backend by the converter's
 *    own path (gram: syrk Gram per expert, ssyevd, A = W V_r, error, latents rounded to BF16), in
 *    a child process whose peak RSS is measured; numpy computes the same factorization from the
 *    same file (bench/mole_numpy.py) with its own OpenBLAS. Goal: ours ≤ 1.5 × numpy, peak memory
 *    near the group's size. The whole `convertCheckpoint` of the layer (copying and writing
 *    included) is timed too.
 * 2. Rank-deficient groups (rank(S) ≤ r) are recovered to float32 precision by every method.
 * 3. The error is monotone in r (gram method) and matches the Eckart–Young tail.
 *
 *   npx tsx bench/mole.ts            # all cases (the full-size case takes minutes on 2 cores)
 *   npx tsx bench/mole.ts --small    # case 1 at 1/4 size (8 × 3584 × 1024)
 *   npx tsx bench/mole.ts --json
 */
const startEnv = { ...process.env };

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertCheckpoint, finishGroup, type GroupSource, gramBasis, svdBasis } from "../src/mole/index.js";
import {
  backendInfo,
  fromFloat32,
  type Matrix,
  matmul,
  openCheckpoint,
  randn,
  type TensorSource,
  writeCheckpoint,
} from "../src/tensor/index.js";
import { renderTable } from "../src/util/table.js";

const args = new Set(process.argv.slice(2));
const here = fileURLToPath(new URL(".", import.meta.url));
const say = (s: string) => process.stderr.write(`${s}\n`);
const small = args.has("--small") || process.argv[4] === "small";
const [E, P, D, R] = small ? [8, 3584, 1024, 256] : [8, 14336, 4096, 1024];

/** Writes a one-layer Mixtral checkpoint with gate (w1) and up (w3) of E experts, BF16, plus small down/router. */
async function writeGroup(dir: string): Promise<string> {
  const a = randn(P, D, 1);
  const b = randn(P, D, 2);
  const tensors: TensorSource[] = [];
  const pre = "model.layers.0.block_sparse_moe";
  tensors.push({
    name: `${pre}.gate.weight`,
    dtype: "BF16",
    shape: [E, D],
    bytes: () => fromFloat32(randn(E, D, 3).data, "BF16"),
  });
  for (let e = 0; e < E; e++)
    for (const [w, c] of [
      ["w1", 0.3],
      ["w3", 0.7],
    ] as const) {
      const s = Math.cos(e + c);
      const t = Math.sin(e * c + 1);
      tensors.push({
        name: `${pre}.experts.${e}.${w}.weight`,
        dtype: "BF16",
        shape: [P, D],
        bytes: () => {
          const m = new Float32Array(P * D);
          for (let i = 0; i < m.length; i++)
            m[i] = (s * a.data[i]! + t * b.data[(i * 7 + e) % m.length]!) / 64;
          return fromFloat32(m, "BF16");
        },
      });
    }
  // down projections (not converted here) as small stand-ins would fail the shape check: write real-size ones lazily
  for (let e = 0; e < E; e++)
    tensors.push({
      name: `${pre}.experts.${e}.w2.weight`,
      dtype: "BF16",
      shape: [D, P],
      bytes: () => new Uint8Array(D * P * 2),
    });
  const ck = join(dir, "mixtral-layer");
  await writeCheckpoint(ck, tensors, {
    config: {
      model_type: "mixtral",
      hidden_size: D,
      num_local_experts: E,
      num_experts_per_tok: 2,
      intermediate_size: P,
      num_hidden_layers: 1,
    },
  });
  return ck;
}

/** Child process: the converter's factorization of gate and up, timed, with peak RSS. */
async function child(ck: string): Promise<void> {
  const c = await openCheckpoint(ck);
  const pre = "model.layers.0.block_sparse_moe";
  const out: {
    kinds: { seconds: number; relativeError: number }[];
    seconds: number;
    maxRssBytes: number;
    baseRssBytes: number;
  } = {
    kinds: [],
    seconds: 0,
    maxRssBytes: 0,
    baseRssBytes: process.memoryUsage().rss,
  };
  const t0 = performance.now();
  for (const w of ["w1", "w3"]) {
    const t = performance.now();
    const src: GroupSource = {
      experts: Array.from({ length: E }, (_, i) => i),
      p: P,
      d: D,
      transposed: false,
      async read(e, into) {
        return { rows: P, cols: D, data: await c.readFloat32(`${pre}.experts.${e}.${w}.weight`, { into }) };
      },
    };
    const basis = await gramBasis(src, { where: "bench" });
    const f = await finishGroup(basis, R, "BF16", { where: "bench" });
    out.kinds.push({ seconds: (performance.now() - t) / 1000, relativeError: f.relativeError });
  }
  out.seconds = (performance.now() - t0) / 1000;
  out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  await c.close();
  process.stdout.write(JSON.stringify(out));
}

async function fullSize(dir: string) {
  say(`writing a ${E} × ${P} × ${D} BF16 gate+up group (${((2 * E * P * D * 2) / 1e9).toFixed(2)} GB) …`);
  const ck = await writeGroup(dir);
  const opened = await openCheckpoint(ck);
  const dataStart = (t: { shard: string }) => {
    const shard = opened.shards.find((s) => s.file === t.shard)!;
    const inShard = opened.tensors.filter((x) => x.shard === t.shard);
    return shard.bytes - inShard.reduce((a, x) => a + (x.end - x.begin), 0);
  };
  const files = new Set(opened.tensors.map((t) => t.shard));
  if (files.size !== 1) throw new Error("expected one shard");
  const experts: { offset: number; rows: number; cols: number }[] = [];
  const idx = (w: string, e: number) =>
    opened.tensors.find((t) => t.name === `model.layers.0.block_sparse_moe.experts.${e}.${w}.weight`)!;
  for (const w of ["w1", "w3"])
    for (let e = 0; e < E; e++) {
      const t = idx(w, e);
      experts.push({ offset: dataStart(t) + t.begin, rows: P, cols: D });
    }
  const file = join(ck, opened.tensors[0]!.shard);
  await opened.close();
  say("ours (native backend, child process) …");
  const ours = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", ck, small ? "small" : "full"],
    { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, FRUGAL_BACKEND: "native" } },
  );
  if (ours.status !== 0) throw new Error(`child failed: ${ours.stderr}`);
  const o = JSON.parse(ours.stdout);
  say("numpy …");
  const specFile = join(dir, "spec.json");
  writeFileSync(
    specFile,
    JSON.stringify({
      file,
      dtype: "BF16",
      experts,
      rank: R,
      kinds: [Array.from({ length: E }, (_, i) => i), Array.from({ length: E }, (_, i) => E + i)],
    }),
  );
  const np = spawnSync("python3", [join(here, "mole_numpy.py"), specFile], {
    encoding: "utf8",
    env: startEnv,
    maxBuffer: 1 << 24,
  });
  if (np.status !== 0) throw new Error(`numpy failed: ${np.stderr}`);
  const n = JSON.parse(np.stdout);
  say("whole convertCheckpoint of the layer (gate + up, writing included) …");
  const t = performance.now();
  await convertCheckpoint(ck, join(dir, "mole"), { rankRule: { name: "rank", params: { rank: R } } });
  const convertSeconds = (performance.now() - t) / 1000;
  return {
    shape: `${E} × ${P} × ${D}`,
    rank: R,
    groupBytesBf16: E * P * D * 2,
    groupBytesF32: E * P * D * 4,
    ours: o,
    numpy: n,
    ratio: o.seconds / n.seconds,
    convertSeconds,
  };
}

function constructed(k: number, p: number, d: number, spectrum: number[], seed: number): Matrix {
  // S = U diag(s) Vᵀ with orthonormal U (kp × n), V (d × n)
  const n = spectrum.length;
  const U = randn(k * p, n, seed);
  const V = randn(d, n, seed + 1);
  const Uq = orth(U);
  const Vq = orth(V);
  for (let i = 0; i < Uq.rows; i++) for (let j = 0; j < n; j++) Uq.data[i * n + j]! *= spectrum[j]!;
  return matmul(Uq, Vq, { transB: true });
}

function orth(M: Matrix): Matrix {
  // modified Gram–Schmidt in Float64 (columns)
  const { rows, cols } = M;
  const q = Float64Array.from(M.data);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += q[r * cols + i]! * q[r * cols + j]!;
      for (let r = 0; r < rows; r++) q[r * cols + j]! -= dot * q[r * cols + i]!;
    }
    let nrm = 0;
    for (let r = 0; r < rows; r++) nrm += q[r * cols + j]! ** 2;
    nrm = Math.sqrt(nrm);
    for (let r = 0; r < rows; r++) q[r * cols + j]! /= nrm;
  }
  return { rows, cols, data: Float32Array.from(q) };
}

function sourceOf(S: Matrix, k: number, p: number): GroupSource {
  return {
    experts: Array.from({ length: k }, (_, i) => i),
    p,
    d: S.cols,
    transposed: false,
    async read(e) {
      return { rows: p, cols: S.cols, data: S.data.slice(e * p * S.cols, (e + 1) * p * S.cols) };
    },
  };
}

async function accuracy() {
  const [k, p, d] = [8, 256, 512];
  const rows: { case: string; method: string; rank: number; relativeError: number; optimum: number }[] = [];
  // rank-deficient: rank(S) = 96 ≤ r
  const S = constructed(
    k,
    p,
    d,
    Array.from({ length: 96 }, (_, i) => 10 * 0.97 ** i),
    5,
  );
  for (const r of [96, 128]) {
    for (const method of ["gram", "exact", "randomized"] as const) {
      const src = sourceOf(S, k, p);
      const basis =
        method === "gram"
          ? await gramBasis(src, { where: "b" })
          : await svdBasis(src, {
              where: "b",
              randomized:
                method === "randomized"
                  ? { rank: r, oversample: 10, powerIterations: 2, seed: 0 }
                  : undefined,
            });
      const f = await finishGroup(basis, r, "F32", { where: "b" });
      rows.push({ case: "rank(S) = 96 ≤ r", method, rank: r, relativeError: f.relativeError, optimum: 0 });
    }
  }
  // monotone in r on a decaying spectrum
  const spec = Array.from({ length: 256 }, (_, i) => 1 / (1 + i) ** 0.7);
  const T = constructed(k, p, d, spec, 9);
  const total = spec.reduce((a, s) => a + s * s, 0);
  for (const r of [8, 16, 32, 64, 128, 192, 255]) {
    const f = await finishGroup(await gramBasis(sourceOf(T, k, p), { where: "b" }), r, "F32", { where: "b" });
    const tail = spec.slice(r).reduce((a, s) => a + s * s, 0);
    rows.push({
      case: "σ_i = (1+i)^-0.7",
      method: "gram",
      rank: r,
      relativeError: f.relativeError,
      optimum: Math.sqrt(tail / total),
    });
  }
  return rows;
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return child(process.argv[3]!);
  const info = backendInfo();
  say(
    `backend: ${info.backend}; ${info.native.available ? `${info.native.config} (core ${info.native.coreType ?? "default"})` : info.native.reason}`,
  );
  const dir = await mkdtemp(join(tmpdir(), "frugal-bench-mole-"));
  try {
    say("accuracy cases …");
    const acc = await accuracy();
    const monotone = acc
      .filter((r) => r.case.startsWith("σ"))
      .every((r, i, a) => i === 0 || r.relativeError <= a[i - 1]!.relativeError);
    const full = args.has("--no-full") ? null : await fullSize(dir);
    const out = { backend: info.backend, full, accuracy: acc, monotone };
    if (args.has("--json")) {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    if (full) {
      const mb = (b: number) => (b / 1e6).toFixed(0);
      process.stdout.write(
        `${renderTable(
          [`gate+up group ${full.shape}, r = ${full.rank}`, "ours (native)", "numpy", "ours / numpy"],
          [
            ["seconds (gate + up)", full.ours.seconds, full.numpy.seconds, full.ratio],
            [
              "gate seconds",
              full.ours.kinds[0].seconds,
              full.numpy.kinds[0].seconds,
              full.ours.kinds[0].seconds / full.numpy.kinds[0].seconds,
            ],
            [
              "up seconds",
              full.ours.kinds[1].seconds,
              full.numpy.kinds[1].seconds,
              full.ours.kinds[1].seconds / full.numpy.kinds[1].seconds,
            ],
            [
              "relative error (gate)",
              full.ours.kinds[0].relativeError,
              full.numpy.kinds[0].relativeError,
              null,
            ],
            [
              "peak RSS MB",
              Number(mb(full.ours.maxRssBytes)),
              Number(mb(full.numpy.maxRssBytes)),
              full.ours.maxRssBytes / full.numpy.maxRssBytes,
            ],
          ],
          { digits: 3 },
        )}\n(group: ${mb(full.groupBytesBf16)} MB as BF16, ${mb(full.groupBytesF32)} MB as F32; node baseline ${mb(full.ours.baseRssBytes)} MB; whole convertCheckpoint of the layer incl. copying the down projections and writing: ${full.convertSeconds.toFixed(1)} s)\n\n`,
      );
    }
    process.stdout.write(
      `${renderTable(
        ["case", "method", "r", "relative error", "Eckart–Young optimum"],
        acc.map((r) => [
          r.case,
          r.method,
          r.rank,
          r.relativeError.toExponential(2),
          r.optimum.toExponential(2),
        ]),
      )}\nerror monotone in r: ${monotone ? "yes" : "NO"}\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
