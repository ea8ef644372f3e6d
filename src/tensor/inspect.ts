/** `frugal inspect` as a library function: a checkpoint's tensors, totals, shard layout and architecture. */
import { type DetectedArchitecture, openCheckpoint } from "./checkpoint/index.js";
import type { DType } from "./dtype.js";
import { numel } from "./safetensors/header.js";

/** What `frugal inspect` reports about a checkpoint (its `--json` output). Sizes are in bytes. */
export interface InspectReport {
  /** The path given. */
  path: string;
  /** A checkpoint folder, or one .safetensors file. */
  kind: "folder" | "file";
  /** Whether the weights are listed in model.safetensors.index.json. */
  sharded: boolean;
  /** The shard files: name, size in bytes, number of tensors. */
  shards: { file: string; bytes: number; tensors: number }[];
  /** Every tensor in shard order, then file order. */
  tensors: {
    name: string;
    dtype: DType;
    shape: number[];
    parameters: number;
    bytes: number;
    shard: string;
  }[];
  /** Counts over all tensors; `fileBytes` includes the headers, `byDtype` is sorted by bytes, largest first. */
  totals: {
    tensors: number;
    parameters: number;
    bytes: number;
    fileBytes: number;
    byDtype: { dtype: DType; tensors: number; parameters: number; bytes: number }[];
  };
  /** The detected architecture and its evidence. */
  architecture: DetectedArchitecture;
  /** What config.json says (when present): model_type and architectures. */
  config: { present: boolean; modelType: string | null; architectures: string[] };
  /** safetensors __metadata__ of the first shard. */
  metadata: Record<string, string>;
}

/** Opens the checkpoint at `path` (folder or .safetensors file), reads its headers only, and reports on it. */
export async function inspectCheckpoint(
  path: string,
  opts: { signal?: AbortSignal } = {},
): Promise<InspectReport> {
  const ck = await openCheckpoint(path, opts);
  try {
    const tensors = ck.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      parameters: numel(t.shape),
      bytes: t.end - t.begin,
      shard: t.shard,
    }));
    const by = new Map<DType, { dtype: DType; tensors: number; parameters: number; bytes: number }>();
    for (const t of tensors) {
      const e = by.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, parameters: 0, bytes: 0 };
      e.tensors++;
      e.parameters += t.parameters;
      e.bytes += t.bytes;
      by.set(t.dtype, e);
    }
    const c = (ck.config ?? {}) as Record<string, unknown>;
    return {
      path,
      kind:
        ck.shards.length === 1 && !ck.sharded && ck.config === undefined && path.endsWith(".safetensors")
          ? "file"
          : "folder",
      sharded: ck.sharded,
      shards: ck.shards.map((s) => ({ file: s.file, bytes: s.bytes, tensors: s.tensors })),
      tensors,
      totals: {
        tensors: tensors.length,
        parameters: tensors.reduce((a, t) => a + t.parameters, 0),
        bytes: tensors.reduce((a, t) => a + t.bytes, 0),
        fileBytes: ck.shards.reduce((a, s) => a + s.bytes, 0),
        byDtype: [...by.values()].sort((a, b) => b.bytes - a.bytes),
      },
      architecture: ck.architecture(),
      config: {
        present: ck.config !== undefined,
        modelType: typeof c.model_type === "string" ? c.model_type : null,
        architectures: Array.isArray(c.architectures)
          ? c.architectures.filter((x): x is string => typeof x === "string")
          : [],
      },
      metadata: ck.shards[0]?.metadata ?? {},
    };
  } finally {
    await ck.close();
  }
}
