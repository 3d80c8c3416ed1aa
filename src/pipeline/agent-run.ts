/**
 * Steps 5 and 6: the agent and its model, then the agent loop, with the checkout's persisted token out of reach.
 * The toolbox, the thread and the model client are opened together; the toolbox stays open for verify-command.
 */
import { join } from 'node:path';
import { UserError, errorMessage } from '../errors.ts';
import { findAgent, offeredTools, type AgentCatalog, type AgentDefinition } from '../agents/definition.ts';
import type { LoopResult } from '../session/loop.ts';
import type { ModelInfo } from '../model/models.ts';
import { createModelClient, providerModelId } from '../model/provider.ts';
import { fetchThreadImages, runSession } from '../session/session.ts';
import { delegationRoots, DELEGATION_TOOL, type SessionEvent } from '../session/delegate.ts';
import { sessionTools, type SessionTools } from '../session/session-tools.ts';
import type { StatusBlock } from '../session/status.ts';
import type { Repository } from '../git/index.ts';
import { listThread } from '../github/comments.ts';
import { BASH_COMPANIONS, Output, TOOL_NAMES } from '../constants.ts';
import { Transcript } from '../session/transcript.ts';
import { createToolbox, type Toolbox, type ToolboxOptions, type WebSearchBackend } from '../tools/index.ts';
import type { CredentialFiles } from '../security/credential-files.ts';
import { startMcp, type McpSetup } from '../mcp/index.ts';
import { errorStatus, type Run } from './run.ts';
import { agentModel, agentTools, runBudgets } from './agent-setup.ts';
import { webSearchBackend, webUse } from './web.ts';

export interface AgentRun {
  readonly result: LoopResult;
  /** Open until the caller closes it (verify-command runs in it). */
  readonly toolbox: Toolbox | undefined;
  /** The tools the agent was offered. */
  readonly offered: readonly string[];
  readonly transcript: Transcript;
  /** The MCP servers: running until the caller closes them (their process groups are killed at exit regardless). */
  readonly mcp: McpSetup | undefined;
}

export type AgentRunResult = { readonly ended: StatusBlock } | AgentRun;

type SandboxSettings = Pick<
  ToolboxOptions,
  'workspace' | 'sandbox' | 'allowedDomains' | 'env' | 'log' | 'hiddenPaths' | 'secrets'
>;

/**
 * Where and how commands run: the same for the agent's Bash and for verify-command. The run's credential files
 * are hidden from every tool (and Bash's sandbox), their values masked in results.
 */
export function sandboxSettings(run: Run, credentials: CredentialFiles): SandboxSettings {
  return {
    workspace: run.env.workspace,
    sandbox: run.cfg.sandbox,
    allowedDomains: run.cfg.allowedDomains,
    env: process.env,
    log: (m) => run.log.info(m),
    hiddenPaths: credentials.paths,
    secrets: credentials.secrets,
  };
}

export async function runAgent(
  run: Run,
  catalog: AgentCatalog,
  git: Repository,
  branch: string,
  credentials: CredentialFiles,
): Promise<AgentRunResult> {
  const { cfg, env, event, redact } = run;
  // 5. The agent and its model.
  let agent: AgentDefinition;
  let model: ModelInfo;
  try {
    agent = findAgent(catalog, run.agentName);
    model = agentModel(run, agent);
  } catch (e) {
    return { ended: errorStatus(`The agent file for /${run.agentName} could not be used.`, errorMessage(e)) };
  }

  // 6. The agent loop.
  run.channel.phase(
    `Working (${agent.name}, ${cfg.provider === 'anthropic' ? model.id : `${providerModelId(cfg.provider, model.id)} on ${cfg.provider}`})`,
  );
  const restoreGit = await git.hideCredentials();
  // TodoWrite's plan becomes the progress comment's checklist; a skill that cannot be used is a warning.
  const extra = await sessionTools({
    workspace: env.workspace,
    onTodos: (todos) => run.channel.progress.plan(todos),
    warn: (m) => run.log.warning(redact(m)),
  });
  const transcript = new Transcript(
    join(env.runnerTemp, `backend-developer-${process.env.GITHUB_RUN_ID ?? 'local'}-${event.comment.id}.jsonl`),
    redact,
    run.log,
  );
  run.outputs.set(Output.Transcript, transcript.path);
  const modelAccess = {
    provider: cfg.provider,
    apiKey: cfg.anthropicApiKey,
    baseUrl: cfg.anthropicBaseUrl,
    env: process.env,
  };
  let toolbox: Toolbox | undefined;
  let result: LoopResult;
  const web = webUse();
  // Independent waits, together: the MCP servers then the toolbox (sandbox probe), the thread from GitHub and its
  // images, the model client (SDK and credentials; WebSearch uses it too).
  const clientReady = createModelClient(modelAccess);
  clientReady.catch(() => {});
  const webSearch = webSearchBackend(cfg.provider, model, clientReady);
  const { mcpStarting, opening } = openTools(run, agent, catalog, extra, credentials, webSearch);
  let mcp: McpSetup | undefined;
  let offered: readonly string[] = [];
  try {
    const [opened, { task, images, notes }, client] = await Promise.all([opening, threadTask(run), clientReady]);
    for (const n of notes) run.log.info(redact(n));
    ({ toolbox, offered } = opened);
    result = await runSession({
      client,
      agent,
      model,
      toolbox,
      workspace: env.workspace,
      repoFullName: env.repoFullName,
      branch,
      startSha: git.startSha(),
      task,
      images,
      budgets: runBudgets(run, agent),
      signal: run.cancelled,
      transcript,
      skills: extra.skills,
      ...(offered.includes(DELEGATION_TOOL) && {
        delegation: { catalog, maxDepth: cfg.maxDelegationDepth, onDelegated: (d) => run.footer.push(d.line) },
      }),
      onEvent: sessionEvents(run, web),
    });
  } catch (e) {
    if (!(e instanceof UserError)) run.log.debug(String((e as Error).stack));
    // A toolbox that did open is closed by the caller, whatever failed beside it (its proxy would keep the process alive).
    toolbox ??= (await opening.catch(() => undefined))?.toolbox;
    mcp ??= await mcpStarting.catch(() => undefined);
    result = notStarted(run, e);
  }
  await restoreGit();
  run.footer.push(...web.lines());
  mcp ??= await mcpStarting.catch(() => undefined);
  run.footer.push(...(mcp?.summary() ?? []));
  Object.assign(run.figures, {
    turns: result.turns,
    toolCalls: result.toolCalls,
    usage: result.usage,
    costUsd: result.costUsd,
  });
  run.status = result.status;
  return { result, toolbox, offered, transcript, mcp };
}

/** The result of a run whose agent could not start (the toolbox, the thread or the model client failed). */
function notStarted(run: Run, e: unknown): LoopResult {
  return {
    status: errorStatus('The agent could not start.', run.redact(errorMessage(e))),
    endedBy: 'api-error',
    turns: 0,
    toolCalls: {},
    usage: run.figures.usage,
    costUsd: 0,
    durationMs: 0,
    lastText: '',
  };
}

/** The session's events as the run shows them: the progress checklist, the log, the web-use tally. */
function sessionEvents(run: Run, web: ReturnType<typeof webUse>): (e: SessionEvent) => void {
  const { redact } = run;
  return (e) => {
    if (e.type === 'delegate') run.log.info(redact(`delegating to ${e.agent} (${e.model}): ${e.description}`));
    // A delegated agent's events carry its name: "context-manager: Read src/app.ts".
    const who = e.type !== 'delegate' && e.agent ? `${e.agent}: ` : '';
    if (e.type === 'tool') run.channel.progress.tool(e.name, who + summarizeInput(e.input));
    if (e.type === 'tool') web.record(e);
    if (e.type === 'note') run.log.info(redact(who + e.message));
    if (e.type === 'response') run.log.info(redact(`${who}turn ${e.turn}: ${e.stopReason}`));
  };
}

/**
 * The MCP servers start beside the thread and the model client (they need no GitHub and no model); the toolbox takes
 * their tools once they are up, so what the agent is offered is decided then, among every name the run has.
 */
function openTools(
  run: Run,
  agent: AgentDefinition,
  catalog: AgentCatalog,
  session: SessionTools,
  credentials: CredentialFiles,
  webSearch: WebSearchBackend,
): { mcpStarting: Promise<McpSetup>; opening: Promise<{ toolbox: Toolbox; offered: string[] }> } {
  const mcpStarting = startMcp({
    ...sandboxSettings(run, credentials),
    agentFile: agent.file,
    agentServers: agent.mcpServers,
    input: run.cfg.mcpConfig,
    log: run.log,
  });
  const opening = mcpStarting.then(async (m) => {
    const mcpNames = m.offer(undefined);
    // The Agent tool (delegation, session/delegate.ts) exists unless max-delegation-depth is 0.
    const delegation = run.cfg.maxDelegationDepth > 0 ? [DELEGATION_TOOL] : [];
    const available = [...TOOL_NAMES, ...BASH_COMPANIONS, ...session.names, ...delegation, ...mcpNames];
    const offered = agentTools(run, agent, available);
    // A built-in agent gets every server the repository or workflow configured (within allowed-tools): its tools line
    // names the built-ins only because it cannot know the servers.
    if (agent.builtin) offered.push(...offeredTools({ tools: null }, mcpNames, run.cfg.allowedTools).offered);
    const toolbox = await createToolbox({
      ...sandboxSettings(run, credentials),
      tools: offered,
      extraTools: [...session.tools, ...m.tools],
      secrets: [...credentials.secrets, ...m.secrets],
      // A sub-agent's reference documents are readable too.
      readOnlyRoots: delegationRoots(agent, offered, catalog),
      allowWorkflowChanges: run.cfg.allowWorkflowChanges,
      webSearch,
    });
    return { toolbox, offered };
  });
  return { mcpStarting, opening };
}

/**
 * The task as the model gets it: the comment, the issue and its thread, and the thread's images, which are fetched
 * as soon as the thread is known, beside the other waits (never failing them).
 */
async function threadTask(run: Run) {
  const { cfg, env, event } = run;
  const { comment, issue } = event;
  const thread = await listThread(run.gh, env.repo, issue.number, run.me);
  const task = {
    task: run.task,
    requester: comment.user.login,
    kind: issue.pull_request !== undefined ? ('pull request' as const) : ('issue' as const),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    comments: thread.filter((c) => c.id !== comment.id),
  };
  const access = { serverUrl: env.serverUrl, token: cfg.githubToken, signal: run.cancelled };
  return { task, ...(await fetchThreadImages(task, access)) };
}

/** One line for the progress checklist: the path, command or pattern a tool call is about. */
function summarizeInput(input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const v = i.file_path ?? i.command ?? i.pattern ?? i.url ?? i.query ?? i.subagent_type ?? '';
  // Strings as they are; anything else the model sent (a number, a mapping) as JSON, not "[object Object]".
  return (typeof v === 'string' ? v : JSON.stringify(v)).split('\n', 1)[0]!;
}
