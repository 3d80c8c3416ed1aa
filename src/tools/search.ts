/**
 * Shared by Glob and Grep: ripgrep when it is on PATH (fast, honours .gitignore), else a pure-JS walk with the
 * `ignore` package. Both skip `.git`, include dotfiles and honour .gitignore files even outside a git repository.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as C } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

/** Finds an executable on PATH (of `env`), or null. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      accessSync(p, C.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ProcOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout went past maxBytes and was cut. */
  cut: boolean;
}

/** Runs a helper (ripgrep) with no shell, collecting output up to maxBytes. */
export function runProcess(
  file: string,
  args: string[],
  cwd: string,
  signal?: AbortSignal,
  maxBytes = 32 * 1024 * 1024,
): Promise<ProcOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let cut = false;
    child.stdout.on('data', (d: Buffer) => {
      if (cut) return;
      size += d.length;
      out.push(d);
      if (size > maxBytes) {
        cut = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), cut }),
    );
  });
}

/**
 * Every file under `dir` (relative paths, '/'-separated), skipping `.git` and what .gitignore files (from
 * `root` down) exclude, unless `noIgnore`. Symlinks are not followed.
 */
export async function walkFiles(root: string, dir: string, signal?: AbortSignal, noIgnore = false): Promise<string[]> {
  const files: string[] = [];
  // Rules of the .gitignore files between root and dir apply too.
  const rules: { base: string; ig: Ignore }[] = [];
  const chain: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === root || path.dirname(d) === d || !d.startsWith(root)) break;
  }
  for (const d of chain.slice(0, -1)) await addRules(rules, d);
  // A folder searched by name is searched even when it is ignored itself, as ripgrep does with a path it is given.
  if (dir !== root && ignored(rules, dir, true)) rules.length = 0;

  const visit = async (abs: string): Promise<void> => {
    signal?.throwIfAborted();
    const added = await addRules(rules, abs);
    const entries = await fsp.readdir(abs, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name === '.git') continue;
      const full = path.join(abs, e.name);
      const isDir = e.isDirectory();
      if (!isDir && !e.isFile()) continue;
      if (!noIgnore && ignored(rules, full, isDir)) continue;
      if (isDir) await visit(full);
      else files.push(path.relative(dir, full).split(path.sep).join('/'));
    }
    if (added) rules.pop();
  };
  await visit(dir);
  return files;
}

async function addRules(rules: { base: string; ig: Ignore }[], d: string): Promise<boolean> {
  const text = await fsp.readFile(path.join(d, '.gitignore'), 'utf8').catch(() => null);
  if (text === null) return false;
  rules.push({ base: d, ig: ignore().add(text) });
  return true;
}

function ignored(rules: readonly { base: string; ig: Ignore }[], full: string, isDir: boolean): boolean {
  for (const { base, ig } of rules) {
    const rel = path.relative(base, full).split(path.sep).join('/');
    if (rel && !rel.startsWith('..') && ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** A glob matcher with ripgrep's (gitignore) semantics: a pattern without '/' matches the file name anywhere. */
export function globMatcher(pattern: string): (rel: string) => boolean {
  const p = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  const m = picomatch(p, { dot: true, basename: !p.includes('/') });
  return (rel) => m(rel);
}

/** File types for Grep's `type` when ripgrep is not available (ripgrep knows many more). */
export const FILE_TYPES: Readonly<Record<string, readonly string[]>> = {
  js: ['*.js', '*.jsx', '*.mjs', '*.cjs', '*.vue'],
  ts: ['*.ts', '*.tsx', '*.mts', '*.cts'],
  py: ['*.py', '*.pyi'],
  go: ['*.go'],
  rust: ['*.rs'],
  java: ['*.java', '*.jsp'],
  kotlin: ['*.kt', '*.kts'],
  ruby: ['*.rb', '*.gemspec', 'Gemfile', 'Rakefile'],
  php: ['*.php'],
  cs: ['*.cs'],
  c: ['*.c', '*.h'],
  cpp: ['*.cpp', '*.cc', '*.cxx', '*.hpp', '*.hh', '*.h'],
  sql: ['*.sql'],
  json: ['*.json'],
  yaml: ['*.yaml', '*.yml'],
  toml: ['*.toml'],
  md: ['*.md', '*.markdown'],
  markdown: ['*.md', '*.markdown'],
  html: ['*.html', '*.htm'],
  css: ['*.css', '*.scss', '*.sass', '*.less'],
  sh: ['*.sh', '*.bash', '*.zsh'],
  xml: ['*.xml'],
  docker: ['Dockerfile', '*.dockerfile', 'Dockerfile.*'],
  prisma: ['*.prisma'],
  proto: ['*.proto'],
};
