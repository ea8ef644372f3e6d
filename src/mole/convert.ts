/**
 * `frugal mole convert`: executor and writer. The output is a Hugging Face folder written by
 * `writeCheckpointShards`: first the copied tensors (bytes unchanged, sharded by size), then one
 * shard per task (layer × kind) whose latents are computed when the writer reaches it, so memory
 * holds one task's working set and latents at a time. mole_config.json is written last, from
 * the records the tasks produced; config.json and the tokenizer files are copied. Everything goes
 * to a temporary sibling folder renamed at the end: an error or Ctrl-C leaves no output.
 */
import { basename } from "node:path";
import { throwIfAborted } from "../errors/index.js";
import {
  type Checkpoint,
  fromFloat32,
  type LazyShard,
  openCheckpoint,
  planShards,
  type TensorSource,
  writeCheckpointShards,
} from "../tensor/index.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { type Calibration, openCalibration } from "./calibration.js";
import { finishGroup, type GroupBasis, type GroupFactors, type GroupSource } from "./factorize.js";
import {
  expertLatentName,
  fusedLatentName,
  MOLE_FORMAT,
  type MoleConfig,
  type MoleKindRecord,
  type MoleLayerRecord,
  sharedLatentName,
} from "./format.js";
import { type MoeLayout, resolveLayout } from "./layout.js";
import { factorizationMethods } from "./methods.js";
import {
  type ConversionPlan,
  type ConvertOptions,
  type ConvertTask,
  latentParams,
  planConversion,
  resolveOptions,
} from "./plan.js";
import { rankRules } from "./rank-rules.js";
import { spectrumSample } from "./spectrum.js";
import { type Whitening, whitening } from "./whitening.js";

/** Conversion options plus how to run it: overwrite, dry run, abort signal, progress. */
export interface ConvertRunOptions extends ConvertOptions {
  /** Overwrite an existing output folder. */
  force?: boolean;
  /** Plan only: return the plan and write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** What a conversion returns (and `frugal mole convert --json` prints). */
export interface ConvertResult {
  status: "converted" | "dry-run";
  source: string;
  out: string | null;
  plan: ConversionPlan;
  config: MoleConfig | null;
  shards: number;
  seconds: number;
  versions: { frugal: string };
}

/** Reads expert matrix `m` of the source as a p×d (or d×p) matrix. */
function groupSource(
  ck: Checkpoint,
  layout: MoeLayout,
  task: ConvertTask,
  experts: readonly number[],
  signal?: AbortSignal,
): GroupSource {
  const L = layout.layers.find((l) => l.layer === task.layer)!;
  const mats = L.matrices[task.kind];
  return {
    experts,
    p: task.p,
    d: task.d,
    transposed: task.kind === "down",
    async read(e, into) {
      const m = mats[e]!;
      const data = await ck.readFloat32Range(m.tensor, m.start, m.rows * m.cols, { into, signal });
      return { rows: m.rows, cols: m.cols, data };
    },
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`;
}

/** Converts an MoE checkpoint folder to MoLE (or, with dryRun, returns the plan). */
export async function convertCheckpoint(
  src: string,
  out: string,
  opts: ConvertRunOptions = {},
): Promise<ConvertResult> {
  const t0 = performance.now();
  const options = resolveOptions(opts);
  const ck = await openCheckpoint(src, { signal: opts.signal });
  let calibration: Calibration | undefined;
  try {
    const layout = resolveLayout(ck);
    const plan = planConversion(layout, ck.tensors, options);
    if (opts.dryRun)
      return {
        status: "dry-run",
        source: src,
        out: null,
        plan,
        config: null,
        shards: 0,
        seconds: (performance.now() - t0) / 1000,
        versions: { frugal: frugalVersion() },
      };
    if (options.calibration) {
      calibration = await openCalibration(options.calibration);
      for (const t of plan.tasks) if (t.calibrated) calibration.tokens(t.layer); // every layer present, up front
    }
    const rule = rankRules.get(options.rankRule.name);
    const method = factorizationMethods.get(options.method.name);
    const copyPlan = planShards(plan.copied, options.maxShardBytes);
    const byName = new Map(plan.copied.map((t) => [t.name, t]));
    const copyShards: LazyShard[] = copyPlan.shards.map((s) => ({
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
    const layerRecords = new Map<number, MoleLayerRecord>();
    for (const L of layout.layers) {
      const groups = plan.tasks.find((t) => t.layer === L.layer)?.groups;
      if (groups)
        layerRecords.set(L.layer, {
          layer: L.layer,
          block: L.block,
          experts: L.experts,
          intermediate: L.intermediate,
          groups,
          kinds: {},
        });
    }
    const whitenings = new Map<number, Whitening>();
    const totalFlops = plan.tasks.reduce((a, t) => a + t.flops, 0);
    let doneFlops = 0;
    const started = performance.now();
    const progress = (label: string) => {
      const elapsed = (performance.now() - started) / 1000;
      const eta = doneFlops > 0 ? (elapsed * (totalFlops - doneFlops)) / doneFlops : Number.NaN;
      opts.onProgress?.({
        label,
        done: Math.round((1000 * doneFlops) / Math.max(1, totalFlops)),
        total: 1000,
        detail: `${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}`,
      });
    };
    const runTask = async (task: ConvertTask): Promise<TensorSource[]> => {
      const L = layout.layers.find((l) => l.layer === task.layer)!;
      const where = `${src}: layer ${task.layer} ${task.kind}`;
      progress(`layer ${task.layer} ${task.kind}`);
      let w: Whitening | null = null;
      if (task.calibrated && calibration) {
        w = whitenings.get(task.layer) ?? null;
        if (!w) {
          w = whitening(
            await calibration.read(task.layer, task.d, options.calibrationTokens ?? undefined),
            options.damping,
            `${calibration.file}: layer ${task.layer}`,
          );
          whitenings.clear();
          whitenings.set(task.layer, w);
        }
      }
      const basisOf = (g: number[]) =>
        method.basis(groupSource(ck, layout, task, g, opts.signal), options.method.params, {
          whitening: w,
          signal: opts.signal,
          where,
          rank: task.rank ?? undefined,
        });
      let rank = task.rank;
      const factors: GroupFactors[] = [];
      const spectra: GroupBasis["spectrum"][] = [];
      if (rank === null) {
        const bases: GroupBasis[] = [];
        for (const g of task.groups) bases.push(await basisOf(g));
        rank = rule.choose(options.rankRule.params, {
          groupSizes: task.groups.map((g) => g.length),
          p: task.p,
          d: task.d,
          spectra: bases.map((b) => b.spectrum),
          where,
        });
        for (const b of bases.splice(0)) {
          spectra.push(b.spectrum);
          factors.push(
            await finishGroup(b, Math.min(rank, b.spectrum.length), task.dtype, {
              signal: opts.signal,
              where,
            }),
          );
        }
      } else {
        for (const g of task.groups) {
          const b = await basisOf(g);
          spectra.push(b.spectrum);
          factors.push(await finishGroup(b, rank, task.dtype, { signal: opts.signal, where }));
        }
      }
      throwIfAborted(opts.signal, src);
      // Tensors of this task, latents converted to the stored dtype now (halves what is held).
      const tensors: TensorSource[] = [];
      const put = (name: string, shape: number[], data: Float32Array) => {
        const bytes = fromFloat32(data, task.dtype);
        tensors.push({ name, dtype: task.dtype, shape, bytes: () => bytes });
      };
      const r = rank;
      for (const [g, f] of factors.entries()) {
        if (task.kind === "down") {
          const C = new Float32Array(task.d * r);
          for (let i = 0; i < r; i++)
            for (let j = 0; j < task.d; j++) C[j * r + i] = f.B.data[i * task.d + j]!;
          put(sharedLatentName(L.block, task.kind, g), [task.d, r], C);
        } else put(sharedLatentName(L.block, task.kind, g), [r, task.d], f.B.data);
      }
      const latentShape = task.kind === "down" ? [r, task.p] : [task.p, r];
      if (layout.storage === "fused") {
        const all = new Float32Array(L.experts * task.p * r);
        for (const [g, f] of factors.entries())
          for (const [i, e] of task.groups[g]!.entries()) all.set(f.latents[i]!.data, e * task.p * r);
        put(fusedLatentName(L.block, task.kind), [L.experts, ...latentShape], all);
      } else {
        for (const [g, f] of factors.entries())
          for (const [i, e] of task.groups[g]!.entries())
            put(expertLatentName(L.matrices[task.kind][e]!.tensor), latentShape, f.latents[i]!.data);
      }
      let errSq = 0;
      let normSq = 0;
      const groups = factors.map((f, g) => {
        const members = task.groups[g]!;
        errSq += f.errorSquared;
        normSq += f.normSquared;
        return {
          group: g,
          experts: members,
          relativeError: f.relativeError,
          predictedRelativeError: f.predictedRelativeError,
          energy: f.energy,
          spectrum: spectrumSample(spectra[g]!),
        };
      });
      const record: MoleKindRecord = {
        rank: r,
        sourceDtype: task.sourceDtype,
        dtype: task.dtype,
        paramsBefore: task.paramsBefore,
        paramsAfter: latentParams(task.groups, task.p, task.d, r),
        relativeError: normSq === 0 ? 0 : Math.sqrt(errSq / normSq),
        calibrated: task.calibrated,
        groups,
      };
      layerRecords.get(task.layer)!.kinds[task.kind] = record;
      doneFlops += task.flops;
      progress(`layer ${task.layer} ${task.kind} r=${r} err=${record.relativeError.toPrecision(3)}`);
      return tensors;
    };
    const latentShards: LazyShard[] = plan.tasks.map((task) => ({ tensors: () => runTask(task) }));
    const buildConfig = (): MoleConfig => {
      const layers = [...layerRecords.values()];
      const convertedAfter = layers.reduce(
        (a, l) => a + Object.values(l.kinds).reduce((b, k) => b + (k?.paramsAfter ?? 0), 0),
        0,
      );
      const fusedSpec =
        layout.storage === "fused"
          ? {
              gateUp: layout.layers[0]!.matrices.gate[0]!.tensor.replace(/layers\.\d+\./, "layers.{L}."),
              down: layout.layers[0]!.matrices.down[0]!.tensor.replace(/layers\.\d+\./, "layers.{L}."),
            }
          : null;
      return {
        format: MOLE_FORMAT.format,
        version: MOLE_FORMAT.version,
        source: {
          architecture: layout.architecture,
          family: layout.family,
          storage: layout.storage,
          modelType: layout.modelType,
          hidden: layout.hidden,
          experts: layout.experts,
          expertTemplate: layout.expertTemplate,
          projections: layout.projections,
          fusedTensors: fusedSpec,
        },
        names: {
          sharedLatent: MOLE_FORMAT.sharedLatent,
          expertLatent: MOLE_FORMAT.expertLatent,
          fusedLatent: MOLE_FORMAT.fusedLatent,
        },
        options: {
          rankRule: options.rankRule,
          groupSize: options.groupSize,
          kinds: options.kinds,
          method: options.method,
          calibration:
            options.calibration && calibration
              ? {
                  file: basename(options.calibration),
                  tokens: Math.min(
                    ...plan.tasks.filter((t) => t.calibrated).map((t) => calibration!.tokens(t.layer)),
                    options.calibrationTokens ?? Number.POSITIVE_INFINITY,
                  ),
                  damping: options.damping,
                }
              : null,
          dtype: options.dtype,
        },
        layers,
        totals: {
          expertParamsBefore: plan.params.experts,
          expertParamsAfter: plan.params.experts - plan.params.convertedBefore + convertedAfter,
          convertedParamsBefore: plan.params.convertedBefore,
          convertedParamsAfter: convertedAfter,
          modelParamsBefore: plan.params.model,
          modelParamsAfter: plan.params.model - plan.params.convertedBefore + convertedAfter,
        },
        versions: { frugal: frugalVersion() },
      };
    };
    let config: MoleConfig | null = null;
    const written = await writeCheckpointShards(out, [...copyShards, ...latentShards], {
      force: opts.force,
      inputs: [src],
      copyFrom: ck.path === ck.dir ? ck.dir : undefined,
      signal: opts.signal,
      extraFiles: () => {
        config = buildConfig();
        return { [MOLE_FORMAT.configFile]: `${JSON.stringify(config, null, 2)}\n` };
      },
    });
    return {
      status: "converted",
      source: src,
      out,
      plan,
      config,
      shards: written.plan.shards.length,
      seconds: (performance.now() - t0) / 1000,
      versions: { frugal: frugalVersion() },
    };
  } finally {
    await calibration?.close();
    await ck.close();
  }
}
