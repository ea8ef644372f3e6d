/**
 * Reading a MoLE checkpoint: mole_config.json validated against its schema, and the layer
 * weights (shared latents, per-expert latents, the unconverted dense matrices) loaded on demand,
 * each checked against the shape the config implies.
 */
import { join } from "node:path";
import { InputError, parseWith } from "../errors/index.js";
import { type Checkpoint, fillTemplate, type Matrix, openCheckpoint } from "../tensor/index.js";
import { isDirectory, readStructured } from "../util/files.js";
import { MoleFormatError } from "./errors.js";
import {
  expertLatentName,
  fusedLatentName,
  MOLE_FORMAT,
  type MoleConfig,
  MoleConfigSchema,
  type MoleLayerRecord,
  sharedLatentName,
} from "./format.js";
import type { MoleLayerWeights } from "./forward.js";
import type { Kind } from "./layout.js";

/** An open MoLE checkpoint. */
export interface MoleCheckpoint {
  path: string;
  ck: Checkpoint;
  config: MoleConfig;
  /** The source tensor an expert matrix came from, and the element range of the expert in it. */
  sourceMatrix(
    layer: number,
    kind: Kind,
    expert: number,
  ): { tensor: string; start: number; rows: number; cols: number };
  /** Loads a layer's weights for the MoLE forward pass. */
  layerWeights(layer: MoleLayerRecord): MoleLayerWeights;
  close(): Promise<void>;
}

/** Opens a MoLE checkpoint folder written by `convertCheckpoint`. */
export async function openMole(path: string, opts: { signal?: AbortSignal } = {}): Promise<MoleCheckpoint> {
  const file = join(path, MOLE_FORMAT.configFile);
  if (!(await isDirectory(path)))
    throw new InputError({
      where: path,
      what: "is not a folder",
      hint: "give the folder `frugal mole convert` wrote",
    });
  let raw: unknown;
  try {
    raw = await readStructured(file);
  } catch (e) {
    throw new MoleFormatError({
      where: file,
      what: "cannot be read (is this a MoLE checkpoint?)",
      hint: "give the folder `frugal mole convert` wrote; it has a mole_config.json",
      cause: e,
    });
  }
  const config = parseWith(
    MoleConfigSchema,
    raw,
    file,
    "the file must be a mole_config.json written by frugal mole convert",
  );
  const ck = await openCheckpoint(path, opts);
  const d = config.source.hidden;
  const fill = (t: string, v: Record<string, string | number>) =>
    t.replace(/\{(\w+)\}/g, (m, k: string) => (k in v ? String(v[k]) : m));
  const read = async (name: string, shape: number[]): Promise<Matrix> => {
    if (!ck.has(name))
      throw new MoleFormatError({
        where: `${path}: tensor ${JSON.stringify(name)}`,
        what: "is missing",
        hint: "the MoLE checkpoint is incomplete; convert again",
      });
    const t = ck.info(name);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))
      throw new MoleFormatError({
        where: `${path}: tensor ${JSON.stringify(name)}`,
        what: `has shape [${t.shape.join(", ")}], mole_config.json implies [${shape.join(", ")}]`,
        hint: "the MoLE checkpoint is inconsistent; convert again",
      });
    return {
      rows: shape.length === 3 ? shape[0]! * shape[1]! : shape[0]!,
      cols: shape[shape.length - 1]!,
      data: await ck.readFloat32(name),
    };
  };
  const sourceMatrix = (layer: number, kind: Kind, expert: number) => {
    const rec = config.layers.find((l) => l.layer === layer)!;
    const p = rec.intermediate;
    const [rows, cols] = kind === "down" ? [d, p] : [p, d];
    if (config.source.storage === "fused") {
      const ft = config.source.fusedTensors!;
      if (kind === "down") return { tensor: fill(ft.down, { L: layer }), start: expert * d * p, rows, cols };
      return {
        tensor: fill(ft.gateUp, { L: layer }),
        start: expert * 2 * p * d + (kind === "up" ? p * d : 0),
        rows,
        cols,
      };
    }
    return {
      tensor: fillTemplate(config.source.expertTemplate, {
        L: layer,
        E: expert,
        P: config.source.projections[kind]!,
      }),
      start: 0,
      rows,
      cols,
    };
  };
  const layerWeights = (rec: MoleLayerRecord): MoleLayerWeights => {
    const groupOf = new Map<number, number>();
    for (const [g, members] of rec.groups.entries()) for (const e of members) groupOf.set(e, g);
    const p = rec.intermediate;
    const fusedCache = new Map<Kind, Matrix>();
    return {
      groups: rec.groups,
      latent: { gate: !!rec.kinds.gate, up: !!rec.kinds.up, down: !!rec.kinds.down },
      sharedLatent(kind, g) {
        const r = rec.kinds[kind]!.rank;
        return read(sharedLatentName(rec.block, kind, g), kind === "down" ? [d, r] : [r, d]);
      },
      async expertLatent(kind, e) {
        const r = rec.kinds[kind]!.rank;
        const shape = kind === "down" ? [r, p] : [p, r];
        if (config.source.storage === "fused") {
          let all = fusedCache.get(kind);
          if (!all) {
            all = await read(fusedLatentName(rec.block, kind), [rec.experts, ...shape]);
            fusedCache.clear();
            fusedCache.set(kind, all);
          }
          const n = shape[0]! * shape[1]!;
          return { rows: shape[0]!, cols: shape[1]!, data: all.data.subarray(e * n, (e + 1) * n) };
        }
        return read(expertLatentName(sourceMatrix(rec.layer, kind, e).tensor), shape);
      },
      async expertDense(kind, e) {
        const m = sourceMatrix(rec.layer, kind, e);
        if (!ck.has(m.tensor))
          throw new MoleFormatError({
            where: `${path}: tensor ${JSON.stringify(m.tensor)}`,
            what: "is missing",
            hint: "the MoLE checkpoint is incomplete; convert again",
          });
        return {
          rows: m.rows,
          cols: m.cols,
          data: await ck.readFloat32Range(m.tensor, m.start, m.rows * m.cols),
        };
      },
    };
  };
  return { path, ck, config, sourceMatrix, layerWeights, close: () => ck.close() };
}
