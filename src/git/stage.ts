// Staging the agent's work without letting one odd path lose all of it: `git add` of exactly the paths status
// reports (never `--all` over the tree), nested repositories and submodule pointers left out, a path git refuses
// skipped instead of failing the whole add. Shared by the action's Repository and the local CLI.
import { GitCommandError, type GitCommandManager } from './command.ts';
import { parseStatus, skipReason, sortChanges, STATUS_ARGS } from './status.ts';
import type { SkippedPath, StatusEntry, WorkspaceChanges } from './status.ts';

/**
 * On every diff: with an explicit `--ignore-submodules`, git takes no per-submodule setting from `.gitmodules`, so a
 * hostile one (`update = !cmd`, which git refuses with a fatal error) cannot fail the command. `dirty` still shows a
 * moved gitlink and never looks inside a nested repository.
 */
export const NO_SUBMODULE_CONFIG = '--ignore-submodules=dirty';

/** `git diff` naming changed paths, NUL-separated, with no driver, textconv or submodule config of the repository's. */
export const NAMES_DIFF = [
  'diff',
  '--name-only',
  '-z',
  '--no-renames',
  '--no-ext-diff',
  '--no-textconv',
  NO_SUBMODULE_CONFIG,
];

/**
 * The run's diff from `from` to HEAD, byte for byte: what a replay must reproduce. The action and the CLI hash the
 * same text, so it is spelled once.
 */
export function replayDiffArgs(from: string): string[] {
  return [
    'diff',
    '--binary',
    '--full-index',
    '--no-ext-diff',
    '--no-textconv',
    '--no-color',
    NO_SUBMODULE_CONFIG,
    from,
    'HEAD',
    '--',
  ];
}
/** Paths the action passes are names, not patterns: `*` or `:(glob)x` as a file name matches only that file. */
export const LITERAL_PATHSPECS: Readonly<Record<string, string>> = { GIT_LITERAL_PATHSPECS: '1' };
const GITLINK_MODE = '160000';
/** Characters of paths per `git add`, well under the kernel's argument limits. */
const ADD_CHUNK_CHARS = 64 * 1024;

export async function workspaceStatus(git: GitCommandManager): Promise<StatusEntry[]> {
  return parseStatus(await git.exec(STATUS_ARGS));
}

export function chunked(paths: readonly string[], max = ADD_CHUNK_CHARS): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const p of paths) {
    if (cur.length && size + p.length + 1 > max) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += p.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Stages the workspace's changes into the index and returns what was staged and what was left out, with reasons.
 * Gitlink changes in the index (staged by anyone) are put back as in HEAD: the action never changes a submodule
 * pointer. `--ignore-errors` keeps one unreadable path from stopping the rest; a chunk git still gives up on is
 * retried path by path.
 */
export async function stageChanges(git: GitCommandManager, dir: string): Promise<WorkspaceChanges> {
  const { files, skipped } = await sortChanges(dir, await workspaceStatus(git));
  const errors: string[] = [];
  const add = async (chunk: readonly string[]): Promise<void> => {
    try {
      await git.exec(['add', '--all', '--ignore-errors', '--', ...chunk], { env: LITERAL_PATHSPECS });
    } catch (e) {
      if (!(e instanceof GitCommandError) || e.exitCode <= 0) throw e;
      if (e.exitCode !== 1 && chunk.length > 1) for (const p of chunk) await add([p]);
      else errors.push(...e.stderr.split('\n').filter((l) => /^(error|fatal):/.test(l)));
    }
  };
  for (const chunk of chunked(files)) await add(chunk);
  await unstageGitlinks(git);
  if (!errors.length) return { files, skipped };
  // What git still could not take: the paths that differ from the index after the add.
  const wanted = new Set(files);
  const status = await workspaceStatus(git);
  const unstaged = status.filter((e) => wanted.has(e.path) && (e.kind !== 'tracked' || e.xy[1] !== '.'));
  const left = new Set(unstaged.map((e) => e.path));
  const refused = [...left].map((path): SkippedPath => {
    const detail = errors.find((l) => l.includes(path)) ?? errors[0]!;
    return { path, kind: 'refused', reason: skipReason('refused', path, detail) };
  });
  return { files: files.filter((f) => !left.has(f)), skipped: [...skipped, ...refused] };
}

/** Each gitlink the index holds differently from HEAD goes back to HEAD's entry (or out, if HEAD has none). */
async function unstageGitlinks(git: GitCommandManager): Promise<void> {
  const args = ['diff-index', '--cached', '--raw', '-z', '--no-renames', NO_SUBMODULE_CONFIG, 'HEAD', '--'];
  const out = await git.exec(args);
  const t = out.split('\0');
  for (let i = 0; i + 1 < t.length; i += 2) {
    // `:<src mode> <dst mode> <src sha> <dst sha> <status>`, then the path.
    const [srcMode, dstMode, srcSha] = t[i]!.replace(/^:/, '').split(' ');
    const path = t[i + 1]!;
    if (srcMode !== GITLINK_MODE && dstMode !== GITLINK_MODE) continue;
    if (srcMode === '000000') await git.exec(['update-index', '--force-remove', '--', path]);
    else await git.exec(['update-index', '--add', '--replace', '--cacheinfo', `${srcMode},${srcSha},${path}`]);
  }
}
