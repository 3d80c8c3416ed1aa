/**
 * Delegation: the Agent tool (Claude Code's name; older Claude Code and many agent files call it Task) runs another
 * agent of the catalogue as a sub-loop, with that agent's own tools and model, in the same workspace and sandbox, on
 * the run's budgets. Only its final text comes back, as the tool result.
 *
 * The sub-agent's tools are a view of the run's toolbox (Toolbox.view): the view shares the workspace, the sandbox
 * and its proxy, the files Read so far and the masking, so no second sandbox is prepared (its probe and proxy cost
 * time and a process each), and a sub-agent never gets a tool the command's agent lacks: delegation cannot widen
 * what a run may do. Its turns, tokens, cost and tool calls are charged to the run's RunBudget, so the run's limits
 * cut it off exactly as they cut off the agent that called it.
 */
import * as z from 'zod/mini';
import { findAgent, offeredTools, type AgentCatalog, type AgentDefinition } from '../agents/definition.ts';
import { UserError } from '../errors.ts';
import { costUsd, resolveModel, type ModelInfo } from '../model/models.ts';
import type { ModelClient } from '../model/client.ts';
import type { Status } from '../constants.ts';
import {
  defineTool,
  ToolError,
  fail,
  ok,
  MAX_RESULT_CHARS,
  type Tool,
  type ToolContext,
  type Toolbox,
  type ToolResult,
} from '../tools/index.ts';
import { runAgentLoop, type EndedBy, type LoopEvent, type RunBudget } from './loop.ts';

/**
 * The tool's name as offered. `Task`, its older name, is read as `Agent` in `tools:` lines (agents/tool-names.ts)
 * and routed to it when the model calls it by that name.
 */
export const DELEGATION_TOOL = 'Agent';
const NAMES = new Set(['Agent', 'Task']);

/**
 * Whether an agent is offered the Agent tool, by its `tools` line as agents/definition.ts reads it (names
 * canonical, `Task` already `Agent`; null = no line, which in Claude Code means every tool) and its
 * `disallowedTools`. The run's own narrowing (`allowed-tools`, `max-delegation-depth`) is the caller's.
 */
export function wantsDelegation(agent: Pick<AgentDefinition, 'tools' | 'disallowedTools'>): boolean {
  return offeredTools(agent, [DELEGATION_TOOL]).offered.length > 0;
}

/** What the run allows; absent from a session = no delegation. */
export interface DelegationSettings {
  readonly catalog: AgentCatalog;
  /** How deep delegation goes: 0 = none; 1 = the command's agent may delegate, its sub-agents may not. */
  readonly maxDepth: number;
  /** Each delegation as it ends (for the STATUS comment's footer). */
  readonly onDelegated?: (d: Delegation) => void;
}

export interface Delegation {
  /** The delegated agents from the command's agent's first one down to this one (one name unless nested). */
  readonly path: readonly string[];
  readonly model: string;
  readonly turns: number;
  readonly costUsd: number;
  readonly endedBy: EndedBy;
  readonly status: Status;
  /** e.g. "delegated: context-manager (3 turns, $0.0021)". */
  readonly line: string;
}

/** A loop event of a delegated agent carries its name; the command's agent's carry none. */
export type TaggedLoopEvent = LoopEvent & { readonly agent?: string };

/** A delegated agent starts: what it was asked and given (for the transcript). */
export interface DelegateEvent {
  readonly type: 'delegate';
  readonly agent: string;
  readonly depth: number;
  readonly description: string;
  readonly model: string;
  readonly tools: readonly string[];
  readonly system: string;
  readonly task: string;
}

export type SessionEvent = TaggedLoopEvent | DelegateEvent;

/** What every delegated loop of a run is made from (built once by the session), and where in the chain one is. */
export interface DelegationScope {
  readonly settings: DelegationSettings;
  /** The run's toolbox: every agent's tools are a view of it. */
  readonly root: Toolbox;
  readonly client: ModelClient;
  readonly budget: RunBudget;
  /** The model a sub-agent without one of its own runs on (Claude Code's `inherit`). */
  readonly parentModel: ModelInfo;
  /** The system prompt of `agent` working with `toolbox` (the session's, with the agent's body). */
  readonly system: (agent: AgentDefinition, toolbox: Toolbox) => string;
  /** The first message of a delegated agent, from the caller's prompt. */
  readonly task: (prompt: string) => string;
  readonly onEvent: (e: SessionEvent) => void;
  /** The agents from the command's one down to the one whose toolbox this is. */
  readonly chain: readonly string[];
}

/** Per agent listed in the tool description, and in all: the list goes into every request. */
const DESCRIPTION_CHARS = 120;
const LIST_CHARS = 2_500;

/**
 * The toolbox `agent` works with at its place in `scope.chain`: `toolbox` itself when the agent does not delegate;
 * with the Agent tool (and `Task` calls routed to it) while the depth allows; at the limit, `toolbox` with Agent/Task
 * calls answered by an error that names the limit, so a delegation loop ends with a reason the model can act on.
 */
export function withDelegation(toolbox: Toolbox, delegates: boolean, scope: DelegationScope): Toolbox {
  if (!delegates) return toolbox;
  const depth = scope.chain.length - 1;
  if (depth >= scope.settings.maxDepth) {
    const refusal = fail(DELEGATION_TOOL, limitMessage(scope));
    return routed(toolbox, () => Promise.resolve(refusal));
  }
  const view = toolbox.view([...toolbox.definitions.map((d) => d.name), DELEGATION_TOOL], [agentTool(scope)]);
  return routed(view, (input, signal) => view.run(DELEGATION_TOOL, input, signal));
}

function limitMessage(scope: DelegationScope): string {
  const max = scope.settings.maxDepth;
  const where =
    max === 0
      ? 'delegation is off in this run (max-delegation-depth is 0)'
      : `${scope.chain.join(' → ')} is already ${scope.chain.length - 1} delegation(s) deep, the limit (max-delegation-depth ${max})`;
  return `${where}. Do this part yourself with your own tools, or end and report what you found to the agent that asked you.`;
}

/** `toolbox` with calls to Agent and Task both going to `delegate`. */
function routed(toolbox: Toolbox, delegate: (input: unknown, signal?: AbortSignal) => Promise<ToolResult>): Toolbox {
  return {
    ...toolbox,
    // Not read-only: delegated agents may write, so two calls in one answer run one after the other.
    isReadOnly: (name) => !NAMES.has(name) && toolbox.isReadOnly(name),
    run: (name, input, signal) => (NAMES.has(name) ? delegate(input, signal) : toolbox.run(name, input, signal)),
  };
}

const MODELS = ['sonnet', 'opus', 'haiku'] as const;
const Input = z.strictObject({
  description: z.string().check(z.describe('What the agent is to do, in 3-5 words')),
  prompt: z.string().check(z.describe('The whole task: the agent sees nothing else of this conversation')),
  subagent_type: z.string().check(z.describe('The agent to run: a name from the list')),
  model: z.optional(z.enum(MODELS).check(z.describe("Model for this agent (default: the agent's own)"))),
});

/** The Agent tool of the agent at the end of `scope.chain`. */
export function agentTool(scope: DelegationScope): Tool<ToolContext> {
  return defineTool({
    name: DELEGATION_TOOL,
    description: toolDescription(scope.settings.catalog, scope.chain.at(-1) ?? ''),
    input: Input,
    readOnly: false,
    run: (input, ctx) => delegate(scope, input, ctx.signal),
  });
}

function toolDescription(catalog: AgentCatalog, self: string): string {
  const entries: string[] = [];
  let used = 0;
  const others = [...catalog.agents.values()].filter((a) => a.name !== self);
  for (const [i, a] of others.entries()) {
    const desc =
      a.description.length > DESCRIPTION_CHARS ? `${a.description.slice(0, DESCRIPTION_CHARS - 1)}…` : a.description;
    const entry = `- ${a.name}${desc ? `: ${desc}` : ''}`;
    if (used + entry.length > LIST_CHARS) {
      entries.push(
        `- and ${others.length - i} more: ${others
          .slice(i)
          .map((o) => o.name)
          .join(', ')}`,
      );
      break;
    }
    entries.push(entry);
    used += entry.length + 1;
  }
  return (
    'Runs another agent on a self-contained task in this checkout, with its own tools, and returns only its final ' +
    `answer. Put everything it needs in prompt. Agents:\n${entries.join('\n') || '(none)'}`
  );
}

/** One delegation: find the agent, give it its view of the toolbox and its model, run it on the run's budget. */
async function delegate(
  scope: DelegationScope,
  input: z.infer<typeof Input>,
  signal?: AbortSignal,
): Promise<ToolResult> {
  const { settings, root } = scope;
  const depth = scope.chain.length;
  if (depth > settings.maxDepth) throw new ToolError(limitMessage(scope));
  const sub = lookUp(settings.catalog, input.subagent_type);
  const tag = (e: LoopEvent): void => scope.onEvent({ ...e, agent: sub.name });
  const model = modelFor(sub, input.model, scope.parentModel, (message) => tag({ type: 'note', message }));

  const { names, delegates, missing } = subagentTools(
    sub,
    root.definitions.map((d) => d.name),
  );
  if (missing.length) {
    tag({
      type: 'note',
      message: `works without ${missing.join(', ')}: the command's agent does not have it`,
    });
  }
  const chain = [...scope.chain, sub.name];
  const subScope: DelegationScope = { ...scope, chain };
  const toolbox = withDelegation(root.view(names), delegates, subScope);
  const system = scope.system(sub, toolbox);
  const task = scope.task(input.prompt);
  scope.onEvent({
    type: 'delegate',
    agent: sub.name,
    depth,
    description: input.description,
    model: model.id,
    tools: toolbox.definitions.map((d) => d.name),
    system,
    task,
  });
  const result = await runAgentLoop({
    client: scope.client,
    model,
    price: (u) => costUsd(model, u),
    system,
    task,
    toolbox,
    budget: scope.budget,
    ...(signal ? { signal } : {}),
    statusOptional: true,
    onEvent: tag,
  });
  const path = chain.slice(1);
  const finished = result.endedBy === 'status';
  const figures = `${result.turns} turn${result.turns === 1 ? '' : 's'}, $${result.costUsd.toFixed(4)}`;
  settings.onDelegated?.({
    path,
    model: model.id,
    turns: result.turns,
    costUsd: result.costUsd,
    endedBy: result.endedBy,
    status: result.status.status,
    line: `delegated: ${path.join(' → ')} (${figures}${finished ? '' : `; cut off: ${result.status.blocker ?? result.endedBy}`})`,
  });
  tag({ type: 'note', message: `ended (${result.endedBy}, ${figures})` });
  return answer(sub.name, result.lastText, finished ? null : (result.status.blocker ?? result.endedBy));
}

/**
 * What a sub-agent gets, by its file (`tools`, `disallowedTools`) among the tools the run's toolbox offers (`have`):
 * `names`, the tools of its view; `delegates`, whether it asks for the Agent tool (withDelegation adds it while the
 * depth allows); `missing`, what it asks for that the run does not offer.
 */
export function subagentTools(
  sub: Pick<AgentDefinition, 'tools' | 'disallowedTools'>,
  have: readonly string[],
): { names: string[]; delegates: boolean; missing: string[] } {
  const available = [...have.filter((n) => !NAMES.has(n)), DELEGATION_TOOL];
  const { offered, unavailable } = offeredTools(sub, available);
  return {
    names: offered.filter((n) => !NAMES.has(n)),
    delegates: offered.includes(DELEGATION_TOOL),
    missing: unavailable,
  };
}

/** The agent named, or an error result listing the agents there are. */
function lookUp(catalog: AgentCatalog, name: string): AgentDefinition {
  try {
    return findAgent(catalog, name.trim().replace(/^\//, ''));
  } catch (e) {
    const known = [...catalog.agents.keys()].sort();
    // A file of that name that failed to load: its problem says what to fix.
    const problem = catalog.errors.some((p) => p.name.toLowerCase() === name.trim().toLowerCase());
    if (problem && e instanceof UserError) throw new ToolError(e.message);
    throw new ToolError(
      `no agent named "${name}". Available agents: ${known.join(', ') || 'none'}. Give one of these as subagent_type.`,
    );
  }
}

/** The tool input's model, else the agent file's, else the caller's; an unusable one is noted and the caller's used. */
function modelFor(
  sub: AgentDefinition,
  asked: string | undefined,
  parent: ModelInfo,
  note: (message: string) => void,
): ModelInfo {
  try {
    const m = resolveModel(asked ?? sub.model, parent.spec);
    if (m.warning) note(m.warning);
    return m;
  } catch (e) {
    note(`${(e as Error).message} Using ${parent.spec}.`);
    return parent;
  }
}

/** The tool result: the agent's final text; when a budget or an error cut it off, that reason first. */
function answer(name: string, text: string, cutOff: string | null): ToolResult {
  const cap = (s: string): string =>
    s.length > MAX_RESULT_CHARS
      ? `${s.slice(0, MAX_RESULT_CHARS)}\n[${name}'s answer cut at ${MAX_RESULT_CHARS} characters]`
      : s;
  if (cutOff) {
    return {
      content: `${name} did not finish: ${cutOff}.${text ? `\nIts last text:\n${cap(text)}` : ''}`,
      isError: true,
    };
  }
  return ok(cap(text.trim() || `${name} ended without an answer.`));
}

/** A delegated agent's first message: the caller's prompt, then the repository context the run computed. */
export function delegatedTask(prompt: string, repoContext: string): string {
  const parts = ['Task from the agent that delegated to you:', prompt.trim() || '(no prompt given)'];
  if (repoContext) parts.push('', '## Repository context (computed by the action)', repoContext);
  return parts.join('\n');
}

/**
 * The folders the run's toolbox lets Read open read-only: the agent's reference documents, and when it is offered
 * the Agent tool those of every agent in the catalogue too (a sub-agent works in a view of the same toolbox).
 */
export function delegationRoots(
  agent: Pick<AgentDefinition, 'referenceRoots'>,
  offered: readonly string[],
  catalog: AgentCatalog,
): string[] {
  if (!offered.includes(DELEGATION_TOOL)) return [...agent.referenceRoots];
  const roots = new Set(agent.referenceRoots);
  for (const a of catalog.agents.values()) for (const r of a.referenceRoots) roots.add(r);
  return [...roots];
}
