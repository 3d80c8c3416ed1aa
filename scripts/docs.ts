// Regenerates the documentation's tables from their sources, so the docs cannot drift from the code:
//   inputs, outputs  ← action.yml
//   models           ← src/model/models.ts (aliases, ids, windows, prices)
//   domains          ← src/tools/proxy.ts (the default allowed-domains)
// Each table sits between `<!-- NAME:start -->` and `<!-- NAME:end -->`, on exactly one of README.md and docs/*.md.
//
//   node scripts/docs.ts           rewrite the stale pages
//   node scripts/docs.ts --check   exit 1 when a page is stale (CI, and __tests__/docs/docs.test.ts)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_ALIASES, resolveModel } from '../src/model/models.ts';
import { DEFAULT_ALLOWED_DOMAINS } from '../src/tools/proxy.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ActionInput {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly default?: string;
}

export interface ActionOutput {
  readonly name: string;
  readonly description: string;
}

export interface ActionContract {
  readonly inputs: readonly ActionInput[];
  readonly outputs: readonly ActionOutput[];
}

interface YamlModule {
  load(text: string, opts?: object): unknown;
  safeLoad?(text: string, opts?: object): unknown;
}

/**
 * js-yaml comes with gray-matter (a runtime dependency), so nothing new is installed for the docs. It is 3.x there,
 * where `load` also builds JavaScript types and `safeLoad` is the plain-YAML one; in 4.x `load` is safe and
 * `safeLoad` throws.
 */
export function parseYaml(text: string): unknown {
  const require = createRequire(import.meta.url);
  const yaml = require('js-yaml') as YamlModule;
  const major = Number(String((require('js-yaml/package.json') as { version: string }).version).split('.')[0]);
  return major < 4 && yaml.safeLoad ? yaml.safeLoad(text) : yaml.load(text);
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`action.yml: ${what} must be a mapping`);
  return v as Record<string, unknown>;
}

/** A YAML scalar as action.yml text; a mapping or list where a scalar belongs is an error, not `[object Object]`. */
function scalar(v: unknown, what: string): string {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`action.yml: ${what} must be a string, number or boolean`);
}

/** The inputs and outputs action.yml declares, in file order. */
export function readContract(actionYml: string): ActionContract {
  const doc = record(parseYaml(actionYml), 'the document');
  const inputs = Object.entries(record(doc.inputs ?? {}, 'inputs')).map(([name, raw]): ActionInput => {
    const v = record(raw, `input ${name}`);
    if (typeof v.description !== 'string' || !v.description.trim())
      throw new Error(`action.yml: input ${name} has no description`);
    return {
      name,
      description: v.description.trim(),
      required: v.required === true,
      ...(v.default !== undefined ? { default: scalar(v.default, `the default of input ${name}`) } : {}),
    };
  });
  const outputs = Object.entries(record(doc.outputs ?? {}, 'outputs')).map(([name, raw]): ActionOutput => {
    const v = record(raw, `output ${name}`);
    if (typeof v.description !== 'string' || !v.description.trim())
      throw new Error(`action.yml: output ${name} has no description`);
    return { name, description: v.description.trim() };
  });
  return { inputs, outputs };
}

/** A table cell: one line, pipes escaped. */
function cell(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

function inputsTable(inputs: readonly ActionInput[]): string {
  const rows = inputs.map((i) => {
    const dflt = i.required ? '**required**' : i.default === undefined || i.default === '' ? '' : code(i.default);
    return `| ${code(i.name)} | ${cell(dflt)} | ${cell(i.description)} |`;
  });
  return ['| Input | Default | Description |', '|---|---|---|', ...rows].join('\n');
}

function outputsTable(outputs: readonly ActionOutput[]): string {
  return [
    '| Output | Description |',
    '|---|---|',
    ...outputs.map((o) => `| ${code(o.name)} | ${cell(o.description)} |`),
  ].join('\n');
}

function usd(n: number): string {
  return `$${Number(n.toFixed(4))}`;
}

function tokens(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}K`;
}

/** The aliases an agent file or the `model` input may use, with what they resolve to. */
function modelsTable(): string {
  const rows = MODEL_ALIASES.map((alias) => {
    const m = resolveModel(alias, alias);
    const p = m.prices;
    let prices = `${usd(p.input)} / ${usd(p.output)} / ${usd(p.cacheWrite)} / ${usd(p.cacheRead)}`;
    if (m.longPrompt) {
      const l = m.longPrompt;
      prices += `; above ${tokens(l.above)} prompt tokens: ${usd(l.input)} / ${usd(l.output)} / ${usd(l.cacheWrite)} / ${usd(l.cacheRead)}`;
    }
    return `| ${code(alias)} | ${code(m.id)} | ${tokens(m.contextWindow)} | ${tokens(m.maxOutput)} | ${prices} |`;
  });
  return [
    '| Alias | Model id | Window the loop works within | Max output | USD per million tokens: input / output / cache write / cache read |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function domainsList(): string {
  return DEFAULT_ALLOWED_DOMAINS.map(code).join(', ');
}

/** Every generated section of the docs, by marker name. */
export function generatedSections(actionYml: string): Record<string, string> {
  const contract = readContract(actionYml);
  return {
    inputs: inputsTable(contract.inputs),
    outputs: outputsTable(contract.outputs),
    models: modelsTable(),
    domains: domainsList(),
  };
}

/** A page with every given marked section replaced. Throws when a marker pair is missing or doubled. */
export function updateReadme(readme: string, sections: Readonly<Record<string, string>>): string {
  let out = readme;
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < 0 || j < i) throw new Error(`the page lacks the markers ${start} … ${end}`);
    if (out.indexOf(start, i + 1) >= 0 || out.indexOf(end, j + 1) >= 0)
      throw new Error(`the page has the markers for "${name}" twice`);
    out = `${out.slice(0, i + start.length)}\n${body}\n${out.slice(j)}`;
  }
  return out;
}

/** The documentation pages, README first: the README's first screen and the pages under docs/. */
export function docPages(root: string = ROOT): string[] {
  const dir = join(root, 'docs');
  const pages = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...pages];
}

/** All documentation as one text (README first), for checks that a thing is documented somewhere. */
export function readDocs(root: string = ROOT): string {
  return docPages(root)
    .map((p) => readFileSync(join(root, p), 'utf8'))
    .join('\n\n');
}

export interface DocsResult {
  /** Names of the sections whose text differs from what the generator produces. */
  readonly stale: readonly string[];
  /** The pages holding a stale section, relative to the root. */
  readonly pages: readonly string[];
}

/**
 * Compares each page with freshly generated sections (every section lives in exactly one page); writes the stale
 * pages when `write` is set. Throws when a section's markers are on no page or on several.
 */
export function syncDocs(opts: { root?: string; write?: boolean } = {}): DocsResult {
  const root = opts.root ?? ROOT;
  const sections = generatedSections(readFileSync(join(root, 'action.yml'), 'utf8'));
  const texts = new Map(docPages(root).map((p) => [p, readFileSync(join(root, p), 'utf8')]));
  const stale: string[] = [];
  const pages = new Set<string>();
  for (const [name, body] of Object.entries(sections)) {
    const holders = [...texts].filter(([, t]) => t.includes(`<!-- ${name}:start -->`));
    if (holders.length !== 1)
      throw new Error(`The markers <!-- ${name}:start --> must be on exactly one page (found on ${holders.length}).`);
    const [page, current] = holders[0]!;
    const expected = updateReadme(current, { [name]: body });
    if (expected === current) continue;
    stale.push(name);
    pages.add(page);
    texts.set(page, expected);
  }
  if (opts.write) for (const p of pages) writeFileSync(join(root, p), texts.get(p)!);
  return { stale, pages: [...pages] };
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const { stale, pages } = syncDocs({ write: !check });
  if (check && stale.length) {
    console.error(`${pages.join(', ')} stale (${stale.join(', ')}): run \`npm run docs\` and commit the pages.`);
    process.exit(1);
  }
  console.log(
    check
      ? 'The docs are up to date.'
      : stale.length
        ? `${pages.join(', ')}: rewrote ${stale.join(', ')}.`
        : 'The docs were already up to date.',
  );
}
