/**
 * The merge executor: streams the plan tensor by tensor into the checkpoint writer.
 *
 * - Each input checkpoint keeps at most one shard file open (tensor/checkpoint/reader.ts); tasks
 *   follow the first model's shard order, so each shard is opened about once.
 * - A task's inputs are read as Float32, merged, converted to the output dtype and handed to the
 *   writer; nothing refers to them afterwards, so each tensor is freed after its last use. The
 *   next task's inputs are read while this one is merged (reads run on libuv's threads while the
 *   merge runs on the main thread; SVDs and products run on OpenBLAS's threads): peak memory is
 *   bounded by the planner's estimate, independent of the checkpoint's size.
 * - No worker threads are started, so the cores are never oversubscribed: elementwise work uses
 *   the main thread, linear algebra uses OpenBLAS's threads (all cores by default; FRUGAL_THREADS).
 * - Output goes to a temporary sibling folder renamed when complete (writeCheckpoint →
 *   writeFolderAtomic): an interrupted or failed merge leaves no folder that looks complete.
 */
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { IoError, throwIfAborted } from "../errors/index.js";
import {
  type Checkpoint,
  encodeInPlace,
  numel,
  openCheckpoint,
  type TensorSource,
  writeCheckpoint,
} from "../tensor/index.js";
import { checkOutputPath } from "../util/files.js";
import type { OnProgress } from "../util/progress.js";
import { Rng } from "../util/random.js";
import type { MergeConfig } from "./config/load.js";
import type { TensorMergeDiagnostics } from "./methods/types.js";
import type { InputCheckpoint, MergePlan, MergeTask } from "./planner.js";

/** The input checkpoints of a config, opened (headers read, no tensor data). */
export interface OpenedInputs {
  checkpoints: Checkpoint[];
  /** The same, as the planner sees them. */
  infos: InputCheckpoint[];
  close(): Promise<void>;
}

/** Opens every model folder a config names (validating all shard headers). */
export async function openInputs(config: MergeConfig, signal?: AbortSignal): Promise<OpenedInputs> {
  const checkpoints: Checkpoint[] = [];
  try {
    for (const m of config.models) checkpoints.push(await openCheckpoint(m.path, { signal }));
  } catch (e) {
    await Promise.all(checkpoints.map((c) => c.close()));
    throw e;
  }
  return {
    checkpoints,
    infos: checkpoints.map((c) => ({ path: c.path, tensors: c.tensors, config: c.config })),
    close: async () => {
      await Promise.all(checkpoints.map((c) => c.close()));
    },
  };
}

/** Options of `executeMerge`. */
export interface ExecuteOptions {
  /** Seed of the random methods (DARE, DELLA) and of LoRE's sketches (default 0). */
  seed?: number;
  /** Overwrite an existing output folder. */
  force?: boolean;
  /** Output shard size limit in bytes. */
  maxShardBytes?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Called with each tensor's diagnostics (LoRE ranks and sweeps, notes) as it is merged. */
  onTensor?: (name: string, d: TensorMergeDiagnostics) => void;
}

/** What a finished merge reports. */
export interface ExecuteResult {
  out: string;
  tensors: number;
  shards: number;
  outputBytes: number;
  seconds: number;
  tensorsPerSecond: number;
  copiedFiles: string[];
  /** Diagnostics of the tensors that have any (LoRE: all matrices). */
  diagnostics: { name: string; diagnostics: TensorMergeDiagnostics }[];
}

/**
 * Float32 buffers recycled between tensors: reading into a buffer that was already touched avoids
 * the page faults and zero-filling of a fresh allocation (a large share of the time at 1024²).
 * Holds at most `max` buffers (oldest dropped first), so memory stays bounded by the plan.
 */
export class BufferPool {
  readonly #free: Float32Array[] = [];
  constructor(private readonly max: number) {}
  /** A buffer of exactly `n` elements (contents undefined). */
  take(n: number): Float32Array {
    const i = this.#free.findIndex((b) => b.length === n);
    if (i >= 0) return this.#free.splice(i, 1)[0]!;
    return new Float32Array(n);
  }
  /** Returns buffers for reuse. */
  give(bufs: Iterable<Float32Array>): void {
    for (const b of bufs) if (b.length > 0 && !this.#free.includes(b)) this.#free.push(b);
    while (this.#free.length > this.max) this.#free.shift();
  }
}

/** FNV-1a of a string, mixed with a seed: per-tensor, per-source random streams independent of order. */
export function streamSeed(seed: number, name: string, source: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  const s = `${name}\u0000${source}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Checks the output folder and the free space on its disk before any work. */
export async function checkOutput(
  out: string,
  plan: MergePlan,
  force = false,
): Promise<{ freeBytes: number | null }> {
  checkOutputPath(out, { folder: true, force, inputs: plan.models });
  let free: number | null = null;
  try {
    let dir = dirname(resolve(out));
    const st = await statfs(dir).catch(async () => {
      dir = dirname(dir);
      return statfs(dir);
    });
    free = Number(st.bavail) * Number(st.bsize);
  } catch {
    free = null;
  }
  const need = plan.totals.outputBytes + 16 * 1024 * 1024;
  if (free !== null && free < need)
    throw new IoError({
      where: out,
      what: `the merge writes ${formatGiB(plan.totals.outputBytes)} but only ${formatGiB(free)} is free on that disk`,
      hint: "free some space or choose an output folder on another disk",
    });
  return { freeBytes: free };
}

function formatGiB(b: number): string {
  return b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`;
}

/** Reads one input as Float32 and fits it to the task's shape (truncate / pad from `pad`). */
function fitTo(
  data: Float32Array,
  from: readonly number[],
  to: readonly number[],
  pad?: Float32Array,
): Float32Array {
  if (from.length === to.length && from.every((d, k) => d === to[k])) return data;
  const out = pad ? Float32Array.from(pad) : new Float32Array(numel(to));
  // Copy the common leading block, row by row over the last dimension.
  const rank = to.length;
  const common = to.map((d, k) => Math.min(d, from[k]!));
  const lastLen = common[rank - 1] ?? 1;
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0);
  const strides = (shape: readonly number[]) => {
    const s = new Array<number>(shape.length).fill(1);
    for (let k = shape.length - 2; k >= 0; k--) s[k] = s[k + 1]! * shape[k + 1]!;
    return s;
  };
  const sf = strides(from);
  const st = strides(to);
  if (rank === 0) return data;
  if (common.some((d) => d === 0)) return out;
  for (;;) {
    let of = 0;
    let ot = 0;
    for (let k = 0; k < rank - 1; k++) {
      of += idx[k]! * sf[k]!;
      ot += idx[k]! * st[k]!;
    }
    out.set(data.subarray(of, of + lastLen), ot);
    let k = rank - 2;
    while (k >= 0) {
      idx[k] = idx[k]! + 1;
      if (idx[k]! < common[k]!) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) break;
  }
  return out;
}

/** Reads a task's inputs as Float32 (each checkpoint serves one read at a time), fitted to its shape. */
export async function readTask(
  task: MergeTask,
  cks: readonly Checkpoint[],
  signal?: AbortSignal,
  pool?: BufferPool,
): Promise<Float32Array[]> {
  // Different checkpoints are read concurrently (their positional reads run on libuv's threads);
  // inputs from the same checkpoint one after another, as it keeps one shard open.
  const raw: Float32Array[] = new Array(task.inputs.length);
  const byModel = new Map<number, number[]>();
  for (const [i, inp] of task.inputs.entries())
    byModel.set(inp.model, [...(byModel.get(inp.model) ?? []), i]);
  await Promise.all(
    [...byModel.values()].map(async (idx) => {
      for (const i of idx) {
        const inp = task.inputs[i]!;
        throwIfAborted(signal, inp.tensor);
        const into = pool?.take(numel(inp.shape));
        raw[i] = await cks[inp.model]!.readFloat32(inp.tensor, { signal, into });
      }
    }),
  );
  if (task.fit === "none") return raw;
  const pad =
    task.fit === "pad-to-base" && task.padFrom !== null
      ? fitTo(raw[task.padFrom]!, task.inputs[task.padFrom]!.shape, task.shape)
      : undefined;
  return raw.map((x, i) => fitTo(x, task.inputs[i]!.shape, task.shape, i === task.padFrom ? undefined : pad));
}

/** Runs a plan: merges every tensor and writes the output folder atomically. */
export async function executeMerge(
  config: MergeConfig,
  plan: MergePlan,
  inputs: OpenedInputs,
  out: string,
  opts: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const t0 = performance.now();
  const seed = opts.seed ?? 0;
  const method = config.method;
  const tasks = plan.tasks;
  const totalBytes = tasks.reduce((s, t) => s + numel(t.shape), 0) || 1;
  let doneBytes = 0;
  let done = 0;
  const diagnostics: ExecuteResult["diagnostics"] = [];
  let pending: Promise<Float32Array[]> | undefined;
  // Buffers of the task whose bytes the writer holds; recycled when the next task starts (by then
  // the writer has written them). Two tasks' inputs plus one output are alive at a time.
  const maxInputs = Math.max(1, ...tasks.map((t) => t.inputs.length));
  const pool = new BufferPool(2 * maxInputs + 2);
  let inFlight: Float32Array[] = [];
  const read = (k: number) => {
    const p = readTask(tasks[k]!, inputs.checkpoints, opts.signal, pool);
    p.catch(() => {}); // awaited later; avoid an unhandled rejection if the merge stops first
    return p;
  };
  const sources: TensorSource[] = tasks.map((task, k) => ({
    name: task.name,
    dtype: task.dtype,
    shape: task.shape,
    bytes: async () => {
      throwIfAborted(opts.signal, task.name);
      pool.give(inFlight);
      inFlight = [];
      const data = await (pending ?? read(k));
      pending = k + 1 < tasks.length ? read(k + 1) : undefined;
      const r = method.merge({
        name: task.name,
        shape: task.shape,
        tensors: data,
        baseIndex: task.baseIndex,
        params: task.params,
        tensorParams: task.tensorParams,
        rng: (source) => new Rng(streamSeed(seed, task.name, source)),
        signal: opts.signal,
      });
      if (r.diagnostics && Object.keys(r.diagnostics).length > 0) {
        diagnostics.push({ name: task.name, diagnostics: r.diagnostics });
        opts.onTensor?.(task.name, r.diagnostics);
      }
      const bytes = encodeInPlace(r.data, task.dtype);
      inFlight = [...data, r.data];
      done++;
      doneBytes += numel(task.shape);
      const seconds = (performance.now() - t0) / 1000;
      const eta = seconds * ((totalBytes - doneBytes) / doneBytes);
      opts.onProgress?.({
        label: `merging (${method.name})`,
        done,
        total: tasks.length,
        detail: `${(done / Math.max(seconds, 1e-9)).toFixed(1)} tensors/s, ETA ${formatEta(eta)}`,
      });
      return bytes;
    },
  }));
  try {
    const written = await writeCheckpoint(out, sources, {
      force: opts.force,
      inputs: plan.models,
      maxShardBytes: opts.maxShardBytes,
      copyFrom: plan.copyFrom,
      config: plan.outConfig,
      signal: opts.signal,
    });
    const seconds = (performance.now() - t0) / 1000;
    return {
      out,
      tensors: tasks.length,
      shards: written.plan.shards.length,
      outputBytes: written.plan.totalBytes,
      seconds,
      tensorsPerSecond: tasks.length / Math.max(seconds, 1e-9),
      copiedFiles: written.copied,
      diagnostics,
    };
  } finally {
    await pending?.catch(() => undefined);
  }
}

/** "1m05s" style. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
