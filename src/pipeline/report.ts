/**
 * Step 3 and step 10: the progress comment that acknowledges the command, and the report at the end (the STATUS
 * comment, the check run, the job summary, the outputs). `reportEarly` is the short path for a run that ended
 * before the agent could start.
 */
import { Output, type Status } from '../constants.ts';
import { errorMessage } from '../errors.ts';
import { formatStatus, type StatusBlock } from '../session/status.ts';
import type { GitHub, RepoRef } from '../github/client.ts';
import { findComment, marker, upsertComment, type Identity, type PostedComment } from '../github/comments.ts';
import { reportCheckRun } from '../github/checks.ts';
import type { PullRef } from '../github/pulls.ts';
import type { Outputs } from './outputs.ts';
import { Progress } from '../report/progress.ts';
import { fenced, figuresLine, renderStatusComment, type RunFigures } from '../report/status-comment.ts';
import { writeJobSummary } from './summary.ts';
import type { Logger } from '../log.ts';
import { failureOf, type ProgressChannel, type Redact, type Run } from './run.ts';

/**
 * Step 3: react 👀 and open the progress comment. The reaction and the lookup of an earlier progress comment (a
 * re-run) go out together; the reaction's answer names the account we post as, which the lookup waits for before
 * it trusts any comment as ours.
 */
export async function acknowledge(
  gh: GitHub,
  me: Identity,
  repo: RepoRef,
  o: {
    issue: number;
    commentId: number;
    agentName: string;
    runUrl: string;
    redact: Redact;
    log: Logger;
    started: number;
  },
): Promise<ProgressChannel> {
  const reacted = me
    .learnFrom(gh.rest.reactions.createForIssueComment({ ...repo, comment_id: o.commentId, content: 'eyes' }))
    .catch((e) => o.log.warning(`Could not react: ${errorMessage(e)}`));
  const mark = marker('progress', String(o.commentId));
  let posted: PostedComment | null = null;
  const found = findComment(gh, repo, o.issue, mark, me).then(
    (c) => void (posted = c),
    () => {},
  );
  const progress = new Progress(`🛠️ \`/${o.agentName}\` is working on this ([run](${o.runUrl})).`, async (body) => {
    await found;
    posted = await upsertComment(gh, repo, o.issue, mark, o.redact(body), me, posted);
  });
  const channel: ProgressChannel = {
    progress,
    comment: () => posted,
    phase(name) {
      o.log.info(`▸ ${name} (+${((Date.now() - o.started) / 1000).toFixed(2)} s)`);
      progress.phase(name);
    },
  };
  channel.phase('Permission checked');
  channel.phase('Checking out');
  await Promise.all([reacted, progress.flush()]);
  return channel;
}

/** Reports a run that ended before the agent could start (bad agent file, fork PR, setup failure). */
export async function reportEarly(run: Run, status: StatusBlock): Promise<string | null> {
  const figures = { ...run.figures, durationMs: Date.now() - run.started };
  const body = renderStatusComment({
    agent: run.agentName,
    status,
    fileUrl: (f) => f,
    figures,
    runUrl: run.env.runUrl,
  });
  await run.channel.progress.flush(run.redact(body));
  setStatusOutputs(run.outputs, status, run.figures);
  const posted = run.channel.comment();
  if (posted) run.outputs.set(Output.CommentUrl, posted.url);
  return failureOf(run, status);
}

export interface Published {
  /** The branch the work is on (a fallback branch when the original moved). */
  readonly branch: string;
  readonly pushed: boolean;
  readonly headSha: string;
  /** The base branch, for links when nothing was pushed. */
  readonly base: string;
  readonly pr: PullRef | null;
  /** FILES as the agent claimed them, when they differ from what git saw. */
  readonly claimedFiles?: readonly string[];
  readonly verifyOutput?: string;
  readonly lastText: string;
}

/** Step 10: the STATUS comment and the check run (together), then the job summary and the outputs. */
export async function report(run: Run, p: Published): Promise<string | null> {
  const { env, event, redact, status, figures } = run;
  const issue = event.issue.number;
  Object.assign(figures, { durationMs: Date.now() - run.started });
  const ref = p.pushed ? p.branch : p.base;
  const body = redact(
    renderStatusComment({
      agent: run.agentName,
      status,
      ...(p.claimedFiles ? { claimedFiles: p.claimedFiles } : {}),
      fileUrl: (f) =>
        `${env.serverUrl}/${env.repoFullName}/blob/${encodeURIComponent(ref)}/${f.split('/').map(encodeURIComponent).join('/')}`,
      figures,
      runUrl: env.runUrl,
      branch: p.branch,
      ...(p.pr && p.pr.number !== issue ? { prUrl: p.pr.url } : {}),
      notes: run.notes,
      footer: run.footer,
      ...(p.verifyOutput ? { verifyOutput: p.verifyOutput } : {}),
    }),
  );
  await Promise.all([postStatus(run, body, p.pr?.number ?? issue), postCheck(run, body, p)]);
  setStatusOutputs(run.outputs, status, figures);
  const plan = run.channel.progress.latestPlan;
  await writeJobSummary(run.agentName, status, figures, p.lastText, redact, run.notes, run.footer, plan).catch((e) =>
    run.log.warning(`Job summary: ${errorMessage(e)}`),
  );
  run.log.info(redact(`/${run.agentName}: ${status.status} — ${status.summary} (${figuresLine(figures)})`));
  return failureOf(run, status);
}

/**
 * On the issue, the progress comment becomes the report. On a pull request the report is a comment there, and the
 * issue's progress comment becomes a short "finished" pointing at it (or the report itself, when posting there fails).
 */
async function postStatus(run: Run, body: string, target: number): Promise<void> {
  const { gh, env, event, redact, channel } = run;
  const issue = event.issue.number;
  let posted: PostedComment | null = null;
  try {
    if (target === issue) {
      await channel.progress.flush(body);
      posted = channel.comment();
    } else {
      posted = await upsertComment(gh, env.repo, target, marker('status', String(event.comment.id)), body, run.me);
      const short = `\`/${run.agentName}\` finished: **${run.status.status}**\n\n${fenced(formatStatus(run.status))}\n\nReport: ${posted.url}`;
      await channel.progress.flush(redact(short));
    }
  } catch (e) {
    run.log.warning(`Could not post the STATUS comment: ${redact(errorMessage(e))}`);
    if (target !== issue)
      await channel.progress.flush(body).then(
        () => (posted = channel.comment()),
        () => {},
      );
  }
  if (posted) run.outputs.set(Output.CommentUrl, posted.url);
}

async function postCheck(run: Run, body: string, p: Published): Promise<void> {
  const isPr = run.event.issue.pull_request !== undefined;
  if (!p.headSha || !(p.pushed || isPr) || run.cancelled.aborted) return;
  try {
    const id = await reportCheckRun(run.gh, run.env.repo, {
      name: run.agentName,
      sha: p.headSha,
      status: run.status.status,
      failOn: run.cfg.failOn,
      title: run.redact(`${run.status.status}: ${run.status.summary}`).slice(0, 200),
      summary: body,
      detailsUrl: run.env.runUrl,
    });
    run.outputs.set(Output.CheckRunId, id);
  } catch (e) {
    run.log.warning(`Could not create the check run: ${run.redact(errorMessage(e))}`);
  }
}

export function setStatusOutputs(outputs: Outputs, s: StatusBlock, f: RunFigures): void {
  outputs.set(Output.Status, s.status satisfies Status);
  outputs.set(Output.Summary, s.summary);
  outputs.set(Output.Files, s.files.join(','));
  outputs.set(Output.Next, s.next);
  outputs.set(Output.Blocker, s.blocker);
  outputs.set(Output.Turns, f.turns);
  outputs.set(Output.InputTokens, f.usage.input_tokens);
  outputs.set(Output.OutputTokens, f.usage.output_tokens);
  outputs.set(Output.CacheReadTokens, f.usage.cache_read_input_tokens);
  outputs.set(Output.CacheWriteTokens, f.usage.cache_creation_input_tokens);
  outputs.set(Output.CostUsd, f.costUsd.toFixed(6));
}
