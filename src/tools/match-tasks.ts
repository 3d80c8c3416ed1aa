/**
 * The matching that runs model-controlled patterns (globs through picomatch, regexes through V8) and the pure-JS
 * walk: CPU-bound work that a pathological pattern can make take hours. It runs in a worker thread (match-worker.ts,
 * started by offload.ts), never on the main thread, so a deadline can stop it and the run's clock keeps ticking.
 */
import { lstatSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FILE_TYPES, globMatcher, walkFiles } from './search.ts';
import { displayPath } from './workspace.ts';

/** Files bigger than this are skipped by the JS fallback (ripgrep has no such limit). */
export const FALLBACK_MAX_FILE = 20 * 1024 * 1024;

export type GrepMode = 'content' | 'files_with_matches' | 'count';

export interface GrepJsTask {
  kind: 'grep';
  /** Workspace root: .gitignore rules from here down apply, and names are shown relative to it. */
  root: string;
  /** Real path of the file or folder to search. */
  target: string;
  isDir: boolean;
  pattern: string;
  /** RegExp flags, already checked to compile with `pattern`. */
  flags: string;
  multiline: boolean;
  glob?: string;
  /** Globs of a known FILE_TYPES entry. */
  type?: string;
  mode: GrepMode;
  before: number;
  after: number;
  numbers: boolean;
  /** Only the matched parts, one per line (rg -o). */
  only?: boolean;
  /** Real paths never searched: the run's credential files. */
  hidden?: string[];
}

export type MatchTask =
  /** Keeps the '\n'-separated paths of `listing` that match the glob `pattern` (ripgrep listed them). */
  | { kind: 'filter'; pattern: string; listing: string }
  /**
   * The pure-JS Glob: walks `dir` (honouring .gitignore from `root` down, unless `noIgnore`) and keeps what matches
   * `pattern`.
   */
  | { kind: 'walk'; root: string; dir: string; pattern: string; noIgnore?: boolean }
  | GrepJsTask;

export async function runMatchTask(t: MatchTask): Promise<string[]> {
  switch (t.kind) {
    case 'filter': {
      const match = globMatcher(t.pattern);
      return t.listing.split('\n').filter((f) => f && match(f));
    }
    case 'walk': {
      const match = globMatcher(t.pattern);
      return (await walkFiles(t.root, t.dir, undefined, t.noIgnore)).filter(match);
    }
    case 'grep':
      return grepJs(t);
  }
}

/** Grep without ripgrep: the same output shapes as withRipgrep in grep.ts. */
export async function grepJs(t: GrepJsTask): Promise<string[]> {
  const re = new RegExp(t.pattern, t.flags);
  const filters: ((rel: string) => boolean)[] = [];
  if (t.glob) filters.push(globMatcher(t.glob));
  if (t.type) {
    const ms = (FILE_TYPES[t.type] ?? []).map(globMatcher);
    filters.push((rel) => ms.some((m) => m(rel)));
  }
  const walked = t.isDir ? await walkFiles(t.root, t.target) : [];
  const files = t.isDir
    ? walked.filter((rel) => filters.every((f) => f(rel))).map((rel) => path.join(t.target, rel))
    : [t.target];
  const out: string[] = [];
  const hidden = new Set(t.hidden);
  for (const abs of files) {
    if (hidden.has(abs)) continue;
    let buf: Buffer;
    try {
      const st = lstatSync(abs);
      if (!st.isFile() || st.nlink > 1 || st.size > FALLBACK_MAX_FILE) continue;
      buf = readFileSync(abs);
    } catch {
      continue;
    }
    if (buf.length > FALLBACK_MAX_FILE || buf.subarray(0, 8192).includes(0)) continue;
    searchText(buf.toString('utf8'), displayPath(t.root, abs), re, t, out);
  }
  return out;
}

function searchText(text: string, name: string, re: RegExp, t: GrepJsTask, out: string[]): void {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // Matching line indexes (a multiline match marks every line it spans).
  const hit = new Set<number>();
  if (t.multiline) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    const lineOf = (off: number): number => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= off) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const a = lineOf(m.index);
      const b = lineOf(m.index + Math.max(0, m[0].length - 1));
      for (let i = a; i <= b; i++) hit.add(i);
      if (m[0].length === 0) re.lastIndex++;
    }
  } else {
    lines.forEach((l, i) => {
      re.lastIndex = 0;
      if (re.test(l)) hit.add(i);
    });
  }
  if (hit.size === 0) return;
  if (t.mode === 'files_with_matches') out.push(name);
  else if (t.mode === 'count') out.push(`${name}:${hit.size}`);
  else if (t.only) {
    for (const i of [...hit].sort((a, b) => a - b)) {
      const line = lines[i] ?? '';
      re.lastIndex = 0;
      for (let m = re.exec(line); m; m = re.exec(line)) {
        if (m[0].length === 0) re.lastIndex++;
        else out.push(`${name}:${t.numbers ? `${i + 1}:` : ''}${m[0]}`);
      }
    }
  } else {
    const show = new Set<number>();
    for (const i of hit) {
      for (let j = Math.max(0, i - t.before); j <= Math.min(lines.length - 1, i + t.after); j++) show.add(j);
    }
    let prev = -2;
    for (const i of [...show].sort((a, b) => a - b)) {
      if (prev >= 0 && i !== prev + 1 && (t.before || t.after)) out.push('--');
      const sep = hit.has(i) ? ':' : '-';
      out.push(`${name}${sep}${t.numbers ? `${i + 1}${sep}` : ''}${lines[i]}`);
      prev = i;
    }
  }
}
