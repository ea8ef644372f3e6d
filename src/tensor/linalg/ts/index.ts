/** The pure-TypeScript linear-algebra backend and its thread setting. */
import type { LinalgBackend } from "../backend.js";
import { tsGemm } from "./gemm.js";
import { tsGemmThreads } from "./gemm-pool.js";
import { tsQr } from "./householder.js";
import { tsSvd } from "./jacobi.js";
import { tsSymEig, tsSyrk } from "./symmetric.js";

export { setTsGemmThreads, tsGemmThreads } from "./gemm-pool.js";
export { tsSymEig, tsSyrk } from "./symmetric.js";

/** The pure-TypeScript backend: always available, the reference in tests; gemm uses every core. */
export const tsBackend: LinalgBackend = {
  name: "ts",
  gemm: tsGemm,
  qr: tsQr,
  svd: tsSvd,
  syrk: tsSyrk,
  symEig: tsSymEig,
  threads: tsGemmThreads,
};
