/**
 * `frugal mole report SRC MOLE`: per layer and kind the rank, the parameters before and after and
 * the relative Frobenius error ‖W − A B‖_F / ‖W‖_F (as recorded at conversion, or measured again
 * with `verify`), and per layer the MoE block's output error ‖y_MoLE − y‖_F / ‖y‖_F on hidden
 * states routed by the checkpoint's own router: random Gaussian states scaled by the layer's
 * post-attention RMSNorm weight when it has one, or the calibration inputs. Both forward passes
 * are the ones in forward.ts (the MoLE one through the latent space).
 */
import { InputError, throwIfAborted } from "../errors/index.js";
import { type Checkpoint, type Matrix, matmul, openCheckpoint, randn } from "../tensor/index.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { openCalibration } from "./calibration.js";
import type { MoleConfig } from "./format.js";
import { type DenseExpert, moeForward, moleForward, type SharedExpert } from "./forward.js";
import { KINDS, type Kind, type MoeLayer, resolveLayout } from "./layout.js";
import { openMole } from "./mole-checkpoint.js";
import { route, routingSpec } from "./routing.js";

/** Options of `reportConversion`. */
export interface ReportOptions {
  /** Hidden states per layer [256]. */
  tokens?: number;
  seed?: number;
  /** A calibration file: its inputs instead of random states. */
  calibration?: string;
  /** Measure the weight errors again from the stored tensors. */
  verify?: boolean;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** One row of the report: a layer and kind. */
export interface KindRow {
  name: string;
  layer: number;
  kind: Kind;
  rank: number;
  groups: number;
  paramsBefore: number;
  paramsAfter: number;
  ratio: number;
  relativeError: number;
  /** Measured again from the tensors (with `verify`), else null. */
  verifiedRelativeError: number | null;
  calibrated: boolean;
}

/** One layer's output error. */
export interface LayerRow {
  name: string;
  layer: number;
  tokens: number;
  outputRelativeError: number;
  /** Mean cosine similarity of the per-token outputs. */
  outputCosine: number;
}

/** What `reportConversion` returns (and `frugal mole report --json` prints). */
export interface MoleReport {
  source: string;
  mole: string;
  architecture: string;
  inputs: "random" | "calibration";
  routing: ReturnType<typeof routingSpec>;
  kinds: KindRow[];
  layers: LayerRow[];
  totals: MoleConfig["totals"] & {
    ratio: number;
    meanOutputRelativeError: number;
    maxOutputRelativeError: number;
  };
  config: MoleConfig;
  seconds: number;
  versions: { frugal: string };
}

async function readMatrix(ck: Checkpoint, name: string): Promise<Matrix> {
  const t = ck.info(name);
  const cols = t.shape[t.shape.length - 1] ?? 1;
  const data = await ck.readFloat32(name);
  return { rows: data.length / cols, cols, data };
}

async function sharedExpert(ck: Checkpoint, L: MoeLayer): Promise<SharedExpert | null> {
  if (!L.shared) return null;
  return {
    gate: await readMatrix(ck, L.shared.gate),
    up: await readMatrix(ck, L.shared.up),
    down: await readMatrix(ck, L.shared.down),
    gateVector: L.sharedGate ? await readMatrix(ck, L.sharedGate) : null,
  };
}

/** Hidden states for layer L: calibration inputs, or N(0, 1) scaled by the layer's RMSNorm weight. */
async function hiddenStates(
  ck: Checkpoint,
  layer: number,
  d: number,
  n: number,
  seed: number,
): Promise<Matrix> {
  const X = randn(n, d, seed * 7919 + layer + 1);
  const norm = `model.layers.${layer}.post_attention_layernorm.weight`;
  if (ck.has(norm) && ck.info(norm).shape.length === 1 && ck.info(norm).shape[0] === d) {
    const w = await ck.readFloat32(norm);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X.data[i * d + j]! *= w[j]!;
  }
  return X;
}

function compare(Y: Matrix, Z: Matrix): { rel: number; cos: number } {
  let num = 0;
  let den = 0;
  let cos = 0;
  for (let t = 0; t < Y.rows; t++) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let j = 0; j < Y.cols; j++) {
      const y = Y.data[t * Y.cols + j]!;
      const z = Z.data[t * Y.cols + j]!;
      num += (y - z) ** 2;
      den += y * y;
      dot += y * z;
      a += y * y;
      b += z * z;
    }
    cos += a === 0 || b === 0 ? 1 : dot / Math.sqrt(a * b);
  }
  return { rel: den === 0 ? 0 : Math.sqrt(num / den), cos: cos / Math.max(1, Y.rows) };
}

/** Compares a MoLE checkpoint with its source. */
export async function reportConversion(
  src: string,
  molePath: string,
  opts: ReportOptions = {},
): Promise<MoleReport> {
  const t0 = performance.now();
  const n = opts.tokens ?? 256;
  const ck = await openCheckpoint(src, { signal: opts.signal });
  const mole = await openMole(molePath, { signal: opts.signal });
  const calibration = opts.calibration ? await openCalibration(opts.calibration) : undefined;
  try {
    const layout = resolveLayout(ck);
    const cfg = mole.config;
    if (cfg.source.architecture !== layout.architecture || cfg.source.hidden !== layout.hidden)
      throw new InputError({
        where: molePath,
        what: `was converted from a ${cfg.source.architecture} model with d=${cfg.source.hidden}, but ${src} is ${layout.architecture} with d=${layout.hidden}`,
        hint: "give the checkpoint the MoLE folder was converted from",
      });
    const spec = routingSpec(layout);
    const kinds: KindRow[] = [];
    const layers: LayerRow[] = [];
    for (const [i, rec] of cfg.layers.entries()) {
      throwIfAborted(opts.signal, "mole report");
      opts.onProgress?.({ label: `layer ${rec.layer}`, done: i, total: cfg.layers.length });
      const L = layout.layers.find((l) => l.layer === rec.layer);
      if (!L || L.experts !== rec.experts || L.intermediate !== rec.intermediate)
        throw new InputError({
          where: `${molePath}: layer ${rec.layer}`,
          what: `does not match layer ${rec.layer} of ${src}`,
          hint: "give the checkpoint the MoLE folder was converted from",
        });
      const w = mole.layerWeights(rec);
      for (const kind of KINDS) {
        const k = rec.kinds[kind];
        if (!k) continue;
        let verified: number | null = null;
        if (opts.verify) {
          let num = 0;
          let den = 0;
          for (const [g, members] of rec.groups.entries()) {
            const shared = await w.sharedLatent(kind, g);
            for (const e of members) {
              const m = L.matrices[kind][e]!;
              const W = await ck.readFloat32Range(m.tensor, m.start, m.rows * m.cols);
              const A = await w.expertLatent(kind, e);
              const R = kind === "down" ? matmul(shared, A) : matmul(A, shared);
              for (let j = 0; j < W.length; j++) {
                num += (W[j]! - R.data[j]!) ** 2;
                den += W[j]! ** 2;
              }
            }
          }
          verified = den === 0 ? 0 : Math.sqrt(num / den);
        }
        kinds.push({
          name: `layer ${rec.layer} ${kind}`,
          layer: rec.layer,
          kind,
          rank: k.rank,
          groups: rec.groups.length,
          paramsBefore: k.paramsBefore,
          paramsAfter: k.paramsAfter,
          ratio: k.paramsAfter / k.paramsBefore,
          relativeError: k.relativeError,
          verifiedRelativeError: verified,
          calibrated: k.calibrated,
        });
      }
      const X = calibration
        ? await calibration.read(rec.layer, layout.hidden, n)
        : await hiddenStates(ck, rec.layer, layout.hidden, n, opts.seed ?? 0);
      const router = await readMatrix(ck, L.router);
      const bias = L.scoreBias ? await ck.readFloat32(L.scoreBias) : null;
      const routing = route(X, router, spec, bias);
      const shared = await sharedExpert(ck, L);
      const load = async (e: number): Promise<DenseExpert> => {
        const get = async (kind: Kind) => {
          const m = L.matrices[kind][e]!;
          return {
            rows: m.rows,
            cols: m.cols,
            data: await ck.readFloat32Range(m.tensor, m.start, m.rows * m.cols),
          };
        };
        return { gate: await get("gate"), up: await get("up"), down: await get("down") };
      };
      const Y = await moeForward(X, routing, L.experts, load, shared);
      const Z = await moleForward(X, routing, L.experts, w, shared);
      const c = compare(Y, Z);
      layers.push({
        name: `layer ${rec.layer}`,
        layer: rec.layer,
        tokens: X.rows,
        outputRelativeError: c.rel,
        outputCosine: c.cos,
      });
    }
    opts.onProgress?.({ label: "report", done: cfg.layers.length, total: cfg.layers.length });
    const errs = layers.map((l) => l.outputRelativeError);
    return {
      source: src,
      mole: molePath,
      architecture: layout.architecture,
      inputs: calibration ? "calibration" : "random",
      routing: spec,
      kinds,
      layers,
      totals: {
        ...cfg.totals,
        ratio: cfg.totals.convertedParamsAfter / Math.max(1, cfg.totals.convertedParamsBefore),
        meanOutputRelativeError: errs.reduce((a, b) => a + b, 0) / Math.max(1, errs.length),
        maxOutputRelativeError: Math.max(0, ...errs),
      },
      config: cfg,
      seconds: (performance.now() - t0) / 1000,
      versions: { frugal: frugalVersion() },
    };
  } finally {
    await calibration?.close();
    await mole.close();
    await ck.close();
  }
}
