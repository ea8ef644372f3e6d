/**
 * The registry of CLI commands: name, one-line purpose, an example, and the module that registers it.
 * Only the module of the command being run is loaded, so `frugal solve …` does not load the tensor
 * engine or the serving simulator.
 */
import type { CliCommand } from "./command.js";

/** Every command, in `--help` order. */
export const commands: readonly CliCommand[] = [
  {
    name: "demo",
    summary: "run every capability on built-in examples (offline) and write a report",
    example: "frugal demo --out frugal-demo",
    load: () => import("./demo.js"),
  },
  {
    name: "formulate",
    summary: "word problems to solved optimization models (structured models, BPP-Search with an LLM)",
    example: "frugal formulate solve-model examples/formulate/mamo-complex-001-diet.json",
    load: () => import("./formulate.js"),
  },
  {
    name: "inspect",
    summary: "list a checkpoint's tensors, shards and architecture (or --env: the linear-algebra backend)",
    example: "frugal inspect ./my-model",
    load: () => import("./inspect.js"),
  },
  {
    name: "merge",
    summary: "merge checkpoints from a mergekit config (LoRE, TIES, DARE, slerp, linear, …)",
    example: "frugal merge examples/merge/lore.yml merged/",
    load: () => import("./merge.js"),
  },
  {
    name: "mole",
    summary: "MoE checkpoints to Mixture of Latent Experts and back, reports, MoE-vs-MoLE analysis",
    example: "frugal mole convert ./Mixtral-8x7B ./mixtral-mole --target-ratio 0.5",
    load: () => import("./mole.js"),
  },
  {
    name: "plan",
    summary: "pipeline schedules by MIP vs GPipe/1F1B/ZB1P/DualPipe, with PyTorch/Chrome-trace/HTML exports",
    example: "frugal plan compare --preset dualpipe-8x20",
    load: () => import("./plan.js"),
  },
  {
    name: "serving",
    summary:
      "simulate and compare LLM serving policies (vLLM, Orca, hybrid offline-online); run batches on OpenAI-compatible servers",
    example: "frugal serving compare --preset gsm8k-llama65b",
    load: () => import("./serving.js"),
  },
  {
    name: "solve",
    summary: "solve an LP/MIP file (CPLEX LP or MPS) with HiGHS",
    example: "frugal solve examples/mip/workshop.lp --time-limit 60",
    load: () => import("./solve.js"),
  },
];
