/**
 * Vitest global setup: CLI tests spawn the built CLI (`bin/frugal.js` → `dist/`), as users run it,
 * so the build is brought up to date once before any test runs (incremental: ~1 s when current).
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}
