#!/usr/bin/env node
// The frugal CLI. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "frugal: error: dist/cli/main.js: the package is not built; run `npm install` (or `npm run build`) in the frugal folder\n",
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
