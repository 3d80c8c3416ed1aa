import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BOT_IDENTITY, COMMENT_MARKER, Output, type Status } from './constants.ts';
import { UserError, errorMessage } from './errors.ts';
import { readConfig, DEFAULT_MODEL, type Config } from './inputs.ts';
import { createRedactor } from './redact.ts';
import { readCommentEvent, type CommentEvent } from './trigger/event.ts';
import { parseCommand, commandName, nearestName } from './trigger/command.ts';
import { decidePermission } from './trigger/permission.ts';
import { loadAgents, findAgent, builtinAgentsDir, type AgentDefinition } from './agent/definition.ts';
import { resolveModel } from './agent/models.ts';
import { createModelClient, checkProviderSettings, providerModelId, providerSecrets } from './agent/provider.ts';
import type { LoopResult } from './agent/loop.ts';
import { runSession } from './agent/session.ts';
import { formatStatus, type StatusBlock } from './agent/status.ts';
import { createToolbox, type Toolbox } from './tools/index.ts';
import { openRepository, slugBranch, type Repository } from './git/index.ts';
import { createGitHub, type GitHub, type RepoRef } from './github/client.ts';
import { marker, upsertComment, findComment, type PostedComment } from './github/comments.ts';
import { ensurePullRequest, findOpenPull, markReadyForReview, type PullRef } from './github/pulls.ts';
import { reportCheckRun } from './github/checks.ts';
import { Progress } from './report/progress.ts';
import { Outputs } from './report/outputs.ts';
import { renderStatusComment, figuresLine, fenced, type RunFigures } from './report/status-comment.ts';
import { writeJobSummary } from './report/summary.ts';
import { Transcript } from './report/transcript.ts';
import { secretGate } from './security/secret-gate.ts';

/** verify-command may run this long at most (and never past timeout-minutes). */
const VERIFY_MAX_MS = 30 * 60_000;
/** After a cancel signal the run has this long to push and report before it exits anyway. */
const CANCEL_GRACE_MS = 4_500;


interface Env {
  readonly workspace: string;
  readonly repo: RepoRef;
  readonly repoFullName: string;
  readonly apiUrl: string;
  readonly serverUrl: string;
  readonly runUrl: string;
  readonly runnerTemp: string;
}

function readEnv(): Env {
  const full = process.env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo) throw new UserError('GITHUB_REPOSITORY is not set to owner/name: run this action from a GitHub Actions workflow.');
  const serverUrl = (process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  return {
    workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
    repo: { owner, repo },
    repoFullName: full,
    apiUrl: (process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, ''),
    serverUrl,
    runUrl: `${serverUrl}/${full}/actions/runs/${process.env.GITHUB_RUN_ID ?? ''}`,
    runnerTemp: process.env.RUNNER_TEMP || process.env.TMPDIR || '/tmp',
  };
}

function skip(outputs: Outputs, reason: string): void {
  core.notice(`Skipped: ${reason}`);
  outputs.set(Output.Skipped, true);
}

function errorStatus(summary: string, blocker: string): StatusBlock {
  return { status: 'ERROR', summary, files: [], blocker };
}

/** The whole run, top to bottom. Holds the only core.setFailed. */
export async function run(): Promise<void> {
  const outputs = new Outputs();
  outputs.set(Output.Skipped, false);
  let redact = createRedactor([]);
  const cancel = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (cancel.signal.aborted) return;
    core.warning(`Received ${sig}: stopping the agent, pushing what exists and reporting.`);
    cancel.abort(new Error(`the job was cancelled (${sig})`));
    setTimeout(() => {
      outputs.flush(redact);
      core.setFailed(`Cancelled (${sig}); the report may be incomplete.`);
      process.exit(1);
    }, CANCEL_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    // The event first: a run that is not for us is skipped even when an input is wrong.
    const read = readCommentEvent();
    if ('skip' in read) return skip(outputs, read.skip);
    const cfg = readConfig();
    const providerCredentials = providerSecrets(cfg.provider, process.env);
    for (const s of providerCredentials) core.setSecret(s);
    // Every secret the run holds: masked in whatever it writes, and kept out of whatever it commits.
    const secrets = [cfg.githubToken, cfg.anthropicApiKey, ...providerCredentials];
    redact = createRedactor(secrets);
    const failed = await handleComment(cfg, read.event, outputs, cancel.signal, redact, secrets);
    if (failed) core.setFailed(redact(failed));
  } catch (e) {
    if (e instanceof UserError) core.setFailed(redact(e.message));
    else {
      core.debug(redact((e as Error)?.stack ?? ''));
      core.setFailed(redact(`Unexpected error: ${errorMessage(e)}. Re-run with ACTIONS_STEP_DEBUG=true for details, and report it if it persists.`));
    }
  } finally {
    outputs.flush(redact);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Returns the failure message when the step must fail, null otherwise. */
async function handleComment(
  cfg: Config,
  event: CommentEvent,
  outputs: Outputs,
  cancelled: AbortSignal,
  redact: (s: string) => string,
  secrets: readonly string[],
): Promise<string | null> {
  const env = readEnv();
  const started = Date.now();
  const { comment, issue } = event;

  // 1. Is it a command for us? Decided from the event and local files only: no API call yet.
  if (comment.body.includes(COMMENT_MARKER)) {
    skip(outputs, 'the comment was written by this action.');
    return null;
  }
  const builtinDir = builtinAgentsDir(import.meta.url);
  const hasCheckout = existsSync(join(env.workspace, '.git'));
  let catalog = await loadAgents({ workspace: hasCheckout ? env.workspace : builtinDir, agentsDir: cfg.agentsDir, builtinDir });
  const names = () => [...catalog.agents.keys(), ...catalog.errors.map((x) => x.name).filter((n): n is string => !!n)];
  let command = parseCommand(comment.body, names(), cfg.agent || undefined);
  // A near miss of one of our names (`/backend-develper`) is answered, once the commenter is known to be allowed;
  // other slash commands (`/cc`, `/lgtm`) belong to other tools and are left alone.
  const typo = command || cfg.agent ? null : commandName(comment.body);
  const didYouMean = typo ? nearestName(typo, names()) : null;
  if (!command && typo && didYouMean) command = { agent: typo, task: '' };
  if (!command) {
    skip(outputs, `the comment is not a command for ${cfg.agent ? `/${cfg.agent}` : `any of ${names().map((n) => `/${n}`).join(', ')}`}.`);
    return null;
  }
  // The model provider's settings (key, region, project) from inputs and environment only: no network yet.
  const modelAccess = { provider: cfg.provider, apiKey: cfg.anthropicApiKey, baseUrl: cfg.anthropicBaseUrl, env: process.env };
  checkProviderSettings(modelAccess);
  if (!cfg.githubToken) throw new UserError("Input 'github-token' is empty: leave it at its default (${{ github.token }}) or pass an app token.");
  const gh = createGitHub(cfg.githubToken, env.apiUrl);
  const repo = env.repo;
  const agentName = command.agent;

  // 2. Who may ask: decided before anything else is spent.
  let permission = 'none';
  let roleName: string | undefined;
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: comment.user.login });
    permission = data.permission;
    roleName = data.role_name;
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
  }
  const decision = decidePermission({
    login: comment.user.login,
    userType: comment.user.type,
    permission,
    roleName,
    allowedUsers: cfg.allowedUsers,
    allowedBots: cfg.allowedBots,
  });
  if (!decision.allowed) {
    core.warning(`@${comment.user.login} may not run /${agentName}: ${decision.reason}`);
    await upsertComment(gh, repo, issue.number, marker('refused', String(comment.id)), `@${comment.user.login} ${decision.reason}`).catch((e) =>
      core.warning(`Could not post the refusal: ${errorMessage(e)}`),
    );
    skip(outputs, decision.reason);
    return null;
  }

  // 3. Acknowledge and show progress.
  // The reaction and the lookup of an earlier progress comment (a re-run) go out together.
  const reacted = gh.rest.reactions
    .createForIssueComment({ ...repo, comment_id: comment.id, content: 'eyes' })
    .catch((e) => core.warning(`Could not react: ${errorMessage(e)}`));
  const progressMark = marker('progress', String(comment.id));
  let progressComment: PostedComment | null = null;
  const found = findComment(gh, repo, issue.number, progressMark).then(
    (c) => void (progressComment = c),
    () => {},
  );
  const progress = new Progress(`🛠️ \`/${agentName}\` is working on this ([run](${env.runUrl})).`, async (body) => {
    await found;
    progressComment = await upsertComment(gh, repo, issue.number, progressMark, redact(body), progressComment);
  });
  const phase = (name: string): void => {
    core.info(`▸ ${name} (+${((Date.now() - started) / 1000).toFixed(2)} s)`);
    progress.phase(name);
  };
  phase('Permission checked');
  phase('Checking out');
  await Promise.all([reacted, progress.flush()]);

  const figures: RunFigures = {
    turns: 0,
    toolCalls: {},
    usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    costUsd: 0,
    durationMs: 0,
  };
  // Reports a run that ended before the agent could start (bad agent file, fork PR, setup failure).
  const reportEarly = async (status: StatusBlock): Promise<string | null> => {
    const body = renderStatusComment({ agent: agentName, status, fileUrl: (f) => f, figures: { ...figures, durationMs: Date.now() - started }, runUrl: env.runUrl });
    const posted = await progress.flush(redact(body)).then(() => progressComment);
    setStatusOutputs(outputs, status, figures);
    if (posted) outputs.set(Output.CommentUrl, posted.url);
    return cfg.failOn.includes(status.status) ? `${status.status}: ${status.blocker ?? status.summary}` : null;
  };
  if (didYouMean) {
    return reportEarly(
      errorStatus(
        `There is no agent /${agentName}.`,
        `No agent named "/${agentName}". Did you mean /${didYouMean}? Available: ${[...catalog.agents.keys()].map((n) => `/${n}`).join(', ')}.`,
      ),
    );
  }

  // Everything after the acknowledgement reports through the progress comment, even an unexpected failure.
  // Opening the repository takes actions/checkout's credentials out of .git/config; every way out puts them back.
  let opened: Repository | undefined;
  const work = async (): Promise<string | null> => {
    // 4. The repository and the branch.
    const isPr = issue.pull_request !== undefined;
    let base = cfg.baseBranch || event.repository.default_branch;
    let branch: string;
    let existingPr: PullRef | null = null;
    if (isPr) {
      const { data: pr } = await gh.rest.pulls.get({ ...repo, pull_number: issue.number });
      if (pr.head.repo?.full_name !== env.repoFullName) {
        return reportEarly({
          status: 'BLOCKED',
          summary: 'This pull request comes from a fork; the agent does not run on fork branches.',
          files: [],
          blocker: `The head branch lives in ${pr.head.repo?.full_name ?? 'a deleted fork'}. The action never pushes to forks nor runs their code with this repository's secrets. Push the branch to ${env.repoFullName} and ask again there.`,
        });
      }
      branch = pr.head.ref;
      base = pr.base.ref;
      existingPr = { number: pr.number, url: pr.html_url, created: false, draft: !!pr.draft, nodeId: pr.node_id };
    } else {
      branch = slugBranch(cfg.branchPrefix || `${agentName}/`, issue.number, issue.title);
    }

    let git: Repository;
    try {
      git = await openRepository(env.workspace, { token: cfg.githubToken, serverUrl: env.serverUrl, repoFullName: env.repoFullName });
      opened = git;
      if (!hasCheckout) catalog = await loadAgents({ workspace: env.workspace, agentsDir: cfg.agentsDir, builtinDir });
      await git.prepareBranch({ branch, base, mode: isPr ? 'pr' : 'issue' });
    } catch (e) {
      if (!(e instanceof UserError)) core.debug(String((e as Error).stack));
      return reportEarly(errorStatus('The repository could not be prepared.', redact(errorMessage(e))));
    }
    outputs.set(Output.Branch, branch);

    // 5. The agent and its model.
    let agent: AgentDefinition;
    let model: ReturnType<typeof resolveModel>;
    try {
      agent = findAgent(catalog, agentName);
      model = resolveModel(cfg.model || agent.model, DEFAULT_MODEL);
      if (model.warning) core.warning(model.warning);
    } catch (e) {
      return reportEarly(errorStatus(`The agent file for /${agentName} could not be used.`, errorMessage(e)));
    }

    // 6. The agent loop, with the checkout's persisted token out of reach.
    phase(`Working (${agent.name}, ${cfg.provider === 'anthropic' ? model.id : `${providerModelId(cfg.provider, model.id)} on ${cfg.provider}`})`);
    const restoreGit = await git.hideCredentials();
    const offered = agent.tools.filter((t) => !cfg.allowedTools || cfg.allowedTools.includes(t));
    let toolbox: Toolbox | undefined;
    let opening: Promise<Toolbox> | undefined;
    // Where and how commands run: the same for the agent's Bash and for verify-command.
    const sandboxed = { workspace: env.workspace, sandbox: cfg.sandbox, allowedDomains: cfg.allowedDomains, env: process.env, log: (m: string) => core.info(m) };
    let result: LoopResult;
    const transcript = new Transcript(join(env.runnerTemp, `backend-developer-${process.env.GITHUB_RUN_ID ?? 'local'}-${comment.id}.jsonl`), redact);
    outputs.set(Output.Transcript, transcript.path);
    try {
      // Independent waits, together: the sandbox probe, the thread from GitHub, the model client (SDK and credentials).
      opening = createToolbox({ ...sandboxed, tools: offered, readOnlyRoots: agent.referenceRoots, allowWorkflowChanges: cfg.allowWorkflowChanges });
      const [, thread, client] = await Promise.all([opening, listThread(gh, repo, issue.number), createModelClient(modelAccess)]);
      toolbox = await opening;
      result = await runSession({
        client,
        agent,
        model,
        toolbox,
        workspace: env.workspace,
        repoFullName: env.repoFullName,
        branch,
        startSha: git.startSha(),
        task: {
          task: command.task,
          requester: comment.user.login,
          kind: isPr ? 'pull request' : 'issue',
          number: issue.number,
          title: issue.title,
          body: issue.body,
          comments: thread.filter((c) => c.id !== comment.id),
        },
        budgets: { maxTurns: cfg.maxTurns, maxCostUsd: cfg.maxCostUsd, timeoutMs: cfg.timeoutMs },
        signal: cancelled,
        transcript,
        onEvent: (e) => {
          if (e.type === 'tool') progress.tool(e.name, summarizeInput(e.input));
          if (e.type === 'note') core.info(redact(e.message));
          if (e.type === 'response') core.info(redact(`turn ${e.turn}: ${e.stopReason}`));
        },
      });
    } catch (e) {
      if (!(e instanceof UserError)) core.debug(String((e as Error).stack));
      // A toolbox that did open is closed below, whatever failed beside it (its proxy would keep the process alive).
      toolbox ??= await opening?.catch(() => undefined);
      result = {
        status: errorStatus('The agent could not start.', redact(errorMessage(e))),
        endedBy: 'api-error',
        turns: 0,
        toolCalls: {},
        usage: figures.usage,
        costUsd: 0,
        durationMs: 0,
        lastText: '',
      };
    }
    await restoreGit();
    Object.assign(figures, { turns: result.turns, toolCalls: result.toolCalls, usage: result.usage, costUsd: result.costUsd });
    let status: StatusBlock = result.status;

    // 7. Trust, but verify.
    const notes: string[] = [];
    let verifyOutput: string | undefined;
    if (status.status === 'COMPLETE' && cfg.verifyCommand && toolbox) {
      phase(`Verifying: ${cfg.verifyCommand}`);
      // Sandboxed like Bash; an agent without Bash still gets its work verified, in a sandbox of its own.
      let v: { exitCode: number | null; timedOut: boolean; output: string };
      try {
        const verifier = offered.includes('Bash')
          ? toolbox
          : await createToolbox({ ...sandboxed, tools: ['Bash'] });
        v = await verifier
          .runCommand(cfg.verifyCommand, { signal: cancelled, timeoutMs: Math.min(cfg.timeoutMs, VERIFY_MAX_MS) })
          .finally(() => (verifier === toolbox ? undefined : verifier.close()));
      } catch (e) {
        // Could not even start (no usable sandbox): the work is still committed and pushed, as ERROR.
        v = { exitCode: null, timedOut: false, output: `verify-command could not start: ${errorMessage(e)}` };
      }
      if (v.exitCode !== 0) {
        verifyOutput = redact(v.output.slice(-3000));
        status = { ...status, status: 'ERROR', blocker: `verify-command \`${cfg.verifyCommand}\` failed (${v.timedOut ? 'timed out' : v.exitCode === null ? 'could not start' : `exit ${v.exitCode}`})` };
      }
    }
    await toolbox?.close();

    // 8. Commit and push whatever changed, whatever the status: work is never lost.
    phase('Committing and pushing');
    const claimed = status.files;
    let changed: string[] = [];
    let headSha = '';
    let pushedBranch = branch;
    let pushed = false;
    try {
      changed = await git.changedFiles();
      headSha = await git.headSha();
    } catch (e) {
      notes.push(`Reading the workspace's changes failed: ${redact(errorMessage(e))}`);
      status = { ...status, status: 'ERROR', blocker: status.blocker ?? 'the workspace repository could not be read after the run' };
    }
    // Workflow files are out of bounds unless allowed: the file tools refuse them, and whatever wrote them anyway
    // (Bash) is undone here, before anything is committed.
    const workflows = cfg.allowWorkflowChanges ? [] : changed.filter((f) => f.startsWith('.github/workflows/'));
    if (workflows.length) {
      try {
        await git.discard(workflows);
        changed = changed.filter((f) => !workflows.includes(f));
        notes.push(`Changes to ${workflows.join(', ')} were discarded: set allow-workflow-changes: true to let the agent change workflows.`);
      } catch (e) {
        notes.push(`Discarding workflow changes failed: ${redact(errorMessage(e))}; nothing was committed.`);
        changed = [];
        status = { ...status, status: 'ERROR', blocker: 'the agent changed workflow files and they could not be discarded' };
      }
    }
    status = { ...status, files: changed };
    // The secret gate: a secret the run holds (in any encoding) or one secretlint recognises stops the commit.
    const gate = changed.length ? await secretGate({ repo: git, knownSecrets: secrets, log: (m) => core.info(m) }) : null;
    if (gate && !gate.pass) {
      status = gate.apply(status);
      notes.push(...gate.notes);
    }
    if (changed.length && gate?.pass) {
      try {
        const sha = await git.commitAll({
          message: redact(`${status.summary.split('\n')[0]!.slice(0, 72) || `/${agentName} changes`}\n\n/${agentName} for #${issue.number}: ${status.status}`),
          authorName: BOT_IDENTITY.name,
          authorEmail: BOT_IDENTITY.email,
          coAuthors: [`${comment.user.login} <${comment.user.id}+${comment.user.login}@users.noreply.github.com>`],
        });
        const p = await git.push(branch);
        headSha = p.sha || sha || headSha;
        pushedBranch = p.branch;
        pushed = true;
        if (p.fallback) notes.push(`${branch} moved on meanwhile and could not be rebased cleanly; the work is on ${p.branch}.`);
      } catch (e) {
        notes.push(`Pushing failed: ${redact(errorMessage(e))}. The commit stays in the runner's workspace only.`);
        if (status.status !== 'ERROR') status = { ...status, status: 'ERROR', blocker: `push failed: ${redact(errorMessage(e))}` };
      }
    }
    outputs.set(Output.Branch, pushedBranch);
    transcript.write({ type: 'end', endedBy: result.endedBy, status, commit: pushed ? headSha : null, diffSha256: await diffHash(git) });
    const mismatch = [...claimed].sort().join(',') !== [...changed].sort().join(',');

    // 9. The pull request.
    phase('Opening the pull request');
    // Outputs first: if the job is cancelled meanwhile, the grace timer still writes the final status.
    setStatusOutputs(outputs, status, figures);
    let pr = existingPr;
    if (cancelled.aborted) {
      // A cancelled job has seconds left: the pushed branch and the STATUS comment matter, a new PR can wait.
      notes.push(`The job was cancelled; no pull request was opened. The work is on ${pushedBranch}.`);
    } else if (!pr && cfg.createPr && !pushed) {
      // Nothing new to push (e.g. a re-run): report on the branch's open PR if there is one.
      pr = await findOpenPull(gh, repo, pushedBranch, base).catch(() => null);
    } else if (!pr && cfg.createPr && pushed) {
      try {
        pr = await ensurePullRequest(gh, repo, {
          head: pushedBranch,
          base,
          title: issue.title || `/${agentName} for #${issue.number}`,
          body: redact(`${status.summary}\n\nRequested by @${comment.user.login} in #${issue.number}:\n\n> ${command.task.split('\n').join('\n> ')}\n\nCloses #${issue.number}`),
          draft: status.status !== 'COMPLETE',
        });
      } catch (e) {
        notes.push(`Opening the pull request failed: ${redact(errorMessage(e))}`);
      }
    }
    if (!isPr && pr?.draft && status.status === 'COMPLETE' && !cancelled.aborted) {
      // A draft this action opened for the issue (an earlier WAITING or BLOCKED run) is now complete. A draft a
      // human opened and asked about on the PR stays theirs to mark.
      await markReadyForReview(gh, pr).catch((e) => notes.push(`Marking the pull request ready for review failed: ${redact(errorMessage(e))}`));
    }
    if (pr) {
      outputs.set(Output.PrNumber, pr.number);
      outputs.set(Output.PrUrl, pr.url);
    }
    if (!changed.length) notes.push('Nothing changed in the repository, so nothing was committed.');

    phase('Reporting');
    // 10. Report: the STATUS comment, the progress comment, the check run, the summary, the outputs.
    Object.assign(figures, { durationMs: Date.now() - started });
    const ref = pushed ? pushedBranch : base;
    const body = redact(
      renderStatusComment({
        agent: agentName,
        status,
        ...(mismatch && claimed.length ? { claimedFiles: claimed } : {}),
        fileUrl: (f) => `${env.serverUrl}/${env.repoFullName}/blob/${encodeURIComponent(ref)}/${f.split('/').map(encodeURIComponent).join('/')}`,
        figures,
        runUrl: env.runUrl,
        branch: pushedBranch,
        ...(pr && pr.number !== issue.number ? { prUrl: pr.url } : {}),
        notes,
        ...(verifyOutput ? { verifyOutput } : {}),
      }),
    );
    const target = pr?.number ?? issue.number;
    const postStatus = async (): Promise<void> => {
      let statusComment: PostedComment | null = null;
      try {
        if (target === issue.number) {
          await progress.flush(body);
          statusComment = progressComment;
        } else {
          statusComment = await upsertComment(gh, repo, target, marker('status', String(comment.id)), body);
          await progress.flush(redact(`\`/${agentName}\` finished: **${status.status}**\n\n${fenced(formatStatus(status))}\n\nReport: ${statusComment.url}`));
        }
      } catch (e) {
        core.warning(`Could not post the STATUS comment: ${redact(errorMessage(e))}`);
        // On the PR it failed: the issue's progress comment carries the report instead.
        if (target !== issue.number) await progress.flush(body).then(() => (statusComment = progressComment), () => {});
      }
      if (statusComment) outputs.set(Output.CommentUrl, statusComment.url);
    };
    const postCheck = async (): Promise<void> => {
      if (!headSha || !(pushed || isPr) || cancelled.aborted) return;
      try {
        const id = await reportCheckRun(gh, repo, {
          name: agentName,
          sha: headSha,
          status: status.status,
          failOn: cfg.failOn,
          title: redact(`${status.status}: ${status.summary}`).slice(0, 200),
          summary: body,
          detailsUrl: env.runUrl,
        });
        outputs.set(Output.CheckRunId, id);
      } catch (e) {
        core.warning(`Could not create the check run: ${redact(errorMessage(e))}`);
      }
    };
    await Promise.all([postStatus(), postCheck()]);
    setStatusOutputs(outputs, status, figures);
    await writeJobSummary(agentName, status, figures, result.lastText, redact, notes).catch((e) => core.warning(`Job summary: ${errorMessage(e)}`));
    core.info(redact(`/${agentName}: ${status.status} — ${status.summary} (${figuresLine(figures)})`));
    await transcript.close();
    return cfg.failOn.includes(status.status) ? `${status.status}: ${status.blocker ?? status.summary}` : null;
  };
  try {
    return await work();
  } catch (e) {
    await reportEarly(errorStatus('The run failed unexpectedly.', redact(errorMessage(e)))).catch(() => {});
    throw e;
  } finally {
    await opened?.restoreCredentials().catch((e) => core.warning(`Could not restore the checkout's credentials: ${redact(errorMessage(e))}`));
  }
}

function setStatusOutputs(outputs: Outputs, s: StatusBlock, f: RunFigures): void {
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

/** sha256 of the run's diff, for replays to compare against; undefined when it cannot be read. */
async function diffHash(git: Repository): Promise<string | undefined> {
  try {
    const { createHash } = await import('node:crypto');
    const diff = await git.diffSinceStart();
    return diff ? createHash('sha256').update(diff).digest('hex') : undefined;
  } catch {
    return undefined;
  }
}

function summarizeInput(input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const v = i.file_path ?? i.command ?? i.pattern ?? '';
  return String(v).split('\n', 1)[0]!;
}

/** The thread's comments, oldest first, bounded; our progress comments are noise and left out. */
async function listThread(gh: GitHub, repo: RepoRef, issue: number): Promise<Array<{ id: number; author: string; body: string }>> {
  const out: Array<{ id: number; author: string; body: string }> = [];
  for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 })) {
    for (const c of page.data) {
      // Progress checklists are noise; a progress comment that became a STATUS report is history the agent needs.
      if (c.body?.includes(`${COMMENT_MARKER} progress=`) && !/^STATUS:/m.test(c.body)) continue;
      out.push({ id: c.id, author: c.user?.login ?? 'ghost', body: c.body ?? '' });
    }
    if (out.length > 50) out.splice(0, out.length - 50);
  }
  return out;
}

