// The structure checks of `npm run check`, over every file under src/ (no dependencies):
//   - no import cycle between files: relative `import … from`, `import type … from`, `export … from`,
//     `import '…'` and `import('…')`, in .ts/.js files and in the <script> blocks of .svelte files;
//   - no file over MAX_LINES lines;
//   - no line over MAX_WIDTH characters (Prettier cannot break long strings and comments).
// usage: node scripts/check-structure.mjs [dir = src] [maxLines = 400] [maxWidth = 160]; exits 1 on any problem.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const [root = 'src', maxLinesArg = '400', maxWidthArg = '160'] = process.argv.slice(2);
const MAX_LINES = Number(maxLinesArg);
const MAX_WIDTH = Number(maxWidthArg);
const SOURCE = /\.(ts|js|mjs|svelte)$/;
/** How a relative specifier may name a file: as written, without its extension, or a folder's index. */
const SUFFIXES = ['', '.ts', '.js', '.svelte', '/index.ts', '/index.js'];

/** Every source file under a folder, as absolute paths. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = resolve(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return SOURCE.test(e.name) ? [path] : [];
  });
}

/** The code that can import: a .svelte file's <script> blocks, any other file whole. */
function code(file, text) {
  if (!file.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/** The relative specifiers a file imports or re-exports from (query strings such as `?raw` dropped). */
function specifiers(text) {
  const patterns = [
    // import x from '…', import { a, type B } from '…', import type { A } from '…', export * from '…', export { a } from '…'
    /^[ \t]*(?:import|export)\b[\w\s{},*$]*?\bfrom\s*(['"])(\.{1,2}\/[^'"]*)\1/gm,
    // import '…' (side effects only)
    /^[ \t]*import\s*(['"])(\.{1,2}\/[^'"]*)\1/gm,
    // import('…')
    /\bimport\s*\(\s*(['"])(\.{1,2}\/[^'"]*)\1\s*\)/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[2].replace(/\?.*$/, '')));
}

/** The file under the checked folder a specifier names, or null (a file elsewhere, e.g. a shader). */
function resolveSpecifier(from, spec, known) {
  const base = resolve(dirname(from), spec);
  for (const suffix of SUFFIXES) {
    const path = base + suffix;
    if (known.has(path) && existsSync(path) && statSync(path).isFile()) return path;
  }
  return null;
}

/** Strongly connected components with more than one file, or one file importing itself (Tarjan). */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).has(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One import path around a component: its first file back to itself (breadth-first, so a shortest one). */
function loopThrough(component, graph) {
  const inside = new Set(component);
  const start = component[0];
  const parent = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const way = [];
        for (let u = v; u !== start; u = parent.get(u)) way.unshift(u);
        return [start, ...way, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const files = sourceFiles(root);
const known = new Set(files);
const show = (file) => relative(process.cwd(), file);
const graph = new Map();
const problems = [];
let longFiles = 0;
let wideLines = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = specifiers(code(file, text)).map((spec) => resolveSpecifier(file, spec, known));
  graph.set(file, new Set(targets.filter((t) => t !== null)));
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // a final newline ends the last line, it does not start another
  if (lines.length > MAX_LINES) {
    longFiles++;
    problems.push(`long: ${show(file)} has ${lines.length} lines (at most ${MAX_LINES})`);
  }
  lines.forEach((line, i) => {
    const width = [...line].length;
    if (width <= MAX_WIDTH) return;
    wideLines++;
    problems.push(`wide: ${show(file)}:${i + 1} has ${width} characters (at most ${MAX_WIDTH})`);
  });
}
const found = cycles(graph);
for (const component of found) {
  problems.push(`cycle: ${loopThrough(component, graph).map(show).join(' → ')}  (files in the cycle: ${component.map(show).sort().join(', ')})`);
}

for (const p of problems) console.log(p);
console.log(
  `check-structure: ${files.length} files under ${root}/, ${found.length} import cycles, ` +
    `${longFiles} files over ${MAX_LINES} lines, ${wideLines} lines over ${MAX_WIDTH} characters`,
);
process.exit(problems.length ? 1 : 0);
