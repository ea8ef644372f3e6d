/** The frugal library: each capability's plain functions over plain data. */

export { runDemo } from "./demo/index.js";
export * from "./errors/index.js";
export * from "./mip/index.js";
export * from "./report/index.js";
