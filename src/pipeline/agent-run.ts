/**
 * Steps 5 and 6: the agent and its model, then the agent loop, with the checkout's persisted token out of reach.
 * The toolbox, the thread and the model client are opened together; the toolbox stays open for verify-command.
 */
import { join } from 'node:path';
import { UserError, errorMessage } from '../errors.ts';
import { findAgent, type AgentCatalog, type AgentDefinition } from '../agents/definition.ts';
import type { LoopResult } from '../session/loop.ts';
import type { ModelInfo } from '../model/models.ts';
import { createModelClient, providerModelId } from '../model/provider.ts';
import { fetchThreadImages, runSession } from '../session/session.ts';
import { delegationRoots, DELEGATION_TOOL } from '../session/delegate.ts';
import { sessionTools } from '../session/session-tools.ts';
import type { StatusBlock } from '../session/status.ts';
import type { Repository } from '../git/index.ts';
import { listThread } from '../github/comments.ts';
import { Output, TOOL_NAMES } from '../constants.ts';
import { Transcript } from '../session/transcript.ts';
import { createToolbox, type Toolbox, type ToolboxOptions } from '../tools/index.ts';
import type { CredentialFiles } from '../security/credential-files.ts';
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
  // The names this run has: the built-ins, and the tools from outside the toolbox (session, MCP) once they exist.
  // TodoWrite's plan becomes the progress comment's checklist; a skill that cannot be used is a warning.
  const extra = await sessionTools({
    workspace: env.workspace,
    onTodos: (todos) => run.channel.progress.plan(todos),
    warn: (m) => run.log.warning(redact(m)),
  });
  // The Agent tool (delegation, session/delegate.ts) exists unless max-delegation-depth is 0.
  const delegation = cfg.maxDelegationDepth > 0 ? [DELEGATION_TOOL] : [];
  const offered = agentTools(run, agent, [...TOOL_NAMES, ...extra.names, ...delegation]);
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
  let opening: Promise<Toolbox> | undefined;
  let result: LoopResult;
  const web = webUse();
  try {
    // Independent waits, together: the sandbox probe, the thread from GitHub, the model client (SDK and credentials).
    const clientReady = createModelClient(modelAccess);
    opening = createToolbox({
      ...sandboxSettings(run, credentials),
      tools: offered,
      extraTools: extra.tools,
      readOnlyRoots: delegationRoots(agent, offered, catalog),
      allowWorkflowChanges: cfg.allowWorkflowChanges,
      webSearch: webSearchBackend(cfg.provider, model, clientReady),
    });
    const prepared = threadTask(run);
    const [, { task, images, notes }, client] = await Promise.all([opening, prepared, clientReady]);
    for (const n of notes) run.log.info(redact(n));
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
      task,
      images,
      budgets: runBudgets(run, agent),
      signal: run.cancelled,
      transcript,
      skills: extra.skills,
      ...(offered.includes(DELEGATION_TOOL) && {
        delegation: { catalog, maxDepth: cfg.maxDelegationDepth, onDelegated: (d) => run.footer.push(d.line) },
      }),
      onEvent: (e) => {
        if (e.type === 'delegate') run.log.info(redact(`delegating to ${e.agent} (${e.model}): ${e.description}`));
        // A delegated agent's events carry its name: "context-manager: Read src/app.ts".
        const who = e.type !== 'delegate' && e.agent ? `${e.agent}: ` : '';
        if (e.type === 'tool') run.channel.progress.tool(e.name, who + summarizeInput(e.input));
        if (e.type === 'tool') web.record(e);
        if (e.type === 'note') run.log.info(redact(who + e.message));
        if (e.type === 'response') run.log.info(redact(`${who}turn ${e.turn}: ${e.stopReason}`));
      },
    });
  } catch (e) {
    if (!(e instanceof UserError)) run.log.debug(String((e as Error).stack));
    // A toolbox that did open is closed by the caller, whatever failed beside it (its proxy would keep the process alive).
    toolbox ??= await opening?.catch(() => undefined);
    result = {
      status: errorStatus('The agent could not start.', redact(errorMessage(e))),
      endedBy: 'api-error',
      turns: 0,
      toolCalls: {},
      usage: run.figures.usage,
      costUsd: 0,
      durationMs: 0,
      lastText: '',
    };
  }
  await restoreGit();
  run.footer.push(...web.lines());
  Object.assign(run.figures, {
    turns: result.turns,
    toolCalls: result.toolCalls,
    usage: result.usage,
    costUsd: result.costUsd,
  });
  run.status = result.status;
  return { result, toolbox, offered, transcript };
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
