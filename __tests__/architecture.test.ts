// The shape of src/: every module sits in a layer, imports only from its own layer or below, and no two modules
// import each other round (type imports count too: a type cycle is still a cycle a reader has to untangle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../scripts/docs.ts';

/** The longest a function in src/ may be, in lines from its first token to its closing brace. */
const MAX_FUNCTION_LINES = 120;

/** Layers, lowest first. A module's layer is the first entry whose prefix matches its path under src/. */
const LAYERS: ReadonlyArray<readonly [string, number]> = [
  ['constants.ts', 0],
  ['errors.ts', 0],
  ['log.ts', 0],
  ['redact.ts', 0],
  ['security/', 3],
  ['config/', 1],
  ['tools/', 1],
  // MCP servers' tools, run in the tools' sandbox.
  ['mcp/', 1],
  ['git/', 1],
  ['github/', 1],
  ['trigger/', 1],
  // What one agent session is made of: the agent files, the model and its providers, the repository summary.
  ['agents/', 1],
  ['model/', 1],
  ['repo-context/', 1],
  // One session: prompt, loop, STATUS, transcript; it puts the pieces above together.
  ['session/', 2],
  ['report/', 3],
  ['pipeline/', 4],
  ['main.ts', 5],
  ['cli.ts', 5],
  ['index.ts', 5],
];

function layerOf(module: string): number {
  const hit = LAYERS.find(([prefix]) => module === prefix || module.startsWith(prefix));
  assert.ok(hit, `src/${module} has no layer: add its folder to LAYERS in __tests__/architecture.test.ts`);
  return hit[1];
}

/** module (relative to src/) → the modules it imports (relative to src/). */
function importGraph(): Map<string, string[]> {
  const src = join(ROOT, 'src');
  const graph = new Map<string, string[]>();
  for (const file of globSync('**/*.ts', { cwd: src })) {
    const text = readFileSync(join(src, file), 'utf8');
    const statics = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm)];
    const dynamics = [...text.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)];
    const targets = [...statics, ...dynamics].map((m) => relative(src, normalize(join(src, dirname(file), m[1]!))));
    graph.set(file, targets);
  }
  return graph;
}

test('the import scan sees the modules and their imports (sanity)', () => {
  const graph = importGraph();
  assert.ok(graph.size > 40, `found ${graph.size} modules`);
  assert.ok(graph.get('main.ts')?.includes('pipeline/index.ts'), 'main.ts imports the pipeline');
});

test('no module imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const [from, targets] of importGraph()) {
    for (const to of targets)
      if (layerOf(to) > layerOf(from))
        upward.push(`src/${from} (layer ${layerOf(from)}) imports src/${to} (layer ${layerOf(to)})`);
  }
  assert.deepEqual(upward, []);
});

test('no import cycles between folders', () => {
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of importGraph()) {
    const a = dirname(from);
    for (const to of targets) {
      const b = dirname(to);
      if (a !== b && a !== '.' && b !== '.') (folders.get(a) ?? folders.set(a, new Set()).get(a)!).add(b);
    }
  }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]): void => {
    for (const next of folders.get(node) ?? []) {
      if (next === path[0]) cycles.push([...path, next].join(' → '));
      else if (!path.includes(next) && next > path[0]!) visit(next, [...path, next]);
    }
  };
  for (const start of folders.keys()) visit(start, [start]);
  assert.deepEqual(cycles, []);
});

test('no import cycles between modules (dynamic imports included)', () => {
  const graph = importGraph();
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    for (const next of graph.get(node) ?? []) {
      if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (!done.has(next)) visit(next, [...path, next]);
    }
    done.add(node);
  };
  for (const start of graph.keys()) if (!done.has(start)) visit(start, [start]);
  assert.deepEqual(cycles, []);
});

/** Every function in `text` longer than `max` lines: its name (or what it is assigned to), line and length. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const first = source.getLineAndCharacterOfPosition(n.getStart(source)).line;
      const lines = source.getLineAndCharacterOfPosition(n.getEnd()).line - first + 1;
      if (lines > max) found.push(`${functionName(n)} in src/${file}:${first + 1} is ${lines} lines`);
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

function functionName(n: ts.SignatureDeclaration): string {
  if (n.name) return n.name.getText();
  const parent = n.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText();
  return '(anonymous function)';
}

test('no function in src/ is over 120 lines (split it into named helpers)', () => {
  const src = join(ROOT, 'src');
  const files = globSync('**/*.ts', { cwd: src });
  assert.ok(files.length > 40, `found ${files.length} modules`);
  const offenders = files.flatMap((file) =>
    longFunctions(file, readFileSync(join(src, file), 'utf8'), MAX_FUNCTION_LINES),
  );
  assert.deepEqual(offenders, []);
});

test('the function-length check sees a long function (sanity)', () => {
  const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  x += ${i};`).join('\n');
  const text = `export function long(): number {\n  let x = 0;\n${body}\n  return x;\n}\nconst short = () => 1;\n`;
  assert.deepEqual(longFunctions('probe.ts', text, MAX_FUNCTION_LINES), [
    `long in src/probe.ts:1 is ${MAX_FUNCTION_LINES + 4} lines`,
  ]);
  assert.deepEqual(longFunctions('probe.ts', text, MAX_FUNCTION_LINES + 4), []);
});
