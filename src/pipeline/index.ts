/**
 * The pipeline for one command comment, step by step: gate (is it a command, may the author ask), acknowledge,
 * checkout, the agent run, verify, commit and push, the pull request, the report. Each step is a module of its
 * own; they share the `Run` state. Returns the message the step must fail with, or null.
 */
import type { Config } from '../config/inputs.ts';
import { Output } from '../constants.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { checkProviderSettings } from '../model/provider.ts';
import type { CommentEvent } from '../trigger/event.ts';
import { createGitHub } from '../github/client.ts';
import { Identity } from '../github/comments.ts';
import type { Repository } from '../git/index.ts';
import type { Outputs } from './outputs.ts';
import { runAgent } from './agent-run.ts';
import { checkout } from './checkout.ts';
import { checkPermission, readCommand } from './gate.ts';
import { commitAndPush, openPullRequest } from './publish.ts';
import { acknowledge, report, reportEarly } from './report.ts';
import { errorStatus, readEnv, type Redact, type Run } from './run.ts';
import { verify } from './verify.ts';
import { findCredentialFiles } from '../security/credential-files.ts';

export interface PipelineInput {
  readonly cfg: Config;
  readonly event: CommentEvent;
  readonly outputs: Outputs;
  readonly cancelled: AbortSignal;
  /** Masks every secret the run knows of, including those added through `protect`. */
  readonly redact: Redact;
  /** Adds secrets found during the run (credential files) to the masking. */
  readonly protect: (secrets: readonly string[]) => void;
  /** Every secret the run holds so far (grows through `protect`): kept out of whatever it commits. */
  readonly secrets: readonly string[];
  readonly log: Logger;
  /** Says why the run is skipped (a notice and the `skipped` output). */
  readonly skip: (reason: string) => void;
}

export async function runPipeline(i: PipelineInput): Promise<string | null> {
  const { cfg, event, redact, log } = i;
  const env = readEnv();
  const started = Date.now();

  // 1. Is it a command for us? Decided from the event and local files only: no API call yet.
  const gate = await readCommand(cfg, event, env.workspace, log);
  if ('skip' in gate) {
    i.skip(gate.skip);
    return null;
  }
  // The model provider's settings (key, region, project) from inputs and environment only: no network yet.
  checkProviderSettings({
    provider: cfg.provider,
    apiKey: cfg.anthropicApiKey,
    baseUrl: cfg.anthropicBaseUrl,
    env: process.env,
  });
  if (!cfg.githubToken)
    throw new UserError(
      "Input 'github-token' is empty: leave it at its default (${{ github.token }}) or pass an app token.",
    );
  const gh = createGitHub(cfg.githubToken, env.apiUrl, log, env.graphqlUrl);
  const me = new Identity((m) => log.warning(m));
  const agentName = gate.command.agent;

  // 2. Who may ask: decided before anything else is spent.
  const refused = await checkPermission(gh, me, env.repo, { cfg, event, agentName, log });
  if (refused) {
    i.skip(refused);
    return null;
  }

  // 3. Acknowledge; from here on every outcome is reported through the progress comment.
  const channel = await acknowledge(gh, me, env.repo, {
    issue: event.issue.number,
    commentId: event.comment.id,
    agentName,
    runUrl: env.runUrl,
    redact,
    log,
    started,
  });
  const run: Run = {
    cfg,
    env,
    event,
    gh,
    me,
    log,
    redact,
    outputs: i.outputs,
    cancelled: i.cancelled,
    started,
    agentName,
    channel,
    task: gate.command.task,
    figures: {
      turns: 0,
      toolCalls: {},
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      costUsd: 0,
      durationMs: 0,
    },
    notes: [],
    footer: [],
    status: errorStatus('The run has not ended.', 'the run has not ended'),
  };
  if (gate.didYouMean) {
    const available = [...gate.catalog.agents.keys()].map((n) => `/${n}`).join(', ');
    return reportEarly(
      run,
      errorStatus(
        `There is no agent /${agentName}.`,
        `No agent named "/${agentName}". Did you mean /${gate.didYouMean}? Available: ${available}.`,
      ),
    );
  }
  let opened: Repository | undefined;
  try {
    return await afterAcknowledge(run, gate, i, (git) => (opened = git));
  } catch (e) {
    await reportEarly(run, errorStatus('The run failed unexpectedly.', redact(errorMessage(e)))).catch(() => {});
    throw e;
  } finally {
    await opened
      ?.restoreCredentials()
      .catch((e) => log.warning(`Could not restore the checkout's credentials: ${redact(errorMessage(e))}`));
  }
}

/** Steps 4 to 10. */
async function afterAcknowledge(
  run: Run,
  gate: Parameters<typeof checkout>[1],
  secrets: Pick<PipelineInput, 'protect' | 'secrets'>,
  opened: (git: Repository) => void,
): Promise<string | null> {
  const co = await checkout(run, gate, opened);
  if ('ended' in co) return reportEarly(run, co.ended);
  run.outputs.set(Output.Branch, co.branch);
  // Credential files on the checked-out branch and in the job's environment: hidden from every tool, masked.
  const credentials = await findCredentialFiles({
    workspace: run.env.workspace,
    home: process.env.HOME,
    env: process.env,
    log: (m) => run.log.info(m),
  });
  secrets.protect(credentials.secrets);
  const agent = await runAgent(run, co.catalog, co.git, co.branch, credentials);
  if ('ended' in agent) return reportEarly(run, agent.ended);
  const verifyOutput = await verify(run, agent.toolbox, agent.offered, credentials).finally(() => agent.mcp?.close());
  await agent.toolbox?.close();
  const pushed = await commitAndPush(run, co.git, {
    branch: co.branch,
    transcript: agent.transcript,
    endedBy: agent.result.endedBy,
    credentials,
    secrets: secrets.secrets,
  });
  const mismatch = [...pushed.claimed].sort().join(',') !== [...run.status.files].sort().join(',');
  const pr = await openPullRequest(run, pushed, co.base, co.pr);
  run.channel.phase('Reporting');
  const failed = await report(run, {
    branch: pushed.branch,
    pushed: pushed.pushed,
    headSha: pushed.headSha,
    base: co.base,
    pr,
    ...(mismatch && pushed.claimed.length ? { claimedFiles: pushed.claimed } : {}),
    ...(verifyOutput ? { verifyOutput } : {}),
    lastText: agent.result.lastText,
  });
  await agent.transcript.close();
  return failed;
}
