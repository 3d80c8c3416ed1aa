// Regenerates the README's tables from their sources, so the docs cannot drift from the code:
//   inputs, outputs  ← action.yml
//   models           ← src/agent/models.ts (aliases, ids, windows, prices)
//   domains          ← src/tools/proxy.ts (the default allowed-domains)
// Each table sits between `<!-- NAME:start -->` and `<!-- NAME:end -->`.
//
//   node scripts/docs.ts           rewrite README.md
//   node scripts/docs.ts --check   exit 1 when README.md is stale (CI, and __tests__/docs/docs.test.ts)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_ALIASES, resolveModel } from '../src/agent/models.ts';
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

/** The inputs and outputs action.yml declares, in file order. */
export function readContract(actionYml: string): ActionContract {
  const doc = record(parseYaml(actionYml), 'the document');
  const inputs = Object.entries(record(doc.inputs ?? {}, 'inputs')).map(([name, raw]): ActionInput => {
    const v = record(raw, `input ${name}`);
    if (typeof v.description !== 'string' || !v.description.trim()) throw new Error(`action.yml: input ${name} has no description`);
    return {
      name,
      description: v.description.trim(),
      required: v.required === true,
      ...(v.default !== undefined ? { default: String(v.default) } : {}),
    };
  });
  const outputs = Object.entries(record(doc.outputs ?? {}, 'outputs')).map(([name, raw]): ActionOutput => {
    const v = record(raw, `output ${name}`);
    if (typeof v.description !== 'string' || !v.description.trim()) throw new Error(`action.yml: output ${name} has no description`);
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
  return ['| Output | Description |', '|---|---|', ...outputs.map((o) => `| ${code(o.name)} | ${cell(o.description)} |`)].join('\n');
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

/** Every generated section of the README, by marker name. */
export function generatedSections(actionYml: string): Record<string, string> {
  const contract = readContract(actionYml);
  return {
    inputs: inputsTable(contract.inputs),
    outputs: outputsTable(contract.outputs),
    models: modelsTable(),
    domains: domainsList(),
  };
}

/** The README with every marked section replaced. Throws when a marker pair is missing or doubled. */
export function updateReadme(readme: string, sections: Readonly<Record<string, string>>): string {
  let out = readme;
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < 0 || j < i) throw new Error(`README.md lacks the markers ${start} … ${end}`);
    if (out.indexOf(start, i + 1) >= 0 || out.indexOf(end, j + 1) >= 0) throw new Error(`README.md has the markers for "${name}" twice`);
    out = `${out.slice(0, i + start.length)}\n${body}\n${out.slice(j)}`;
  }
  return out;
}

export interface DocsResult {
  /** Names of the sections whose text differs from what the generator produces. */
  readonly stale: readonly string[];
  readonly current: string;
  readonly expected: string;
}

/** Compares the README with freshly generated sections; writes it when `write` is set. */
export function syncReadme(opts: { root?: string; write?: boolean } = {}): DocsResult {
  const root = opts.root ?? ROOT;
  const readmePath = join(root, 'README.md');
  const current = readFileSync(readmePath, 'utf8');
  const sections = generatedSections(readFileSync(join(root, 'action.yml'), 'utf8'));
  const expected = updateReadme(current, sections);
  const stale = Object.keys(sections).filter((name) => updateReadme(current, { [name]: sections[name]! }) !== current);
  if (opts.write && expected !== current) writeFileSync(readmePath, expected);
  return { stale, current, expected };
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const { stale } = syncReadme({ write: !check });
  if (check && stale.length) {
    console.error(`README.md is stale (${stale.join(', ')}): run \`npm run docs\` and commit README.md.`);
    process.exit(1);
  }
  console.log(check ? 'README.md is up to date.' : stale.length ? `README.md: rewrote ${stale.join(', ')}.` : 'README.md was already up to date.');
}
