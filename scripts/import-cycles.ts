/**
 * Import cycles in `src/`: the strongly connected components (Tarjan 1972) of the graph of
 * relative imports and re-exports, type-only ones included (a type-only cycle is still two modules
 * that cannot be understood apart). `npx tsx scripts/import-cycles.ts` lists them; a test keeps
 * the list empty.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));

/** One import cycle: its files (relative to the repository, sorted) and the imports that close it. */
export interface ImportCycle {
  files: string[];
  edges: { from: string; to: string }[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sourceFiles(join(dir, d.name))
      : d.name.endsWith(".ts") && !d.name.endsWith(".d.ts")
        ? [join(dir, d.name)]
        : [],
  );
}

/** The import graph of `src/`: file → the files of `src/` it imports or re-exports from. */
export function importGraph(): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    resolveJsonModule: true,
  };
  const files = sourceFiles(join(root, "src"));
  const inSrc = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = info.importedFiles.flatMap(({ fileName }) => {
      const r = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule;
      return r && inSrc.has(r.resolvedFileName) ? [r.resolvedFileName] : [];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every import cycle of `src/` (components of more than one file, or a file importing itself). */
export function importCycles(graph: Map<string, string[]> = importGraph()): ImportCycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  const rel = (f: string) => relative(root, f);
  return components
    .map((c) => {
      const set = new Set(c);
      return {
        files: c.map(rel).sort(),
        edges: c
          .flatMap((from) => (graph.get(from) ?? []).filter((to) => set.has(to)).map((to) => ({ from, to })))
          .map((e) => ({ from: rel(e.from), to: rel(e.to) }))
          .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
      };
    })
    .sort((a, b) => (a.files[0] ?? "").localeCompare(b.files[0] ?? ""));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cycles = importCycles();
  for (const c of cycles) {
    process.stdout.write(`cycle of ${c.files.length} files:\n`);
    for (const e of c.edges) process.stdout.write(`  ${e.from} -> ${e.to}\n`);
  }
  process.stdout.write(`${cycles.length} import cycle(s) in src/\n`);
}
