/** Test fixtures for the tensor engine, generated at test time. */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { float32Source, randn, type TensorSource, type WritableDType } from "../../src/tensor/index.js";

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "frugal-tensor-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function hasNumpy(): boolean {
  const r = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
  return r.status === 0;
}

export function python(code: string, args: string[] = []): string {
  const r = spawnSync("python3", ["-c", code, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

/** Builds a safetensors file by hand: header object + concatenated data, padded to 8 like the format says. */
export function rawSafetensors(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  pad = true,
): Uint8Array {
  let json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  if (pad && json.length % 8 !== 0) {
    const p = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export type Layout = "mixtral" | "qwen2_moe" | "deepseek_moe" | "dense" | "fused";

/** Tensors of a tiny decoder in one of the naming layouts (random values, F32/BF16). */
export function tinyModel(
  layout: Layout,
  opts: { layers?: number; experts?: number; d?: number; p?: number; dtype?: WritableDType } = {},
): {
  tensors: TensorSource[];
  config: Record<string, unknown>;
} {
  const L = opts.layers ?? 2;
  const E = opts.experts ?? 4;
  const d = opts.d ?? 16;
  const p = opts.p ?? 8;
  const dtype = opts.dtype ?? "F32";
  let seed = 1;
  const t: TensorSource[] = [];
  const add = (name: string, shape: number[]) =>
    t.push(
      float32Source(
        name,
        shape,
        randn(
          shape.reduce((a, b) => a * b, 1),
          1,
          seed++,
        ).data,
        dtype,
      ),
    );
  add("model.embed_tokens.weight", [32, d]);
  for (let l = 0; l < L; l++) {
    add(`model.layers.${l}.self_attn.q_proj.weight`, [d, d]);
    add(`model.layers.${l}.input_layernorm.weight`, [d]);
    if (layout === "mixtral") {
      add(`model.layers.${l}.block_sparse_moe.gate.weight`, [E, d]);
      for (let e = 0; e < E; e++) {
        add(`model.layers.${l}.block_sparse_moe.experts.${e}.w1.weight`, [p, d]);
        add(`model.layers.${l}.block_sparse_moe.experts.${e}.w2.weight`, [d, p]);
        add(`model.layers.${l}.block_sparse_moe.experts.${e}.w3.weight`, [p, d]);
      }
    } else if (layout === "qwen2_moe" || layout === "deepseek_moe") {
      if (layout === "deepseek_moe" && l === 0) {
        for (const [n, s] of [
          ["gate_proj", [p, d]],
          ["up_proj", [p, d]],
          ["down_proj", [d, p]],
        ] as const)
          add(`model.layers.0.mlp.${n}.weight`, [...s]);
        continue;
      }
      add(`model.layers.${l}.mlp.gate.weight`, [E, d]);
      for (let e = 0; e < E; e++) {
        add(`model.layers.${l}.mlp.experts.${e}.gate_proj.weight`, [p, d]);
        add(`model.layers.${l}.mlp.experts.${e}.up_proj.weight`, [p, d]);
        add(`model.layers.${l}.mlp.experts.${e}.down_proj.weight`, [d, p]);
      }
      const shared = layout === "qwen2_moe" ? "shared_expert" : "shared_experts";
      add(`model.layers.${l}.mlp.${shared}.gate_proj.weight`, [2 * p, d]);
      add(`model.layers.${l}.mlp.${shared}.up_proj.weight`, [2 * p, d]);
      add(`model.layers.${l}.mlp.${shared}.down_proj.weight`, [d, 2 * p]);
      if (layout === "qwen2_moe") add(`model.layers.${l}.mlp.shared_expert_gate.weight`, [1, d]);
    } else if (layout === "fused") {
      add(`model.layers.${l}.mlp.gate.weight`, [E, d]);
      add(`model.layers.${l}.mlp.experts.gate_up_proj`, [E, 2 * p, d]);
      add(`model.layers.${l}.mlp.experts.down_proj`, [E, d, p]);
    } else {
      add(`model.layers.${l}.mlp.gate_proj.weight`, [p, d]);
      add(`model.layers.${l}.mlp.up_proj.weight`, [p, d]);
      add(`model.layers.${l}.mlp.down_proj.weight`, [d, p]);
    }
  }
  add("lm_head.weight", [32, d]);
  const modelType = {
    mixtral: "mixtral",
    qwen2_moe: "qwen2_moe",
    deepseek_moe: "deepseek",
    dense: "llama",
    fused: "some_new_moe",
  }[layout];
  return { tensors: t, config: { model_type: modelType, hidden_size: d, num_hidden_layers: L } };
}
