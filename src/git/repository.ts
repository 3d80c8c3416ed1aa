// The repository as the action sees it: checkout and branch before the agent, commit and push after it.
// Every git command goes through the hardened command manager; the token is supplied per command, never stored.
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, errorMessage } from '../errors.ts';
import { BOT_IDENTITY } from '../constants.ts';
import { silentLogger, type Logger } from '../log.ts';
import { isValidBranchName } from './branch-name.ts';
import { createCommandManager, GitCommandError, type GitCommandManager, type GitExecOptions } from './command.ts';
import { sortChanges, type StatusEntry, type WorkspaceChanges } from './status.ts';
import {
  LITERAL_PATHSPECS,
  NAMES_DIFF,
  NO_SUBMODULE_CONFIG,
  replayDiffArgs,
  stageChanges,
  workspaceStatus,
} from './stage.ts';
import { readBlobs, treeDiff, type TreeDiff } from './tree-changes.ts';

export interface OpenOptions {
  /** Used only as an HTTP header on fetch/push/clone, scoped to serverUrl. */
  readonly token: string;
  /** e.g. https://github.com */
  readonly serverUrl: string;
  /** owner/name */
  readonly repoFullName: string;
  /** The remote to use instead of `${serverUrl}/${repoFullName}.git` — tests pass a local bare repository. */
  readonly remoteUrl?: string;
  /** Where the repository says what it did on its own (restored config, rebases, fallbacks). */
  readonly log?: Logger;
}

export interface PrepareOptions {
  readonly branch: string;
  /** Where a new issue branch starts. */
  readonly base: string;
  /** 'issue': reuse `origin/<branch>` if it exists, else create it from `origin/<base>`. 'pr': the branch must exist. */
  readonly mode: 'issue' | 'pr';
}

export interface CommitOptions {
  readonly message: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** `Name <email>` each; become `Co-authored-by:` trailers. */
  readonly coAuthors: readonly string[];
  /** Workspace-relative paths left out of the commit and left as they are on disk (the run's credential files). */
  readonly exclude?: readonly string[];
}

export interface PushResult {
  /** The branch the work is on: the requested one, or the fallback. */
  readonly branch: string;
  /** True when the requested branch moved on and the rebase conflicted, so the work went to a new branch. */
  readonly fallback: boolean;
  readonly sha: string;
}

/** What committing and pushing now would publish; read by the secret gate before anything is committed. */
export interface PendingChanges {
  /**
   * `git log -p` of the run's own commits (startSha..HEAD, each against its first parent, headed `commit <sha>`);
   * empty when the agent made none. Like `workspace`: `-U0 --text` (binary files as bytes too), no renames, no
   * external diff or textconv, `a/` and `b/` prefixes.
   */
  readonly history: string;
  /** The workspace against HEAD as `git add --all` would stage it, untracked files included. */
  readonly workspace: string;
  /** Message, then author and committer, of each of the run's own commits: they are pushed along with the files. */
  readonly commits: ReadonlyArray<{ readonly sha: string; readonly text: string }>;
}

export interface Repository {
  /** The workspace (absolute). */
  readonly dir: string;
  /** The remote every fetch and push goes to (credentials stripped). */
  readonly remoteUrl: string;
  /** Fetches and checks out the branch. Refuses (UserError) a workspace with uncommitted changes. */
  prepareBranch(options: PrepareOptions): Promise<{ reused: boolean; sha: string }>;
  /**
   * Makes sure no persisted credential is in `.git/config` and snapshots the config. Returns `restore`, which puts
   * the snapshot back (discarding anything the agent added). Every later command of this Repository restores it too.
   */
  hideCredentials(): Promise<() => Promise<void>>;
  /** Puts back what actions/checkout persisted, for later steps of the job. Call after the last push. */
  restoreCredentials(): Promise<void>;
  /**
   * Paths changed since prepareBranch (modified, deleted, untracked-not-ignored, and in commits made meanwhile), and
   * the ones commitAll leaves out with the reason: nested repositories, submodule pointers, files git cannot add.
   */
  changedFiles(): Promise<WorkspaceChanges>;
  /** Commits everything changedFiles lists in `files`; null when there is nothing to commit. */
  commitAll(options: CommitOptions): Promise<string | null>;
  /** Pushes HEAD to `branch`; rebases once on non-fast-forward; falls back to a new branch on conflict. */
  push(branch: string): Promise<PushResult>;
  headSha(): Promise<string>;
  /** The commit prepareBranch checked out: where the agent started. */
  startSha(): string;
  /** `git diff --binary` from the start to HEAD: what a replay of the run must reproduce byte for byte. */
  diffSinceStart(): Promise<string>;
  /**
   * The run's changes as a commit now would publish them, computed in a scratch index: the real index and the
   * workspace are left exactly as they are.
   */
  pendingChanges(exclude?: readonly string[]): Promise<PendingChanges>;
  /** Puts these paths back as they were at the start: restored if they existed, deleted if they are new. */
  discard(paths: readonly string[]): Promise<void>;
  /** null when HEAD is detached. */
  currentBranch(): Promise<string | null>;
  /** The files that differ between the commits `from` and `to` (default HEAD), as GitHub's commit API needs them. */
  treeDiff(from: string, to?: string): Promise<TreeDiff>;
  /** Blob contents by SHA, byte for byte. */
  readBlobs(shas: readonly string[]): Promise<Map<string, Buffer>>;
  /** The full message of a commit, as git stores it. */
  commitMessage(sha: string): Promise<string>;
  /** Fetches `branch` into `refs/remotes/origin/<branch>` and returns its head; null when the remote has no such branch. */
  fetchHead(branch: string): Promise<string | null>;
  /** Paths that differ between two commits the repository has. */
  pathsChanged(from: string, to: string): Promise<string[]>;
  /**
   * After a commit made on the remote through the API: fetches `branch` and moves the checked-out branch to `sha`
   * with `reset --keep` (files that differ are updated, uncommitted files left as they are), so later steps see it.
   */
  adopt(branch: string, sha: string): Promise<void>;
}

/** Keys actions/checkout (v4: extraheader; v6: includeIf to a credentials file) or a user may persist. */
const CREDENTIAL_KEYS = /^(http\..*\.?extraheader|include\.path|includeif\..*\.path|credential\..*)$/;
/** Files that would make git read another config or repository if planted in .git. */
const PLANTABLE = ['commondir', 'config.worktree', 'index.lock'] as const;
const DEFAULT_COMMITTER: { name: string; email: string } = BOT_IDENTITY;

function protocolsFor(url: string): string[] {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!scheme) return ['file'];
  if (scheme === 'https' || scheme === 'http' || scheme === 'file') return [scheme];
  throw new UserError(`Unsupported remote URL scheme '${scheme}': the action fetches and pushes over https.`);
}

function stripUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function normalizeUrl(url: string): string {
  let u = stripUserinfo(url.trim());
  if (/^file:\/\//i.test(u)) u = fileURLToPath(u);
  u = u.replace(/\/+$/, '').replace(/\.git$/, '');
  return /^https?:\/\//i.test(u) ? u.toLowerCase() : resolve(u);
}

function branchError(what: string, name: string): UserError {
  return new UserError(`The ${what} '${name}' is not a valid git branch name.`);
}

function isNonFastForward(e: unknown): boolean {
  if (!(e instanceof GitCommandError)) return false;
  const text = `${e.stdout}\n${e.stderr}`;
  return /\[rejected\]/.test(text) && /(non-fast-forward|fetch first|stale info)/.test(text);
}

/** One `key = value` as a config file section, e.g. `[http "https://github.com/"]\n\textraheader = "…"\n`. */
export function formatConfigEntry(key: string, value: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  const quote = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const section = key.slice(0, first);
  const header = last > first ? `[${section} "${quote(key.slice(first + 1, last))}"]` : `[${section}]`;
  const escaped = quote(value).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return `${header}\n\t${key.slice(last + 1)} = "${escaped}"\n`;
}

function trailerValue(s: string): string {
  // eslint-disable-next-line no-control-regex -- a trailer is one line: control characters become spaces on purpose
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

class GitRepository implements Repository {
  readonly dir: string;
  readonly remoteUrl: string;
  readonly #git: GitCommandManager;
  readonly #gitDir: string;
  /** What was taken out of .git/config, to put back at the end: [key, value] in order, and rewritten remote URLs. */
  readonly #removed: Array<[string, string]> = [];
  readonly #rewrittenUrls: Array<[string, string]> = [];
  #snapshot: string | undefined;
  #presentAtSnapshot = new Set<string>();
  /** `.git/hooks` as it was before the agent: put back at the end, so a later step of the job runs no planted hook. */
  #hooksAtSnapshot: Map<string, Buffer> | undefined;
  #branch: string | undefined;
  #startSha: string | undefined;
  #identity = DEFAULT_COMMITTER;
  readonly #log: Logger;

  constructor(dir: string, remoteUrl: string, git: GitCommandManager, log: Logger) {
    this.dir = dir;
    this.remoteUrl = remoteUrl;
    this.#git = git;
    this.#log = log;
    this.#gitDir = join(dir, '.git');
  }

  #run(args: readonly string[], options?: GitExecOptions): Promise<string> {
    return this.#git.exec(args, options);
  }

  async #try(args: readonly string[], options?: GitExecOptions): Promise<string | null> {
    try {
      return await this.#run(args, options);
    } catch (e) {
      if (e instanceof GitCommandError && e.exitCode > 0) return null;
      throw e;
    }
  }

  /** Before any of the action's own commands: .git is still the directory it was, and its config the snapshot. */
  async #guard(): Promise<void> {
    const st = await lstat(this.#gitDir).catch(() => null);
    if (!st?.isDirectory())
      throw new Error(
        `${this.#gitDir} is no longer a directory (it was replaced during the run); nothing can be committed from it.`,
      );
    if (this.#snapshot === undefined) return;
    const configPath = join(this.#gitDir, 'config');
    const cst = await lstat(configPath).catch(() => null);
    const current = cst?.isFile() ? await readFile(configPath, 'utf8') : undefined;
    if (current !== this.#snapshot) {
      // Unlink first: writing through a planted symlink or hard link would change a file elsewhere.
      await rm(configPath, { recursive: true, force: true });
      await writeFile(configPath, this.#snapshot, { flag: 'wx', mode: 0o644 });
      this.#log.info('.git/config changed during the run; the action restored its own copy before using git.');
    }
    for (const name of PLANTABLE) {
      if (this.#presentAtSnapshot.has(name)) continue;
      await rm(join(this.#gitDir, name), { recursive: true, force: true });
    }
  }

  async #configEntries(pattern: string): Promise<Array<[string, string]>> {
    const out = await this.#try(['config', '--local', '--null', '--get-regexp', pattern]);
    if (!out) return [];
    return out
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const nl = entry.indexOf('\n');
        return nl < 0 ? [entry, ''] : [entry.slice(0, nl), entry.slice(nl + 1)];
      });
  }

  /** Takes persisted credentials out of .git/config, keeping them in memory only. */
  async stripCredentials(): Promise<void> {
    const entries = (await this.#configEntries('.')).filter(([k]) => CREDENTIAL_KEYS.test(k));
    for (const key of new Set(entries.map(([k]) => k))) await this.#run(['config', '--local', '--unset-all', key]);
    this.#removed.push(...entries);
    const urls = await this.#configEntries('^remote\\..*\\.(push)?url$');
    for (const key of new Set(urls.filter(([, u]) => stripUserinfo(u) !== u).map(([k]) => k))) {
      // Unset and re-add: a value pattern would put the tokened URL on a command line.
      const values = urls.filter(([k]) => k === key).map(([, u]) => u);
      await this.#run(['config', '--local', '--unset-all', key]);
      for (const u of values) await this.#run(['config', '--local', '--add', key, stripUserinfo(u)]);
      this.#rewrittenUrls.push(...values.map((u): [string, string] => [key, u]));
    }
  }

  async prepareBranch({ branch, base, mode }: PrepareOptions): Promise<{ reused: boolean; sha: string }> {
    if (!isValidBranchName(branch)) throw branchError('branch', branch);
    if (!isValidBranchName(base)) throw branchError('base branch', base);
    await this.#guard();
    const dirty = await this.#statusPaths();
    if (dirty.length) {
      const list = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? `, … (${dirty.length} in all)` : '');
      throw new UserError(
        `The workspace has uncommitted changes before the agent started (${list}). The action commits everything that changes, so it needs a clean checkout: run it right after actions/checkout, or commit or remove those files in an earlier step.`,
      );
    }
    const heads = await this.#remoteHeads([branch, base]);
    let from: string;
    let reused = false;
    if (heads.has(branch)) {
      reused = true;
      from = branch;
    } else if (mode === 'pr') {
      throw new UserError(
        `The pull request's branch '${branch}' does not exist on the remote any more: restore it or open a new pull request.`,
      );
    } else if (heads.has(base)) {
      from = base;
    } else {
      throw new UserError(
        `The base branch '${base}' does not exist on the remote: set the 'base-branch' input to an existing branch.`,
      );
    }
    await this.#fetch([from]);
    if (reused && mode === 'issue' && heads.has(base) && !(await this.#sharesHistory(branch, base))) {
      throw new UserError(
        `The branch '${branch}' already exists on the remote but has no history in common with '${base}': it is not this action's branch, and the action will not commit on top of it. Rename or delete that branch, or set the 'branch-prefix' input, and ask again.`,
      );
    }
    await this.#run(['checkout', '-q', '--no-track', '-B', branch, `refs/remotes/origin/${from}`]);
    this.#branch = branch;
    this.#startSha = await this.headSha();
    return { reused, sha: this.#startSha };
  }

  /** True when origin/<branch> and origin/<base> have a common ancestor (a shallow clone is deepened to be sure). */
  async #sharesHistory(branch: string, base: string): Promise<boolean> {
    await this.#fetch([base]);
    const related = async () =>
      (await this.#try(['merge-base', `refs/remotes/origin/${branch}`, `refs/remotes/origin/${base}`])) !== null;
    if (await related()) return true;
    // actions/checkout fetches one commit: the common ancestor may just be missing. Only this rare case pays for it.
    if ((await this.#run(['rev-parse', '--is-shallow-repository'])).trim() !== 'true') return false;
    try {
      await this.#run(
        [
          'fetch',
          '-q',
          '--no-tags',
          '--no-recurse-submodules',
          '--unshallow',
          this.remoteUrl,
          `+refs/heads/${base}:refs/remotes/origin/${base}`,
          `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
        ],
        { auth: true },
      );
    } catch (e) {
      throw new Error(
        `Could not fetch the history of ${branch} and ${base} from ${this.remoteUrl}: ${errorMessage(e)}`,
        { cause: e },
      );
    }
    return related();
  }

  /** Puts `.git/hooks` back as it was at the snapshot: planted or changed hooks are removed or restored. */
  async #restoreHooks(): Promise<void> {
    const before = this.#hooksAtSnapshot;
    if (!before) return;
    this.#hooksAtSnapshot = undefined;
    const dir = join(this.#gitDir, 'hooks');
    const st = await lstat(dir).catch(() => null);
    if (st && !st.isDirectory()) await rm(dir, { force: true });
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir))
      if (!before.has(name)) await rm(join(dir, name), { recursive: true, force: true });
    for (const [name, content] of before) {
      const now = await readFile(join(dir, name)).catch(() => null);
      if (now && now.equals(content) && (await lstat(join(dir, name))).isFile()) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      await writeFile(join(dir, name), content, { mode: 0o755 });
    }
  }

  async hideCredentials(): Promise<() => Promise<void>> {
    await this.#guard();
    await this.stripCredentials();
    const configPath = join(this.#gitDir, 'config');
    this.#snapshot = await readFile(configPath, 'utf8');
    this.#presentAtSnapshot = new Set();
    for (const name of PLANTABLE)
      if (await lstat(join(this.#gitDir, name)).catch(() => null)) this.#presentAtSnapshot.add(name);
    this.#hooksAtSnapshot = new Map();
    for (const e of await readdir(join(this.#gitDir, 'hooks'), { withFileTypes: true }).catch(() => [])) {
      if (e.isFile()) this.#hooksAtSnapshot.set(e.name, await readFile(join(this.#gitDir, 'hooks', e.name)));
    }
    return async () => {
      try {
        await this.#guard();
      } catch (e) {
        this.#log.warning(`Could not restore the repository's git config: ${errorMessage(e)}`);
      }
    };
  }

  async restoreCredentials(): Promise<void> {
    await this.#guard();
    this.#snapshot = undefined;
    await this.#restoreHooks();
    const urls = this.#rewrittenUrls.splice(0);
    for (const key of new Set(urls.map(([k]) => k))) await this.#try(['config', '--local', '--unset-all', key]);
    const entries = [...urls, ...this.#removed.splice(0)];
    if (!entries.length) return;
    // Written into the file directly: `git config --add` would show the secret on a command line.
    const configPath = join(this.#gitDir, 'config');
    const current = await readFile(configPath, 'utf8');
    const text = `${current}${current.endsWith('\n') || !current ? '' : '\n'}${entries.map(([k, v]) => formatConfigEntry(k, v)).join('')}`;
    await rm(configPath, { force: true });
    await writeFile(configPath, text, { flag: 'wx', mode: 0o644 });
  }

  async changedFiles(): Promise<WorkspaceChanges> {
    await this.#guard();
    await this.#reattach();
    const { files, skipped } = await sortChanges(this.dir, await this.#status());
    const paths = new Set(files);
    if (this.#startSha) {
      const head = await this.headSha();
      if (head !== this.#startSha) {
        const out = await this.#run([...NAMES_DIFF, this.#startSha, head, '--']);
        for (const p of out.split('\0')) if (p) paths.add(p);
      }
    }
    return {
      files: [...paths].sort(),
      skipped: [...skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    };
  }

  async commitAll({
    message,
    authorName,
    authorEmail,
    coAuthors,
    exclude = [],
  }: CommitOptions): Promise<string | null> {
    await this.#guard();
    await this.#reattach();
    this.#identity = { name: authorName, email: authorEmail };
    const { skipped } = await stageChanges(this.#git, this.dir);
    // changedFiles named the nested repositories and submodules already; this is only what git refused on the way.
    const refused = skipped.filter((k) => k.kind === 'refused');
    if (refused.length) this.#log.warning(refused.map((k) => k.reason).join('\n'));
    // Unstaged again, not deleted: the file stays for the job's later steps, its index entry as HEAD has it.
    if (exclude.length) await this.#run(['reset', '-q', 'HEAD', '--', ...exclude.map((p) => `:(literal)${p}`)]);
    const staged = await this.#run([...NAMES_DIFF, '--cached']);
    if (!staged.replace(/\0/g, '')) return null;
    const trailers = [...new Set(coAuthors.map(trailerValue).filter(Boolean))].map((c) => `Co-authored-by: ${c}`);
    const body = message.replace(/\r\n?/g, '\n').trim() || 'Agent changes';
    const full = trailers.length ? `${body}\n\n${trailers.join('\n')}\n` : `${body}\n`;
    await this.#run(['commit', '-q', '--no-verify', '--no-gpg-sign', '--cleanup=whitespace', '-m', full], {
      env: this.#identityEnv(),
    });
    return this.headSha();
  }

  async push(branch: string): Promise<PushResult> {
    if (!isValidBranchName(branch)) throw branchError('branch', branch);
    await this.#guard();
    await this.#reattach();
    try {
      await this.#pushHead(branch);
      return { branch, fallback: false, sha: await this.headSha() };
    } catch (e) {
      if (!isNonFastForward(e)) throw this.#pushError(branch, e);
    }
    this.#log.info(`${branch} moved on meanwhile: rebasing onto it once.`);
    await this.#fetch([branch]);
    let rebased = false;
    try {
      await this.#run(['rebase', '-q', '--no-verify', '--no-autostash', `refs/remotes/origin/${branch}`], {
        env: this.#identityEnv(),
      });
      rebased = true;
    } catch (e) {
      this.#log.info(
        `Rebasing onto ${branch} failed (${errorMessage(e).split('\n')[0]}); pushing to a new branch instead.`,
      );
      await this.#try(['rebase', '--abort']);
    }
    if (rebased) {
      try {
        await this.#pushHead(branch);
        return { branch, fallback: false, sha: await this.headSha() };
      } catch (e) {
        if (!isNonFastForward(e)) throw this.#pushError(branch, e);
      }
    }
    const sha = await this.headSha();
    let fallback = `${branch}-${sha.slice(0, 8)}`;
    if ((await this.#remoteHeads([fallback])).size) fallback = `${fallback}-${Date.now().toString(36)}`;
    try {
      await this.#pushHead(fallback);
    } catch (e) {
      throw this.#pushError(fallback, e);
    }
    return { branch: fallback, fallback: true, sha };
  }

  async headSha(): Promise<string> {
    return (await this.#run(['rev-parse', '--verify', '-q', 'HEAD^{commit}'])).trim();
  }

  startSha(): string {
    if (!this.#startSha) throw new Error('startSha() before prepareBranch()');
    return this.#startSha;
  }

  async discard(paths: readonly string[]): Promise<void> {
    if (!paths.length) return;
    await this.#guard();
    const start = this.startSha();
    const existed = new Set(
      (await this.#run(['ls-tree', '-r', '-z', '--name-only', start, '--', ...paths], { env: LITERAL_PATHSPECS }))
        .split('\0')
        .filter(Boolean),
    );
    const restore = paths.filter((p) => existed.has(p));
    const remove = paths.filter((p) => !existed.has(p));
    if (restore.length) await this.#run(['checkout', '-q', start, '--', ...restore], { env: LITERAL_PATHSPECS });
    if (remove.length)
      await this.#run(['rm', '-q', '-r', '-f', '--cached', '--ignore-unmatch', '--', ...remove], {
        env: LITERAL_PATHSPECS,
      });
    for (const p of remove) await rm(join(this.dir, p), { force: true, recursive: true });
  }

  diffSinceStart(): Promise<string> {
    return this.#run(replayDiffArgs(this.startSha()));
  }

  async pendingChanges(exclude: readonly string[] = []): Promise<PendingChanges> {
    await this.#guard();
    await this.#reattach();
    const start = this.startSha();
    // Every byte as text, so neither a `.gitattributes` (`* -diff`, `binary`) nor a textconv driver hides a file.
    const flags = [
      '-U0',
      '--text',
      '--no-color',
      '--no-renames',
      '--no-ext-diff',
      '--no-textconv',
      '--src-prefix=a/',
      '--dst-prefix=b/',
    ];
    const head = await this.headSha();
    let history = '';
    const commits: Array<{ sha: string; text: string }> = [];
    if (head !== start) {
      history = await this.#run([
        'log',
        '-p',
        ...flags,
        '-m',
        '--first-parent',
        '--format=commit %H',
        `${start}..${head}`,
        '--',
      ]);
      const meta = await this.#run(['log', '-z', '--format=%H%n%B%n%an <%ae>%n%cn <%ce>', `${start}..${head}`, '--']);
      for (const entry of meta.split('\0').filter(Boolean)) {
        const nl = entry.indexOf('\n');
        commits.push({ sha: entry.slice(0, nl), text: entry.slice(nl + 1) });
      }
    }
    // A copy of the index keeps its stat cache (only changed files are hashed) and its flags; staged there by the same
    // rules as commitAll's (nested repositories and submodule pointers left out, `exclude` unstaged again), so the
    // gate reads exactly what a commit would take, and the real index is left as it is.
    const scratch = await mkdtemp(join(tmpdir(), 'bda-pending-'));
    try {
      const index = join(scratch, 'index');
      const real = join(this.#gitDir, 'index');
      if ((await lstat(real).catch(() => null))?.isFile()) await copyFile(real, index);
      const env = { GIT_INDEX_FILE: index };
      const git = this.#git;
      const scratchGit: GitCommandManager = {
        settings: git.settings,
        exec: (args, o) => git.exec(args, { ...o, env: { ...o?.env, ...env } }),
      };
      await stageChanges(scratchGit, this.dir);
      if (exclude.length)
        await this.#run(['reset', '-q', 'HEAD', '--', ...exclude.map((p) => `:(literal)${p}`)], { env });
      const workspace = await this.#run(['diff', '--cached', ...flags, NO_SUBMODULE_CONFIG, head, '--'], { env });
      return { history, workspace, commits };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async currentBranch(): Promise<string | null> {
    const out = await this.#try(['symbolic-ref', '--short', '-q', 'HEAD']);
    return out?.trim() || null;
  }

  async treeDiff(from: string, to = 'HEAD'): Promise<TreeDiff> {
    await this.#guard();
    return treeDiff(this.#git, from, to);
  }

  async readBlobs(shas: readonly string[]): Promise<Map<string, Buffer>> {
    await this.#guard();
    return readBlobs(this.#git, shas);
  }

  async commitMessage(sha: string): Promise<string> {
    return this.#run(['log', '-1', '--format=%B', sha, '--']);
  }

  async fetchHead(branch: string): Promise<string | null> {
    if (!isValidBranchName(branch)) throw branchError('branch', branch);
    await this.#guard();
    if (!(await this.#remoteHeads([branch])).has(branch)) return null;
    await this.#fetch([branch]);
    return (await this.#run(['rev-parse', '--verify', '-q', `refs/remotes/origin/${branch}^{commit}`])).trim();
  }

  async pathsChanged(from: string, to: string): Promise<string[]> {
    const out = await this.#run([...NAMES_DIFF, from, to, '--']);
    return out.split('\0').filter(Boolean);
  }

  async adopt(branch: string, sha: string): Promise<void> {
    await this.fetchHead(branch);
    // The branch may have moved on since; the commit itself must have arrived.
    if ((await this.#try(['cat-file', '-e', `${sha}^{commit}`])) === null)
      throw new Error(`the commit ${sha} did not arrive with ${branch} from ${this.remoteUrl}`);
    await this.#reattach();
    await this.#run(['reset', '-q', '--keep', sha]);
  }

  #identityEnv(): Record<string, string> {
    const { name, email } = this.#identity;
    return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  }

  /** Tracked changes (staged or not) and untracked files not ignored, relative to the workspace. */
  async #statusPaths(): Promise<string[]> {
    return (await this.#status()).map((e) => e.path);
  }

  /**
   * `git status`, porcelain v2: it tells gitlinks apart. `--ignore-submodules=dirty`, not `none`: git would
   * otherwise run status inside a nested repository, under its config, which lives in the workspace where the agent
   * could have written a filter driver. A moved gitlink is still reported, and `.gitmodules` is never read.
   */
  #status(): Promise<StatusEntry[]> {
    return workspaceStatus(this.#git);
  }

  /** If the agent left HEAD elsewhere (another branch, detached), point it back at the prepared branch, keeping the worktree. */
  async #reattach(): Promise<void> {
    const branch = this.#branch;
    if (!branch) return;
    const ref = `refs/heads/${branch}`;
    const head = (await this.#try(['symbolic-ref', '-q', 'HEAD']))?.trim();
    if (head === ref) return;
    const tip = (await this.#try(['rev-parse', '--verify', '-q', `${ref}^{commit}`]))?.trim();
    if (!tip) {
      const at = (await this.#try(['rev-parse', '--verify', '-q', 'HEAD^{commit}']))?.trim() || this.#startSha;
      if (at) await this.#run(['update-ref', ref, at]);
    }
    await this.#run(['symbolic-ref', 'HEAD', ref]);
    this.#log.info(`HEAD was moved off ${branch} during the run; committing the workspace as it is onto ${branch}.`);
  }

  async #remoteHeads(names: readonly string[]): Promise<Map<string, string>> {
    let out: string;
    try {
      out = await this.#run(['ls-remote', '--heads', this.remoteUrl, ...names.map((n) => `refs/heads/${n}`)], {
        auth: true,
      });
    } catch (e) {
      throw new Error(`Could not reach ${this.remoteUrl}: ${errorMessage(e)}`, { cause: e });
    }
    const wanted = new Set(names);
    const heads = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      const name = ref?.replace(/^refs\/heads\//, '');
      if (sha && name && wanted.has(name)) heads.set(name, sha);
    }
    return heads;
  }

  async #fetch(branches: readonly string[]): Promise<void> {
    const refspecs = branches.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`);
    try {
      await this.#run(['fetch', '-q', '--no-tags', '--no-recurse-submodules', this.remoteUrl, ...refspecs], {
        auth: true,
      });
    } catch (e) {
      throw new Error(`Could not fetch ${branches.join(', ')} from ${this.remoteUrl}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }

  #pushHead(branch: string): Promise<string> {
    return this.#run(
      ['push', '--porcelain', '--no-verify', '--recurse-submodules=no', this.remoteUrl, `HEAD:refs/heads/${branch}`],
      { auth: true },
    );
  }

  #pushError(branch: string, e: unknown): Error {
    return new Error(`Could not push ${branch} to ${this.remoteUrl}: ${errorMessage(e)}`);
  }
}

/**
 * Opens the workspace as the repository `repoFullName`, cloning it (token-authenticated, nothing persisted) when the
 * workspace is empty. Persisted credentials are taken out of `.git/config` at once: the action supplies the token per
 * command, and a second Authorization header would break its fetches.
 */
export async function openRepository(dir: string, options: OpenOptions): Promise<Repository> {
  const workTree = resolve(dir);
  const serverUrl = options.serverUrl.replace(/\/+$/, '');
  const remoteUrl = stripUserinfo(options.remoteUrl ?? `${serverUrl}/${options.repoFullName}.git`);
  const git = createCommandManager({
    workTree,
    gitDir: join(workTree, '.git'),
    token: options.token,
    serverUrl,
    protocols: protocolsFor(remoteUrl),
  });
  await mkdir(workTree, { recursive: true });
  const dotGit = await lstat(join(workTree, '.git')).catch(() => null);
  if (!dotGit) {
    const entries = await readdir(workTree);
    if (entries.length) {
      throw new UserError(
        `The workspace ${workTree} is not empty and not a git clone: check the repository out with actions/checkout before this step, or start from an empty workspace.`,
      );
    }
    try {
      await git.exec(['clone', '-q', '--no-tags', '--', remoteUrl, workTree], { auth: true, noRepo: true });
    } catch (e) {
      throw new Error(`Could not clone ${remoteUrl}: ${errorMessage(e)}`, { cause: e });
    }
  } else if (!dotGit.isDirectory()) {
    throw new UserError(
      `${join(workTree, '.git')} is not a directory (a worktree or submodule checkout): check the repository out with actions/checkout.`,
    );
  }
  const repo = new GitRepository(workTree, remoteUrl, git, options.log ?? silentLogger);
  const origin = (await git.exec(['config', '--local', '--get', 'remote.origin.url']).catch(() => '')).trim();
  if (!origin || normalizeUrl(origin) !== normalizeUrl(remoteUrl)) {
    throw new UserError(
      `The workspace ${workTree} is a clone of ${origin ? stripUserinfo(origin) : 'no remote'}, not of ${options.repoFullName}: check out this repository (actions/checkout without 'repository:') or use an empty workspace.`,
    );
  }
  await repo.stripCredentials();
  return repo;
}
