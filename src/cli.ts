// The local CLI: try an agent file on your own checkout before you push it. The same agent files, loop, tools and
// sandbox as the action; the work is committed to a local branch; the STATUS block is printed; the exit code is the
// action's. `--replay FILE` re-runs a recorded transcript offline and checks that it reproduces the same diff.
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { UserError, errorMessage } from './errors.ts';
import { BASH_COMPANIONS, DEFAULT_MODEL, TOOL_NAMES, type Provider, type Status } from './constants.ts';
import {
  loadAgents,
  findAgent,
  agentBudgets,
  offeredTools,
  DEFAULT_AGENTS_DIR,
  type AgentDefinition,
} from './agents/definition.ts';
import { builtinAgentsDir } from './agents/builtin.ts';
import { resolveRunModel } from './model/models.ts';
import { createModelClient, checkProviderSettings, providerSecrets } from './model/provider.ts';
import { formatStatus, type StatusBlock } from './session/status.ts';
import { runSession } from './session/session.ts';
import { sessionTools } from './session/session-tools.ts';
import { delegationRoots, DELEGATION_TOOL, type SessionEvent } from './session/delegate.ts';
import type { LoopResult } from './session/loop.ts';
import { readRecording, replayClient, type Recording } from './model/replay.ts';
import type { ModelClient } from './model/client.ts';
import { createToolbox, type SandboxMode } from './tools/index.ts';
import { webSearchBackend } from './pipeline/web.ts';
import {
  createCommandManager,
  NO_SUBMODULE_CONFIG,
  replayDiffArgs,
  slugify,
  stageChanges,
  type GitCommandManager,
} from './git/index.ts';
import { Transcript } from './session/transcript.ts';
import { createRedactor } from './redact.ts';
import { consoleLogger } from './log.ts';
import { figuresLine } from './report/status-comment.ts';
import { renderPlan } from './report/progress.ts';

const USAGE = `Usage:
  backend-developer-action run "<task>" [--agent NAME] [--model M] [--max-turns N] [--max-cost-usd N] [--sandbox auto|required|off]
                                      [--provider anthropic|bedrock|vertex]
  backend-developer-action run --replay TRANSCRIPT.jsonl

Runs an agent on the git checkout in the current directory, commits its work to a new local branch and prints
its STATUS block. Needs ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL is honoured), except with --replay; with
--provider bedrock, AWS credentials and AWS_REGION; with --provider vertex, Google credentials (ADC), CLOUD_ML_REGION
and ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT.
Exit code: 0 for COMPLETE and WAITING, 1 for BLOCKED and ERROR (as the action's default fail-on), 2 for bad usage.`;

/** Plain git for reading the user's own settings (identity, top level) before the agent runs. */
function userGit(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The command line, checked; a number when there is nothing to run (usage was printed): the exit code. */
function readArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      agent: { type: 'string', default: 'backend-developer' },
      model: { type: 'string' },
      replay: { type: 'string' },
      'max-turns': { type: 'string', default: '50' },
      'max-cost-usd': { type: 'string', default: '10' },
      'timeout-minutes': { type: 'string', default: '30' },
      sandbox: { type: 'string', default: 'auto' },
      provider: { type: 'string', default: 'anthropic' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [verb, ...rest] = positionals;
  if (values.help || verb !== 'run' || (!values.replay && !rest.join(' ').trim())) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['auto', 'required', 'off'].includes(values.sandbox))
    throw new UserError(`--sandbox must be auto, required or off, not '${values.sandbox}'.`);
  if (!['anthropic', 'bedrock', 'vertex'].includes(values.provider))
    throw new UserError(`--provider must be anthropic, bedrock or vertex, not '${values.provider}'.`);
  return { values, task: rest.join(' ').trim(), provider: values.provider as Provider };
}

/** The top level of the checkout in the current directory, which must have no uncommitted changes. */
function cleanCheckout(): string {
  let workspace: string;
  try {
    workspace = userGit(process.cwd(), ['rev-parse', '--show-toplevel']);
  } catch {
    throw new UserError('Run this inside a git checkout: the agent works on the repository in the current directory.');
  }
  if (userGit(workspace, ['status', '--porcelain'])) {
    throw new UserError(
      "The checkout has uncommitted changes. Commit or stash them first, so the agent's work can be told apart from yours.",
    );
  }
  return workspace;
}

/** Your identity, read before the agent runs, for the commit on the local branch. */
function userIdentity(workspace: string): { name: string; email: string } {
  const gitConfig = (key: string, fallback: string): string => {
    try {
      return userGit(workspace, ['config', key]) || fallback;
    } catch {
      return fallback;
    }
  };
  return {
    name: gitConfig('user.name', 'backend-developer-action'),
    email: gitConfig('user.email', 'backend-developer-action@localhost'),
  };
}

/**
 * Commits the agent's work on the local branch as you, and ends the transcript with the outcome: the files changed
 * since `startSha` and the sha256 of the diff (what a replay must reproduce).
 */
async function commitWork(
  git: GitCommandManager,
  o: {
    workspace: string;
    startSha: string;
    agentName: string;
    result: LoopResult;
    identity: { name: string; email: string };
    transcript: Transcript;
  },
): Promise<{ status: StatusBlock; diffSha256: string | undefined }> {
  const { startSha, result, identity, transcript } = o;
  const env = {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
  // Nested repositories, submodule pointers and paths git refuses are left out (named), never the whole commit.
  for (const k of (await stageChanges(git, o.workspace)).skipped) console.error(k.reason);
  const files = (await git.exec(['diff', '--cached', '--name-only', '-z', NO_SUBMODULE_CONFIG, startSha]))
    .split('\0')
    .filter(Boolean);
  if (files.length)
    await git.exec(
      ['commit', '-q', '--no-verify', '-m', result.status.summary.split('\n')[0] || `/${o.agentName} changes`],
      { env },
    );
  const diff = await git.exec(replayDiffArgs(startSha));
  const diffSha256 = files.length ? createHash('sha256').update(diff).digest('hex') : undefined;
  const status: StatusBlock = { ...result.status, files };
  transcript.write({
    type: 'end',
    endedBy: result.endedBy,
    status,
    commit: files.length ? await git.exec(['rev-parse', 'HEAD']) : null,
    diffSha256,
  });
  await transcript.close();
  return { status, diffSha256 };
}

/** The agent's model and tools for a local run; what the file asks for and cannot have here is a warning. */
function agentSetup(agent: AgentDefinition, modelFlag: string | undefined, available: readonly string[]) {
  const chosen = resolveRunModel(modelFlag, agent.model, DEFAULT_MODEL);
  for (const w of agent.warnings) consoleLogger.warning(w);
  if (chosen.unknownFileModel) {
    consoleLogger.warning(
      `the agent file's model "${chosen.unknownFileModel}" is not a model this action knows; using ${DEFAULT_MODEL}.`,
    );
  }
  const tools = offeredTools(agent, available);
  if (tools.unavailable.length) consoleLogger.warning(`not available here, left out: ${tools.unavailable.join(', ')}`);
  return { model: chosen.model, tools };
}

/** One line on stderr per tool call, note and delegation; a delegated agent's lines indented under it. */
function printEvent(e: SessionEvent): void {
  if (e.type === 'delegate') return void console.error(`  delegating to ${e.agent} (${e.model}): ${e.description}`);
  const pad = e.agent ? '    ' : '  ';
  if (e.type === 'tool')
    console.error(`${pad}${e.name} ${JSON.stringify(e.input).slice(0, 100)}${e.result.isError ? ' (error)' : ''}`);
  if (e.type === 'note') console.error(`${pad}${e.message}`);
}

/** The model provider's settings from the environment, checked unless a recording answers instead. */
function modelSettings(provider: Provider, replaying: boolean) {
  const apiKey = process.env.ANTHROPIC_API_KEY ?? '';
  if (!replaying && provider === 'anthropic' && !apiKey) {
    throw new UserError(
      'ANTHROPIC_API_KEY is not set. Export your key (export ANTHROPIC_API_KEY=sk-ant-...), or replay a recorded run with --replay FILE.',
    );
  }
  const modelAccess = { provider, apiKey, baseUrl: process.env.ANTHROPIC_BASE_URL ?? '', env: process.env };
  if (!replaying) checkProviderSettings(modelAccess);
  return { apiKey, modelAccess };
}

/** TodoWrite and Skill for the CLI: the plan is printed as it changes, a skill that cannot be used is a warning. */
function cliSessionTools(workspace: string) {
  return sessionTools({
    workspace,
    onTodos: (todos) => console.error(`  ${renderPlan(todos).replace(/\n+/g, '\n  ')}`),
    warn: (m) => console.error(`Warning: ${m}`),
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = readArgs(argv);
  if (typeof args === 'number') return args;
  const { values, task, provider } = args;
  const workspace = cleanCheckout();
  const recording = values.replay ? await readRecording(values.replay) : undefined;
  const { apiKey, modelAccess } = modelSettings(provider, !!recording);
  const startSha = userGit(workspace, ['rev-parse', 'HEAD']);
  if (recording && recording.startSha !== startSha) {
    throw new UserError(
      `The transcript starts from commit ${recording.startSha.slice(0, 12)}, but HEAD is ${startSha.slice(0, 12)}. Check it out first: git checkout ${recording.startSha}`,
    );
  }
  const identity = userIdentity(workspace);

  const catalog = await loadAgents({
    workspace,
    agentsDir: DEFAULT_AGENTS_DIR,
    builtinDir: builtinAgentsDir(import.meta.url),
    log: consoleLogger,
  });
  const agent = findAgent(catalog, recording?.agent ?? values.agent);
  // TodoWrite's plan is printed; a skill that cannot be used is a warning. A replay offers what the recording offered.
  const extra = await cliSessionTools(workspace);
  const { model, tools } = agentSetup(agent, recording?.model ?? values.model, [
    ...TOOL_NAMES,
    ...BASH_COMPANIONS,
    ...extra.names,
    DELEGATION_TOOL,
  ]);

  // The hardened git of the action: no hooks, no config the agent could have planted, no user HOME.
  const git = createCommandManager({
    workTree: workspace,
    gitDir: join(workspace, '.git'),
    token: '',
    serverUrl: 'https://github.com',
    protocols: [],
  });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const branch = `${agent.name}/local-${recording ? 'replay' : slugify(task) || 'task'}-${stamp}`.toLowerCase();
  await git.exec(['checkout', '-q', '-b', branch]);

  const redact = createRedactor([apiKey, ...providerSecrets(provider, process.env)]);
  const transcript = new Transcript(
    join(process.env.RUNNER_TEMP || tmpdir(), `backend-developer-cli-${stamp}.jsonl`),
    redact,
    consoleLogger,
  );
  // Started beside the toolbox; WebSearch waits for it. A replay answers from the recording and never searches.
  const clientReady = recording ? Promise.resolve(replayClient(recording.messages)) : createModelClient(modelAccess);
  clientReady.catch(() => {});
  const offered = recording ? recording.tools : tools.offered;
  const toolbox = await createToolbox({
    workspace,
    tools: offered,
    extraTools: extra.tools,
    readOnlyRoots: delegationRoots(agent, offered, catalog),
    sandbox: values.sandbox as SandboxMode,
    env: process.env,
    log: (m) => console.error(m),
    webSearch: recording
      ? { unavailable: 'a replay does not search the web' }
      : webSearchBackend(provider, model, clientReady),
  });
  const cancel = new AbortController();
  process.once('SIGINT', () => cancel.abort(new Error('interrupted (SIGINT)')));
  console.error(
    `${recording ? 'Replaying' : 'Running'} /${agent.name} (${model.id}) on ${workspace}, branch ${branch}; Bash sandbox: ${toolbox.sandboxInfo}`,
  );
  const client = await clientReady;
  const result = await runSession({
    client,
    agent,
    model,
    toolbox,
    workspace,
    repoFullName: basename(workspace),
    branch,
    startSha,
    task: {
      task: task || '(replay)',
      requester: identity.name,
      kind: 'issue',
      number: 0,
      title: task.slice(0, 80),
      body: null,
      comments: [],
    },
    budgets: {
      ...agentBudgets(agent, {
        maxTurns: Number(values['max-turns']),
        timeoutMs: Number(values['timeout-minutes']) * 60_000,
      }),
      maxCostUsd: Number(values['max-cost-usd']),
    },
    signal: cancel.signal,
    transcript,
    skills: extra.skills,
    ...(offered.includes(DELEGATION_TOOL) && {
      delegation: { catalog, maxDepth: 1, onDelegated: (d) => console.error(`  ${d.line}`) },
    }),
    onEvent: printEvent,
  });
  await toolbox.close();
  const { status, diffSha256 } = await commitWork(git, {
    workspace,
    startSha,
    agentName: agent.name,
    result,
    identity,
    transcript,
  });

  return reportEnd({ status, result, branch, transcript, recording, client, diffSha256 });
}

/** What the CLI prints at the end, and its exit code: 1 for BLOCKED/ERROR, or a replay that did not reproduce. */
function reportEnd(o: {
  status: StatusBlock;
  result: LoopResult;
  branch: string;
  transcript: Transcript;
  recording: Recording | undefined;
  client: ModelClient;
  diffSha256: string | null | undefined;
}): number {
  const { status, result, branch, transcript, recording, client, diffSha256 } = o;
  console.log(formatStatus(status));
  console.error(`\n${figuresLine({ ...result })}`);
  console.error(status.files.length ? `Committed to ${branch}.` : `Nothing changed; ${branch} has no new commit.`);
  console.error(`Transcript: ${transcript.path} (replay it with --replay)`);
  if (recording) {
    const same =
      diffSha256 === recording.diffSha256 && (client as unknown as { remaining(): number }).remaining() === 0;
    console.error(
      same
        ? 'Replay reproduced the recorded diff byte for byte.'
        : `Replay differs from the recording: diff sha256 ${diffSha256 ?? 'none'} vs recorded ${recording.diffSha256 ?? 'none'}.`,
    );
    if (!same) return 1;
  }
  return (['BLOCKED', 'ERROR'] as Status[]).includes(status.status) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UserError ? `Error: ${e.message}` : `Unexpected error: ${errorMessage(e)}`);
    process.exit(e instanceof UserError ? 2 : 1);
  },
);
