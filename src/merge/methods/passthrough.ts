/**
 * passthrough: copies the one input tensor, optionally scaled by the model's `scale`
 * (mergekit/merge_methods/passthrough.py). With `slices` it stacks layer ranges of models into a
 * deeper model ("frankenmerge").
 */
import { z } from "zod";
import { type WeightedSum, weightedSumF32 } from "../weighted-sum.js";
import type { MergeMethod } from "./types.js";

const params = z.object({});
const tensorParams = z.object({
  scale: z.number().nullable().default(null).describe("multiply the tensor by this factor"),
});

/** The one input × scale (a copy without scale). */
function scaled(perModel: readonly z.output<typeof tensorParams>[]): WeightedSum {
  return { weights: [1], scale: perModel[0]?.scale ?? 1 };
}

/** The passthrough method. */
export const passthrough: MergeMethod<typeof params, typeof tensorParams> = {
  name: "passthrough",
  summary: "copy one model's tensors (with slices: stack layer ranges)",
  reference: "https://github.com/arcee-ai/mergekit/blob/main/mergekit/merge_methods/passthrough.py",
  params,
  tensorParams,
  requiredParams: [],
  base: "unused",
  inputs: { min: 1, max: 1 },
  random: false,
  workingCopies: () => 0,
  weightedSum: (_global, perModel) => scaled(perModel),
  merge({ tensors, tensorParams }) {
    return { data: weightedSumF32(tensors, scaled(tensorParams)) };
  },
};
