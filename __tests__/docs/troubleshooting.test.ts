// Every message the action can print is in the README's Troubleshooting (or elsewhere in the README): the messages
// are read from the modules the action is built from (src/index.ts and what it imports) — the first argument of
// UserError, setFailed, core.warning, core.notice, and of the Errors that git, the sandbox and the agent-file parser
// throw into the report — and one fixed part of each must appear in the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT, readDocs } from '../../scripts/docs.ts';

/** The README and the docs/ pages. */
const README = readDocs().replace(/\\`/g, '`');

/** Calls whose first argument is a message a user can see. */
const CALL = /\b(?:new UserError|core\.setFailed|core\.warning|core\.notice|new Error|fail)\(\s*/g;
/** Where `new Error(…)` and the local `fail(…)` carry messages that end up in a report. */
const ERROR_FILES = /^src\/(git\/repository|tools\/sandbox|agents\/definition)\.ts$/;
/** Messages that never reach a user (programming errors, or text only the model sees). */
const INTERNAL = [
  /^Workspace root must be absolute/,
  /^only http:\/\/ URLs can be proxied/,
  /^Bash is not offered/,
  /^the job was cancelled \(/,
  /before prepareBranch\(\)/,
  // A webhook's issue number is always a positive integer.
  /^Issue number … is not a valid number/,
];

/** The fixed (non-interpolated) parts of the string, template or quoted literal starting at `i`, or null. */
function literalParts(src: string, i: number): string[] | null {
  const q = src[i];
  if (q === "'" || q === '"') {
    let s = '';
    for (let j = i + 1; j < src.length; j++) {
      if (src[j] === '\\') s += src[++j];
      else if (src[j] === q) return [s];
      else s += src[j];
    }
    return null;
  }
  if (q !== '`') return null;
  const parts: string[] = [];
  let cur = '';
  let j = i + 1;
  for (; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') cur += src[++j];
    else if (c === '`') break;
    else if (c === '$' && src[j + 1] === '{') {
      parts.push(cur);
      cur = '';
      j = skipExpression(src, j + 2) - 1;
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Index just after the `}` closing an expression that starts at `i`, skipping nested strings and templates. */
function skipExpression(src: string, i: number): number {
  let depth = 1;
  for (let j = i; j < src.length; j++) {
    const c = src[j];
    if (c === "'" || c === '"' || c === '`') {
      let k = j + 1;
      for (; k < src.length && src[k] !== c; k++) {
        if (src[k] === '\\') k++;
        else if (c === '`' && src[k] === '$' && src[k + 1] === '{') k = skipExpression(src, k + 2) - 1;
      }
      j = k;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return j + 1;
  }
  return src.length;
}

/** src/index.ts and every module it reaches through relative imports (static or dynamic): what the bundle holds. */
function actionModules(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+\.ts)['"]/g))
      visit(resolve(dirname(file), m[1]!));
  };
  visit(join(ROOT, 'src', 'index.ts'));
  return [...seen].sort();
}

interface Message {
  readonly where: string;
  readonly parts: string[];
}

function messages(): Message[] {
  const out: Message[] = [];
  for (const file of actionModules()) {
    const rel = relative(ROOT, file).split('\\').join('/');
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(CALL)) {
      const call = m[0];
      if ((call.startsWith('new Error') || call.startsWith('fail(')) && !ERROR_FILES.test(rel)) continue;
      const parts = literalParts(src, m.index + call.length);
      if (!parts) continue; // a variable (e.g. problem.message), documented where it is built
      const line = src.slice(0, m.index).split('\n').length;
      out.push({ where: `${rel}:${line}`, parts });
    }
  }
  return out;
}

/**
 * The part of a message the README must quote: the first 24 characters of its first fixed stretch of at least 16
 * characters, or else of its longest stretch if that has 8 or more.
 */
function key(parts: readonly string[]): string | null {
  const trimmed = parts.map((p) => p.trim());
  const longest = [...trimmed].sort((x, y) => y.length - x.length)[0] ?? '';
  const part = trimmed.find((p) => p.length >= 16) ?? (longest.length >= 8 ? longest : null);
  return part ? part.slice(0, 24).trim() : null;
}

test('the message scan finds the messages (sanity)', () => {
  const all = messages();
  assert.ok(all.length >= 40, `found ${all.length}`);
  assert.ok(actionModules().some((f) => f.endsWith(join('src', 'main.ts'))));
  assert.ok(all.some((m) => m.parts.join('').includes('Allow GitHub Actions to create and approve pull requests')));
});

test('every message the action can print is explained in the README', () => {
  const missing: string[] = [];
  for (const m of messages()) {
    const text = m.parts.join('…');
    if (INTERNAL.some((re) => re.test(text))) continue;
    const k = key(m.parts);
    if (k && !README.includes(k)) missing.push(`${m.where}: "${k}" (${text.slice(0, 100)})`);
  }
  assert.deepEqual(
    missing,
    [],
    'add these to the README (Troubleshooting), or to INTERNAL here if no user can see them',
  );
});
