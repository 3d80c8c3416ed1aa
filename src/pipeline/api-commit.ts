/**
 * Publishing the run's commit: through GitHub's API by default (`createCommitOnBranch`, which GitHub signs, so the
 * work can merge where branches require signed commits), with `git push` when the API cannot carry the change
 * (`commit-signing: auto`) or when asked to (`git`). The API commit carries exactly what the local commit holds —
 * the files git staged after the secret gate and the credential-file exclusion — read from git's objects.
 */
import { abortReason, errorMessage } from '../errors.ts';
import type { Repository, TreeDiff } from '../git/index.ts';
import {
  commitFailure,
  createBranch,
  createCommitOnBranch,
  type ApiCommit,
  type FileChanges,
} from '../github/commits.ts';
import type { Run } from './run.ts';

/** How often a moved branch is refetched and the commit retried before the work goes to a fallback branch. */
export const MAX_COMMIT_ATTEMPTS = 3;
/**
 * GitHub documents no payload limit for createCommitOnBranch. It is the API behind the web editor, and files added
 * through the browser are limited to 25 MiB: a larger file goes by git. The whole request stays under ~40 MB of
 * base64 (30 MiB of contents), well inside what GitHub's API front ends take in one request.
 */
export const API_FILE_LIMIT = 25 * 1024 * 1024;
export const API_TOTAL_LIMIT = 30 * 1024 * 1024;

export interface Published {
  readonly branch: string;
  readonly sha: string;
  /** The branch moved and the change overlapped: the work went to a new branch. */
  readonly fallback: boolean;
  /** True when GitHub made the commit (signed). */
  readonly signed: boolean;
}

/** GitHub refused the commit (permission or rule): `git push` would meet the same refusal. */
export class CommitRefused extends Error {
  override name = 'CommitRefused';
}

/** Publishes HEAD on `branch`; null when there is nothing to publish. Throws CommitRefused or the push's error. */
export async function publish(run: Run, git: Repository, branch: string): Promise<Published | null> {
  const mode = run.cfg.commitSigning;
  // A cancelled job has seconds left: one git push saves the work faster than the API's several round trips.
  const cancelled = run.cancelled.aborted && mode === 'auto';
  if (cancelled)
    run.footer.push(
      `pushed unsigned: the run was stopped (${errorMessage(abortReason(run.cancelled))}); git push is the quickest way to save the work`,
    );
  if (mode !== 'git' && !cancelled) {
    const api = await throughApi(run, git, branch);
    if ('published' in api) return api.published;
    if ('refused' in api) throw new CommitRefused(api.refused);
    if (mode === 'api')
      throw new CommitRefused(
        `commit-signing is api, but ${api.unsigned}. Set commit-signing: auto to push such changes unsigned with git`,
      );
    run.footer.push(`pushed unsigned: ${api.unsigned}`);
    run.log.info(`Pushing with git instead of GitHub's commit API: ${api.unsigned}.`);
  }
  const p = await git.push(branch);
  return { branch: p.branch, sha: p.sha, fallback: p.fallback, signed: false };
}

type ApiOutcome = { published: Published | null } | { unsigned: string } | { refused: string };

async function throughApi(run: Run, git: Repository, branch: string): Promise<ApiOutcome> {
  const start = git.startSha();
  const head = await git.headSha();
  if (head === start) return { published: null };
  const diff = await git.treeDiff(start, head);
  if (!diff.changes.length) return { published: null };
  const cannot = whyNot(diff);
  if (cannot) return { unsigned: cannot };
  const blobs = await git.readBlobs(diff.changes.filter((c) => c.status !== 'D').map((c) => c.blob));
  const fileChanges: FileChanges = {
    additions: diff.changes
      .filter((c) => c.status !== 'D')
      .map((c) => ({ path: c.path, contents: blobs.get(c.blob)!.toString('base64') })),
    deletions: diff.changes.filter((c) => c.status === 'D').map((c) => ({ path: c.path })),
  };
  const message = (await git.commitMessage(head)).replace(/\s+$/, '');
  const nl = message.indexOf('\n');
  const headline = nl < 0 ? message : message.slice(0, nl);
  const body = nl < 0 ? '' : message.slice(nl + 1).replace(/^\n+/, '');
  const commit = (onto: string, expectedHeadOid: string) =>
    createCommitOnBranch(run.gh, {
      repositoryNameWithOwner: run.env.repoFullName,
      branchName: onto,
      expectedHeadOid,
      headline,
      body,
      fileChanges,
    });
  const ours = new Set(diff.changes.map((c) => c.path));
  try {
    let expected = (await git.fetchHead(branch)) ?? (await ensureBranch(run, git, branch, start));
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS && expected; attempt++) {
      // The branch moved past our start: our files go on top of it only if nobody else changed them meanwhile.
      if (expected !== start && (await git.pathsChanged(start, expected)).some((p) => ours.has(p))) break;
      try {
        const done = await commit(branch, expected);
        return { published: await adopt(run, git, branch, done, false) };
      } catch (e) {
        if (commitFailure(e).kind !== 'stale') throw e;
        run.log.info(`${branch} moved on meanwhile (attempt ${attempt} of ${MAX_COMMIT_ATTEMPTS}); refetching it.`);
        expected = await git.fetchHead(branch);
      }
    }
    // As with git: never force, the work goes to a branch of its own, started where the agent started.
    let fallback = `${branch}-${head.slice(0, 8)}`;
    if ((await createBranch(run.gh, run.env.repo, fallback, start)) === 'exists') {
      fallback = `${fallback}-${Date.now().toString(36)}`;
      await createBranch(run.gh, run.env.repo, fallback, start);
    }
    return { published: await adopt(run, git, fallback, await commit(fallback, start), true) };
  } catch (e) {
    const f = commitFailure(e);
    if (f.kind === 'refused') return { refused: `GitHub refused the commit: ${f.what}` };
    if (f.kind === 'unavailable') return { unsigned: f.reason };
    return { unsigned: `the branch kept moving: ${errorMessage(e)}` };
  }
}

/** Why the API cannot carry this change, or null. */
function whyNot(diff: TreeDiff): string | null {
  if (diff.inexpressible) return diff.inexpressible;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (diff.largest && diff.largest.bytes > API_FILE_LIMIT)
    return `${diff.largest.path} is ${mib(diff.largest.bytes)}, over the ${mib(API_FILE_LIMIT)} a file may have through GitHub's commit API`;
  if (diff.bytes > API_TOTAL_LIMIT)
    return `the change is ${mib(diff.bytes)}, over the ${mib(API_TOTAL_LIMIT)} the action sends through GitHub's commit API at once`;
  return null;
}

/** The branch does not exist on GitHub yet: created where the agent started (REST git/refs). */
async function ensureBranch(run: Run, git: Repository, branch: string, start: string): Promise<string | null> {
  if ((await createBranch(run.gh, run.env.repo, branch, start)) === 'created') return start;
  return git.fetchHead(branch); // created meanwhile by someone else
}

/** The checkout follows the commit GitHub made, so verify-command and the job's next steps see it. */
async function adopt(run: Run, git: Repository, branch: string, c: ApiCommit, fallback: boolean): Promise<Published> {
  try {
    await git.adopt(branch, c.oid);
  } catch (e) {
    run.notes.push(
      `The commit is on ${branch} (${c.oid.slice(0, 8)}), but the runner's checkout could not be moved to it: ${run.redact(errorMessage(e))}.`,
    );
  }
  return { branch, sha: c.oid, fallback, signed: true };
}
