// The workspace's file list: git ls-files when it can (what a fresh checkout holds), else a capped directory walk that
// honours every .gitignore on the way.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { dirCache, SKIPPED_DIRS } from './paths.ts';
import { readHead } from './read.ts';

export const WALK_MAX_DEPTH = 12;
export const WALK_MAX_FILES = 50_000;
/** A .gitignore is read up to this size. */
const GITIGNORE_MAX_BYTES = 64 * 1024;
const GIT_TIMEOUT_MS = 10_000;

export interface FileListing {
  files: string[];
  source: 'git' | 'walk';
  /** The walk stopped at its caps. */
  truncated: boolean;
}

/** The workspace's files, relative POSIX paths, .gitignore honoured, skipped directories left out. */
export async function listFiles(workspace: string): Promise<FileListing> {
  if (existsSync(join(workspace, '.git'))) {
    const fromGit = await gitLsFiles(workspace);
    if (fromGit && fromGit.length > 0) {
      const split = dirCache();
      return { files: fromGit.filter((f) => !split(f).info.skipped), source: 'git', truncated: false };
    }
  }
  return walk(workspace);
}

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  HOME: '/nonexistent',
  LC_ALL: 'C',
};

/** Tracked files (what a fresh checkout holds); null when git cannot tell (not a repo, dubious ownership, no git). */
function gitLsFiles(cwd: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      [
        '-c',
        'core.quotepath=off',
        '-c',
        'core.fsmonitor=false',
        '-c',
        'core.hooksPath=/dev/null',
        '-c',
        'safe.directory=*',
        'ls-files',
        '-z',
      ],
      // No user or system config and none of the action's secrets: only what git needs to list the index.
      { cwd, env: GIT_ENV, maxBuffer: 256 * 1024 * 1024, timeout: GIT_TIMEOUT_MS, encoding: 'utf8', windowsHide: true },
      (err, stdout) => {
        if (err) return resolve(null);
        const files: string[] = [];
        // Entries are sorted; an unmerged path is listed once per stage, next to each other.
        for (const f of stdout.split('\0')) if (f && f !== files[files.length - 1]) files.push(f);
        resolve(files);
      },
    );
  });
}

interface IgnoreScope {
  /** Directory the .gitignore is in, '' or ending in '/'. */
  base: string;
  ig: Ignore;
}

/** Breadth-first walk with depth and file caps, honouring every .gitignore on the way. */
async function walk(workspace: string): Promise<FileListing> {
  const files: string[] = [];
  let truncated = false;
  let level: { dir: string; scopes: IgnoreScope[] }[] = [{ dir: '', scopes: [] }];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > WALK_MAX_DEPTH) {
      truncated = true;
      break;
    }
    const entries = await Promise.all(
      level.map(async ({ dir, scopes }) => {
        const list = await readdir(join(workspace, dir), { withFileTypes: true }).catch(() => []);
        let own = scopes;
        if (list.some((e) => e.name === '.gitignore' && e.isFile())) {
          const rules = await readHead(join(workspace, dir, '.gitignore'), GITIGNORE_MAX_BYTES);
          if (rules) own = [...scopes, { base: dir, ig: ignore().add(rules) }];
        }
        return { dir, scopes: own, list };
      }),
    );
    const next: typeof level = [];
    for (const { dir, scopes, list } of entries) {
      for (const e of list) {
        const rel = dir + e.name;
        const isDir = e.isDirectory();
        if (isDir && SKIPPED_DIRS.has(e.name)) continue;
        if (!isDir && !e.isFile()) continue; // symlinks, sockets: not followed
        if (isIgnored(scopes, rel, isDir)) continue;
        if (isDir) next.push({ dir: `${rel}/`, scopes });
        else if (files.length < WALK_MAX_FILES) files.push(rel);
        else truncated = true;
      }
    }
    if (files.length >= WALK_MAX_FILES) {
      truncated = truncated || next.length > 0;
      break;
    }
    level = next;
  }
  return { files, source: 'walk', truncated };
}

function isIgnored(scopes: readonly IgnoreScope[], rel: string, isDir: boolean): boolean {
  for (const { base, ig } of scopes) {
    const sub = rel.slice(base.length);
    if (sub && ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}
