/**
 * Demo section: a Qwen1.5-MoE-shaped checkpoint scaled down by 32 (d = 64, p = 44, 12 experts of
 * which 4 are chosen, a shared expert with its sigmoid gate, BF16, several shards), whose experts
 * share a 16-dimensional latent space plus their own noise, is converted to MoLE at half the
 * expert parameters, reported (weight and MoE-output errors through the model's own router),
 * expanded back, and the five shipped real models are analyzed at the same ratio.
 */
import { join } from "node:path";
import {
  analysisRows,
  analyzePreset,
  analyzePresetNames,
  conversionRows,
  convertCheckpoint,
  expandCheckpoint,
  reportConversion,
  spectrumCharts,
} from "../mole/index.js";
import { escapeHtml, htmlTable } from "../report/html.js";
import {
  float32Source,
  type Matrix,
  matmul,
  randn,
  type TensorSource,
  writeCheckpoint,
} from "../tensor/index.js";
import type { DemoSection } from "./section.js";

const [LAYERS, EXPERTS, D, P, LATENT, TOPK] = [2, 12, 64, 44, 16, 4];

function scaled(m: Matrix, s: number): Matrix {
  for (let i = 0; i < m.data.length; i++) m.data[i]! *= s;
  return m;
}

/** The tensors of the demo model: W_e = A_e B_layer + 0.1·noise for gate and up; random down. */
function tinyQwenMoe(): TensorSource[] {
  const t: TensorSource[] = [];
  let seed = 1;
  const add = (name: string, m: Matrix, shape = [m.rows, m.cols]) =>
    t.push(float32Source(name, shape, m.data, "BF16"));
  add("model.embed_tokens.weight", scaled(randn(256, D, seed++), 0.05));
  for (let l = 0; l < LAYERS; l++) {
    const pre = `model.layers.${l}`;
    add(`${pre}.input_layernorm.weight`, { rows: 1, cols: D, data: new Float32Array(D).fill(1) }, [D]);
    add(`${pre}.post_attention_layernorm.weight`, { rows: 1, cols: D, data: new Float32Array(D).fill(1) }, [
      D,
    ]);
    for (const n of ["q", "k", "v", "o"])
      add(`${pre}.self_attn.${n}_proj.weight`, scaled(randn(D, D, seed++), 0.1));
    add(`${pre}.mlp.gate.weight`, scaled(randn(EXPERTS, D, seed++), 0.3));
    const basis = {
      gate: scaled(randn(LATENT, D, 100 + l), 1 / Math.sqrt(D)),
      up: scaled(randn(LATENT, D, 200 + l), 1 / Math.sqrt(D)),
    };
    for (let e = 0; e < EXPERTS; e++) {
      for (const kind of ["gate", "up"] as const) {
        const W = matmul(scaled(randn(P, LATENT, seed++), 1 / Math.sqrt(LATENT)), basis[kind]);
        const noise = randn(P, D, seed++);
        for (let i = 0; i < W.data.length; i++) W.data[i]! += (0.1 / Math.sqrt(D)) * noise.data[i]!;
        add(`${pre}.mlp.experts.${e}.${kind}_proj.weight`, W);
      }
      add(`${pre}.mlp.experts.${e}.down_proj.weight`, scaled(randn(D, P, seed++), 1 / Math.sqrt(P)));
    }
    add(`${pre}.mlp.shared_expert.gate_proj.weight`, scaled(randn(4 * P, D, seed++), 1 / Math.sqrt(D)));
    add(`${pre}.mlp.shared_expert.up_proj.weight`, scaled(randn(4 * P, D, seed++), 1 / Math.sqrt(D)));
    add(`${pre}.mlp.shared_expert.down_proj.weight`, scaled(randn(D, 4 * P, seed++), 1 / Math.sqrt(4 * P)));
    add(`${pre}.mlp.shared_expert_gate.weight`, scaled(randn(1, D, seed++), 0.1));
  }
  add("model.norm.weight", { rows: 1, cols: D, data: new Float32Array(D).fill(1) }, [D]);
  add("lm_head.weight", scaled(randn(256, D, seed++), 0.05));
  return t;
}

export const moleSection: DemoSection = {
  name: "mole",
  title:
    "MoLE: a Qwen1.5-MoE-shaped checkpoint converted to latent experts, reported, expanded; five real models analyzed",
  async run(ctx) {
    const src = join(ctx.dir, "tiny-qwen-moe");
    const config = {
      model_type: "qwen2_moe",
      architectures: ["Qwen2MoeForCausalLM"],
      hidden_size: D,
      num_hidden_layers: LAYERS,
      num_experts: EXPERTS,
      num_experts_per_tok: TOPK,
      moe_intermediate_size: P,
      shared_expert_intermediate_size: 4 * P,
      norm_topk_prob: false,
      vocab_size: 256,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      hidden_act: "silu",
    };
    await writeCheckpoint(src, tinyQwenMoe(), { config, maxShardBytes: 256 * 1024, signal: ctx.signal });
    const mole = join(ctx.dir, "tiny-qwen-mole");
    const conv = await convertCheckpoint(src, mole, {
      rankRule: { name: "target-ratio", params: { ratio: 0.5 } },
      signal: ctx.signal,
    });
    const report = await reportConversion(src, mole, { tokens: 256, signal: ctx.signal });
    const expanded = await expandCheckpoint(mole, join(ctx.dir, "tiny-qwen-expanded"), {
      signal: ctx.signal,
    });
    const cfg = conv.config!;
    const k = cfg.layers[0]!.kinds.gate!;
    const predicted = EXPERTS * P * k.rank + k.rank * D;
    const analyses = analyzePresetNames().map((n) =>
      analyzePreset(n, { rankRule: { name: "target-ratio", params: { ratio: 0.5 } } }),
    );
    const conversion = conversionRows(cfg);
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${EXPERTS} experts per layer (top-${TOPK}), d = ${D}, p = ${P}, a gated shared expert; the experts' gate and up matrices share a ${LATENT}-dimensional latent space plus noise.
At a target of half the expert parameters every layer gets r = ${k.rank}: ${EXPERTS}·p·r + r·d = ${predicted} parameters per kind instead of ${EXPERTS * P * D} (measured: ${k.paramsAfter}).
MoE output error through the model's own router: mean ${report.totals.meanOutputRelativeError.toPrecision(3)} on random hidden states; expand rebuilt ${expanded.rebuilt} tensors with the source names and dtypes.</p>
${htmlTable(conversion.header, conversion.rows, 4)}
${htmlTable(
  ["layer", "MoE output rel. error", "mean cosine"],
  report.layers.map((l) => [
    l.layer,
    Number(l.outputRelativeError.toPrecision(4)),
    Number(l.outputCosine.toFixed(5)),
  ]),
  5,
)}
${spectrumCharts(cfg, 4)}
<h3>Real models at half the expert parameters (shapes only)</h3>
${analyses
  .map((a) => {
    const t = analysisRows(a);
    return `<p><b>${escapeHtml(a.model)}</b>: r = ${a.rank}, savings ${(100 * a.savings.totalParams).toFixed(1)}% of all parameters, ${(100 * a.savings.flops).toFixed(1)}% of FLOPs per token.</p>${htmlTable(t.header, t.rows, 3)}`;
  })
  .join("\n")}</section>`;
    return {
      summary: [
        `converted ${cfg.totals.convertedParamsBefore} → ${cfg.totals.convertedParamsAfter} expert parameters (r = ${k.rank}, predicted ${2 * LAYERS * predicted}); weight error ${k.relativeError.toPrecision(3)}, MoE output error ${report.totals.meanOutputRelativeError.toPrecision(3)}`,
        `analyzed ${analyses.map((a) => `${a.model} −${(100 * a.savings.totalParams).toFixed(0)}%`).join(", ")}`,
      ],
      html,
      json: {
        rank: k.rank,
        predictedParamsPerKind: predicted,
        totals: cfg.totals,
        layers: report.layers,
        weightErrors: report.kinds.map((x) => ({ name: x.name, relativeError: x.relativeError })),
        expandedTensors: expanded.rebuilt,
        analyses: analyses.map((a) => ({ model: a.model, rank: a.rank, savings: a.savings })),
      },
      files: ["tiny-qwen-moe/", "tiny-qwen-mole/", "tiny-qwen-expanded/"],
    };
  },
};
