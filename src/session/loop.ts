import type Anthropic from '@anthropic-ai/sdk';
import type { Status } from '../constants.ts';
import { errorMessage } from '../errors.ts';
import type { Toolbox, ToolResult } from '../tools/index.ts';
import type { ModelClient } from '../model/client.ts';
import { parseStatus, type StatusBlock } from './status.ts';

type MessageParam = Anthropic.Messages.MessageParam;
type ContentBlockParam = Anthropic.Messages.ContentBlockParam;
type ToolResultBlockParam = Anthropic.Messages.ToolResultBlockParam;
type Message = Anthropic.Messages.Message;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface LoopModel {
  readonly id: string;
  readonly contextWindow: number;
  readonly maxOutput: number;
}

export type EndedBy =
  'status' | 'no-status' | 'max-turns' | 'max-cost' | 'timeout' | 'cancelled' | 'refusal' | 'api-error';

export type LoopEvent =
  | { type: 'request'; turn: number; bytes: number }
  /** `message` is the model's whole answer (what a replay serves again); `usage` the run's running total. */
  | { type: 'response'; turn: number; stopReason: string | null; usage: Usage; text: string; message: Message }
  | { type: 'tool'; turn: number; name: string; input: unknown; result: ToolResult; ms: number }
  | { type: 'note'; message: string };

/** A run's limits: model turns, US dollars and wall time. */
export interface BudgetLimits {
  readonly maxTurns: number;
  readonly maxCostUsd: number;
  readonly timeoutMs: number;
}

/**
 * What a run may spend and has spent, shared by its agent loop and the loops it delegates to (the Agent tool): every
 * loop charges its turns, tokens, cost and tool calls here and stops when a limit is reached, so a sub-agent draws on
 * the run's budgets and is cut off like the agent that called it. The clock starts when the budget is made.
 */
export class RunBudget implements BudgetLimits {
  readonly maxTurns: number;
  readonly maxCostUsd: number;
  readonly timeoutMs: number;
  /** Aborts when timeoutMs have passed since the budget was made. */
  readonly deadline: AbortSignal;
  turns = 0;
  costUsd = 0;
  readonly usage: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  readonly toolCalls: Record<string, number> = {};

  constructor(limits: BudgetLimits) {
    this.maxTurns = limits.maxTurns;
    this.maxCostUsd = limits.maxCostUsd;
    this.timeoutMs = limits.timeoutMs;
    this.deadline = AbortSignal.timeout(limits.timeoutMs);
  }
}

interface LoopBase {
  readonly client: ModelClient;
  readonly model: LoopModel;
  /** USD cost of one response's usage, from the model's prices (long-prompt pricing is per request). */
  readonly price: (u: Usage) => number;
  readonly system: string;
  /** The first user message: text, or text and image blocks (the thread's images). */
  readonly task: string | readonly ContentBlockParam[];
  readonly toolbox: Toolbox;
  /** Cancellation from outside (a cancelled job). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: LoopEvent) => void;
  /** Output tokens asked for per turn (capped by the model's maximum). */
  readonly maxTokens?: number;
  /** Times a turn is retried after a connection or mid-stream failure, on top of the SDK's own HTTP retries. */
  readonly streamRetries?: number;
  /**
   * A delegated agent may end with a plain answer: its text is the result and no STATUS block is asked for (a repair
   * turn would cost a turn and replace the answer by the bare block).
   */
  readonly statusOptional?: boolean;
}

/**
 * The loop's options: its limits, or the run's shared budget (a delegated loop draws on its caller's). The result's
 * figures are this loop's own either way; the budget holds the run's totals.
 */
export type LoopOptions = LoopBase & (BudgetLimits | { readonly budget: RunBudget });

export interface LoopResult {
  readonly status: StatusBlock;
  readonly endedBy: EndedBy;
  readonly turns: number;
  readonly toolCalls: Readonly<Record<string, number>>;
  readonly usage: Usage;
  readonly costUsd: number;
  readonly durationMs: number;
  /** The agent's last text, for the run's excerpt. */
  readonly lastText: string;
}

/** Share of the window above which old tool results are cleared. */
const CLEAR_AT = 0.75;
/** Recent tool-result turns that are never cleared. */
const KEEP_RECENT_RESULTS = 2;
const REPAIR_PROMPT =
  'Your last answer did not end with a STATUS block. Reply with only the block, in exactly this format:\n' +
  'STATUS: COMPLETE | BLOCKED | WAITING | ERROR\nSUMMARY: ...\nFILES: ...\nNEXT: ... (optional)\nBLOCKER: ... (optional)';

class BudgetStop extends Error {
  readonly endedBy: EndedBy;
  constructor(endedBy: EndedBy, message: string) {
    super(message);
    this.endedBy = endedBy;
  }
}

function addUsage(total: Usage, u: Partial<Record<keyof Usage, number | null>>): void {
  total.input_tokens += u.input_tokens ?? 0;
  total.output_tokens += u.output_tokens ?? 0;
  total.cache_creation_input_tokens += u.cache_creation_input_tokens ?? 0;
  total.cache_read_input_tokens += u.cache_read_input_tokens ?? 0;
}

function textOf(content: readonly { type: string }[]): string {
  return content
    .filter((b): b is Anthropic.Messages.TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('\n');
}

/**
 * The request's messages with prompt-cache breakpoints on the last two user turns: the newest one writes the
 * cache for the next request, the previous one reads what the last request wrote. With the breakpoint on the
 * system prompt (which also covers the tools) that is 3 of the 4 allowed.
 */
function withCacheBreakpoints(messages: readonly MessageParam[]): MessageParam[] {
  const out = messages.map((m) => ({ ...m }));
  let marked = 0;
  for (let i = out.length - 1; i >= 0 && marked < 2; i--) {
    const m = out[i]!;
    if (m.role !== 'user') continue;
    const blocks: ContentBlockParam[] =
      typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content.map((b) => ({ ...b }));
    const last = blocks[blocks.length - 1];
    if (last && last.type !== 'thinking' && last.type !== 'redacted_thinking') {
      (last as { cache_control?: unknown }).cache_control = { type: 'ephemeral' };
    }
    out[i] = { ...m, content: blocks };
    marked++;
  }
  return out;
}

/** Replaces the content of older tool results by a one-line note, keeping the newest ones. */
function clearOldToolResults(messages: MessageParam[], keep: number): number {
  let seen = 0;
  let cleared = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user' || typeof m.content === 'string') continue;
    if (!m.content.some((b) => b.type === 'tool_result')) continue;
    if (seen++ < keep) continue;
    m.content = m.content.map((b) => {
      if (b.type !== 'tool_result' || b.content === undefined) return b;
      // A result with images is a list of blocks: its text is the first one.
      const text = typeof b.content === 'string' ? b.content : (b.content.find((c) => c.type === 'text')?.text ?? '');
      if (text.startsWith('[cleared')) return b;
      cleared++;
      const first = text.split('\n', 1)[0]!.slice(0, 120);
      return { ...b, content: `[cleared to save context; it began: ${first}] Run the tool again if you need it.` };
    });
  }
  return cleared;
}

function isRetryableStreamError(e: unknown): boolean {
  const err = e as { status?: number; name?: string };
  if (err?.name === 'APIUserAbortError') return false;
  // No HTTP status: the connection dropped or the stream carried an error event. The SDK retries HTTP-level
  // failures itself; these it does not.
  return err?.status === undefined;
}

/** One run of the loop: its options and what it has spent and said so far, shared by the steps below. */
interface Run {
  readonly o: LoopOptions;
  /** The run's budget: this loop's own, or shared with the loop that delegated to it. */
  readonly budget: RunBudget;
  readonly started: number;
  /** Running totals, returned as they are in the result. */
  readonly usage: Usage;
  readonly toolCalls: Record<string, number>;
  /** The conversation so far; old tool results are cleared in place when the context fills up. */
  readonly messages: MessageParam[];
  /** The run's time budget (the budget's deadline), apart from the caller's cancellation. */
  readonly timeout: AbortSignal;
  /** Either of the two: what every request and tool call is given. */
  readonly signal: AbortSignal;
  readonly maxTokens: number;
  readonly system: Anthropic.Messages.TextBlockParam[];
  turns: number;
  cost: number;
  /** The agent was already asked once for a missing STATUS block. */
  repaired: boolean;
  lastText: string;
}

/** Runs the agent until it ends with a STATUS block or a budget ends it. Never throws for API or tool failures. */
export async function runAgentLoop(o: LoopOptions): Promise<LoopResult> {
  const run = startRun(o);
  try {
    for (;;) {
      checkBudgets(run);
      run.turns++;
      run.budget.turns++;
      let message: Message;
      try {
        message = await request(run);
      } catch (e) {
        if (e instanceof BudgetStop) throw e;
        const s = stopReason(run);
        if (s) throw s;
        return errorResult(
          run,
          'api-error',
          `Anthropic API error: ${errorMessage(e)}`,
          'The model API failed; see BLOCKER.',
        );
      }
      const text = recordResponse(run, message);
      const ended = await answer(run, message, text);
      if (ended) return ended;
    }
  } catch (e) {
    if (e instanceof BudgetStop) return errorResult(run, e.endedBy, e.message);
    return errorResult(run, 'api-error', `internal error in the agent loop: ${errorMessage(e)}`);
  }
}

function startRun(o: LoopOptions): Run {
  const budget = 'budget' in o ? o.budget : new RunBudget(o);
  const timeout = budget.deadline;
  return {
    o,
    budget,
    started: Date.now(),
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    toolCalls: {},
    messages: [{ role: 'user', content: typeof o.task === 'string' ? o.task : [...o.task] }],
    timeout,
    signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    maxTokens: Math.min(o.maxTokens ?? 16_000, o.model.maxOutput),
    system: [{ type: 'text', text: o.system, cache_control: { type: 'ephemeral' } }],
    turns: 0,
    cost: 0,
    repaired: false,
    lastText: '',
  };
}

function finish(run: Run, status: StatusBlock, endedBy: EndedBy): LoopResult {
  return {
    status,
    endedBy,
    turns: run.turns,
    toolCalls: run.toolCalls,
    usage: run.usage,
    costUsd: run.cost,
    durationMs: Date.now() - run.started,
    lastText: run.lastText,
  };
}

function errorResult(run: Run, endedBy: EndedBy, blocker: string, summary?: string): LoopResult {
  return finish(
    run,
    {
      status: 'ERROR' satisfies Status,
      summary: summary ?? 'The run ended before the agent finished.',
      files: [],
      blocker,
    },
    endedBy,
  );
}

/** Cancellation or the timeout, as the stop to end the run with; null while neither happened. */
function stopReason(run: Run): BudgetStop | null {
  const { o, budget } = run;
  // The timeout first: a delegated loop's `signal` is its caller's, which the same deadline aborts too.
  if (run.timeout.aborted)
    return new BudgetStop(
      'timeout',
      `budget: timeout-minutes (${(budget.timeoutMs / 60_000).toFixed(2).replace(/\.?0+$/, '')} min) reached`,
    );
  if (o.signal?.aborted)
    return new BudgetStop('cancelled', `cancelled: ${errorMessage(o.signal.reason ?? 'the job was cancelled')}`);
  return null;
}

/** Before each turn: throws the BudgetStop of the first budget used up. */
function checkBudgets(run: Run): void {
  const stop = stopReason(run);
  if (stop) throw stop;
  const b = run.budget;
  if (b.turns >= b.maxTurns) throw new BudgetStop('max-turns', `budget: max-turns (${b.maxTurns}) reached`);
  if (b.costUsd >= b.maxCostUsd) {
    throw new BudgetStop(
      'max-cost',
      `budget: max-cost-usd ($${b.maxCostUsd}) reached ($${b.costUsd.toFixed(4)} spent)`,
    );
  }
}

/** One model turn, streamed; a dropped connection or broken stream is retried with backoff. */
async function request(run: Run): Promise<Message> {
  const { o } = run;
  const params = {
    model: o.model.id,
    max_tokens: run.maxTokens,
    system: run.system,
    tools: o.toolbox.definitions as Anthropic.Messages.Tool[],
    messages: withCacheBreakpoints(run.messages),
  };
  o.onEvent?.({ type: 'request', turn: run.turns, bytes: Buffer.byteLength(JSON.stringify(params)) });
  const attempts = 1 + (o.streamRetries ?? 2);
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.client.messages.stream(params, { signal: run.signal }).finalMessage();
    } catch (e) {
      const stop = stopReason(run);
      if (stop) throw stop;
      if (attempt >= attempts || !isRetryableStreamError(e)) throw e;
      o.onEvent?.({
        type: 'note',
        message: `model stream failed (${errorMessage(e)}); retrying (${attempt}/${attempts - 1})`,
      });
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}

/** Adds the answer's usage and cost, reports it, and clears old tool results when the context is filling up. */
function recordResponse(run: Run, message: Message): string {
  const { o } = run;
  addUsage(run.usage, message.usage);
  addUsage(run.budget.usage, message.usage);
  const cost = o.price({
    input_tokens: message.usage.input_tokens ?? 0,
    output_tokens: message.usage.output_tokens ?? 0,
    cache_creation_input_tokens: message.usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: message.usage.cache_read_input_tokens ?? 0,
  });
  run.cost += cost;
  run.budget.costUsd += cost;
  const text = textOf(message.content);
  if (text) run.lastText = text;
  o.onEvent?.({
    type: 'response',
    turn: run.turns,
    stopReason: message.stop_reason,
    usage: { ...run.usage },
    text,
    message,
  });

  const contextUsed =
    (message.usage.input_tokens ?? 0) +
    (message.usage.cache_read_input_tokens ?? 0) +
    (message.usage.cache_creation_input_tokens ?? 0) +
    (message.usage.output_tokens ?? 0);
  if (contextUsed > CLEAR_AT * o.model.contextWindow) {
    const n = clearOldToolResults(run.messages, KEEP_RECENT_RESULTS);
    if (n) o.onEvent?.({ type: 'note', message: `context ${contextUsed} tokens: cleared ${n} old tool results` });
  }
  return text;
}

/** Acts on the model's answer by its stop reason: the run's result when it ends here, null to take another turn. */
async function answer(run: Run, message: Message, text: string): Promise<LoopResult | null> {
  const { o, messages } = run;
  const toolUses = message.content.filter((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use');
  switch (message.stop_reason) {
    case 'tool_use': {
      messages.push({ role: 'assistant', content: message.content as ContentBlockParam[] });
      const results = await runTools(run, toolUses);
      messages.push({ role: 'user', content: results });
      return null;
    }
    case 'pause_turn':
      // A long server-side turn paused: send it back as is and the model carries on.
      messages.push({ role: 'assistant', content: message.content as ContentBlockParam[] });
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded': {
      // The answer was cut. A tool call cut mid-input is dropped (its input is incomplete), the rest kept.
      const kept = message.content.filter((b) => b.type !== 'tool_use') as ContentBlockParam[];
      if (message.stop_reason === 'model_context_window_exceeded') {
        const n = clearOldToolResults(messages, 0);
        o.onEvent?.({ type: 'note', message: `context window exceeded: cleared ${n} tool results` });
      }
      if (kept.some((b) => b.type === 'text' && b.text.trim())) messages.push({ role: 'assistant', content: kept });
      const cutTool = toolUses.length
        ? ` Your call to ${toolUses.map((t) => t.name).join(', ')} was cut off and did not run; issue it again, smaller if it was large.`
        : '';
      messages.push({
        role: 'user',
        content: `Your answer was cut off at the output limit. Continue where you stopped.${cutTool}`,
      });
      return null;
    }
    case 'refusal':
      return errorResult(
        run,
        'refusal',
        'The model refused to continue with this task.',
        'The model declined the request.',
      );
    default: {
      // end_turn, stop_sequence: the agent is done and must have said how it went.
      const status = parseStatus(text);
      if (status) return finish(run, status, 'status');
      if (o.statusOptional)
        return finish(run, { status: 'COMPLETE', summary: text.split('\n', 1)[0]!, files: [] }, 'status');
      if (run.repaired) {
        return errorResult(
          run,
          'no-status',
          'the agent ended without a STATUS block',
          'the agent ended without a STATUS block',
        );
      }
      run.repaired = true;
      if (message.content.length) messages.push({ role: 'assistant', content: message.content as ContentBlockParam[] });
      messages.push({ role: 'user', content: REPAIR_PROMPT });
      return null;
    }
  }
}

/** Runs the answer's tool calls: consecutive read-only calls together, anything that writes alone, in order. */
async function runTools(run: Run, calls: Anthropic.Messages.ToolUseBlock[]): Promise<ToolResultBlockParam[]> {
  const { o } = run;
  const results = new Array<ToolResultBlockParam>(calls.length);
  const runOne = async (i: number): Promise<void> => {
    const call = calls[i]!;
    run.toolCalls[call.name] = (run.toolCalls[call.name] ?? 0) + 1;
    run.budget.toolCalls[call.name] = (run.budget.toolCalls[call.name] ?? 0) + 1;
    const t0 = Date.now();
    const result = await o.toolbox.run(call.name, call.input, run.signal);
    // A tool's own model requests (WebSearch) count like a turn's: in the usage and against max-cost-usd.
    if (result.spent) {
      addUsage(run.usage, result.spent.usage);
      addUsage(run.budget.usage, result.spent.usage);
      run.cost += result.spent.costUsd;
      run.budget.costUsd += result.spent.costUsd;
    }
    o.onEvent?.({ type: 'tool', turn: run.turns, name: call.name, input: call.input, result, ms: Date.now() - t0 });
    results[i] = {
      type: 'tool_result',
      tool_use_id: call.id,
      content: result.images?.length
        ? [
            { type: 'text', text: result.content || '(no output)' },
            ...result.images.map((img) => ({
              type: 'image' as const,
              source: { type: 'base64' as const, media_type: img.mediaType, data: img.data },
            })),
          ]
        : result.content || '(no output)',
      ...(result.isError ? { is_error: true } : {}),
    };
  };
  for (let i = 0; i < calls.length;) {
    if (o.toolbox.isReadOnly(calls[i]!.name)) {
      let j = i;
      while (j < calls.length && o.toolbox.isReadOnly(calls[j]!.name)) j++;
      await Promise.all(Array.from({ length: j - i }, (_, k) => runOne(i + k)));
      i = j;
    } else {
      await runOne(i++);
    }
    const stop = stopReason(run);
    if (stop) throw stop;
  }
  return results;
}
