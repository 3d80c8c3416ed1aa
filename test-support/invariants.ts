/**
 * What every run must leave behind, whatever went wrong during it (issue 7): a final STATUS comment; every change
 * the agent made on a pushed branch of the origin (or a STATUS comment that says exactly why not); no duplicate PR
 * or comment; the exit code the `fail-on` input asks for; a bounded wall time. Used by the fault tests and the soak.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { git, listBranches, type Origin } from './git.ts';
import type { GitHubStandIn } from './github-server.ts';
import type { ActionRun } from './launcher.ts';

/** Path → git blob id of every file in a working tree, `.git` left out (so it compares with `git ls-tree`). */
export type TreeSnapshot = Map<string, string>;

export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export async function snapshotTree(dir: string): Promise<TreeSnapshot> {
  const out: TreeSnapshot = new Map();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (p === '.git') continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) out.set(p, blobId(Buffer.from(await readlink(join(dir, p)))));
      else if (e.isFile()) out.set(p, blobId(await readFile(join(dir, p))));
    }
  };
  if (await lstat(dir).catch(() => null)) await walk('');
  return out;
}

/** Paths whose content differs between two snapshots (added, changed or deleted), sorted. */
export function changedPaths(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const paths = new Set<string>();
  for (const [p, id] of after) if (before.get(p) !== id) paths.add(p);
  for (const p of before.keys()) if (!after.has(p)) paths.add(p);
  return [...paths].sort();
}

async function branchTree(origin: Origin, branch: string): Promise<TreeSnapshot> {
  const out = await git(origin.bareDir, ['ls-tree', '-r', '-z', `refs/heads/${branch}`]);
  const tree: TreeSnapshot = new Map();
  for (const entry of out.split('\0').filter(Boolean)) {
    const tab = entry.indexOf('\t');
    const [, , id] = entry.slice(0, tab).split(' ');
    tree.set(entry.slice(tab + 1), id!);
  }
  return tree;
}

export interface RunFacts {
  /** The trigger comment's id (the key of the action's comment markers). */
  commentId: number;
  run: ActionRun;
  wallMs: number;
  gh: GitHubStandIn;
  origin: Origin;
  /** The workspace before and after the run. */
  before: TreeSnapshot;
  after: TreeSnapshot;
  /** The `fail-on` statuses of the run (default BLOCKED, ERROR). */
  failOn?: readonly string[];
  maxWallMs: number;
  /** PRs that existed before the run (excluded from the duplicate count). */
  prsBefore?: number;
}

export interface Verdict {
  /** Empty when every invariant holds. */
  problems: string[];
  hasStatus: boolean;
  workLost: boolean;
  duplicates: boolean;
  /** STATUS word of the final report, when there is one. */
  status: string | undefined;
  /** The final report's text (the comment carrying the STATUS block). */
  report: string;
  /** The branch on the origin holding the agent's changes, when there were any and one does. */
  savedOn: string | undefined;
  changed: string[];
}

const STATUS_LINE = /^STATUS: (COMPLETE|BLOCKED|WAITING|ERROR)\s*$/m;
/** What a report must say when the work could not be pushed. */
export const NOT_PUSHED = /Pushing failed|push failed|could not push|not pushed/i;

export async function checkInvariants(f: RunFacts): Promise<Verdict> {
  const problems: string[] = [];
  const key = `=${f.commentId} -->`;
  const ours = f.gh.state.comments.filter(
    (c) => c.body.includes('<!-- backend-developer-action') && c.body.includes(key),
  );

  // 1. A final STATUS comment (the progress comment turned report, or the report on the PR).
  const reports = ours.filter((c) => STATUS_LINE.test(c.body));
  const report = reports.find((c) => c.body.includes('status=')) ?? reports[0];
  const status = report ? STATUS_LINE.exec(report.body)![1] : undefined;
  if (!report) problems.push(`no STATUS comment (comments of this run: ${ours.length})`);
  const outStatus = f.run.outputs['status'];
  if (report && outStatus && outStatus !== status)
    problems.push(`output status ${outStatus} but the STATUS comment says ${status}`);

  // 2. No duplicates: one comment per marker, one open PR per head, at most one new PR.
  let duplicates = false;
  const byMarker = new Map<string, number>();
  for (const c of ours) {
    const m = /<!-- backend-developer-action (\w+)=/.exec(c.body)?.[1] ?? '?';
    byMarker.set(m, (byMarker.get(m) ?? 0) + 1);
  }
  for (const [m, n] of byMarker) {
    if (n > 1) {
      duplicates = true;
      problems.push(`${n} '${m}' comments for one trigger`);
    }
  }
  const botUnmarked = f.gh.state.comments.filter(
    (c) => c.user === 'github-actions[bot]' && !c.body.includes('<!-- backend-developer-action'),
  );
  if (botUnmarked.length) {
    duplicates = true;
    problems.push(`${botUnmarked.length} comments by the bot without a marker`);
  }
  const open = f.gh.state.pulls.filter((p) => p.state === 'open');
  const heads = new Map<string, number>();
  for (const p of open)
    heads.set(`${p.pull!.head}→${p.pull!.base}`, (heads.get(`${p.pull!.head}→${p.pull!.base}`) ?? 0) + 1);
  for (const [h, n] of heads) {
    if (n > 1) {
      duplicates = true;
      problems.push(`${n} open PRs for ${h}`);
    }
  }
  if (f.gh.state.pulls.length - (f.prsBefore ?? 0) > 1) {
    duplicates = true;
    problems.push(`${f.gh.state.pulls.length - (f.prsBefore ?? 0)} PRs opened by one run`);
  }

  // 3. Every change in the workspace is on some branch of the origin, byte for byte — or the report says why not.
  const changed = changedPaths(f.before, f.after);
  let savedOn: string | undefined;
  let workLost = false;
  if (changed.length) {
    const candidates = await listBranches(f.origin);
    const preferred = f.run.outputs['branch'];
    if (preferred && candidates.includes(preferred)) candidates.unshift(preferred);
    for (const b of candidates) {
      const tree = await branchTree(f.origin, b);
      if (changed.every((p) => tree.get(p) === f.after.get(p))) {
        savedOn = b;
        break;
      }
    }
    if (!savedOn && !(report && NOT_PUSHED.test(report.body))) {
      workLost = true;
      problems.push(
        `work lost: ${changed.length} changed paths (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}) are on no branch of the origin and the report does not say why`,
      );
    }
  }

  // 4. The exit code the fail-on input asks for; never a silent green without a status.
  const failOn = f.failOn ?? ['BLOCKED', 'ERROR'];
  const finalStatus = outStatus || status;
  const wantFail = !finalStatus || failOn.includes(finalStatus);
  if (wantFail && f.run.code === 0)
    problems.push(`exit 0 with status ${finalStatus ?? '(none)'} (fail-on ${failOn.join(',')})`);
  if (!wantFail && f.run.code !== 0)
    problems.push(`exit ${f.run.code ?? f.run.signal} with status ${finalStatus} (fail-on ${failOn.join(',')})`);

  // 5. Bounded.
  if (f.wallMs > f.maxWallMs)
    problems.push(`wall time ${(f.wallMs / 1000).toFixed(1)} s over ${(f.maxWallMs / 1000).toFixed(0)} s`);

  return { problems, hasStatus: !!report, workLost, duplicates, status, report: report?.body ?? '', savedOn, changed };
}
