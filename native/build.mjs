#!/usr/bin/env node
// Builds the optional OpenBLAS addon (native/build/Release/frugal_blas.node) with npm's bundled
// node-gyp. A failed build never fails the install: frugal then runs on its pure-TypeScript
// backend and `frugal inspect --env` says why. Set FRUGAL_SKIP_NATIVE=1 to skip the build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const warn = (msg) => process.stderr.write(`frugal: warning: ${msg}\n`);

function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // .../npm/bin/npm-cli.js -> .../npm/node_modules/node-gyp/bin/node-gyp.js
    candidates.push(
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  return candidates.find((c) => existsSync(c));
}

function main() {
  if (process.env.FRUGAL_SKIP_NATIVE === "1") {
    warn("FRUGAL_SKIP_NATIVE=1: not building the OpenBLAS addon; the TypeScript backend will be used");
    return;
  }
  const hasBlas = [
    "/usr/include/x86_64-linux-gnu/cblas.h",
    "/usr/include/cblas.h",
    "/usr/include/openblas/cblas.h",
  ].some((p) => existsSync(p));
  if (!hasBlas) {
    warn(
      "OpenBLAS headers not found (Debian/Ubuntu: apt-get install libopenblas-dev); using the TypeScript backend",
    );
    return;
  }
  const gyp = nodeGypScript();
  if (!gyp) {
    warn("node-gyp not found; the OpenBLAS addon was not built; using the TypeScript backend");
    return;
  }
  const args = [gyp, "rebuild"];
  // Use the installed Node headers (Debian's nodejs-dev / the node tarball) rather than downloading them.
  const nodedir =
    process.env.npm_config_nodedir ??
    [dirname(dirname(process.execPath)), "/usr"].find((d) =>
      existsSync(join(d, "include", "node", "node_api.h")),
    );
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, {
    cwd: here,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (r.status !== 0) {
    const tail = (r.stderr ?? "").trim().split("\n").slice(-5).join("\n");
    warn(`building the OpenBLAS addon failed; using the TypeScript backend\n${tail}`);
    return;
  }
  process.stderr.write("frugal: built the OpenBLAS addon (native/build/Release/frugal_blas.node)\n");
}

try {
  main();
} catch (e) {
  warn(`building the OpenBLAS addon failed (${e?.message ?? e}); using the TypeScript backend`);
}
