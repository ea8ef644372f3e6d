/**
 * The native backend: OpenBLAS/LAPACK through the Node-API addon in native/ (cblas_sgemm,
 * sgesdd, sgeqrf + sorgqr). The addon is optional: when it was not built (no libopenblas-dev, no
 * compiler) loading fails and the reason is kept for `backendInfo()`; the TS backend runs instead.
 *
 * OpenBLAS core type: Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) does not recognise some newer
 * virtualised Xeons and falls back to its slowest generic kernels (measured 4× slower sgemm).
 * When the user has not set OPENBLAS_CORETYPE, we pick the kernel family from the CPU flags
 * (/proc/cpuinfo) before the library loads; FRUGAL_OPENBLAS_CORETYPE overrides both. The choice
 * and where it came from are reported by `backendInfo()`.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LinalgBackend, QrResult, SvdResult, SymEigResult } from "./backend.js";
import { checkSquare, syrkShape } from "./eigen-shapes.js";
import type { Matrix } from "./matrix.js";
import { gemmShape } from "./shapes.js";
import { tsBackend } from "./ts/index.js";

/** The functions of the OpenBLAS/LAPACK Node-API addon (native/frugal_blas.c); matrices are row-major Float32. */
export interface NativeAddon {
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  sgesdd(m: number, n: number, A: Float32Array): { U: Float32Array; S: Float32Array; Vt: Float32Array };
  qr(m: number, n: number, A: Float32Array): { Q: Float32Array; R: Float32Array };
  ssyrk(
    trans: boolean,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    beta: number,
    C: Float32Array,
  ): void;
  ssyevd(n: number, A: Float32Array): { W: Float32Array; V: Float32Array };
  setThreads(n: number): void;
  getThreads(): number;
  config(): string;
}

/** Whether the native addon loaded and, if so, from where, with which OpenBLAS build and core type. */
export interface NativeStatus {
  available: boolean;
  /** Why the addon is not available (when it is not). */
  reason?: string;
  /** The addon file. */
  path?: string;
  /** OpenBLAS's build configuration (`openblas_get_config`). */
  config?: string;
  /** The OpenBLAS kernel family in use (OPENBLAS_CORETYPE), when one was set. */
  coreType?: string;
  /** Where the core type came from. */
  coreTypeSource?: "OPENBLAS_CORETYPE" | "FRUGAL_OPENBLAS_CORETYPE" | "cpu flags" | "library default";
}

const ADDON_REL = join("native", "build", "Release", "frugal_blas.node");

/** Looks for the built addon in the package root above this module (works from src/ and dist/). */
export function findAddon(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** OpenBLAS kernel family for this CPU, from its flags (x86-64 Linux only). */
export function coreTypeFromCpuFlags(flags: ReadonlySet<string>): string | undefined {
  if (flags.has("avx512_bf16") && flags.has("avx512f")) return "Cooperlake";
  if (flags.has("avx512f") && flags.has("avx512bw") && flags.has("avx512vl") && flags.has("avx512dq"))
    return "SkylakeX";
  if (flags.has("avx2") && flags.has("fma")) return "Haswell";
  return undefined;
}

function cpuFlags(): Set<string> {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const line = text.split("\n").find((l) => l.startsWith("flags"));
    return new Set((line?.split(":")[1] ?? "").trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

function chooseCoreType(): Pick<NativeStatus, "coreType" | "coreTypeSource"> {
  const forced = process.env.FRUGAL_OPENBLAS_CORETYPE;
  if (forced) {
    process.env.OPENBLAS_CORETYPE = forced;
    return { coreType: forced, coreTypeSource: "FRUGAL_OPENBLAS_CORETYPE" };
  }
  const user = process.env.OPENBLAS_CORETYPE;
  if (user) return { coreType: user, coreTypeSource: "OPENBLAS_CORETYPE" };
  const auto =
    process.arch === "x64" && process.platform === "linux" ? coreTypeFromCpuFlags(cpuFlags()) : undefined;
  if (auto) {
    process.env.OPENBLAS_CORETYPE = auto;
    return { coreType: auto, coreTypeSource: "cpu flags" };
  }
  return { coreTypeSource: "library default" };
}

let loaded: { addon?: NativeAddon; status: NativeStatus } | undefined;

/** Loads the addon once; never throws (the failure reason is in the status). */
export function loadNative(): { addon?: NativeAddon; status: NativeStatus } {
  if (loaded) return loaded;
  if (process.env.FRUGAL_DISABLE_NATIVE === "1") {
    loaded = { status: { available: false, reason: "disabled by FRUGAL_DISABLE_NATIVE=1" } };
    return loaded;
  }
  const path = findAddon();
  if (!path) {
    loaded = {
      status: {
        available: false,
        reason:
          "the OpenBLAS addon is not built (install libopenblas-dev and a C compiler, then run `node native/build.mjs`)",
      },
    };
    return loaded;
  }
  const core = chooseCoreType();
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    const threads = Number(process.env.FRUGAL_THREADS);
    if (Number.isInteger(threads) && threads > 0) addon.setThreads(threads);
    loaded = { addon, status: { available: true, path, config: addon.config().trim(), ...core } };
  } catch (e) {
    loaded = {
      status: {
        available: false,
        path,
        reason: `the OpenBLAS addon failed to load (${(e as Error).message.split("\n")[0]})`,
      },
    };
  }
  return loaded;
}

function wrapSvd(m: number, n: number, r: { U: Float32Array; S: Float32Array; Vt: Float32Array }): SvdResult {
  const k = Math.min(m, n);
  return { U: { rows: m, cols: k, data: r.U }, S: r.S, Vt: { rows: k, cols: n, data: r.Vt } };
}

function wrapQr(m: number, n: number, r: { Q: Float32Array; R: Float32Array }): QrResult {
  const k = Math.min(m, n);
  return { Q: { rows: m, cols: k, data: r.Q }, R: { rows: k, cols: n, data: r.R } };
}

/** The native backend over a loaded addon (empty operands go to the TS backend, which handles them). */
export function makeNativeBackend(addon: NativeAddon): LinalgBackend {
  return {
    name: "native",
    gemm(transA: boolean, transB: boolean, A: Matrix, B: Matrix, alpha = 1, beta = 0, C?: Matrix): Matrix {
      const { M, N, K } = gemmShape(transA, transB, A, B, C);
      const out = C ?? { rows: M, cols: N, data: new Float32Array(M * N) };
      if (M === 0 || N === 0) return out;
      if (K === 0) return tsBackend.gemm(transA, transB, A, B, alpha, C ? beta : 0, out);
      addon.sgemm(
        transA,
        transB,
        M,
        N,
        K,
        alpha,
        A.data,
        Math.max(1, A.cols),
        B.data,
        Math.max(1, B.cols),
        C ? beta : 0,
        out.data,
        Math.max(1, N),
      );
      return out;
    },
    qr(A: Matrix): QrResult {
      if (A.rows === 0 || A.cols === 0) return tsBackend.qr(A);
      return wrapQr(A.rows, A.cols, addon.qr(A.rows, A.cols, A.data));
    },
    svd(A: Matrix): SvdResult {
      if (A.rows === 0 || A.cols === 0) return tsBackend.svd(A);
      return wrapSvd(A.rows, A.cols, addon.sgesdd(A.rows, A.cols, A.data));
    },
    syrk(trans: boolean, A: Matrix, alpha = 1, beta = 0, C?: Matrix): Matrix {
      const { N, K } = syrkShape(trans, A, C);
      const out = C ?? { rows: N, cols: N, data: new Float32Array(N * N) };
      if (N === 0) return out;
      addon.ssyrk(trans, N, K, alpha, A.data, C ? beta : 0, out.data);
      return out;
    },
    symEig(A: Matrix): SymEigResult {
      const n = checkSquare(A, "symEig");
      if (n === 0) return tsBackend.symEig(A);
      const { W, V } = addon.ssyevd(n, A.data);
      // LAPACK returns ascending eigenvalues with eigenvector i in row i (column-major columns):
      // reverse both so they are descending.
      const values = new Float32Array(n);
      const vt = new Float32Array(n * n);
      for (let i = 0; i < n; i++) {
        values[i] = W[n - 1 - i]!;
        vt.set(V.subarray((n - 1 - i) * n, (n - i) * n), i * n);
      }
      return { values, vectorsT: { rows: n, cols: n, data: vt } };
    },
    threads: () => addon.getThreads(),
  };
}
