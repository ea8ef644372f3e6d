/**
 * The merge-method registry: mergekit's names, parameters and defaults
 * (mergekit/merge_methods/registry.py), plus `lore`.
 */
import { Registry } from "../../util/registry.js";
import { gtaMethod } from "./gta.js";
import { linear } from "./linear.js";
import { lore } from "./lore.js";
import { modelStock } from "./model-stock.js";
import { passthrough } from "./passthrough.js";
import { slerp } from "./slerp.js";
import type { AnyMergeMethod } from "./types.js";

/** Every merge method, by mergekit's name. */
export const mergeMethods: Registry<AnyMergeMethod> = new Registry<AnyMergeMethod>("merge method");

const all: AnyMergeMethod[] = [
  linear as unknown as AnyMergeMethod,
  gtaMethod({
    name: "task_arithmetic",
    summary: "base + Σ w_i (θ_i − base) (task arithmetic)",
    reference: "https://arxiv.org/abs/2212.04089",
    sparsification: null,
    consensus: null,
    normalize: false,
    rescale: false,
  }),
  gtaMethod({
    name: "ties",
    summary: "TIES: trim task vectors by magnitude, elect signs, disjoint mean",
    reference: "https://arxiv.org/abs/2306.01708",
    sparsification: "magnitude",
    consensus: "sum",
    normalize: true,
    rescale: false,
  }),
  gtaMethod({
    name: "dare_linear",
    summary: "DARE: drop task-vector entries at random and rescale, then add",
    reference: "https://arxiv.org/abs/2311.03099",
    sparsification: "random",
    consensus: null,
    normalize: false,
    rescale: true,
  }),
  gtaMethod({
    name: "dare_ties",
    summary: "DARE sparsification with TIES sign election",
    reference: "https://arxiv.org/abs/2311.03099",
    sparsification: "random",
    consensus: "sum",
    normalize: false,
    rescale: true,
  }),
  gtaMethod({
    name: "breadcrumbs",
    summary: "Model Breadcrumbs: drop the largest and smallest task-vector entries, then add",
    reference: "https://arxiv.org/abs/2312.06795",
    sparsification: "magnitude_outliers",
    consensus: null,
    normalize: false,
    rescale: false,
  }),
  gtaMethod({
    name: "breadcrumbs_ties",
    summary: "Model Breadcrumbs with TIES sign election",
    reference: "https://arxiv.org/abs/2312.06795",
    sparsification: "magnitude_outliers",
    consensus: "sum",
    normalize: false,
    rescale: false,
  }),
  gtaMethod({
    name: "della",
    summary: "DELLA: magnitude-ranked random drop (MagPrune), sign election, disjoint mean",
    reference: "https://arxiv.org/abs/2406.11617",
    sparsification: "della_magprune",
    consensus: "sum",
    normalize: true,
    rescale: true,
  }),
  gtaMethod({
    name: "della_linear",
    summary: "DELLA's MagPrune without sign election",
    reference: "https://arxiv.org/abs/2406.11617",
    sparsification: "della_magprune",
    consensus: null,
    normalize: false,
    rescale: true,
  }),
  slerp as unknown as AnyMergeMethod,
  modelStock as unknown as AnyMergeMethod,
  passthrough as unknown as AnyMergeMethod,
  lore as unknown as AnyMergeMethod,
];
for (const m of all) mergeMethods.register(m);

/** The registered method names, for `--help` and messages. */
export function mergeMethodNames(): string[] {
  return mergeMethods.names();
}
