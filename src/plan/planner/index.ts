/** The MIP planner: the FDJSSP builder, the whole-model and window MIPs, and the searches over them. */
export { Incumbent, improvesOn, type RoundInfo } from "./accept.js";
export {
  flexibleUnsupported,
  solveWholeModel,
  unitDevices,
  type WholeModelInput,
  type WholeModelResult,
} from "./fdjssp.js";
export { FdjsspBuilder, type ModelSize, NO_MODEL } from "./fdjssp-model.js";
export { improveByMip, type LnsOptions, type LnsResult } from "./lns.js";
export { type OperationTable, operationTable, toActions } from "./operations.js";
export { solveWindow, type WindowInput, type WindowResult } from "./window.js";
export { type WindowSearchOptions, type WindowSearchResult, windowSearch } from "./window-lns.js";
