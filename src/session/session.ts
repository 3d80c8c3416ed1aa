import type { AgentDefinition } from '../agents/definition.ts';
import type { ModelInfo } from '../model/models.ts';
import { costUsd } from '../model/models.ts';
import { repoContext, type Skill } from '../repo-context/index.ts';
import { skillAccess } from './project-prompt.ts';
import type { TaskInput } from './prompt.ts';
import { runAgentLoop, type LoopEvent, type LoopOptions, type LoopResult } from './loop.ts';
import type { Toolbox } from '../tools/index.ts';
import type { Transcript } from './transcript.ts';

export interface SessionInput {
  readonly client: LoopOptions['client'];
  readonly agent: AgentDefinition;
  readonly model: ModelInfo;
  readonly toolbox: Toolbox;
  readonly workspace: string;
  readonly repoFullName: string;
  readonly branch: string;
  /** The commit the run starts from; a replay must start from the same one. */
  readonly startSha: string;
  readonly task: Omit<TaskInput, 'repoContext'>;
  readonly budgets: Pick<LoopOptions, 'maxTurns' | 'maxCostUsd' | 'timeoutMs'>;
  readonly signal?: AbortSignal;
  readonly transcript: Transcript;
  readonly onEvent?: (e: LoopEvent) => void;
  /** The repository's skills (session-tools.ts finds them), listed in the system prompt. */
  readonly skills?: readonly Skill[];
}

/** One agent session, the same in the action and the CLI: context, prompts, the loop, and the transcript. */
export async function runSession(s: SessionInput): Promise<LoopResult> {
  // Loaded here, not at startup (dist/prompt.js, see scripts/bundle.mjs): the prompt's Markdown renderer (GFM and
  // HTML parsers, GitHub's sanitizer allowlist: ~850 KB) would cost every run that stops early ~0.1 s to parse.
  const { systemPrompt, taskMessage } = await import('./prompt.ts');
  const ctx = await repoContext(s.workspace);
  const system = systemPrompt({
    agentBody: s.agent.body,
    repoFullName: s.repoFullName,
    workspace: s.workspace,
    branch: s.branch,
    sandboxInfo: s.toolbox.sandboxInfo,
    referenceDocs: s.agent.referenceRoots,
    instructions: ctx.instructions,
    skills: { list: s.skills ?? [], via: skillAccess(s.toolbox.definitions.map((d) => d.name)) },
  });
  const task = taskMessage({ ...s.task, repoContext: ctx.text });
  s.transcript.write({
    type: 'start',
    version: 1,
    agent: s.agent.name,
    model: s.model.id,
    tools: s.toolbox.definitions.map((d) => d.name),
    startSha: s.startSha,
    system,
    task,
  });
  return runAgentLoop({
    client: s.client,
    model: s.model,
    price: (u) => costUsd(s.model, u),
    system,
    task,
    toolbox: s.toolbox,
    ...s.budgets,
    ...(s.signal ? { signal: s.signal } : {}),
    onEvent: (e) => {
      s.transcript.write(e);
      s.onEvent?.(e);
    },
  });
}
