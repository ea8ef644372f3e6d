export * from "./dualpipe.js";
export * from "./dualpipe-order.js";
export * from "./gpipe.js";
export * from "./interleaved.js";
export * from "./one-f-one-b.js";
export * from "./registry.js";
export * from "./types.js";
export * from "./zb1p.js";
