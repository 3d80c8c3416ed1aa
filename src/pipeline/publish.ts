/**
 * Steps 8 and 9: commit and push whatever changed, whatever the status (work is never lost), then open or reuse
 * the pull request. Workflow files are out of bounds unless allowed: the file tools refuse them, and whatever
 * wrote them anyway (Bash) is undone here, before anything is committed.
 */
import { createHash } from 'node:crypto';
import { BOT_IDENTITY, Output } from '../constants.ts';
import { errorMessage } from '../errors.ts';
import type { Repository } from '../git/index.ts';
import { ensurePullRequest, findOpenPull, markReadyForReview, type PullRef } from '../github/pulls.ts';
import type { Transcript } from '../session/transcript.ts';
import type { EndedBy } from '../session/loop.ts';
import { leaveOutCredentials, type CredentialFiles } from '../security/credential-files.ts';
import { secretGate } from '../security/secret-gate.ts';
import { CommitRefused, publish } from './api-commit.ts';
import { setStatusOutputs } from './report.ts';
import { worsen, type Run } from './run.ts';

export interface Pushed {
  readonly branch: string;
  readonly pushed: boolean;
  readonly headSha: string;
  /** What the agent's FILES claimed, before git's view replaced it. */
  readonly claimed: readonly string[];
}

/** Step 8. */
export interface CommitInput {
  readonly branch: string;
  readonly transcript: Transcript;
  readonly endedBy: EndedBy;
  readonly credentials: CredentialFiles;
  /** Every secret the run holds, for the secret gate. */
  readonly secrets: readonly string[];
}

export async function commitAndPush(run: Run, git: Repository, c: CommitInput): Promise<Pushed> {
  const { redact, notes, cfg } = run;
  const { branch } = c;
  run.channel.phase('Committing and pushing');
  const claimed = run.status.files;
  let changed: string[] = [];
  let headSha = '';
  try {
    const found = await git.changedFiles();
    changed = found.files;
    // Nested repositories, submodule pointers and special files are left out, each named in the report.
    notes.push(...found.skipped.map((k) => k.reason));
    headSha = await git.headSha();
  } catch (e) {
    notes.push(`Reading the workspace's changes failed: ${redact(errorMessage(e))}`);
    worsen(run, 'ERROR', 'the workspace repository could not be read after the run');
  }
  const workflows = cfg.allowWorkflowChanges ? [] : changed.filter((f) => f.startsWith('.github/workflows/'));
  if (workflows.length) {
    try {
      await git.discard(workflows);
      changed = changed.filter((f) => !workflows.includes(f));
      notes.push(
        `Changes to ${workflows.join(', ')} were discarded: set allow-workflow-changes: true to let the agent change workflows.`,
      );
    } catch (e) {
      notes.push(`Discarding workflow changes failed: ${redact(errorMessage(e))}; nothing was committed.`);
      changed = [];
      worsen(run, 'ERROR', 'the agent changed workflow files and they could not be discarded');
    }
  }
  // A credential file is never committed, even when the agent un-ignored it: it stays on disk for later steps.
  const leftOut = await leaveOutCredentials(changed, run.env.workspace, c.credentials.paths);
  changed = leftOut.changed;
  if (leftOut.note) notes.push(leftOut.note);
  run.status = { ...run.status, files: changed };
  // The secret gate: a secret the run holds (in any encoding) or one secretlint recognises stops the commit; the
  // verdict rewrites the status (BLOCKED, names withheld), the one change of status that is not a plain worsen().
  const gate = changed.length
    ? await secretGate({ repo: git, knownSecrets: c.secrets, exclude: leftOut.excluded, log: (m) => run.log.info(m) })
    : null;
  if (gate && !gate.pass) {
    run.status = gate.apply(run.status);
    notes.push(...gate.notes);
  }
  let pushedBranch = branch;
  let pushed = false;
  if (changed.length && gate?.pass) {
    const { comment, issue } = run.event;
    try {
      const sha = await git.commitAll({
        message: redact(
          `${run.status.summary.split('\n')[0]!.slice(0, 72) || `/${run.agentName} changes`}\n\n/${run.agentName} for #${issue.number}: ${run.status.status}`,
        ),
        authorName: BOT_IDENTITY.name,
        authorEmail: BOT_IDENTITY.email,
        coAuthors: [`${comment.user.login} <${comment.user.id}+${comment.user.login}@users.noreply.github.com>`],
        exclude: leftOut.excluded,
      });
      const p = await publish(run, git, branch);
      headSha = p?.sha || sha || headSha;
      pushedBranch = p?.branch ?? branch;
      pushed = !!p;
      if (p?.fallback)
        notes.push(`${branch} moved on meanwhile and could not be rebased cleanly; the work is on ${p.branch}.`);
    } catch (e) {
      if (e instanceof CommitRefused) notes.push(`${redact(e.message)}. Nothing was pushed.`);
      else notes.push(`Pushing failed: ${redact(errorMessage(e))}. The commit stays in the runner's workspace only.`);
      worsen(run, 'ERROR', e instanceof CommitRefused ? redact(e.message) : `push failed: ${redact(errorMessage(e))}`);
      await keepPatch(run, git);
    }
  }
  run.outputs.set(Output.Branch, pushedBranch);
  c.transcript.write({
    type: 'end',
    endedBy: c.endedBy,
    status: run.status,
    commit: pushed ? headSha : null,
    diffSha256: await diffHash(git),
  });
  return { branch: pushedBranch, pushed, headSha, claimed };
}

/** Step 9: the pull request for an issue (opened as a draft unless COMPLETE), or the one the command was made on. */
export async function openPullRequest(
  run: Run,
  p: Pushed,
  base: string,
  existing: PullRef | null,
): Promise<PullRef | null> {
  const { cfg, redact, notes, event } = run;
  const { issue, comment } = event;
  run.channel.phase('Opening the pull request');
  // Outputs first: if the job is cancelled meanwhile, the grace timer still writes the final status.
  setStatusOutputs(run.outputs, run.status, run.figures);
  let pr = existing;
  if (run.cancelled.aborted) {
    // A cancelled job has seconds left: the pushed branch and the STATUS comment matter, a new PR can wait.
    notes.push(`The job was cancelled; no pull request was opened. The work is on ${p.branch}.`);
  } else if (!pr && cfg.createPr && !p.pushed) {
    // Nothing new to push (e.g. a re-run): report on the branch's open PR if there is one.
    pr = await findOpenPull(run.gh, run.env.repo, p.branch, base).catch(() => null);
  } else if (!pr && cfg.createPr && p.pushed) {
    try {
      pr = await ensurePullRequest(run.gh, run.env.repo, {
        head: p.branch,
        base,
        title: issue.title || `/${run.agentName} for #${issue.number}`,
        body: redact(
          `${run.status.summary}\n\nRequested by @${comment.user.login} in #${issue.number}:\n\n> ${run.task.split('\n').join('\n> ')}\n\nCloses #${issue.number}`,
        ),
        draft: run.status.status !== 'COMPLETE',
      });
    } catch (e) {
      notes.push(`Opening the pull request failed: ${redact(errorMessage(e))}`);
    }
  }
  if (issue.pull_request === undefined && pr?.draft && run.status.status === 'COMPLETE' && !run.cancelled.aborted) {
    // A draft this action opened for the issue (an earlier WAITING or BLOCKED run) is now complete. A draft a
    // human opened and asked about on the PR stays theirs to mark.
    await markReadyForReview(run.gh, pr).catch((e) =>
      notes.push(`Marking the pull request ready for review failed: ${redact(errorMessage(e))}`),
    );
  }
  if (pr) {
    run.outputs.set(Output.PrNumber, pr.number);
    run.outputs.set(Output.PrUrl, pr.url);
  }
  if (!run.status.files.length) notes.push('Nothing changed in the repository, so nothing was committed.');
  return pr;
}

/** Job summaries take 1 MiB a step; the patch keeps well under it. */
const PATCH_LIMIT = 512 * 1024;

/** The work that could not be published, as a patch for the job summary: nothing is lost with the runner. */
async function keepPatch(run: Run, git: Repository): Promise<void> {
  try {
    const diff = await git.diffSinceStart();
    if (!diff) return;
    run.patch = diff.length > PATCH_LIMIT ? `${diff.slice(0, PATCH_LIMIT)}\n… (cut at ${PATCH_LIMIT} bytes)\n` : diff;
    run.notes.push('The work is kept as a patch in the job summary (`git apply` it on the branch).');
  } catch (e) {
    run.log.warning(`Could not keep the work as a patch: ${run.redact(errorMessage(e))}`);
  }
}

/** sha256 of the run's diff, for replays to compare against; undefined when it cannot be read. */
async function diffHash(git: Repository): Promise<string | undefined> {
  try {
    const diff = await git.diffSinceStart();
    return diff ? createHash('sha256').update(diff).digest('hex') : undefined;
  } catch {
    return undefined;
  }
}
