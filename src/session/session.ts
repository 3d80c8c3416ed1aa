import type { AgentDefinition } from '../agents/definition.ts';
import type { ModelInfo } from '../model/models.ts';
import { costUsd } from '../model/models.ts';
import type { TaskImages, TaskInput } from './prompt.ts';
import { fetchImages, type ImageAccess } from '../github/images.ts';
import { errorMessage } from '../errors.ts';
import { repoContext, type Skill } from '../repo-context/index.ts';
import { skillAccess } from './project-prompt.ts';
import { runAgentLoop, RunBudget, type BudgetLimits, type LoopOptions, type LoopResult } from './loop.ts';
import { delegatedTask, withDelegation, type DelegationSettings, type SessionEvent } from './delegate.ts';
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
  /** The thread's images, fetched beforehand ({@link fetchThreadImages}); none when absent. */
  readonly images?: TaskImages;
  readonly budgets: BudgetLimits;
  readonly signal?: AbortSignal;
  readonly transcript: Transcript;
  /** Events of the loop and of delegated agents' loops (tagged with the agent), and delegations starting. */
  readonly onEvent?: (e: SessionEvent) => void;
  /** The Agent tool's catalogue and depth, when the agent is offered it; absent = the agent cannot delegate. */
  readonly delegation?: DelegationSettings;
  /** The repository's skills (session-tools.ts finds them), listed in the system prompt. */
  readonly skills?: readonly Skill[];
}

/** One agent session, the same in the action and the CLI: context, prompts, the loop, and the transcript. */
export async function runSession(s: SessionInput): Promise<LoopResult> {
  // Loaded here, not at startup (dist/prompt.js, see scripts/bundle.mjs): the prompt's Markdown renderer (GFM and
  // HTML parsers, GitHub's sanitizer allowlist: ~850 KB) would cost every run that stops early ~0.1 s to parse.
  const { systemPrompt, taskContent } = await import('./prompt.ts');
  const ctx = await repoContext(s.workspace);
  // The command's agent's system prompt, and a delegated agent's with its own body and its own toolbox.
  const promptOf = (agent: AgentDefinition, toolbox: Toolbox): string =>
    systemPrompt({
      agentBody: agent.body,
      repoFullName: s.repoFullName,
      workspace: s.workspace,
      branch: s.branch,
      sandboxInfo: toolbox.sandboxInfo,
      referenceDocs: agent.referenceRoots,
      instructions: ctx.instructions,
      skills: { list: s.skills ?? [], via: skillAccess(toolbox.definitions.map((d) => d.name)) },
    });
  const system = promptOf(s.agent, s.toolbox);
  const emit = (e: SessionEvent): void => {
    s.transcript.write(e);
    s.onEvent?.(e);
  };
  // The run's budgets, shared with every delegated loop: the clock starts here, as the loop's did.
  const budget = new RunBudget(s.budgets);
  const toolbox = s.delegation
    ? withDelegation(s.toolbox, true, {
        settings: s.delegation,
        root: s.toolbox,
        client: s.client,
        budget,
        parentModel: s.model,
        system: promptOf,
        task: (prompt) => delegatedTask(prompt, ctx.text),
        onEvent: emit,
        chain: [s.agent.name],
      })
    : s.toolbox;
  const task = taskContent({ ...s.task, repoContext: ctx.text }, s.images);
  s.transcript.write({
    type: 'start',
    version: 1,
    agent: s.agent.name,
    model: s.model.id,
    tools: toolbox.definitions.map((d) => d.name),
    startSha: s.startSha,
    system,
    // The text only: the images' bytes would make the transcript megabytes long; their sizes say what was sent.
    task: typeof task === 'string' ? task : task[0]!.type === 'text' ? task[0]!.text : '',
    ...(s.images?.fetched.length ? { images: s.images.fetched.map(describeImage) } : {}),
  });
  const result = await runAgentLoop({
    client: s.client,
    model: s.model,
    price: (u) => costUsd(s.model, u),
    system,
    task,
    toolbox,
    budget,
    ...(s.signal ? { signal: s.signal } : {}),
    onEvent: emit,
  });
  // The run's figures: the loop's own and its delegated agents'.
  return { ...result, turns: budget.turns, usage: budget.usage, costUsd: budget.costUsd, toolCalls: budget.toolCalls };
}

/**
 * Fetches the images the task message will show (see prompt.ts threadImageLinks and src/github/images.ts). Never
 * throws: a failure is a note, and the run goes on without images.
 */
export async function fetchThreadImages(
  task: Omit<TaskInput, 'repoContext'>,
  access: ImageAccess,
): Promise<{ images: TaskImages; notes: string[] }> {
  try {
    const { threadImageLinks } = await import('./prompt.ts');
    const links = threadImageLinks(task, access.serverUrl);
    const fetched = links.length ? await fetchImages(links, access) : [];
    const notes = fetched.flatMap((f, i) => (f.ok ? [] : [`image ${i + 1} from the thread skipped: ${f.reason}`]));
    return { images: { serverUrl: access.serverUrl, fetched }, notes };
  } catch (e) {
    return {
      images: { serverUrl: access.serverUrl, fetched: [] },
      notes: [`images from the thread skipped: ${errorMessage(e)}`],
    };
  }
}

function describeImage(f: TaskImages['fetched'][number], i: number): object {
  return f.ok
    ? { n: i + 1, mediaType: f.mediaType, bytes: f.data.length, width: f.width, height: f.height }
    : { n: i + 1, skipped: f.reason };
}
