/**
 * `npm run bench [-- AREA ...]`: runs the benchmarks of the named areas (default: all), each a
 * standalone script `bench/AREA.ts` that compares against a reference in the same run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const all = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();
const args = process.argv.slice(2);
const areas = args.length ? args : all;
let failed = 0;
for (const a of areas) {
  const file = `${dir}${a}.ts`;
  if (!existsSync(file)) {
    process.stderr.write(`bench: no benchmark "${a}"; available: ${all.join(", ")}\n`);
    process.exitCode = 2;
    continue;
  }
  process.stdout.write(`\n=== bench ${a} ===\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
if (failed) process.exitCode = 1;
