// What a commit made through GitHub's API must carry: the files that differ between two commits, read from git's
// objects (what was committed after the secret gate), never from the workspace. GitHub's `createCommitOnBranch`
// takes whole files as base64 and deletions by path; it cannot express a symlink, a submodule pointer or a file
// mode (every file it writes is 100644), so those are reported as the reason the API cannot carry the change.
import { spawn } from 'node:child_process';
import { gitEnvironment, type GitCommandManager } from './command.ts';
import { LITERAL_PATHSPECS, chunked } from './stage.ts';

export interface TreeChange {
  readonly path: string;
  /** 'A' added, 'M' modified, 'D' deleted, 'T' type changed (git's letters, renames off). */
  readonly status: string;
  readonly oldMode: string;
  readonly newMode: string;
  /** The blob in the new commit (all zeros for a deletion). */
  readonly blob: string;
}

export interface TreeDiff {
  readonly changes: readonly TreeChange[];
  /** Why the API cannot express this change (a sentence fragment), or null when it can. */
  readonly inexpressible: string | null;
  /** Bytes of the new contents of every added or modified file. */
  readonly bytes: number;
  /** The largest of them, with its path. */
  readonly largest: { readonly path: string; readonly bytes: number } | null;
}

const REGULAR = '100644';
const MODE_NAMES: Readonly<Record<string, string>> = {
  '100755': 'an executable file',
  '120000': 'a symlink',
  '160000': 'a submodule',
};

/** `git diff-tree -r --raw -z` from `from` to `to`: `:<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0`. */
export function parseRawDiff(out: string): TreeChange[] {
  const t = out.split('\0');
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < t.length; i += 2) {
    const head = t[i]!.replace(/^:/, '');
    if (!head) break;
    const [oldMode, newMode, , blob, status] = head.split(' ');
    changes.push({ path: t[i + 1]!, status: status!.slice(0, 1), oldMode: oldMode!, newMode: newMode!, blob: blob! });
  }
  return changes;
}

/** The first change the API cannot carry, as "a symlink (link)"; null when every change is a plain file. */
export function inexpressibleChange(changes: readonly TreeChange[]): string | null {
  for (const c of changes) {
    const modes = c.status === 'D' ? [c.oldMode] : c.status === 'A' ? [c.newMode] : [c.oldMode, c.newMode];
    const odd = modes.find((m) => m !== REGULAR);
    if (odd) {
      const what = MODE_NAMES[odd] ?? `a file of mode ${odd}`;
      if (c.status === 'D' && odd !== '160000' && odd !== '120000') continue; // deleting an executable is fine
      const verb = c.status === 'D' ? 'deletes' : c.status === 'A' ? 'adds' : 'changes';
      return `the change ${verb} ${what} (${c.path}), which GitHub's commit API cannot express`;
    }
  }
  return null;
}

/** Files that differ between the commits `from` and `to`, with their sizes and what the API cannot express. */
export async function treeDiff(git: GitCommandManager, from: string, to: string): Promise<TreeDiff> {
  const out = await git.exec(['diff-tree', '-r', '--raw', '-z', '--no-renames', '--no-ext-diff', from, to, '--']);
  const changes = parseRawDiff(out);
  const kept = changes.filter((c) => c.status !== 'D');
  const sizes = await blobSizes(
    git,
    to,
    kept.map((c) => c.path),
  );
  let bytes = 0;
  let largest: TreeDiff['largest'] = null;
  for (const c of kept) {
    const size = sizes.get(c.path) ?? 0;
    bytes += size;
    if (!largest || size > largest.bytes) largest = { path: c.path, bytes: size };
  }
  return { changes, inexpressible: inexpressibleChange(changes), bytes, largest };
}

/** Sizes of these paths' blobs in `commit` (`ls-tree -l`), literal paths in chunks. */
async function blobSizes(
  git: GitCommandManager,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const chunk of chunked(paths)) {
    const out = await git.exec(['ls-tree', '-r', '-l', '-z', commit, '--', ...chunk], { env: LITERAL_PATHSPECS });
    for (const entry of out.split('\0')) {
      // `<mode> <type> <sha> <size>\t<path>`
      const tab = entry.indexOf('\t');
      if (tab < 0) continue;
      const size = Number(entry.slice(0, tab).trim().split(/\s+/)[3]);
      sizes.set(entry.slice(tab + 1), Number.isFinite(size) ? size : 0);
    }
  }
  return sizes;
}

/**
 * The contents of these blobs, byte for byte (`git cat-file --batch`, one process for all of them). simple-git
 * decodes output as UTF-8, which would corrupt binary files, so this spawns git itself with the same hardened
 * environment every other command gets.
 */
export function readBlobs(git: GitCommandManager, shas: readonly string[]): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(shas)];
  if (!wanted.length) return Promise.resolve(new Map<string, Buffer>());
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd: git.settings.workTree,
      env: gitEnvironment(git.settings),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed (exit ${code}): ${stderr.trim()}`));
      try {
        resolve(parseBatch(Buffer.concat(chunks)));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(wanted.map((s) => `${s}\n`).join(''));
  });
}

/** `<sha> <type> <size>\n<contents>\n`, repeated; `<sha> missing` for an object git does not have. */
export function parseBatch(out: Buffer): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) break;
    const [sha, type, size] = out.subarray(at, nl).toString('latin1').split(' ');
    if (type === 'missing' || size === undefined) throw new Error(`git has no object ${sha}`);
    const n = Number(size);
    blobs.set(sha!, out.subarray(nl + 1, nl + 1 + n));
    at = nl + 1 + n + 1;
  }
  return blobs;
}
