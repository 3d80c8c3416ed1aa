/**
 * The single place that confines paths. Every tool path goes through `Workspace.resolve`, and every file a tool
 * reads or writes is opened through `openRead` / `openWrite`, which re-check what was actually opened.
 *
 * Rules: the path is resolved (symlinks included, through the realpath of its deepest existing ancestor) and must
 * stay inside the workspace, or — for reading only — inside one of the read-only roots (an agent's reference docs).
 * Refused: `..`, `~`, NUL and other control/format characters, look-alikes of `.`, `/` or `~`, anything under a
 * `.git` folder (any case), hard-linked files, non-regular files, writes under `.github/workflows/` unless allowed,
 * and the run's credential files (`hiddenPaths`), which no tool may read, write or list.
 */
import { constants as C, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { ToolError } from './result.ts';

export type Access = 'read' | 'write';

export interface WorkspaceOptions {
  /** Absolute path of the checkout. */
  readonly root: string;
  /** Folders that may be read (never written) besides the workspace. */
  readonly readOnlyRoots?: readonly string[];
  readonly allowWorkflowChanges?: boolean;
  /** Credential files the run knows of (absolute): refused to every tool and left out of Glob/Grep results. */
  readonly hiddenPaths?: readonly string[];
}

export interface Resolved {
  /** Real absolute path (symlinks of existing ancestors resolved). */
  readonly path: string;
  /** How to show the path to the model: workspace-relative, or absolute in a read-only root. */
  readonly display: string;
  /** The stat of the path when it exists. */
  readonly stat: Stats | null;
  /** True when the path lies in a read-only root rather than the workspace. */
  readonly readOnly: boolean;
}

/** Characters that render like `.`, `/`, `\` or `~` without NFKC mapping them to those. */
// eslint-disable-next-line no-misleading-character-class -- the combining overlays (U+0337, U+0338) are listed on purpose, each on its own
const LOOK_ALIKES = /[\u2024\u2215\u2044\u29F8\u2571\u2216\u29F5\u223C\u02DC\u2053\u301C\u00B7\u2027\u0338\u0337]/u;
/** Control and invisible format characters (NUL, newlines, zero-width, bidi overrides). */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;
const SPECIAL = /[./\\~]/g;

export class Workspace {
  readonly root: string;
  readonly readOnlyRoots: readonly string[];
  readonly allowWorkflowChanges: boolean;
  /** Real paths of the credential files the run knows of. */
  readonly hiddenPaths: ReadonlySet<string>;
  /** The roots as given (before realpath), so absolute paths spelled through a symlinked root still match. */
  readonly #given: ReadonlyMap<string, string>;

  private constructor(
    root: string,
    readOnlyRoots: readonly string[],
    allowWorkflowChanges: boolean,
    given: Map<string, string>,
    hidden: Set<string>,
  ) {
    this.root = root;
    this.readOnlyRoots = readOnlyRoots;
    this.allowWorkflowChanges = allowWorkflowChanges;
    this.#given = given;
    this.hiddenPaths = hidden;
  }

  static async create(opts: WorkspaceOptions): Promise<Workspace> {
    if (!path.isAbsolute(opts.root)) throw new Error(`Workspace root must be absolute: ${opts.root}`);
    const root = await fsp.realpath(opts.root);
    const given = new Map<string, string>([[path.resolve(opts.root), root]]);
    const ro: string[] = [];
    for (const r of opts.readOnlyRoots ?? []) {
      // Roots arrive resolved (checked against the repository when the agent file was loaded). If one resolves
      // elsewhere now — the work branch replaced a folder by a symlink — it is dropped, not followed.
      const real = await fsp.realpath(r).catch(() => null);
      if (!real || real !== path.resolve(r)) continue;
      ro.push(real);
      given.set(path.resolve(r), real);
    }
    // Both spellings of each credential file: as given and real (a later symlink swap cannot un-hide it).
    const hidden = new Set<string>();
    for (const h of opts.hiddenPaths ?? []) {
      if (!path.isAbsolute(h)) continue;
      hidden.add(path.resolve(h));
      hidden.add(await fsp.realpath(h).catch(() => path.resolve(h)));
    }
    return new Workspace(root, ro, opts.allowWorkflowChanges ?? false, given, hidden);
  }

  /** True for a credential file the run hides (an absolute path, real or as found by a walk of the workspace). */
  isHidden(abs: string): boolean {
    return this.hiddenPaths.size > 0 && this.hiddenPaths.has(abs);
  }

  /** Workspace-relative path for display ('.' for the root), or the absolute path outside it. */
  display(real: string): string {
    return displayPath(this.root, real);
  }

  /**
   * Resolves a path the model gave (relative to `base`, default the workspace root) and checks it.
   * Throws ToolError saying what was refused and what to do instead.
   */
  async resolve(input: unknown, access: Access, base?: string): Promise<Resolved> {
    if (typeof input !== 'string' || input.trim() === '') throw new ToolError('a path is required.');
    const p = input;
    if (p.includes('\0'))
      throw new ToolError('the path contains a NUL character; give a plain path inside the workspace.');
    if (INVISIBLE.test(p))
      throw new ToolError('the path contains control or invisible characters; give a plain path inside the workspace.');
    if (LOOK_ALIKES.test(p) || specials(p.normalize('NFKC')) !== specials(p)) {
      throw new ToolError(
        'the path contains look-alike characters for ".", "/" or "~"; type the path with plain ASCII punctuation.',
      );
    }
    if (p.startsWith('~'))
      throw new ToolError(
        `'~' is not expanded and home folders are outside the workspace; use a path relative to the workspace root (${this.root}).`,
      );
    const segments = p.split('/');
    if (segments.includes('..'))
      throw new ToolError(
        `'..' is not allowed in paths; use a path relative to the workspace root (${this.root}) or an absolute path inside it.`,
      );
    if (segments.some(isGitSegment))
      throw new ToolError('paths under .git are off limits (repository internals are managed by the action).');

    let lexical = path.resolve(base ?? this.root, p);
    // An absolute path spelled through the root as given (e.g. a symlinked /tmp) maps onto the real root.
    for (const [given, real] of this.#given) {
      if (given !== real && inside(lexical, given)) lexical = path.join(real, path.relative(given, lexical));
    }
    const lexRoot = this.rootOf(lexical, access);
    if (!lexRoot) throw new ToolError(this.outsideMessage(p, access));

    const real = await realpathDeepest(lexical);
    const realRoot = this.rootOf(real, access);
    if (!realRoot)
      throw new ToolError(
        `${p} resolves (through a symlink) to ${real}, outside the workspace; only files inside ${this.root} can be used.`,
      );
    const rel = path.relative(realRoot, real);
    if (rel.split(path.sep).some(isGitSegment))
      throw new ToolError(`${p} resolves into a .git folder, which is off limits.`);
    if (this.isHidden(real) || this.isHidden(lexical)) {
      throw new ToolError(
        `${p} is a credential file of this run (the workflow's cloud or registry login), which the action hides from every ` +
          'tool so its secrets cannot reach the model, the log or a commit. Work without it; if the task needs those ' +
          'credentials, say so in your STATUS.',
      );
    }
    const readOnly = realRoot !== this.root;
    if (access === 'write') {
      if (readOnly) throw new ToolError(`${p} is in the agent's reference docs, which are read-only.`);
      const lower = rel.split(path.sep).join('/').toLowerCase();
      if (!this.allowWorkflowChanges && (lower === '.github/workflows' || lower.startsWith('.github/workflows/'))) {
        throw new ToolError(
          `writing under .github/workflows/ is not allowed for this run (allow-workflow-changes is false); describe the workflow change in your summary instead.`,
        );
      }
    }
    const stat = await fsp.lstat(real).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new ToolError(`cannot access ${p}: ${e.code ?? e.message}.`);
    });
    if (stat) {
      if (stat.isSymbolicLink())
        throw new ToolError(
          `${p} is a symlink that does not resolve (dangling, or swapped during the check); it is refused.`,
        );
      if (!stat.isFile() && !stat.isDirectory()) throw new ToolError(`${p} is not a regular file or folder.`);
      if (stat.isFile() && stat.nlink > 1) {
        throw new ToolError(
          `${p} is a hard link (${stat.nlink} names for one file), which may point outside the workspace; it is refused. Use Bash to inspect it if you must.`,
        );
      }
    }
    return { path: real, display: this.display(real), stat, readOnly };
  }

  /** Opens a resolved existing file for reading without following a symlink swapped in since the check. */
  async openRead(r: Resolved): Promise<FileHandle> {
    const fh = await fsp.open(r.path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK).catch((e: NodeJS.ErrnoException) => {
      throw new ToolError(openErrorMessage(r.display, e));
    });
    await this.#verifyOpened(fh, r, false);
    return fh;
  }

  /**
   * Opens a resolved file for writing (creating it and its parent folders when missing), without following a
   * symlink swapped in since the check. The caller truncates and writes.
   */
  async openWrite(r: Resolved): Promise<FileHandle> {
    let created = false;
    let fh: FileHandle;
    try {
      if (r.stat) {
        fh = await fsp.open(r.path, C.O_WRONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
      } else {
        await this.#mkdirs(path.dirname(r.path));
        fh = await fsp.open(r.path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
        created = true;
      }
    } catch (e) {
      if (e instanceof ToolError) throw e;
      throw new ToolError(openErrorMessage(r.display, e as NodeJS.ErrnoException));
    }
    await this.#verifyOpened(fh, r, created);
    return fh;
  }

  /** Creates missing folders one by one, each checked to be a real folder inside the workspace. */
  async #mkdirs(dir: string): Promise<void> {
    const missing: string[] = [];
    let d = dir;
    while (
      !(await fsp.lstat(d).then(
        () => true,
        () => false,
      ))
    ) {
      missing.unshift(d);
      d = path.dirname(d);
    }
    for (const m of missing) {
      await fsp.mkdir(m).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      const real = await fsp.realpath(m);
      if (real !== m || !inside(real, this.root))
        throw new ToolError(`folder ${this.display(m)} changed while being created; try again.`);
    }
  }

  /** After open: the descriptor must be a regular single-link file whose real path is the one checked. */
  async #verifyOpened(fh: FileHandle, r: Resolved, created: boolean): Promise<void> {
    const fail = async (why: string): Promise<never> => {
      await fh.close().catch(() => {});
      if (created) await fsp.unlink(r.path).catch(() => {});
      throw new ToolError(`${r.display} ${why}`);
    };
    const st = await fh.stat();
    if (st.isDirectory()) await fail('is a folder, not a file; use Glob or Bash `ls` to list it.');
    if (!st.isFile()) await fail('is not a regular file.');
    if (st.nlink > 1)
      await fail(
        `is a hard link (${st.nlink} names for one file), which may point outside the workspace; it is refused.`,
      );
    const actual = await fsp.readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
    if (actual !== null && actual !== r.path)
      await fail('changed while being opened (a folder or file was swapped); try again.');
  }

  private rootOf(p: string, access: Access): string | null {
    if (inside(p, this.root)) return this.root;
    if (access === 'read') return this.readOnlyRoots.find((r) => inside(p, r)) ?? null;
    return null;
  }

  private outsideMessage(p: string, access: Access): string {
    const ro =
      access === 'read' && this.readOnlyRoots.length ? ` (or, read-only, inside ${this.readOnlyRoots.join(', ')})` : '';
    return `${p} is outside the workspace; use a path relative to the workspace root (${this.root}) or an absolute path inside it${ro}.`;
  }
}

/** How a real path is shown to the model: relative to the workspace root inside it, absolute elsewhere. */
export function displayPath(root: string, real: string): string {
  if (inside(real, root)) return path.relative(root, real) || '.';
  return real;
}

export function inside(child: string, parent: string): boolean {
  if (parent === path.sep) return child.startsWith(path.sep);
  return child === parent || child.startsWith(parent + path.sep);
}

function specials(s: string): string {
  return (s.match(SPECIAL) ?? []).join('');
}

function isGitSegment(seg: string): boolean {
  // Case-folding and trailing dots/spaces: '.GIT', '.git.' and '.git ' name the same folder on some filesystems.
  return (
    seg
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[. ]+$/, '') === '.git'
  );
}

/** Realpath of the deepest existing ancestor, with the missing tail appended. */
async function realpathDeepest(p: string): Promise<string> {
  const tail: string[] = [];
  let cur = p;
  for (;;) {
    try {
      const real = await fsp.realpath(cur);
      return tail.length ? path.join(real, ...tail) : real;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new ToolError(`${p} contains a symlink loop.`);
      if (code === 'ENOTDIR') throw new ToolError(`${p}: a part of the path is a file, not a folder.`);
      if (code !== 'ENOENT') throw new ToolError(`cannot resolve ${p}: ${code ?? String(e)}.`);
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      tail.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

function openErrorMessage(display: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ELOOP':
      return `${display} was replaced by a symlink after it was checked; it is refused.`;
    case 'ENOENT':
      return `${display} does not exist.`;
    case 'EISDIR':
      return `${display} is a folder, not a file.`;
    case 'EACCES':
    case 'EPERM':
      return `${display}: permission denied.`;
    case 'EEXIST':
      return `${display} appeared while being created; try again.`;
    default:
      return `cannot open ${display}: ${e.code ?? e.message}.`;
  }
}
