import type { LinalgBackend } from "../backend.js";
import { tsGemm } from "./gemm.js";
import { tsGemmThreads } from "./gemm-pool.js";
import { tsQr } from "./householder.js";
import { tsSvd } from "./jacobi.js";

export { tsGemm } from "./gemm.js";
export { gemmRowsKernel } from "./gemm-kernel.js";
export { setTsGemmThreads, shutdownGemmPool, tsGemmThreads } from "./gemm-pool.js";
export { householderQr64, tsQr } from "./householder.js";
export { jacobiColumns, tsSvd } from "./jacobi.js";

/** The pure-TypeScript backend: always available, the reference in tests; gemm uses every core. */
export const tsBackend: LinalgBackend = {
  name: "ts",
  gemm: tsGemm,
  qr: tsQr,
  svd: tsSvd,
  threads: tsGemmThreads,
};
