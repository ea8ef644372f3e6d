/** The tensor engine: dtypes, safetensors files, Hugging Face checkpoint folders, dense linear algebra. */
export * from "./checkpoint/index.js";
export * from "./dtype.js";
export * from "./errors.js";
export * from "./inspect.js";
export * from "./linalg/index.js";
export * from "./safetensors/index.js";
