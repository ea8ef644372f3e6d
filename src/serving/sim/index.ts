export * from "./heap.js";
export * from "./simulate.js";
export * from "./state.js";
