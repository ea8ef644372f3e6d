export * from "./gsm8k.js";
export * from "./parse.js";
export * from "./read.js";
export * from "./synthetic.js";
export * from "./types.js";
