/**
 * Steps 5 and 6: the agent and its model, then the agent loop, with the checkout's persisted token out of reach.
 * The toolbox, the thread and the model client are opened together; the toolbox stays open for verify-command.
 */
import { join } from 'node:path';
import { UserError, errorMessage } from '../errors.ts';
import { findAgent, type AgentCatalog, type AgentDefinition } from '../agents/definition.ts';
import type { LoopResult } from '../session/loop.ts';
import { resolveModel } from '../model/models.ts';
import { createModelClient, providerModelId } from '../model/provider.ts';
import { runSession } from '../session/session.ts';
import type { StatusBlock } from '../session/status.ts';
import type { Repository } from '../git/index.ts';
import { listThread } from '../github/comments.ts';
import { DEFAULT_MODEL, Output, type ToolName } from '../constants.ts';
import { Transcript } from '../session/transcript.ts';
import { createToolbox, type Toolbox, type ToolboxOptions } from '../tools/index.ts';
import type { CredentialFiles } from '../security/credential-files.ts';
import { startMcp, type McpSetup } from '../mcp/index.ts';
import { errorStatus, type Run } from './run.ts';

export interface AgentRun {
  readonly result: LoopResult;
  /** Open until the caller closes it (verify-command runs in it). */
  readonly toolbox: Toolbox | undefined;
  /** The tools the agent was offered. */
  readonly offered: readonly ToolName[];
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
  let model: ReturnType<typeof resolveModel>;
  try {
    agent = findAgent(catalog, run.agentName);
    model = resolveModel(cfg.model || agent.model, DEFAULT_MODEL);
    if (model.warning) run.log.warning(model.warning);
  } catch (e) {
    return { ended: errorStatus(`The agent file for /${run.agentName} could not be used.`, errorMessage(e)) };
  }

  // 6. The agent loop.
  run.channel.phase(
    `Working (${agent.name}, ${cfg.provider === 'anthropic' ? model.id : `${providerModelId(cfg.provider, model.id)} on ${cfg.provider}`})`,
  );
  const restoreGit = await git.hideCredentials();
  const offered = agent.tools.filter((t) => !cfg.allowedTools || cfg.allowedTools.includes(t));
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
  const { mcpStarting, opening } = openTools(run, agent, offered, credentials);
  let mcp: McpSetup | undefined;
  try {
    // Independent waits, together: the sandbox probe, the thread from GitHub, the model client (SDK and credentials).
    const [, thread, client] = await Promise.all([
      opening,
      listThread(run.gh, env.repo, event.issue.number, run.me),
      createModelClient(modelAccess),
    ]);
    toolbox = await opening;
    const { comment, issue } = event;
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
        task: run.task,
        requester: comment.user.login,
        kind: issue.pull_request !== undefined ? 'pull request' : 'issue',
        number: issue.number,
        title: issue.title,
        body: issue.body,
        comments: thread.filter((c) => c.id !== comment.id),
      },
      budgets: { maxTurns: cfg.maxTurns, maxCostUsd: cfg.maxCostUsd, timeoutMs: cfg.timeoutMs },
      signal: run.cancelled,
      transcript,
      onEvent: (e) => {
        if (e.type === 'tool') run.channel.progress.tool(e.name, summarizeInput(e.input));
        if (e.type === 'note') run.log.info(redact(e.message));
        if (e.type === 'response') run.log.info(redact(`turn ${e.turn}: ${e.stopReason}`));
      },
    });
  } catch (e) {
    if (!(e instanceof UserError)) run.log.debug(String((e as Error).stack));
    // A toolbox that did open is closed by the caller, whatever failed beside it (its proxy would keep the process alive).
    toolbox ??= await opening.catch(() => undefined);
    mcp ??= await mcpStarting.catch(() => undefined);
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

/**
 * The MCP servers start beside the thread and the model client (they need no GitHub and no model); the toolbox
 * takes their tools once they are up.
 */
function openTools(
  run: Run,
  agent: AgentDefinition,
  offered: readonly ToolName[],
  credentials: CredentialFiles,
): { mcpStarting: Promise<McpSetup>; opening: Promise<Toolbox> } {
  const mcpStarting = startMcp({
    ...sandboxSettings(run, credentials),
    agentFile: agent.file,
    agentServers: agent.mcpServers,
    input: run.cfg.mcpConfig,
    log: run.log,
  });
  const opening = mcpStarting.then((m) =>
    createToolbox({
      ...sandboxSettings(run, credentials),
      tools: [...offered, ...mcpOffered(m, agent, run.cfg.allowedTools)],
      extraTools: m.tools,
      secrets: [...credentials.secrets, ...m.secrets],
      readOnlyRoots: agent.referenceRoots,
      allowWorkflowChanges: run.cfg.allowWorkflowChanges,
    }),
  );
  return { mcpStarting, opening };
}

/**
 * The MCP tools the agent's `tools:` line (every server without one) and the allowed-tools input let through. A
 * built-in agent gets every server the repository or workflow configured: its tools line names the built-ins only
 * because it cannot know the servers.
 */
function mcpOffered(mcp: McpSetup, agent: AgentDefinition, allowed: readonly string[] | null): string[] {
  const offered = mcp.offer(agent.builtin ? undefined : agent.mcpTools);
  if (!allowed) return offered;
  const permitted = new Set(mcp.offer(allowed));
  return offered.filter((n) => permitted.has(n));
}

/** One line for the progress checklist: the path, command or pattern a tool call is about. */
function summarizeInput(input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const v = i.file_path ?? i.command ?? i.pattern ?? '';
  // Strings as they are; anything else the model sent (a number, a mapping) as JSON, not "[object Object]".
  return (typeof v === 'string' ? v : JSON.stringify(v)).split('\n', 1)[0]!;
}
