/** Dense row-major Float32 linear algebra on a selectable backend (native OpenBLAS or TypeScript). */
export type { BackendName, LinalgBackend, QrResult, SvdResult, SymEigResult } from "./backend.js";
export { type GramOptions, gram, symmetricEigen } from "./eigen.js";
export {
  clone,
  identity,
  type Matrix,
  matrix,
  randn,
  scaleCols,
  sliceCols,
  sliceRows,
  transpose,
  vstack,
} from "./matrix.js";
export type { NativeStatus } from "./native.js";
export {
  frobeniusDistance,
  frobeniusNorm,
  relativeError,
  type SpectralNormOptions,
  spectralNorm,
} from "./norms.js";
export { type MatmulOptions, matmul, qr } from "./ops.js";
export {
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
  backendByName,
  backendInfo,
  getBackend,
  setBackend,
} from "./select.js";
export {
  type RandomizedSvdOptions,
  randomizedSvd,
  reconstruct,
  type SvdOptions,
  svd,
  type TruncatedSvdOptions,
  truncate,
  truncatedSvd,
} from "./svd.js";
export { type SvtResult, singularValueThreshold } from "./svt.js";
export { setTsGemmThreads } from "./ts/index.js";
