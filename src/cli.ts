// The local CLI: try an agent file on your own checkout before you push it. The same agent files, loop, tools and
// sandbox as the action; the work is committed to a local branch; the STATUS block is printed; the exit code is the
// action's. `--replay FILE` re-runs a recorded transcript offline and checks that it reproduces the same diff.
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { UserError, errorMessage } from './errors.ts';
import { DEFAULT_MODEL } from './inputs.ts';
import type { Status } from './constants.ts';
import { loadAgents, findAgent, builtinAgentsDir, DEFAULT_AGENTS_DIR } from './agent/definition.ts';
import { resolveModel } from './agent/models.ts';
import { createModelClient, checkProviderSettings, providerSecrets } from './agent/provider.ts';
import type { Provider } from './inputs.ts';
import { formatStatus, type StatusBlock } from './agent/status.ts';
import { runSession } from './agent/session.ts';
import { readRecording, replayClient } from './agent/replay.ts';
import { createToolbox, type SandboxMode } from './tools/index.ts';
import { createCommandManager, NO_SUBMODULE_CONFIG, slugify, stageChanges } from './git/index.ts';
import { Transcript } from './report/transcript.ts';
import { createRedactor } from './redact.ts';
import { figuresLine } from './report/status-comment.ts';

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

export async function main(argv: readonly string[]): Promise<number> {
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
  if (!['auto', 'required', 'off'].includes(values.sandbox!)) throw new UserError(`--sandbox must be auto, required or off, not '${values.sandbox}'.`);
  if (!['anthropic', 'bedrock', 'vertex'].includes(values.provider!)) throw new UserError(`--provider must be anthropic, bedrock or vertex, not '${values.provider}'.`);
  const provider = values.provider as Provider;

  let workspace: string;
  try {
    workspace = userGit(process.cwd(), ['rev-parse', '--show-toplevel']);
  } catch {
    throw new UserError('Run this inside a git checkout: the agent works on the repository in the current directory.');
  }
  if (userGit(workspace, ['status', '--porcelain'])) {
    throw new UserError('The checkout has uncommitted changes. Commit or stash them first, so the agent\'s work can be told apart from yours.');
  }
  const recording = values.replay ? await readRecording(values.replay) : undefined;
  const apiKey = process.env.ANTHROPIC_API_KEY ?? '';
  if (!recording && provider === 'anthropic' && !apiKey) {
    throw new UserError('ANTHROPIC_API_KEY is not set. Export your key (export ANTHROPIC_API_KEY=sk-ant-...), or replay a recorded run with --replay FILE.');
  }
  const modelAccess = { provider, apiKey, baseUrl: process.env.ANTHROPIC_BASE_URL ?? '', env: process.env };
  if (!recording) checkProviderSettings(modelAccess);
  const startSha = userGit(workspace, ['rev-parse', 'HEAD']);
  if (recording && recording.startSha !== startSha) {
    throw new UserError(`The transcript starts from commit ${recording.startSha.slice(0, 12)}, but HEAD is ${startSha.slice(0, 12)}. Check it out first: git checkout ${recording.startSha}`);
  }
  const gitConfig = (key: string, fallback: string): string => {
    try {
      return userGit(workspace, ['config', key]) || fallback;
    } catch {
      return fallback;
    }
  };
  // Your identity, read before the agent runs, for the commit on the local branch.
  const identity = { name: gitConfig('user.name', 'backend-developer-action'), email: gitConfig('user.email', 'backend-developer-action@localhost') };

  const catalog = await loadAgents({ workspace, agentsDir: DEFAULT_AGENTS_DIR, builtinDir: builtinAgentsDir(import.meta.url) });
  const agent = findAgent(catalog, recording?.agent ?? values.agent!);
  const model = resolveModel(recording?.model ?? (values.model || agent.model), DEFAULT_MODEL);
  const task = rest.join(' ').trim();

  // The hardened git of the action: no hooks, no config the agent could have planted, no user HOME.
  const git = createCommandManager({ workTree: workspace, gitDir: join(workspace, '.git'), token: '', serverUrl: 'https://github.com', protocols: [] });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const branch = `${agent.name}/local-${recording ? 'replay' : slugify(task) || 'task'}-${stamp}`.toLowerCase();
  await git.exec(['checkout', '-q', '-b', branch]);

  const redact = createRedactor([apiKey, ...providerSecrets(provider, process.env)]);
  const transcript = new Transcript(join(process.env.RUNNER_TEMP || tmpdir(), `backend-developer-cli-${stamp}.jsonl`), redact);
  const toolbox = await createToolbox({
    workspace,
    tools: recording ? (recording.tools as typeof agent.tools) : agent.tools,
    readOnlyRoots: agent.referenceRoots,
    sandbox: values.sandbox as SandboxMode,
    env: process.env,
    log: (m) => console.error(m),
  });
  const cancel = new AbortController();
  process.once('SIGINT', () => cancel.abort(new Error('interrupted (SIGINT)')));
  console.error(`${recording ? 'Replaying' : 'Running'} /${agent.name} (${model.id}) on ${workspace}, branch ${branch}; Bash sandbox: ${toolbox.sandboxInfo}`);
  let client;
  if (recording) client = replayClient(recording.messages);
  else client = await createModelClient(modelAccess);
  const result = await runSession({
    client,
    agent,
    model,
    toolbox,
    workspace,
    repoFullName: basename(workspace),
    branch,
    startSha,
    task: { task: task || '(replay)', requester: identity.name, kind: 'issue', number: 0, title: task.slice(0, 80), body: null, comments: [] },
    budgets: { maxTurns: Number(values['max-turns']), maxCostUsd: Number(values['max-cost-usd']), timeoutMs: Number(values['timeout-minutes']) * 60_000 },
    signal: cancel.signal,
    transcript,
    onEvent: (e) => {
      if (e.type === 'tool') console.error(`  ${e.name} ${JSON.stringify(e.input).slice(0, 100)}${e.result.isError ? ' (error)' : ''}`);
      if (e.type === 'note') console.error(`  ${e.message}`);
    },
  });
  await toolbox.close();

  const env = { GIT_AUTHOR_NAME: identity.name, GIT_AUTHOR_EMAIL: identity.email, GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email };
  // Nested repositories, submodule pointers and paths git refuses are left out (named), never the whole commit.
  for (const k of (await stageChanges(git, workspace)).skipped) console.error(k.reason);
  const files = (await git.exec(['diff', '--cached', '--name-only', '-z', NO_SUBMODULE_CONFIG, startSha])).split('\0').filter(Boolean);
  if (files.length) await git.exec(['commit', '-q', '--no-verify', '-m', result.status.summary.split('\n')[0] || `/${agent.name} changes`], { env });
  const diff = await git.exec(['diff', '--binary', '--full-index', '--no-ext-diff', '--no-textconv', '--no-color', NO_SUBMODULE_CONFIG, startSha, 'HEAD', '--']);
  const diffSha256 = files.length ? createHash('sha256').update(diff).digest('hex') : undefined;
  const status: StatusBlock = { ...result.status, files };
  transcript.write({ type: 'end', endedBy: result.endedBy, status, commit: files.length ? await git.exec(['rev-parse', 'HEAD']) : null, diffSha256 });
  await transcript.close();

  console.log(formatStatus(status));
  console.error(`\n${figuresLine({ ...result })}`);
  console.error(files.length ? `Committed to ${branch}.` : `Nothing changed; ${branch} has no new commit.`);
  console.error(`Transcript: ${transcript.path} (replay it with --replay)`);
  if (recording) {
    const same = diffSha256 === recording.diffSha256 && (client as unknown as { remaining(): number }).remaining() === 0;
    console.error(same ? 'Replay reproduced the recorded diff byte for byte.' : `Replay differs from the recording: diff sha256 ${diffSha256 ?? 'none'} vs recorded ${recording.diffSha256 ?? 'none'}.`);
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
