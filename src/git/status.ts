// What `git status --porcelain=v2 -z` says about the workspace, and which of those paths the action can commit.
// Nested repositories (an agent's `git init tools/gen`, a clone inside the workspace) and submodule pointers are
// left out with a note instead of failing `git add`, which would lose every other change of the run.
import { access, constants, lstat } from 'node:fs/promises';
import { join } from 'node:path';

export interface StatusEntry {
  /** Workspace-relative, '/'-separated. A nested repository keeps git's trailing '/'. */
  readonly path: string;
  readonly kind: 'tracked' | 'unmerged' | 'untracked';
  /** Index (X) and worktree (Y) states of a tracked entry, e.g. '.M', 'A.', '.D'; '??' for untracked. */
  readonly xy: string;
  /** A submodule or gitlink (mode 160000) on any side: in HEAD, in the index or in the worktree. */
  readonly gitlink: boolean;
}

export interface SkippedPath {
  readonly path: string;
  /** A repository inside the workspace; a gitlink; a FIFO/socket/device; a file the action cannot read; git said no. */
  readonly kind: 'nested-repository' | 'submodule' | 'special-file' | 'unreadable' | 'refused';
  /** A sentence for the STATUS comment: what the path is and why it was not committed. */
  readonly reason: string;
}

export interface WorkspaceChanges {
  /** Paths the action commits. */
  readonly files: string[];
  /** Paths left out of the commit, each with the reason. */
  readonly skipped: SkippedPath[];
}

/** The status arguments every caller uses: `dirty` keeps git from reading submodule config or running in them. */
export const STATUS_ARGS = [
  'status',
  '--porcelain=v2',
  '-z',
  '--untracked-files=all',
  '--no-renames',
  '--ignore-submodules=dirty',
] as const;

const GITLINK = '160000';

/**
 * Parses `git status --porcelain=v2 -z` (see git-status(1), "Porcelain Format Version 2"). Ordinary entries are
 * `1 XY sub mH mI mW hH hI path`, renames `2 … X<score> path\0orig`, unmerged `u XY sub m1 m2 m3 mW h1 h2 h3 path`,
 * untracked `? path`, ignored `! path`; headers start with '#'. Paths may hold spaces, so fields are counted.
 */
export function parseStatus(out: string): StatusEntry[] {
  const tokens = out.split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const type = t[0];
    if (type === '?') {
      entries.push({ path: t.slice(2), kind: 'untracked', xy: '??', gitlink: false });
      continue;
    }
    const fieldCount = type === '1' ? 8 : type === '2' ? 9 : type === 'u' ? 10 : 0;
    if (!fieldCount) continue; // '!' (ignored), '#' headers, the empty tail
    const fields = splitFields(t, fieldCount);
    if (!fields) continue;
    const [, xy, sub, ...rest] = fields.head;
    const modes = type === 'u' ? rest.slice(0, 4) : rest.slice(0, 3);
    entries.push({
      path: fields.path,
      kind: type === 'u' ? 'unmerged' : 'tracked',
      xy: xy!,
      gitlink: sub!.startsWith('S') || modes.includes(GITLINK),
    });
    if (type === '2') i++; // the original path of a rename follows as its own token
  }
  return entries;
}

function splitFields(t: string, count: number): { head: string[]; path: string } | null {
  const head: string[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    const sp = t.indexOf(' ', at);
    if (sp < 0) return null;
    head.push(t.slice(at, sp));
    at = sp + 1;
  }
  return { head, path: t.slice(at) };
}

/** The report's sentence for a path left out, by kind. */
export function skipReason(kind: SkippedPath['kind'], path: string, detail = ''): string {
  switch (kind) {
    case 'nested-repository':
      return (
        `${path} is a nested git repository and was not committed: the action commits no embedded repositories. ` +
        'Remove its .git folder to commit its files, or add it as a submodule yourself.'
      );
    case 'submodule':
      return `${path} is a submodule: the action does not change submodule pointers, so its change was not committed.`;
    case 'special-file':
      return `${path} is not a regular file (a FIFO, socket or device) and was not committed.`;
    case 'unreadable':
      return `${path} could not be read by the action (check its permissions) and was not committed.`;
    case 'refused':
      return detail
        ? `${path} could not be added by git and was not committed (${detail}).`
        : `${path} has a name git refuses to commit (a .git-like folder name, or .gitmodules as a symbolic link) ` +
            'and was not committed.';
  }
}

/**
 * Names git's own path check refuses (`verify_path`, with core.protectNTFS on, git's default): any folder spelled
 * like `.git` in another case or with trailing dots or spaces, its 8.3 short name `git~1`, and `.gitmodules` as a
 * symbolic link. Status lists them; `git add` rejects them.
 */
export function refusedByGit(path: string, symlink: boolean): boolean {
  const segments = path.split('/');
  if (segments.some((s) => /^(\.git|git~1)[. ]*(:.*)?$/i.test(s))) return true;
  return symlink && /^(\.gitmodules|gitmod~1)[. ]*$/i.test(segments[segments.length - 1]!);
}

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => null)) !== null;
}

/**
 * Splits status entries into the paths the action commits and the ones it leaves out: nested repositories (git
 * reports an untracked one as `dir/`; a tracked file replaced by one shows as deleted), gitlinks, and paths `git add`
 * cannot take (special files, unreadable files). Only paths under `dir` are looked at; nothing is followed.
 */
export async function sortChanges(dir: string, entries: readonly StatusEntry[]): Promise<WorkspaceChanges> {
  const files: string[] = [];
  const skipped: SkippedPath[] = [];
  const skip = (path: string, kind: SkippedPath['kind']): void => {
    skipped.push({ path, kind, reason: skipReason(kind, path) });
  };
  for (const e of entries) {
    if (e.kind === 'untracked' && e.path.endsWith('/')) {
      skip(e.path.slice(0, -1), 'nested-repository');
      continue;
    }
    if (e.gitlink) {
      skip(e.path, 'submodule');
      continue;
    }
    const abs = join(dir, e.path);
    const st = await lstat(abs).catch(() => null);
    if (st?.isDirectory() && (await exists(join(abs, '.git')))) {
      // A tracked file whose path is now a repository: staging its deletion would stage the repository instead.
      skip(e.path, 'nested-repository');
    } else if (refusedByGit(e.path, !!st?.isSymbolicLink())) {
      skip(e.path, 'refused');
    } else if (st && !st.isFile() && !st.isSymbolicLink() && !st.isDirectory()) {
      skip(e.path, 'special-file');
    } else if (
      st?.isFile() &&
      !(await access(abs, constants.R_OK).then(
        () => true,
        () => false,
      ))
    ) {
      skip(e.path, 'unreadable');
    } else {
      files.push(e.path);
    }
  }
  return { files, skipped };
}
