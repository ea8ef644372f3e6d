/** `npm run schemas`: writes every JSON Schema of src/schemas.ts into schemas/. */
import { writeFileSync } from "node:fs";
import { JSON_SCHEMAS } from "../src/schemas.js";

for (const [file, make] of Object.entries(JSON_SCHEMAS)) {
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), `${JSON.stringify(make(), null, 2)}\n`);
  process.stdout.write(`wrote schemas/${file}\n`);
}
