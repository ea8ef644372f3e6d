/** Search strategies over the layered tree of partial models (BPP-Search and its baselines). */

/** Running a search on one word problem. */
export {
  type PreparedSearch,
  prepareSearch,
  runSearch,
  type SearchOptions,
  type SearchResult,
} from "./run.js";
/** The strategy registry and the number of generated layers. */
export { GENERATED_LAYERS, type StrategyEntry, strategies } from "./strategies.js";
/** The tree and the operations strategies are built from. */
export {
  best,
  type CallCounts,
  expand,
  interpretLayer,
  rankByPreference,
  rootNode,
  type SearchContext,
  scoreNodes,
  type TreeNode,
  topByPrm,
} from "./tree.js";
