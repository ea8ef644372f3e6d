/**
 * Search strategies over the layered tree (arXiv 2411.17404 §3–§4; the paper's baselines and
 * BPP-Search). With n children per node, beam width b, and L = 3 generated layers (the paper's
 * h = 4 layers counting the question), and when every child is valid:
 *
 *   cot               one child per layer                        policy L
 *   self-consistency  k independent chains, majority objective   policy k·L
 *   tot-random        the full tree, a random leaf                policy n + n² + n³
 *   tot-full          the full tree, the leaf with the best PRM   policy n + n² + n³, PRM n³
 *   greedy            best child by PRM at each layer             policy n·L, PRM n·L
 *   random-greedy     a random child within δ of the best         policy n·L, PRM n·L
 *   epsilon-greedy    a random child with probability ε           policy n·L, PRM n·L
 *   beam              keep the b best by PRM per layer            policy n + (L−1)·b·n, PRM n + (L−1)·b·n
 *   bpp               beam with PRM, then pairwise preference     policy n + (L−1)·b·n, PRM n + (L−2)·b·n,
 *                     over the b·n final leaves                    preference (b·n)(b·n − 1)
 *
 * For b > n the beam holds min(b, n) nodes after the first layer; `expectedCalls` computes the
 * exact numbers. Invalid children are neither scored nor compared, so they make fewer calls.
 */
import { z } from "zod";
import { Registry, type RegistryEntry } from "../../util/registry.js";
import { answersMatch } from "../eval/match.js";
import { LAYERS } from "../schema.js";
import {
  best,
  type CallCounts,
  expand,
  rankByPreference,
  rootNode,
  type SearchContext,
  scoreNodes,
  type TreeNode,
  topByPrm,
} from "./tree.js";

/** Generated layers (sets+parameters, variables, objective+constraints). */
export const GENERATED_LAYERS = LAYERS.length;

/** A registered strategy: its parameters, what it needs, its call formula and its run. */
export interface StrategyEntry<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** Whether it needs a process scorer and a preference scorer. */
  needs: { prm: boolean; preference: boolean };
  /** The calls it makes when every child is valid (the formulas above). */
  expectedCalls(p: z.output<P>): Omit<CallCounts, "repair">;
  /** Runs the search on `ctx` (whose root is `0`) and returns the chosen leaf, or null. */
  run(ctx: SearchContext, p: z.output<P>): Promise<TreeNode | null>;
}

/** Every strategy by name. */
export const strategies = new Registry<StrategyEntry>("strategy");

function define<P extends z.ZodObject>(e: StrategyEntry<P>): void {
  strategies.register(e as unknown as StrategyEntry);
}

const children = z.number().int().min(1).max(16).default(3).describe("children per node (n)");
const beamWidth = z.number().int().min(1).max(16).default(2).describe("beam width (b)");
const seed = z.number().int().min(0).default(0).describe("seed of the random choices");
const PAPER = "https://arxiv.org/abs/2411.17404";
const L = GENERATED_LAYERS;

const root = (ctx: SearchContext) => ctx.nodes.get("0") ?? rootNode();

/** Beam sizes after each layer but the last: s₁ = min(b, n), s_l = min(b, s_{l−1}·n). */
function beamSizes(n: number, b: number): number[] {
  const out: number[] = [];
  let s = Math.min(b, n);
  for (let l = 1; l < L; l++) {
    out.push(s);
    s = Math.min(b, s * n);
  }
  return out;
}

/** One chain with `k` children per layer, choosing a child at each layer with `pick`. */
async function chain(
  ctx: SearchContext,
  k: number,
  pick: (kids: TreeNode[]) => TreeNode | null,
): Promise<TreeNode | null> {
  let node: TreeNode = root(ctx);
  for (let l = 0; l < L; l++) {
    const kids = await expand(ctx, node, k);
    const next = pick(kids);
    if (!next) return null;
    node = next;
  }
  return node;
}

define({
  name: "cot",
  summary: "chain of thought: one child per layer, the model as written",
  reference: PAPER,
  params: z.object({}),
  needs: { prm: false, preference: false },
  expectedCalls: () => ({ policy: L, prm: 0, preference: 0 }),
  run: (ctx) => chain(ctx, 1, (kids) => kids.find((k) => k.valid) ?? null),
});

define({
  name: "self-consistency",
  summary: "k independent chains; the objective value most of them reach wins",
  reference: "https://arxiv.org/abs/2203.11171",
  params: z.object({
    samples: z.number().int().min(1).max(64).default(5).describe("independent chains (k)"),
    tolerance: z.number().min(0).default(1e-6).describe("relative tolerance for equal objective values"),
  }),
  needs: { prm: false, preference: false },
  expectedCalls: (p) => ({ policy: p.samples * L, prm: 0, preference: 0 }),
  async run(ctx, p) {
    // k chains: k samples of the first layer in one request, then one child each
    const first = await expand(ctx, root(ctx), p.samples);
    const leaves = await Promise.all(
      first.map(async (c) => {
        let node: TreeNode | null = c.valid ? c : null;
        for (let l = 1; l < L && node; l++) node = (await expand(ctx, node, 1)).find((k) => k.valid) ?? null;
        return node;
      }),
    );
    const solved: TreeNode[] = [];
    for (const leaf of leaves) {
      if (!leaf) continue;
      await ctx.solveLeaf(leaf);
      if (leaf.solve?.status === "optimal" && leaf.solve.objective !== null) solved.push(leaf);
    }
    // majority vote over objective values (first reached wins ties)
    let winner: TreeNode | null = null;
    let votes = 0;
    for (const a of solved) {
      const v = solved.filter((b) =>
        answersMatch(b.solve!.objective, a.solve!.objective!, { rel: p.tolerance, abs: 1e-9 }),
      ).length;
      if (v > votes) {
        votes = v;
        winner = a;
      }
    }
    if (winner)
      ctx.notes.push(`self-consistency: ${votes} of ${p.samples} chains agree on ${winner.solve!.objective}`);
    return winner ?? leaves.find((l) => l !== null) ?? null;
  },
});

/** The full tree: every node expanded into n children. */
async function fullTree(ctx: SearchContext, n: number): Promise<TreeNode[]> {
  let frontier: TreeNode[] = [root(ctx)];
  for (let l = 0; l < L; l++) {
    const next = await Promise.all(frontier.map((f) => expand(ctx, f, n)));
    frontier = next.flat().filter((c) => c.valid || l === L - 1);
  }
  return frontier;
}

define({
  name: "tot-random",
  summary: "tree of thought, fully expanded; a random leaf",
  reference: "https://arxiv.org/abs/2305.10601",
  params: z.object({ children, seed }),
  needs: { prm: false, preference: false },
  expectedCalls: (p) => ({ policy: p.children + p.children ** 2 + p.children ** 3, prm: 0, preference: 0 }),
  async run(ctx, p) {
    const leaves = (await fullTree(ctx, p.children)).filter((l) => l.valid);
    return leaves.length ? leaves[Math.floor(ctx.rng() * leaves.length)]! : null;
  },
});

define({
  name: "tot-full",
  summary: "tree of thought, fully expanded; every leaf scored by the PRM, the best wins",
  reference: "https://arxiv.org/abs/2305.10601",
  params: z.object({ children }),
  needs: { prm: true, preference: false },
  expectedCalls: (p) => ({
    policy: p.children + p.children ** 2 + p.children ** 3,
    prm: p.children ** 3,
    preference: 0,
  }),
  async run(ctx, p) {
    const leaves = await fullTree(ctx, p.children);
    await scoreNodes(ctx, leaves);
    return best(leaves, (n) => n.prm);
  },
});

/** Greedy variants: expand n children, score them, pick one by `choose`. */
async function greedyLike(
  ctx: SearchContext,
  n: number,
  choose: (scored: TreeNode[]) => TreeNode | null,
): Promise<TreeNode | null> {
  let node = root(ctx);
  for (let l = 0; l < L; l++) {
    const kids = await expand(ctx, node, n);
    await scoreNodes(ctx, kids);
    const next = choose(kids);
    if (!next) return null;
    node = next;
  }
  return node;
}

define({
  name: "greedy",
  summary: "the child with the best process reward at each layer",
  reference: PAPER,
  params: z.object({ children }),
  needs: { prm: true, preference: false },
  expectedCalls: (p) => ({ policy: p.children * L, prm: p.children * L, preference: 0 }),
  run: (ctx, p) => greedyLike(ctx, p.children, (kids) => best(kids, (k) => k.prm)),
});

define({
  name: "random-greedy",
  summary:
    "a random child among those within a threshold of the best process reward (the paper's Random Greedy)",
  reference: PAPER,
  params: z.object({
    children,
    threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe("scores within this of the best are candidates (δ)"),
    seed,
  }),
  needs: { prm: true, preference: false },
  expectedCalls: (p) => ({ policy: p.children * L, prm: p.children * L, preference: 0 }),
  run: (ctx, p) =>
    greedyLike(ctx, p.children, (kids) => {
      const top = best(kids, (k) => k.prm);
      if (!top) return null;
      const near = kids.filter((k) => k.valid && (k.prm ?? 0) >= (top.prm ?? 0) - p.threshold);
      return near[Math.floor(ctx.rng() * near.length)] ?? top;
    }),
});

define({
  name: "epsilon-greedy",
  summary: "the best child by process reward, or with probability ε a random valid one",
  reference: PAPER,
  params: z.object({
    children,
    epsilon: z.number().min(0).max(1).default(0.2).describe("probability of a random child (ε)"),
    seed,
  }),
  needs: { prm: true, preference: false },
  expectedCalls: (p) => ({ policy: p.children * L, prm: p.children * L, preference: 0 }),
  run: (ctx, p) =>
    greedyLike(ctx, p.children, (kids) => {
      const valid = kids.filter((k) => k.valid);
      if (valid.length === 0) return null;
      if (ctx.rng() < p.epsilon) return valid[Math.floor(ctx.rng() * valid.length)]!;
      return best(valid, (k) => k.prm);
    }),
});

/** Beam search ranked by the PRM; the last layer is scored by the PRM (`scoreLast`) or left to the caller. */
async function beamSearch(ctx: SearchContext, n: number, b: number, scoreLast: boolean): Promise<TreeNode[]> {
  let beam: TreeNode[] = [root(ctx)];
  for (let l = 0; l < L; l++) {
    const kids = (await Promise.all(beam.map((node) => expand(ctx, node, n)))).flat();
    if (l === L - 1) {
      if (scoreLast) await scoreNodes(ctx, kids);
      return kids;
    }
    await scoreNodes(ctx, kids);
    beam = topByPrm(kids, b);
    if (beam.length === 0) return [];
  }
  return [];
}

function beamCalls(n: number, b: number, prmOnLast: boolean): Omit<CallCounts, "repair"> {
  const sizes = beamSizes(n, b);
  const policy = n + sizes.reduce((s, x) => s + x * n, 0);
  const last = (sizes[sizes.length - 1] ?? 1) * n;
  return { policy, prm: prmOnLast ? policy : policy - last, preference: prmOnLast ? 0 : last * (last - 1) };
}

define({
  name: "beam",
  summary: "beam search of width b ranked by the process reward; the best final leaf by the process reward",
  reference: PAPER,
  params: z.object({ children, beam: beamWidth }),
  needs: { prm: true, preference: false },
  expectedCalls: (p) => beamCalls(p.children, p.beam, true),
  async run(ctx, p) {
    return best(await beamSearch(ctx, p.children, p.beam, true), (k) => k.prm);
  },
});

define({
  name: "bpp",
  summary:
    "BPP-Search: beam search ranked by the process reward, then pairwise preference over the final leaves",
  reference: PAPER,
  params: z.object({
    children,
    beam: beamWidth,
    symmetric: z
      .boolean()
      .default(true)
      .describe("compare each pair in both orders (else once, P(b≻a) = 1 − P(a≻b))"),
  }),
  needs: { prm: true, preference: true },
  expectedCalls: (p) => {
    const c = beamCalls(p.children, p.beam, false);
    const m = (beamSizes(p.children, p.beam).at(-1) ?? 1) * p.children;
    return { ...c, preference: p.symmetric ? m * (m - 1) : (m * (m - 1)) / 2 };
  },
  async run(ctx, p) {
    const leaves = await beamSearch(ctx, p.children, p.beam, false);
    await rankByPreference(ctx, leaves, p.symmetric);
    return best(leaves, (k) => k.preference);
  },
});
