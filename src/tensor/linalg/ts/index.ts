import type { LinalgBackend } from "../backend.js";
import { tsGemm } from "./gemm.js";
import { tsQr } from "./householder.js";
import { tsSvd } from "./jacobi.js";

export { tsGemm } from "./gemm.js";
export { householderQr64, tsQr } from "./householder.js";
export { jacobiColumns, tsSvd } from "./jacobi.js";

/** The pure-TypeScript backend: single-threaded, always available, the reference in tests. */
export const tsBackend: LinalgBackend = {
  name: "ts",
  gemm: tsGemm,
  qr: tsQr,
  svd: tsSvd,
  threads: () => 1,
};
