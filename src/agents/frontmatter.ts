/**
 * The frontmatter of an agent file, read the way Claude Code reads it: strict YAML first; if that fails, the same
 * file with the values YAML trips on quoted and leading tabs turned into spaces (what Claude Code 2.1 does); if that
 * fails too, the plain `key: value` line form these files are written in. Keys are compared without case, `-` or
 * `_` (Claude Code's normalisation: `max_turns`, `max-turns` and `maxTurns` are one field).
 */
import matter from 'gray-matter';

export interface Frontmatter {
  /** The fields under normalised keys (`maxturns`, `disallowedtools`, `timeoutmins`, …). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Each field's value as the line form reads it, for scalars YAML turned into numbers, dates or booleans. */
  readonly text: Readonly<Record<string, string>>;
  /** 1-based line in the file where each field starts. */
  readonly lines: Readonly<Record<string, number>>;
  /** The Markdown after the closing `---`. */
  readonly content: string;
  /** How the fields were read: strict YAML, YAML after Claude Code's repair, or the line form. */
  readonly mode: 'yaml' | 'repaired' | 'lines';
  /** Why strict YAML failed (set unless mode is 'yaml'), with its 1-based file line when known. */
  readonly yamlError?: { readonly reason: string; readonly line?: number };
  /** Strict YAML parsed to a list or a single value rather than fields. */
  readonly notMapping: boolean;
}

/** Why a file has no frontmatter to read; `line` is 1-based. */
export class FrontmatterMissing extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** `max_turns` → `maxturns`: how Claude Code compares frontmatter keys. */
export function normalKey(key: string): string {
  return key.replace(/[-_]/g, '').toLowerCase();
}

/** Reads the frontmatter; throws FrontmatterMissing when the file does not open and close one. */
export function readFrontmatter(text: string): Frontmatter {
  // Frontmatter must be the very first thing, opened and closed by a line of exactly `---` (this also keeps
  // gray-matter's `---js` executable frontmatter out).
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const all = src.split('\n');
  if (all[0]?.trimEnd() !== '---') {
    throw new FrontmatterMissing(
      all[0]?.startsWith('---')
        ? `the first line must be exactly "---" (got "${all[0].slice(0, 40)}"); only YAML frontmatter is supported.`
        : 'does not start with YAML frontmatter. Put a line "---" first, then "name: <agent-name>" and "description: …", then "---", then the instructions.',
      1,
    );
  }
  const closing = all.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
  if (closing < 0) {
    throw new FrontmatterMissing(
      'the frontmatter is not closed. Add a line "---" after the last field, before the instructions.',
      all.length,
    );
  }
  const block = all.slice(1, closing);
  const content = all.slice(closing + 1).join('\n');
  const form = lineForm(block);

  let mode: Frontmatter['mode'] = 'yaml';
  let yamlError: Frontmatter['yamlError'];
  let parsed = tryYaml(block.join('\n'));
  if ('error' in parsed) {
    yamlError = parsed.error;
    if (yamlError.line !== undefined) yamlError = { ...yamlError, line: yamlError.line + 1 };
    parsed = tryYaml(repair(block).join('\n'));
    mode = 'repaired';
  }
  let data: Record<string, unknown>;
  let notMapping = false;
  if ('value' in parsed && isMapping(parsed.value)) {
    data = normalised(parsed.value);
  } else {
    notMapping = 'value' in parsed && parsed.value !== null && parsed.value !== undefined;
    mode = 'lines';
    data = form.data;
  }
  return { data, text: form.text, lines: form.lines, content, mode, ...(yamlError ? { yamlError } : {}), notMapping };
}

function tryYaml(yaml: string): { value: unknown } | { error: { reason: string; line?: number } } {
  try {
    // With options, gray-matter does not cache: each file is parsed afresh.
    return { value: matter(`---\n${yaml}\n---\n`, { language: 'yaml' }).data };
  } catch (e) {
    const err = e as { reason?: string; message?: string; mark?: { line?: number } };
    const reason = err.reason ?? String(err.message ?? e).split('\n')[0]!;
    return { error: { reason, ...(typeof err.mark?.line === 'number' ? { line: err.mark.line + 1 } : {}) } };
  }
}

/** Characters that make a plain YAML value something else (Claude Code's list), and `: ` inside a value. */
const YAML_TRIPS = /[{}[\]*&#!|>%@`]|: /;

/**
 * Claude Code's repair: a `key: value` line whose value is not quoted and holds a character YAML reads as syntax
 * gets its value double-quoted; leading tabs become two spaces each.
 */
function repair(block: readonly string[]): string[] {
  return block.map((line) => {
    const m = /^([a-zA-Z_-]+):\s+(.+)$/.exec(line);
    let out = line;
    if (m) {
      const [, key, value] = m as unknown as [string, string, string];
      const quoted = /^(".*"|'.*')$/.test(value);
      const flowList = value.startsWith('[') && value.endsWith(']') && Array.isArray(tryValue(value));
      if (!quoted && !flowList && YAML_TRIPS.test(value)) {
        out = `${key}: "${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
      }
    }
    return out.replace(/^\t+/, (tabs) => '  '.repeat(tabs.length));
  });
}

function tryValue(yaml: string): unknown {
  const r = tryYaml(`v: ${yaml}`);
  return 'value' in r && isMapping(r.value) ? r.value.v : undefined;
}

interface LineForm {
  data: Record<string, unknown>;
  text: Record<string, string>;
  lines: Record<string, number>;
}

/**
 * The `key: value` line form: a key at the start of a line; its value is the rest of the line (quotes removed,
 * `[a, b]` read as a list). Indented lines, or lines without a key, continue the value: `- item` lines make a list,
 * other lines add to the text (a multi-line description, a `|` or `>` block). `#` lines are comments.
 */
function lineForm(block: readonly string[]): LineForm {
  const form: LineForm = { data: {}, text: {}, lines: {} };
  let key: string | null = null;
  let items: string[] | null = null;
  let parts: string[] = [];
  const flush = (): void => {
    if (key === null) return;
    const text = parts.join(' ').trim();
    form.text[key] = items ? items.join(', ') : text;
    form.data[key] = items ?? scalar(text);
  };
  block.forEach((raw, i) => {
    const line = raw.replace(/\t/g, '  ');
    if (/^\s*#/.test(line) || line.trim() === '') return;
    const field = /^([A-Za-z_][\w.-]*)\s*:(?:\s+(.*)|\s*$)/.exec(line);
    if (field) {
      flush();
      key = normalKey(field[1]!);
      if (key in form.lines) {
        key = null; // a repeated key: the first one counts (as most readers do), the rest is skipped
        return;
      }
      form.lines[key] = i + 2;
      items = null;
      const value = (field[2] ?? '').trim();
      parts = /^[|>][+-]?\d*$/.test(value) ? [] : [value];
      return;
    }
    if (key === null) return;
    const item = /^\s*-\s+(.*)$/.exec(line) ?? /^\s*-$/.exec(line);
    if (item && (items || parts.join('').trim() === '')) {
      items ??= [];
      const v = unquote((item[1] ?? '').trim());
      if (v !== '') items.push(v);
    } else parts.push(line.trim());
  });
  flush();
  return form;
}

/** A line-form value: a flow list `[a, b]` as a list, a quoted string unquoted, an empty value as null. */
function scalar(text: string): unknown {
  if (text === '' || text === '~' || text === 'null') return null;
  if (text.startsWith('[') && text.endsWith(']')) {
    return text
      .slice(1, -1)
      .split(',')
      .map((s) => unquote(s.trim()))
      .filter((s) => s !== '');
  }
  return unquote(text);
}

function unquote(s: string): string {
  const m = /^"(.*)"$/.exec(s) ?? /^'(.*)'$/.exec(s);
  if (!m) return s.replace(/\s+#.*$/, '');
  return s.startsWith('"') ? m[1]!.replace(/\\(["\\])/g, '$1') : m[1]!.replace(/''/g, "'");
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function normalised(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const key = normalKey(k);
    if (!(key in out)) out[key] = v;
  }
  return out;
}
