/** The planner on checkpoint headers alone: parameters per tensor, slices, mismatches, memory. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type InputCheckpoint,
  llamaTensorShapes,
  parseLayerName,
  parseMergeConfig,
  planMerge,
} from "../../src/merge/index.js";
import { expectClose } from "../helpers/tolerance.js";

function fakeModel(
  path: string,
  o: { layers?: number; hidden?: number; vocab?: number } = {},
): InputCheckpoint {
  const shapes = llamaTensorShapes({
    layers: o.layers ?? 4,
    hidden: o.hidden ?? 8,
    intermediate: 16,
    vocab: o.vocab ?? 32,
  });
  return {
    path,
    config: {
      model_type: "llama",
      num_hidden_layers: o.layers ?? 4,
      vocab_size: o.vocab ?? 32,
      torch_dtype: "bfloat16",
    },
    tensors: shapes.map((s, i) => ({
      ...s,
      dtype: "BF16" as const,
      shard: `model-0000${i < 20 ? 1 : 2}-of-00002.safetensors`,
    })),
  };
}

function plan(
  yaml: string,
  models: Record<string, InputCheckpoint>,
  policy?: "refuse" | "truncate" | "pad-to-base",
) {
  const config = parseMergeConfig(parse(yaml), "config.yml", { skipPathCheck: true });
  const inputs = config.models.map((m) => models[m.ref]!);
  return planMerge(config, inputs, { shapeMismatch: policy });
}

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
};

describe("parameters per tensor", () => {
  const models = { a: fakeModel("a"), b: fakeModel("b"), base: fakeModel("base") };
  const p = plan(
    `
models:
  - model: a
    parameters:
      weight: [0, 1]
      density:
        - filter: self_attn
          value: 0.3
        - value: 0.9
  - model: b
    parameters: {weight: 1}
merge_method: ties
base_model: base
parameters: {lambda: [1, 2]}
`,
    models,
  );
  const task = (name: string) => p.tasks.find((t) => t.name === name)!;

  it("interpolates gradients by layer position (embeddings t = 0, final norm and lm_head t = 1)", () => {
    expect(task("model.embed_tokens.weight").tensorParams[0]!.weight).toBe(0);
    expectClose(task("model.layers.1.mlp.up_proj.weight").tensorParams[0]!.weight as number, 1 / 3);
    expect(task("model.layers.3.mlp.up_proj.weight").tensorParams[0]!.weight).toBe(1);
    expect(task("lm_head.weight").tensorParams[0]!.weight).toBe(1);
    expectClose(task("model.layers.2.self_attn.q_proj.weight").params.lambda as number, 1 + 2 / 3);
  });

  it("applies filters by tensor name and fills defaults", () => {
    expect(task("model.layers.0.self_attn.k_proj.weight").tensorParams[0]!.density).toBe(0.3);
    expect(task("model.layers.0.mlp.down_proj.weight").tensorParams[0]!.density).toBe(0.9);
    expect(task("model.layers.0.mlp.down_proj.weight").tensorParams[1]!.density).toBe(1);
    expect(task("model.norm.weight").params).toMatchObject({
      normalize: true,
      rescale: false,
      int8_mask: false,
    });
  });

  it("appends the base model as the last input and keeps the file order of the first model", () => {
    expect(p.tasks.map((t) => t.name)).toEqual(models.a.tensors.map((t) => t.name));
    expect(p.tasks[0]!.baseIndex).toBe(2);
    expect(p.tasks[0]!.inputs.map((i) => i.model)).toEqual([1, 2, 0]);
  });

  it("names a missing required parameter and where to put it", () => {
    const msg = errorOf(() =>
      plan(
        "models: [{model: a, parameters: {weight: [{filter: mlp, value: 1}]}}, {model: b, parameters: {weight: 1}}]\nmerge_method: linear\n",
        models,
      ),
    );
    expect(msg).toMatchInlineSnapshot(
      `"config.yml: models[0].parameters: linear needs weight for a (no setting applies to tensor "model.embed_tokens.weight"); add weight under models[0] parameters, or a top-level parameters.weight"`,
    );
    expect(
      errorOf(() => plan("models: [{model: a}, {model: b}]\nmerge_method: slerp\nbase_model: a\n", models)),
    ).toMatchInlineSnapshot(
      `"config.yml: parameters: slerp needs t (no setting applies to tensor "model.embed_tokens.weight"); add t to the top-level parameters (a value, a gradient like [0, 0.5, 1], or {filter, value} entries ending with one without a filter)"`,
    );
    expect(
      errorOf(() => plan("models: [{model: a, parameters: {weight: x}}]\nmerge_method: linear\n", models)),
    ).toMatchInlineSnapshot(
      `"config.yml: models[0].parameters.weight: expected number, received string (evaluated for tensor "model.embed_tokens.weight"); fix the value"`,
    );
  });
});

describe("slices", () => {
  it("stacks layer ranges (passthrough), renumbers the layers and sets num_hidden_layers", () => {
    const models = { a: fakeModel("a"), b: fakeModel("b") };
    const p = plan(
      `
slices:
  - sources: [{model: a, layer_range: [0, 3]}]
  - sources: [{model: b, layer_range: [1, 4]}]
merge_method: passthrough
`,
      models,
    );
    expect(p.layers).toBe(6);
    expect((p.outConfig as { num_hidden_layers: number }).num_hidden_layers).toBe(6);
    const q = p.tasks.filter((t) => t.name.endsWith("self_attn.q_proj.weight"));
    expect(q.map((t) => [t.name, t.inputs[0]!.model, t.inputs[0]!.tensor])).toEqual([
      ["model.layers.0.self_attn.q_proj.weight", 0, "model.layers.0.self_attn.q_proj.weight"],
      ["model.layers.1.self_attn.q_proj.weight", 0, "model.layers.1.self_attn.q_proj.weight"],
      ["model.layers.2.self_attn.q_proj.weight", 0, "model.layers.2.self_attn.q_proj.weight"],
      ["model.layers.3.self_attn.q_proj.weight", 1, "model.layers.1.self_attn.q_proj.weight"],
      ["model.layers.4.self_attn.q_proj.weight", 1, "model.layers.2.self_attn.q_proj.weight"],
      ["model.layers.5.self_attn.q_proj.weight", 1, "model.layers.3.self_attn.q_proj.weight"],
    ]);
    expect(p.tasks[0]!.name).toBe("model.embed_tokens.weight");
    expect(p.tasks.at(-1)!.name).toBe("lm_head.weight");
    expect(p.tasks.at(-1)!.inputs[0]!.model).toBe(1);
    // t runs 0 … 1 within each slice
    expect(q.map((t) => t.t)).toEqual([0, 0.5, 1, 0, 0.5, 1]);
  });

  it("merges corresponding layers of several sources (slerp per slice)", () => {
    const models = { a: fakeModel("a"), b: fakeModel("b") };
    const p = plan(
      `
slices:
  - sources:
      - {model: a, layer_range: [0, 4]}
      - {model: b, layer_range: [0, 4]}
merge_method: slerp
base_model: a
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
`,
      models,
    );
    const t = (n: string) => p.tasks.find((x) => x.name === n)!.params.t as number;
    expectClose(t("model.layers.1.self_attn.v_proj.weight"), 0.5 + (0.3 - 0.5) / 3);
    expectClose(t("model.layers.3.mlp.gate_proj.weight"), 0);
    expect(t("model.norm.weight")).toBe(0.5);
  });

  it("refuses a layer range outside the model", () => {
    const models = { a: fakeModel("a") };
    expect(
      errorOf(() =>
        plan("slices: [{sources: [{model: a, layer_range: [2, 9]}]}]\nmerge_method: passthrough\n", models),
      ),
    ).toMatchInlineSnapshot(
      `"config.yml: slices[0].sources[0].layer_range: [2, 9] is outside a, which has 4 layers; use a range within [0, 4]"`,
    );
  });
});

describe("mismatched models", () => {
  const models = {
    a: fakeModel("a", { vocab: 32 }),
    b: fakeModel("b", { vocab: 34 }),
    base: fakeModel("base", { vocab: 32 }),
  };
  const yaml =
    "models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]\nmerge_method: task_arithmetic\nbase_model: base\n";

  it("refuses different vocabulary sizes by default, naming the tensors and the options", () => {
    expect(errorOf(() => plan(yaml, models))).toMatchInlineSnapshot(
      `"config.yml: the models do not match: model.embed_tokens.weight: [32, 8] in a, [34, 8] in b, [32, 8] in base; lm_head.weight: [32, 8] in a, [34, 8] in b, [32, 8] in base; merge models of one architecture, or pass --shape-mismatch truncate (common sub-block, as mergekit does for embeddings) or pad-to-base (the base model's shape, missing rows from the base)"`,
    );
  });

  it("truncate takes the common sub-block (mergekit's behaviour for embeddings)", () => {
    const p = plan(yaml, models, "truncate");
    expect(p.tasks.find((t) => t.name === "lm_head.weight")!.shape).toEqual([32, 8]);
    expect(p.mismatches.map((m) => m.tensor)).toEqual(["model.embed_tokens.weight", "lm_head.weight"]);
    expect(p.notes[0]).toMatch(/2 tensor\(s\) differ in shape, fitted by truncate/);
  });

  it("pad-to-base keeps the base model's shape and records the vocabulary in config.json", () => {
    const wide = { ...models, base: fakeModel("base", { vocab: 36 }) };
    const p = plan(yaml, wide, "pad-to-base");
    const e = p.tasks.find((t) => t.name === "model.embed_tokens.weight")!;
    expect(e.shape).toEqual([36, 8]);
    expect(e.padFrom).toBe(e.baseIndex);
    expect((p.outConfig as { vocab_size: number }).vocab_size).toBe(36);
  });

  it("reports tensors missing from a model", () => {
    const partial = { ...models.b, tensors: models.b.tensors.filter((t) => t.name !== "lm_head.weight") };
    expect(errorOf(() => plan(yaml, { ...models, b: partial }, "truncate"))).toMatchInlineSnapshot(
      `"config.yml: the models do not match: lm_head.weight: missing in b; merge models with the same tensor names (same architecture and tied/untied embeddings)"`,
    );
  });
});

describe("the memory estimate", () => {
  it("does not grow with the number of tensors", () => {
    const yaml =
      "models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}, {model: c, parameters: {weight: 1}}]\nmerge_method: linear\n";
    const small = plan(yaml, {
      a: fakeModel("a", { layers: 2 }),
      b: fakeModel("b", { layers: 2 }),
      c: fakeModel("c", { layers: 2 }),
    });
    const big = plan(yaml, {
      a: fakeModel("a", { layers: 12 }),
      b: fakeModel("b", { layers: 12 }),
      c: fakeModel("c", { layers: 12 }),
    });
    expect(big.totals.tensors).toBeGreaterThan(5 * small.totals.tensors);
    expect(big.memory.peakTensorBytes).toBe(small.memory.peakTensorBytes);
    // three embedding inputs (32×8 floats) + one working copy + BF16 output + the next tensor's inputs
    expect(small.memory.peakTensor).toBe("model.embed_tokens.weight");
  });
});

describe("layer names", () => {
  it("finds the layer index of common layouts", () => {
    expect(parseLayerName("model.layers.12.mlp.up_proj.weight")).toEqual({
      prefix: "model.layers",
      layer: 12,
      suffix: "mlp.up_proj.weight",
    });
    expect(parseLayerName("transformer.h.3.attn.c_attn.weight")?.layer).toBe(3);
    expect(parseLayerName("model.norm.weight")).toBeNull();
  });
});
