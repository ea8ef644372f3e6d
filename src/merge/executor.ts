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
  dtypeBytes,
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
import type { TensorMergeDiagnostics, TensorMergeInput } from "./methods/types.js";
import { type InputCheckpoint, type MergePlan, type MergeTask, streamedSum } from "./planner.js";
import { type RawInput, type StreamDType, type WeightedSum, weightedSumRaw } from "./weighted-sum.js";

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
 * Buffers recycled between tensors: reading into memory that was already touched avoids the page
 * faults and zero-filling of a fresh allocation (a large share of the time at 1024²). Holds at
 * most `max` buffers (oldest dropped first), so memory stays bounded by the plan.
 */
export class BufferPool {
  readonly #free: ArrayBuffer[] = [];
  constructor(private readonly max: number) {}
  /** A buffer of exactly `bytes` bytes (contents undefined). */
  take(bytes: number): ArrayBuffer {
    const i = this.#free.findIndex((b) => b.byteLength === bytes);
    if (i >= 0) return this.#free.splice(i, 1)[0]!;
    return new ArrayBuffer(bytes);
  }
  /** Returns buffers for reuse. */
  give(bufs: Iterable<ArrayBuffer>): void {
    for (const b of bufs) if (b.byteLength > 0 && !this.#free.includes(b)) this.#free.push(b);
    while (this.#free.length > this.max) this.#free.shift();
  }
}

/** A method's input for one task, as the executor and the report both build it. */
export function methodInput(
  config: MergeConfig,
  task: MergeTask,
  tensors: Float32Array[],
  seed: number,
  signal?: AbortSignal,
): TensorMergeInput {
  return {
    name: task.name,
    shape: task.shape,
    tensors,
    baseIndex: task.baseIndex,
    params: task.params,
    tensorParams: task.tensorParams,
    sources: task.inputs.map((i) => config.models[i.model]?.ref ?? `model ${i.model + 1}`),
    rng: (source) => new Rng(streamSeed(seed, task.name, source)),
    ...(signal ? { signal } : {}),
  };
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

/** Runs `read(i)` for every input: different checkpoints concurrently, one checkpoint's inputs in turn. */
async function eachInput(task: MergeTask, read: (i: number) => Promise<void>): Promise<void> {
  // Positional reads of different checkpoints run on libuv's threads at the same time; inputs
  // from the same checkpoint one after another, as it keeps one shard open.
  const byModel = new Map<number, number[]>();
  for (const [i, inp] of task.inputs.entries())
    byModel.set(inp.model, [...(byModel.get(inp.model) ?? []), i]);
  await Promise.all(
    [...byModel.values()].map(async (idx) => {
      for (const i of idx) await read(i);
    }),
  );
}

/** Reads a task's inputs as Float32 (each checkpoint serves one read at a time), fitted to its shape. */
export async function readTask(
  task: MergeTask,
  cks: readonly Checkpoint[],
  signal?: AbortSignal,
  pool?: BufferPool,
): Promise<Float32Array[]> {
  const raw: Float32Array[] = new Array(task.inputs.length);
  await eachInput(task, async (i) => {
    const inp = task.inputs[i]!;
    throwIfAborted(signal, inp.tensor);
    const into = pool ? new Float32Array(pool.take(numel(inp.shape) * 4)) : undefined;
    raw[i] = await cks[inp.model]!.readFloat32(inp.tensor, { signal, into });
  });
  if (task.fit === "none") return raw;
  const pad =
    task.fit === "pad-to-base" && task.padFrom !== null
      ? fitTo(raw[task.padFrom]!, task.inputs[task.padFrom]!.shape, task.shape)
      : undefined;
  return raw.map((x, i) => fitTo(x, task.inputs[i]!.shape, task.shape, i === task.padFrom ? undefined : pad));
}

/** Reads a streamed task's inputs as raw bytes (each checkpoint serves one read at a time). */
export async function readTaskRaw(
  task: MergeTask,
  cks: readonly Checkpoint[],
  signal?: AbortSignal,
  pool?: BufferPool,
): Promise<RawInput[]> {
  const raw: RawInput[] = new Array(task.inputs.length);
  await eachInput(task, async (i) => {
    const inp = task.inputs[i]!;
    throwIfAborted(signal, inp.tensor);
    const bytes = numel(inp.shape) * dtypeBytes(inp.dtype);
    const into = pool ? new Uint8Array(pool.take(bytes)) : undefined;
    const data = await cks[inp.model]!.readRaw(inp.tensor, { signal, into });
    raw[i] = { bytes: data, dtype: inp.dtype as StreamDType };
  });
  return raw;
}

/** A task's inputs as read: Float32 tensors for the method, or raw bytes for a streamed weighted sum. */
type Loaded = { kind: "float32"; data: Float32Array[] } | { kind: "raw"; sum: WeightedSum; raw: RawInput[] };

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
  let pending: Promise<Loaded> | undefined;
  // Buffers live for one task's merge (its inputs), except the one holding its output bytes: the
  // writer writes tensor k while tensor k + 1 is merged (`overlap`), so the output of task k is
  // recycled when task k + 2 starts. Alive at once: two tasks' inputs and two outputs.
  const maxInputs = Math.max(1, ...tasks.map((t) => t.inputs.length));
  const pool = new BufferPool(2 * maxInputs + 2);
  const writing: ArrayBuffer[][] = [];
  const sums = tasks.map((t) => streamedSum(method, t));
  const load = (k: number): Promise<Loaded> => {
    const sum = sums[k];
    const p: Promise<Loaded> = sum
      ? readTaskRaw(tasks[k]!, inputs.checkpoints, opts.signal, pool).then((raw) => ({
          kind: "raw",
          sum,
          raw,
        }))
      : readTask(tasks[k]!, inputs.checkpoints, opts.signal, pool).then((data) => ({
          kind: "float32",
          data,
        }));
    p.catch(() => {}); // awaited later; avoid an unhandled rejection if the merge stops first
    return p;
  };
  /** Merges one task; returns its output bytes and the buffer holding them. */
  const mergeTask = (task: MergeTask, loaded: Loaded): { bytes: Uint8Array; holds: ArrayBuffer } => {
    if (loaded.kind === "raw") {
      // Streamed: raw input bytes → weighted sum → encoded output, chunk by chunk.
      const out = pool.take(numel(task.shape) * dtypeBytes(task.dtype));
      const bytes = weightedSumRaw(loaded.raw, loaded.sum, task.dtype, new Uint8Array(out));
      pool.give(loaded.raw.map((r) => r.bytes.buffer as ArrayBuffer));
      return { bytes, holds: out };
    }
    const data = loaded.data;
    const r = method.merge(methodInput(config, task, data, seed, opts.signal));
    if (r.diagnostics && Object.keys(r.diagnostics).length > 0) {
      diagnostics.push({ name: task.name, diagnostics: r.diagnostics });
      opts.onTensor?.(task.name, r.diagnostics);
    }
    const holds = r.data.buffer as ArrayBuffer;
    const bytes = encodeInPlace(r.data, task.dtype);
    pool.give(data.map((x) => x.buffer as ArrayBuffer).filter((b) => b !== holds));
    return { bytes, holds };
  };
  const sources: TensorSource[] = tasks.map((task, k) => ({
    name: task.name,
    dtype: task.dtype,
    shape: task.shape,
    bytes: async () => {
      throwIfAborted(opts.signal, task.name);
      // The writer has finished tensor k − 2 (it may still be writing k − 1).
      if (writing.length >= 2) pool.give(writing.shift()!);
      const loaded = await (pending ?? load(k));
      pending = k + 1 < tasks.length ? load(k + 1) : undefined;
      const { bytes, holds } = mergeTask(task, loaded);
      writing.push([holds]);
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
      overlap: true,
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
