/**
 * Generated fine-tunes with a planted truth, for the demo, tests and benchmarks: a small
 * Llama-style checkpoint θ0 and n models θ_i = θ0 + δ_i + E_i where every weight matrix's task
 * vector δ_i has rank r (the LoRE paper's premise) and E_i is Gaussian noise. Norm weights get
 * dense small task vectors. Everything is reproducible from the seed.
 */
import { join } from "node:path";
import {
  float32Source,
  type Matrix,
  randn,
  type TensorSource,
  type WritableDType,
  writeCheckpoint,
} from "../tensor/index.js";
import { Rng } from "../util/random.js";

/** Shape and strength of the planted fine-tunes. */
export interface PlantedOptions {
  /** Fine-tuned models (default 3). */
  models?: number;
  layers?: number;
  hidden?: number;
  intermediate?: number;
  vocab?: number;
  /** Rank of each matrix's task vector (default 4). */
  rank?: number;
  /** ‖δ_i‖_F / ‖θ0‖_F per matrix (default 0.3). */
  deltaScale?: number;
  /** Noise entry std as a fraction of θ0's entry std (default 0.05). */
  noise?: number;
  seed?: number;
  dtype?: WritableDType;
  /** Only these tensor kinds (default all): e.g. ["q_proj"] for a smaller model. */
  only?: string[];
}

/** One generated tensor and its truth. */
export interface PlantedTensor {
  name: string;
  shape: number[];
  theta0: Float32Array;
  /** Task vectors δ_i (without noise), one per model. */
  deltas: Float32Array[];
  /** The models' tensors θ_i = θ0 + δ_i + E_i. */
  models: Float32Array[];
}

/** Tensor names and shapes of a Llama-style decoder. */
export function llamaTensorShapes(
  o: Required<Pick<PlantedOptions, "layers" | "hidden" | "intermediate" | "vocab">>,
): {
  name: string;
  shape: number[];
}[] {
  const d = o.hidden;
  const p = o.intermediate;
  const out: { name: string; shape: number[] }[] = [
    { name: "model.embed_tokens.weight", shape: [o.vocab, d] },
  ];
  for (let l = 0; l < o.layers; l++) {
    const pre = `model.layers.${l}`;
    out.push(
      { name: `${pre}.input_layernorm.weight`, shape: [d] },
      { name: `${pre}.self_attn.q_proj.weight`, shape: [d, d] },
      { name: `${pre}.self_attn.k_proj.weight`, shape: [d, d] },
      { name: `${pre}.self_attn.v_proj.weight`, shape: [d, d] },
      { name: `${pre}.self_attn.o_proj.weight`, shape: [d, d] },
      { name: `${pre}.post_attention_layernorm.weight`, shape: [d] },
      { name: `${pre}.mlp.gate_proj.weight`, shape: [p, d] },
      { name: `${pre}.mlp.up_proj.weight`, shape: [p, d] },
      { name: `${pre}.mlp.down_proj.weight`, shape: [d, p] },
    );
  }
  out.push({ name: "model.norm.weight", shape: [d] }, { name: "lm_head.weight", shape: [o.vocab, d] });
  return out;
}

function lowRank(rows: number, cols: number, rank: number, seed: number): Float32Array {
  const U = randn(rows, rank, seed);
  const V = randn(rank, cols, seed + 1);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let k = 0; k < rank; k++) {
      const u = U.data[i * rank + k]!;
      const o = k * cols;
      for (let j = 0; j < cols; j++) out[i * cols + j] = out[i * cols + j]! + u * V.data[o + j]!;
    }
  return out;
}

function norm(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s);
}

/** Generates the tensors (in memory) with their truth. */
export function plantedTensors(opts: PlantedOptions = {}): PlantedTensor[] {
  const n = opts.models ?? 3;
  const shapes = llamaTensorShapes({
    layers: opts.layers ?? 2,
    hidden: opts.hidden ?? 64,
    intermediate: opts.intermediate ?? 128,
    vocab: opts.vocab ?? 256,
  }).filter((t) => !opts.only || opts.only.some((k) => t.name.includes(k)));
  const rank = opts.rank ?? 4;
  const deltaScale = opts.deltaScale ?? 0.3;
  const noise = opts.noise ?? 0.05;
  const rng = new Rng(opts.seed ?? 1);
  const seed = () => Math.floor(rng.next() * 2 ** 30);
  return shapes.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const isMatrix = shape.length === 2;
    const theta0 = isMatrix
      ? randn(shape[0]!, shape[1]!, seed()).data.map((v) => v * 0.02)
      : new Float32Array(size).map(() => 1 + 0.1 * rng.normal());
    const t0n = norm(theta0);
    const deltas: Float32Array[] = [];
    const models: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const raw = isMatrix
        ? lowRank(shape[0]!, shape[1]!, Math.min(rank, ...shape), seed())
        : new Float32Array(size).map(() => rng.normal());
      const s = (deltaScale * t0n) / (norm(raw) || 1);
      const delta = raw.map((v) => v * s);
      const std = isMatrix ? 0.02 : 0.1;
      const e: Matrix = randn(1, size, seed());
      const model = new Float32Array(size);
      for (let j = 0; j < size; j++) model[j] = theta0[j]! + delta[j]! + noise * std * e.data[j]!;
      deltas.push(delta);
      models.push(model);
    }
    return { name, shape, theta0, deltas, models };
  });
}

/** A Llama-style config.json for the generated shapes. */
export function plantedConfig(opts: PlantedOptions = {}): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: opts.hidden ?? 64,
    intermediate_size: opts.intermediate ?? 128,
    num_hidden_layers: opts.layers ?? 2,
    vocab_size: opts.vocab ?? 256,
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[opts.dtype ?? "F32"],
  };
}

/** Where `writePlantedCheckpoints` put things. */
export interface PlantedCheckpoints {
  /** θ0 as a checkpoint folder. */
  base: string;
  /** The fine-tuned folders. */
  models: string[];
  tensors: PlantedTensor[];
}

/**
 * Writes θ0 (`base/`) and the models (`model-1/` …) as Hugging Face folders under `dir`, each
 * with config.json and a tiny tokenizer_config.json, sharded at `maxShardBytes`.
 */
export async function writePlantedCheckpoints(
  dir: string,
  opts: PlantedOptions & { maxShardBytes?: number; signal?: AbortSignal } = {},
): Promise<PlantedCheckpoints> {
  const tensors = plantedTensors(opts);
  const dtype = opts.dtype ?? "F32";
  const config = plantedConfig(opts);
  const write = async (folder: string, pick: (t: PlantedTensor) => Float32Array) => {
    const sources: TensorSource[] = tensors.map((t) => float32Source(t.name, t.shape, pick(t), dtype));
    await writeCheckpoint(folder, sources, {
      config,
      maxShardBytes: opts.maxShardBytes,
      signal: opts.signal,
      extraFiles: {
        "tokenizer_config.json": `${JSON.stringify({ model_max_length: 2048, origin: folder.split("/").pop() })}\n`,
      },
    });
  };
  const base = join(dir, "base");
  await write(base, (t) => t.theta0);
  const models: string[] = [];
  for (let i = 0; i < (opts.models ?? 3); i++) {
    const m = join(dir, `model-${i + 1}`);
    await write(m, (t) => t.models[i]!);
    models.push(m);
  }
  return { base, models, tensors };
}
