/** mergekit configs: parsing, parameter evaluation as mergekit does it, and every user-facing error (pinned). */
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { InputError } from "../../src/errors/index.js";
import {
  evaluateSetting,
  interpolate,
  loadMergeConfig,
  type ParameterLevel,
  parseMergeConfig,
  resolveParameter,
} from "../../src/merge/index.js";
import { expectClose } from "../helpers/tolerance.js";
import { withTempDir, writeConfig } from "./helpers.js";

const parseYaml = (text: string) => parseMergeConfig(parse(text), "config.yml", { skipPathCheck: true });
const errorOf = (text: string): string => {
  try {
    parseYaml(text);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error("expected an error");
};

describe("parameter settings, as mergekit evaluates them", () => {
  it("interpolates numeric gradients across layers", () => {
    expect(evaluateSetting("x", [0, 0.5, 1], 0)).toBe(0);
    expect(evaluateSetting("x", [0, 0.5, 1], 1)).toBe(1);
    expectClose(evaluateSetting("x", [0, 0.5, 1], 0.25) as number, 0.25);
    expectClose(evaluateSetting("x", [0, 1, 0], 0.75) as number, 0.5);
    expectClose(evaluateSetting("x", [1, 3], 0.5) as number, 2);
    expect(evaluateSetting("x", [7], 0.3)).toBe(7);
  });

  it("steps string and boolean lists", () => {
    expect(evaluateSetting("x", ["a", "b", "c"], 0.6)).toBe("b");
    expect(evaluateSetting("x", [true, false], 1)).toBe(false);
  });

  it("applies the first {filter, value} whose filter is in the tensor name", () => {
    const s = [{ filter: "self_attn", value: [0, 1] }, { filter: "mlp", value: 0.3 }, { value: 0.5 }];
    expect(evaluateSetting("model.layers.0.self_attn.q_proj.weight", s, 1)).toBe(1);
    expect(evaluateSetting("model.layers.0.mlp.up_proj.weight", s, 1)).toBe(0.3);
    expect(evaluateSetting("model.norm.weight", s, 1)).toBe(0.5);
    expect(evaluateSetting("model.norm.weight", [{ filter: "mlp", value: 1 }], 1)).toBeUndefined();
  });

  it("falls through levels: source, then slice, then global", () => {
    const levels: ParameterLevel[] = [
      { parameters: { weight: [{ filter: "mlp", value: 2 }] }, path: "models[0].parameters" },
      { parameters: { weight: 1, density: 0.5 }, path: "parameters" },
    ];
    expect(resolveParameter("weight", levels, "a.mlp.b", 0)).toEqual({
      value: 2,
      path: "models[0].parameters.weight",
    });
    expect(resolveParameter("weight", levels, "a.attn.b", 0)).toEqual({
      value: 1,
      path: "parameters.weight",
    });
    expect(resolveParameter("gamma", levels, "a", 0)).toBeUndefined();
  });

  it("interpolation stays within the gradient's range and hits its points", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 9 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (pts, t) => {
          const v = interpolate(pts, t);
          expect(v).toBeGreaterThanOrEqual(Math.min(...pts) - 1e-9);
          expect(v).toBeLessThanOrEqual(Math.max(...pts) + 1e-9);
          if (pts.length > 1) {
            const i = Math.round(t * (pts.length - 1));
            expectClose(interpolate(pts, i / (pts.length - 1)), pts[i]!, { abs: 1e-9 });
          }
        },
      ),
    );
  });
});

describe("a mergekit config as written", () => {
  it("normalizes models into one slice and appends an unlisted base model", () => {
    const c = parseYaml(`
models:
  - model: ./a
    parameters: {weight: 0.5, density: [0.2, 0.8]}
  - model: ./b
    parameters:
      weight:
        - filter: self_attn
          value: 1
        - value: 0.5
merge_method: ties
base_model: ./base
parameters: {normalize: false, int8_mask: true}
dtype: bfloat16
`);
    expect(c.methodName).toBe("ties");
    expect(c.models.map((m) => m.ref)).toEqual(["./base", "./a", "./b"]);
    expect(c.slices).toHaveLength(1);
    expect(c.slices[0]!.sources.map((s) => [s.model, s.where])).toEqual([
      [1, "models[0]"],
      [2, "models[1]"],
      [0, null],
    ]);
    expect(c.dtype).toBe("BF16");
    expect(c.outDtype).toBeNull();
  });

  it("reads slices with layer ranges", () => {
    const c = parseYaml(`
slices:
  - sources:
      - model: ./a
        layer_range: [0, 2]
  - sources:
      - model: ./b
        layer_range: [1, 3]
merge_method: passthrough
dtype: float16
`);
    expect(c.form).toBe("slices");
    expect(c.slices.map((s) => s.sources[0]!.layerRange)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it("needs no base model for lore", () => {
    const c = parseYaml(
      "models: [{model: ./a}, {model: ./b}]\nmerge_method: lore\nparameters: {mu: 2, combine: ties}\n",
    );
    expect(c.baseModel).toBeNull();
  });
});

describe("the shipped examples", () => {
  it("are valid configs for their methods", async () => {
    const dir = new URL("../../examples/merge/", import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith(".yml")).sort();
    expect(files).toEqual(["lore.yml", "passthrough.yml", "slerp.yml", "ties.yml"]);
    for (const f of files) {
      const c = parseMergeConfig(parse(await readFile(new URL(f, dir), "utf8")), f, { skipPathCheck: true });
      expect(c.methodName).toBe(f.replace(".yml", ""));
    }
  });
});

describe("config errors name the file, the path inside it and what to do", () => {
  it("pins every message", () => {
    const cases = {
      unknownKey: "models: [{model: ./a, parameters: {weight: 1}}]\nmerge_method: linear\nmodelz: 1\n",
      unknownModelKey: "models: [{model: ./a, weights: 1}]\nmerge_method: linear\n",
      unsupportedKey: "modules: {}\nmerge_method: linear\n",
      unsupportedSliceKey:
        "slices: [{sources: [{model: ./a, layer_range: [0, 1]}], residual_weight: 0.5}]\nmerge_method: passthrough\n",
      unknownMethod: "models: [{model: ./a}]\nmerge_method: average\n",
      mergekitOnly: "models: [{model: ./a}]\nmerge_method: nuslerp\n",
      both: "models: [{model: ./a}]\nslices: [{sources: [{model: ./a, layer_range: [0, 1]}]}]\nmerge_method: passthrough\n",
      neither: "merge_method: linear\n",
      noMethod: "models: [{model: ./a}]\n",
      needsBase:
        "models: [{model: ./a, parameters: {weight: 1}}, {model: ./b, parameters: {weight: 1}}]\nmerge_method: ties\n",
      baseUnused:
        "models: [{model: ./a, parameters: {weight: 1}}, {model: ./b, parameters: {weight: 1}}]\nmerge_method: linear\nbase_model: ./c\n",
      slerpTwo:
        "models: [{model: ./a}, {model: ./b}, {model: ./c}]\nmerge_method: slerp\nbase_model: ./a\nparameters: {t: 0.5}\n",
      unknownParam:
        "models: [{model: ./a, parameters: {weight: 1, densty: 0.5}}]\nmerge_method: ties\nbase_model: ./b\n",
      globalPerModel:
        "models: [{model: ./a, parameters: {t: 0.5}}, {model: ./b}]\nmerge_method: slerp\nbase_model: ./a\n",
      badSetting: "models: [{model: ./a, parameters: {weight: {a: 1}}}]\nmerge_method: linear\n",
      badDtype: "models: [{model: ./a, parameters: {weight: 1}}]\nmerge_method: linear\ndtype: int8\n",
      emptyRange: "slices: [{sources: [{model: ./a, layer_range: [3, 3]}]}]\nmerge_method: passthrough\n",
      unevenSlice:
        "slices: [{sources: [{model: ./a, layer_range: [0, 2]}, {model: ./b, layer_range: [0, 3]}]}]\nmerge_method: linear\n",
      union: "models: [{model: ./a}, {model: ./b}]\nmerge_method: lore\ntokenizer_source: union\n",
      notMapping: "- a\n- b\n",
    };
    const messages = Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, errorOf(v)]));
    expect(messages).toMatchInlineSnapshot(`
      {
        "badDtype": "config.yml: dtype: Invalid option: expected one of "float32"|"fp32"|"float"|"float16"|"fp16"|"half"|"bfloat16"|"bf16"; fix the value (see examples/merge/)",
        "badSetting": "config.yml: models[0].parameters.weight: is not a parameter setting; give a number, true/false, a string, a list of numbers (a gradient across layers) or a list of {filter, value}",
        "baseUnused": "config.yml: base_model: linear does not use a base_model; remove base_model (or list it as one of the models)",
        "both": "config.yml: slices: models and slices are both given; give either models (merge whole models) or slices (layer ranges)",
        "emptyRange": "config.yml: slices[0].sources[0].layer_range: [3, 3] is empty; give [first, end) with end > first (end is exclusive, as in mergekit)",
        "globalPerModel": "config.yml: models[0].parameters.t: t is a global parameter of slerp, not a per-model one; move it to the top-level parameters (or the slice's)",
        "mergekitOnly": "config.yml: merge_method: "nuslerp" is a mergekit method that frugal merge does not implement; use one of linear, task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties, della, della_linear, slerp, model_stock, passthrough, lore",
        "needsBase": "config.yml: base_model: ties needs a base_model; add base_model: PATH (the model the others were fine-tuned from)",
        "neither": "config.yml: has neither models nor slices; list the models to merge under models:",
        "noMethod": "config.yml: merge_method: is missing; add it (see examples/merge/)",
        "notMapping": "config.yml: is not a mergekit config (expected a mapping with merge_method and models or slices); see examples/merge/",
        "slerpTwo": "config.yml: models: slerp merges exactly 2 model(s) per tensor (base_model included), this has 3; give exactly 2",
        "unevenSlice": "config.yml: slices[0].sources: the sources cover different numbers of layers (2, 3); give every source of a slice the same number of layers",
        "union": "config.yml: tokenizer_source: "union" (merging vocabularies) is not supported; use base or a model folder, or build the tokenizer with mergekit",
        "unknownKey": "config.yml: modelz: unknown key "modelz"; the keys here are models, slices, merge_method, base_model, parameters, dtype, out_dtype, tokenizer_source",
        "unknownMethod": "config.yml: merge_method: unknown merge method "average"; use one of linear, task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties, della, della_linear, slerp, model_stock, passthrough, lore",
        "unknownModelKey": "config.yml: models[0].weights: unknown key "weights"; the keys here are model, parameters",
        "unknownParam": "config.yml: models[0].parameters.densty: unknown parameter of ties; ties takes int8_mask, normalize, rescale, lambda, weight, density",
        "unsupportedKey": "config.yml: modules: "modules" is not supported by frugal merge; merge the modules' models with separate configs",
        "unsupportedSliceKey": "config.yml: slices[0].residual_weight: "residual_weight" is not supported by frugal merge; remove it (mergekit does not use it either)",
      }
    `);
  });

  it("model paths: hub ids, LoRA references and missing folders", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, "a"));
      await mkdir(join(dir, "b"));
      const msg = async (ref: string) => {
        const f = await writeConfig(
          dir,
          "c.yml",
          `models: [{model: ./a}, {model: "${ref}"}]\nmerge_method: lore\n`,
        );
        try {
          await loadMergeConfig(f, { cwd: dir });
        } catch (e) {
          return (e as Error).message.replace(f, "c.yml");
        }
        return "no error";
      };
      expect(await msg("mistralai/Mistral-7B-v0.1")).toMatchInlineSnapshot(
        `"c.yml: models[1].model: "mistralai/Mistral-7B-v0.1" looks like a Hugging Face hub id, not a local folder; download it first (e.g. huggingface-cli download mistralai/Mistral-7B-v0.1 --local-dir DIR) and put the folder's path in the config"`,
      );
      expect(await msg("./a+./lora")).toMatchInlineSnapshot(
        `"c.yml: models[1].model: "./a+./lora" names a model plus a LoRA adapter (mergekit's model+adapter), which frugal merge does not apply; merge the adapter into the model first and give the merged folder"`,
      );
      expect(await msg("./missing")).toMatchInlineSnapshot(
        `"c.yml: models[1].model: no such folder "./missing"; check the path (relative paths are resolved from the current folder, then from the config's folder)"`,
      );
      expect(await msg("./b")).toBe("no error");
    });
  });

  it("resolves relative paths from the current folder, then from the config's folder", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, "cfg", "m1"), { recursive: true });
      await mkdir(join(dir, "m2"));
      const f = await writeConfig(
        join(dir, "cfg"),
        "c.yml",
        "models: [{model: m1}, {model: m2}]\nmerge_method: lore\n",
      );
      const c = await loadMergeConfig(f, { cwd: dir });
      expect(c.models.map((m) => m.path)).toEqual([join(dir, "cfg", "m1"), join(dir, "m2")]);
    });
  });
});
