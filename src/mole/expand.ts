/**
 * `frugal mole expand`: multiplies a MoLE checkpoint back to its source layout, W^i = A^i B_g
 * (gate/up) or C_g A^i (down), with the source's tensor names, shapes and dtypes, so any engine
 * that loads the source model loads the result unchanged. Every other tensor is copied byte for
 * byte. Tensors are produced one at a time when the writer reaches them (memory: one expert
 * matrix and the group's shared latent), into a temporary folder renamed at the end.
 */
import { InputError } from "../errors/index.js";
import {
  type DType,
  fromFloat32,
  type LazyShard,
  type Matrix,
  matmul,
  planShards,
  type TensorSource,
  writeCheckpointShards,
} from "../tensor/index.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { MOLE_FORMAT } from "./format.js";
import type { Kind } from "./layout.js";
import { openMole } from "./mole-checkpoint.js";

/** Options of `expandCheckpoint`. */
export interface ExpandOptions {
  force?: boolean;
  maxShardBytes?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** What `expandCheckpoint` returns (and `frugal mole expand --json` prints). */
export interface ExpandResult {
  source: string;
  out: string;
  /** Source tensors rebuilt from latents. */
  rebuilt: number;
  copied: number;
  shards: number;
  seconds: number;
  versions: { frugal: string };
}

function isLatent(name: string): boolean {
  return /\.latent_(gate|up|down)\.\d+\.weight$|\.latent\.weight$|\.experts\.(gate|up|down)_latent$/.test(
    name,
  );
}

/** Expands a MoLE checkpoint folder back to its source layout. */
export async function expandCheckpoint(
  src: string,
  out: string,
  opts: ExpandOptions = {},
): Promise<ExpandResult> {
  const t0 = performance.now();
  const mole = await openMole(src, { signal: opts.signal });
  try {
    const { ck, config } = mole;
    const d = config.source.hidden;
    const copied = ck.tensors.filter((t) => !isLatent(t.name));
    const copyPlan = planShards(copied, opts.maxShardBytes);
    const byName = new Map(copied.map((t) => [t.name, t]));
    const shards: LazyShard[] = copyPlan.shards.map((s) => ({
      tensors: () =>
        s.tensors.map((name): TensorSource => {
          const t = byName.get(name)!;
          return {
            name,
            dtype: t.dtype,
            shape: t.shape,
            bytes: () => ck.readRaw(name, { signal: opts.signal }),
          };
        }),
    }));
    let rebuilt = 0;
    const total = config.layers.reduce((a, l) => a + Object.keys(l.kinds).length, 0);
    let done = 0;
    for (const rec of config.layers) {
      const w = mole.layerWeights(rec);
      const p = rec.intermediate;
      const expert = async (kind: Kind, e: number): Promise<Matrix> => {
        const g = rec.groups.findIndex((members) => members.includes(e));
        const shared = await w.sharedLatent(kind, g);
        const A = await w.expertLatent(kind, e);
        return kind === "down" ? matmul(shared, A) : matmul(A, shared); // d×p or p×d
      };
      const kinds = Object.keys(rec.kinds) as Kind[];
      const dtypeOf = (kind: Kind): DType => rec.kinds[kind]!.sourceDtype;
      if (config.source.storage === "fused") {
        const tensors: (() => TensorSource)[] = [];
        if (rec.kinds.gate && rec.kinds.up) {
          const { tensor } = mole.sourceMatrix(rec.layer, "gate", 0);
          const dtype = dtypeOf("gate");
          tensors.push(() => ({
            name: tensor,
            dtype,
            shape: [rec.experts, 2 * p, d],
            bytes: async () => {
              const all = new Float32Array(rec.experts * 2 * p * d);
              for (let e = 0; e < rec.experts; e++) {
                all.set((await expert("gate", e)).data, e * 2 * p * d);
                all.set((await expert("up", e)).data, e * 2 * p * d + p * d);
              }
              return fromFloat32(all, dtype as "F32");
            },
          }));
        }
        if (rec.kinds.down) {
          const { tensor } = mole.sourceMatrix(rec.layer, "down", 0);
          const dtype = dtypeOf("down");
          tensors.push(() => ({
            name: tensor,
            dtype,
            shape: [rec.experts, d, p],
            bytes: async () => {
              const all = new Float32Array(rec.experts * d * p);
              for (let e = 0; e < rec.experts; e++) all.set((await expert("down", e)).data, e * d * p);
              return fromFloat32(all, dtype as "F32");
            },
          }));
        }
        rebuilt += tensors.length;
        shards.push({
          tensors: () => {
            done += kinds.length;
            opts.onProgress?.({ label: `layer ${rec.layer}`, done, total });
            return tensors.map((f) => f());
          },
        });
        continue;
      }
      for (const kind of kinds) {
        const dtype = dtypeOf(kind);
        const tensors = Array.from({ length: rec.experts }, (_, e): TensorSource => {
          const m = mole.sourceMatrix(rec.layer, kind, e);
          return {
            name: m.tensor,
            dtype,
            shape: [m.rows, m.cols],
            bytes: async () => fromFloat32((await expert(kind, e)).data, dtype as "F32"),
          };
        });
        rebuilt += tensors.length;
        shards.push({
          tensors: () => {
            opts.onProgress?.({ label: `layer ${rec.layer} ${kind}`, done: ++done, total });
            return tensors;
          },
        });
      }
    }
    for (const rec of config.layers)
      for (const [kind, k] of Object.entries(rec.kinds))
        if (k && !["F32", "F16", "BF16"].includes(k.sourceDtype))
          throw new InputError({
            where: `${src}: ${MOLE_FORMAT.configFile}`,
            what: `layer ${rec.layer} ${kind} has source dtype ${k.sourceDtype}`,
            hint: "only F32, F16 and BF16 are written",
          });
    const written = await writeCheckpointShards(out, shards, {
      force: opts.force,
      inputs: [src],
      copyFrom: src,
      signal: opts.signal,
    });
    return {
      source: src,
      out,
      rebuilt,
      copied: copied.length,
      shards: written.plan.shards.length,
      seconds: (performance.now() - t0) / 1000,
      versions: { frugal: frugalVersion() },
    };
  } finally {
    await mole.close();
  }
}
