/**
 * Worker threads for the TypeScript gemm: rows of C are split between the calling thread and one
 * worker per extra core. Operands are copied into SharedArrayBuffers (O(MK + KN + MN), small next
 * to the O(MNK) product); the caller computes its share, then blocks on Atomics.wait until every
 * worker has finished, so the backend stays synchronous. The workers run the very same kernel:
 * its source text is evaluated in them, so no module loader is involved (and none can deadlock
 * while the caller is blocked). Only the TS backend uses this pool: with the native backend,
 * OpenBLAS has the cores, so nothing is oversubscribed.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { gemmRowsKernel } from "./gemm-kernel.js";

/** Below this many multiply-adds, threads cost more than they save. */
const MIN_PARALLEL_FLOPS = 1 << 24;

interface PoolWorker {
  worker: Worker;
  /** [0] = job counter written by the caller, [1] = jobs done written by the worker. */
  flags: Int32Array;
}

let pool: PoolWorker[] | null = null;
let wanted = defaultThreads();

function defaultThreads(): number {
  const env = Number(process.env.FRUGAL_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

/** Threads the TS gemm computes with (the caller plus workers). */
export function tsGemmThreads(): number {
  return wanted;
}

/** Sets the number of threads (1 = no workers); existing workers are stopped. */
export function setTsGemmThreads(n: number): void {
  wanted = Math.max(1, Math.floor(n));
  shutdownGemmPool();
}

/** Stops the workers (they are unref'd, so a process may also simply exit). */
export function shutdownGemmPool(): void {
  for (const p of pool ?? []) void p.worker.terminate();
  pool = null;
}

function workerSource(): string {
  return `
const { parentPort } = require("node:worker_threads");
const gemmRowsKernel = ${gemmRowsKernel.toString()};
parentPort.on("message", (m) => {
  const a = new Float32Array(m.a), b = new Float32Array(m.b), c = new Float32Array(m.c);
  const flags = new Int32Array(m.flags);
  try {
    gemmRowsKernel(a, b, c, m.i0, m.i1, m.N, m.K, m.alpha);
  } finally {
    Atomics.add(flags, 1, 1);
    Atomics.notify(flags, 1);
  }
});`;
}

function getPool(): PoolWorker[] {
  if (pool) return pool;
  pool = [];
  for (let t = 1; t < wanted; t++) {
    const worker = new Worker(workerSource(), { eval: true });
    worker.unref();
    pool.push({ worker, flags: new Int32Array(new SharedArrayBuffer(8)) });
  }
  return pool;
}

function shared(src: Float32Array): Float32Array {
  const s = new Float32Array(new SharedArrayBuffer(src.byteLength));
  s.set(src);
  return s;
}

/**
 * Computes c += alpha·a·b with the rows split across threads. Returns false (and does nothing)
 * when the product is too small to be worth it or only one thread is wanted.
 */
export function parallelGemmRows(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  M: number,
  N: number,
  K: number,
  alpha: number,
): boolean {
  const threads = Math.min(wanted, M);
  if (threads < 2 || M * N * K < MIN_PARALLEL_FLOPS) return false;
  const workers = getPool().slice(0, threads - 1);
  const sa = shared(a);
  const sb = shared(b);
  const sc = shared(c);
  const rowsPer = Math.ceil(M / threads);
  const started: { p: PoolWorker; target: number }[] = [];
  workers.forEach((p, w) => {
    const i0 = (w + 1) * rowsPer;
    const i1 = Math.min(M, i0 + rowsPer);
    if (i0 >= i1) return;
    const target = Atomics.load(p.flags, 1) + 1;
    p.worker.postMessage({
      a: sa.buffer,
      b: sb.buffer,
      c: sc.buffer,
      flags: p.flags.buffer,
      i0,
      i1,
      N,
      K,
      alpha,
    });
    started.push({ p, target });
  });
  gemmRowsKernel(sa, sb, sc, 0, Math.min(M, rowsPer), N, K, alpha);
  for (const { p, target } of started) {
    while (Atomics.load(p.flags, 1) < target) Atomics.wait(p.flags, 1, target - 1, 1000);
  }
  c.set(sc);
  return true;
}
