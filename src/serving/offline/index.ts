export * from "./bounds.js";
export * from "./lpt.js";
export * from "./packing.js";
export * from "./work.js";
