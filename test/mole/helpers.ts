/** Tiny MoE checkpoints of every layout, generated at test time (several shards, F32 or BF16). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  float32Source,
  type Matrix,
  matmul,
  randn,
  type TensorSource,
  type WritableDType,
  writeCheckpoint,
} from "../../src/tensor/index.js";

export type TinyLayout = "mixtral" | "qwen2_moe" | "deepseek_moe" | "qwen3_moe" | "fused" | "deepseek_v3";

export interface TinyOptions {
  layers?: number;
  experts?: number;
  d?: number;
  p?: number;
  topK?: number;
  dtype?: WritableDType;
  /** Experts are W_e = A_e B_layer with B of this rank (exactly low rank: rank(S) ≤ latentRank), plus `noise`. */
  latentRank?: number;
  noise?: number;
  seed?: number;
  maxShardBytes?: number;
  /** Also write config.json (default true). */
  config?: boolean;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "frugal-mole-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function scale(m: Matrix, s: number): Matrix {
  for (let i = 0; i < m.data.length; i++) m.data[i]! *= s;
  return m;
}

/** The tensors and config of a tiny MoE model. */
export function tinyMoe(
  layout: TinyLayout,
  o: TinyOptions = {},
): { tensors: TensorSource[]; config: Record<string, unknown> } {
  const L = o.layers ?? 2;
  const E = o.experts ?? 4;
  const d = o.d ?? 16;
  const p = o.p ?? 8;
  const dtype = o.dtype ?? "F32";
  let seed = o.seed ?? 1;
  const tensors: TensorSource[] = [];
  const add = (name: string, m: Matrix, shape = [m.rows, m.cols]) =>
    tensors.push(float32Source(name, shape, m.data, dtype));
  const expert = (rows: number, cols: number, basis: Matrix | null, transposed: boolean): Matrix => {
    if (!basis) return scale(randn(rows, cols, seed++), 1 / Math.sqrt(cols));
    // W = A B (+ noise): B is the layer's shared r×d basis (or its transpose for down).
    const r = basis.rows;
    const A = scale(randn(transposed ? cols : rows, r, seed++), 1 / Math.sqrt(r));
    let W = matmul(A, basis); // (p × d)
    if (transposed) W = { rows: W.cols, cols: W.rows, data: transposeData(W) };
    if (o.noise) {
      const n = randn(rows, cols, seed++);
      for (let i = 0; i < W.data.length; i++) W.data[i]! += o.noise * n.data[i]!;
    }
    return W;
  };
  const family = layout === "fused" ? "qwen3_moe" : layout;
  add("model.embed_tokens.weight", scale(randn(32, d, seed++), 0.1));
  for (let l = 0; l < L; l++) {
    add(`model.layers.${l}.input_layernorm.weight`, { rows: 1, cols: d, data: new Float32Array(d).fill(1) }, [
      d,
    ]);
    add(
      `model.layers.${l}.post_attention_layernorm.weight`,
      { rows: 1, cols: d, data: new Float32Array(d).fill(1) },
      [d],
    );
    add(`model.layers.${l}.self_attn.q_proj.weight`, scale(randn(d, d, seed++), 0.1));
    const basis = o.latentRank ? scale(randn(o.latentRank, d, 7000 + l), 1 / Math.sqrt(d)) : null;
    const downBasis = o.latentRank ? scale(randn(o.latentRank, d, 8000 + l), 1 / Math.sqrt(d)) : null;
    if ((layout === "deepseek_moe" || layout === "deepseek_v3") && l === 0) {
      add("model.layers.0.mlp.gate_proj.weight", randn(2 * p, d, seed++));
      add("model.layers.0.mlp.up_proj.weight", randn(2 * p, d, seed++));
      add("model.layers.0.mlp.down_proj.weight", randn(d, 2 * p, seed++));
      continue;
    }
    const prefix = layout === "mixtral" ? `model.layers.${l}.block_sparse_moe` : `model.layers.${l}.mlp`;
    add(`${prefix}.gate.weight`, randn(E, d, seed++));
    if (layout === "deepseek_v3")
      add(`${prefix}.gate.e_score_correction_bias`, scale(randn(1, E, seed++), 0.05), [E]);
    if (layout === "fused") {
      const gu = new Float32Array(E * 2 * p * d);
      const dn = new Float32Array(E * d * p);
      for (let e = 0; e < E; e++) {
        gu.set(expert(p, d, basis, false).data, e * 2 * p * d);
        gu.set(expert(p, d, basis, false).data, e * 2 * p * d + p * d);
        dn.set(expert(d, p, downBasis, true).data, e * d * p);
      }
      tensors.push(float32Source(`${prefix}.experts.gate_up_proj`, [E, 2 * p, d], gu, dtype));
      tensors.push(float32Source(`${prefix}.experts.down_proj`, [E, d, p], dn, dtype));
    } else {
      const names =
        layout === "mixtral"
          ? { gate: "w1", up: "w3", down: "w2" }
          : { gate: "gate_proj", up: "up_proj", down: "down_proj" };
      for (let e = 0; e < E; e++) {
        add(`${prefix}.experts.${e}.${names.gate}.weight`, expert(p, d, basis, false));
        add(`${prefix}.experts.${e}.${names.down}.weight`, expert(d, p, downBasis, true));
        add(`${prefix}.experts.${e}.${names.up}.weight`, expert(p, d, basis, false));
      }
    }
    if (layout === "qwen2_moe" || layout === "deepseek_moe" || layout === "deepseek_v3") {
      const shared = layout === "qwen2_moe" ? "shared_expert" : "shared_experts";
      add(`${prefix}.${shared}.gate_proj.weight`, scale(randn(2 * p, d, seed++), 1 / Math.sqrt(d)));
      add(`${prefix}.${shared}.up_proj.weight`, scale(randn(2 * p, d, seed++), 1 / Math.sqrt(d)));
      add(`${prefix}.${shared}.down_proj.weight`, scale(randn(d, 2 * p, seed++), 1 / Math.sqrt(2 * p)));
      if (layout === "qwen2_moe") add(`${prefix}.shared_expert_gate.weight`, scale(randn(1, d, seed++), 0.3));
    }
  }
  add("model.norm.weight", { rows: 1, cols: d, data: new Float32Array(d).fill(1) }, [d]);
  add("lm_head.weight", scale(randn(32, d, seed++), 0.1));
  const topK = o.topK ?? 2;
  const base = {
    hidden_size: d,
    num_hidden_layers: L,
    num_experts_per_tok: topK,
    vocab_size: 32,
    hidden_act: "silu",
  };
  const config: Record<string, unknown> = {
    mixtral: {
      ...base,
      model_type: "mixtral",
      architectures: ["MixtralForCausalLM"],
      num_local_experts: E,
      intermediate_size: p,
    },
    qwen2_moe: {
      ...base,
      model_type: "qwen2_moe",
      architectures: ["Qwen2MoeForCausalLM"],
      num_experts: E,
      moe_intermediate_size: p,
      shared_expert_intermediate_size: 2 * p,
      norm_topk_prob: false,
    },
    qwen3_moe: {
      ...base,
      model_type: "qwen3_moe",
      architectures: ["Qwen3MoeForCausalLM"],
      num_experts: E,
      moe_intermediate_size: p,
      norm_topk_prob: true,
    },
    deepseek_moe: {
      ...base,
      model_type: "deepseek",
      architectures: ["DeepseekForCausalLM"],
      n_routed_experts: E,
      moe_intermediate_size: p,
      n_shared_experts: 2,
      first_k_dense_replace: 1,
      intermediate_size: 2 * p,
      norm_topk_prob: false,
      scoring_func: "softmax",
    },
    deepseek_v3: {
      ...base,
      model_type: "deepseek_v3",
      architectures: ["DeepseekV3ForCausalLM"],
      n_routed_experts: E,
      moe_intermediate_size: p,
      n_shared_experts: 2,
      first_k_dense_replace: 1,
      intermediate_size: 2 * p,
      norm_topk_prob: true,
      scoring_func: "sigmoid",
      topk_method: "noaux_tc",
      n_group: 2,
      topk_group: 1,
      routed_scaling_factor: 2.5,
    },
    fused: {
      ...base,
      model_type: "qwen3_moe",
      architectures: ["Qwen3MoeForCausalLM"],
      num_experts: E,
      moe_intermediate_size: p,
      norm_topk_prob: true,
    },
  }[layout] as Record<string, unknown>;
  void family;
  return { tensors, config };
}

function transposeData(m: Matrix): Float32Array {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return out;
}

/** Writes a tiny MoE checkpoint folder (several shards by default) and returns its path. */
export async function writeTinyMoe(
  dir: string,
  layout: TinyLayout,
  o: TinyOptions = {},
  name = layout,
): Promise<string> {
  const { tensors, config } = tinyMoe(layout, o);
  const out = join(dir, name);
  await writeCheckpoint(out, tensors, {
    config: o.config === false ? undefined : config,
    maxShardBytes: o.maxShardBytes ?? 4096,
  });
  return out;
}
