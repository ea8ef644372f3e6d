/**
 * Backend selection. `auto` (default) uses the native OpenBLAS backend when its addon loads and
 * the TypeScript backend otherwise; FRUGAL_BACKEND=native|ts|auto or `setBackend()` forces one.
 * Forcing `native` when it is unavailable is an error that says why. Threads: OpenBLAS uses its
 * own threads (default: all cores; FRUGAL_THREADS or OPENBLAS_NUM_THREADS to change); the TS
 * backend's gemm splits rows over worker threads (FRUGAL_THREADS, default all cores). Calls are
 * synchronous, so the two never run at the same time and never oversubscribe the cores.
 */
import { availableParallelism } from "node:os";
import { UsageError } from "../../errors/index.js";
import type { BackendName, LinalgBackend } from "./backend.js";
import { loadNative, makeNativeBackend, type NativeStatus } from "./native.js";
import { tsBackend } from "./ts/index.js";

/** A backend to select: a name, or `auto` (native when its addon loads, else ts). */
export type BackendChoice = BackendName | "auto";
/** Every BackendChoice, for flags and validation. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "native", "ts"];

let current: LinalgBackend | undefined;
let requested: BackendChoice | undefined;
let requestedBy: "FRUGAL_BACKEND" | "setBackend" | "default" = "default";
let nativeBackend: LinalgBackend | undefined;

function nativeOrWhy(): { backend?: LinalgBackend; status: NativeStatus } {
  const { addon, status } = loadNative();
  if (addon && !nativeBackend) nativeBackend = makeNativeBackend(addon);
  return { backend: addon ? nativeBackend : undefined, status };
}

function resolve(choice: BackendChoice, where: string): LinalgBackend {
  if (choice === "ts") return tsBackend;
  const { backend, status } = nativeOrWhy();
  if (backend) return backend;
  if (choice === "native") {
    throw new UsageError({
      where,
      what: `the native backend is unavailable: ${status.reason}`,
      hint: "use FRUGAL_BACKEND=ts or auto",
    });
  }
  return tsBackend;
}

function parseChoice(v: string, where: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new UsageError({
    where,
    what: `unknown backend "${v}"`,
    hint: `use one of ${BACKEND_CHOICES.join(", ")}`,
  });
}

/** Selects the backend for all following linear algebra; returns it. */
export function setBackend(choice: BackendChoice): LinalgBackend {
  const c = parseChoice(choice, "setBackend");
  current = resolve(c, "setBackend");
  requested = c;
  requestedBy = "setBackend";
  return current;
}

/** The backend in use (chosen on first call from FRUGAL_BACKEND, default auto). */
export function getBackend(): LinalgBackend {
  if (current) return current;
  const env = process.env.FRUGAL_BACKEND;
  if (env) {
    requested = parseChoice(env, "FRUGAL_BACKEND");
    requestedBy = "FRUGAL_BACKEND";
    current = resolve(requested, `FRUGAL_BACKEND=${env}`);
  } else {
    requested = "auto";
    requestedBy = "default";
    current = resolve("auto", "backend");
  }
  return current;
}

/** A specific backend without changing the selection (tests and benchmarks compare both). */
export function backendByName(name: BackendName): LinalgBackend {
  return resolve(name, `backend ${name}`);
}

/** Which backend runs and why (what `frugal inspect --env` prints). */
export interface BackendInfo {
  /** The backend in use. */
  backend: BackendName;
  /** The choice it was resolved from. */
  requested: BackendChoice;
  /** Where that choice came from. */
  requestedBy: "FRUGAL_BACKEND" | "setBackend" | "default";
  /** Threads the backend computes with. */
  threads: number;
  /** Cores available to this process. */
  cores: number;
  /** Whether the native addon loaded, and why not when it did not. */
  native: NativeStatus;
}

/** Which backend runs, why, and with how many threads. */
export function backendInfo(): BackendInfo {
  const b = getBackend();
  const { status } = nativeOrWhy();
  return {
    backend: b.name,
    requested: requested ?? "auto",
    requestedBy,
    threads: b.threads(),
    cores: availableParallelism(),
    native: status,
  };
}
