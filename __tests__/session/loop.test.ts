import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { runAgentLoop, RunBudget, type LoopOptions } from '../../src/session/loop.ts';
import { resolveModel, costUsd } from '../../src/model/models.ts';
import type { Toolbox, ToolResult } from '../../src/tools/index.ts';
import {
  startAnthropic,
  type Turn,
  type AnthropicStandIn,
  type MessagesRequest,
} from '../../test-support/anthropic-server.ts';

/** A tool_result block as the loop sends it back (the stand-in has validated its shape). */
interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
  [field: string]: unknown;
}
type FakeToolbox = Toolbox & { calls: string[]; concurrent: number };

const KEY = 'sk-ant-loop-test';
const DONE = 'All done.\nSTATUS: COMPLETE\nSUMMARY: did it\nFILES: a.ts';
const servers: AnthropicStandIn[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A toolbox that records calls and answers from a table: the loop's own behaviour is under test here. */
function fakeToolbox(
  answers: Record<string, (input: unknown) => ToolResult | Promise<ToolResult>> = {},
): Toolbox & { calls: string[]; concurrent: number } {
  let running = 0;
  const tb = {
    calls: [] as string[],
    concurrent: 0,
    definitions: ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep'].map((name) => ({
      name,
      description: `${name} tool`,
      input_schema: { type: 'object' as const, properties: { x: { type: 'string' } } },
    })),
    sandboxInfo: 'test',
    isReadOnly: (n: string) => ['Read', 'Glob', 'Grep'].includes(n),
    async run(name: string, input: unknown): Promise<ToolResult> {
      tb.calls.push(name);
      running++;
      tb.concurrent = Math.max(tb.concurrent, running);
      try {
        const a = answers[name];
        if (a) return await a(input);
        return { content: `${name} ok ${JSON.stringify(input)}`, isError: false };
      } finally {
        running--;
      }
    },
    async close() {},
  };
  return tb as unknown as Toolbox & { calls: string[]; concurrent: number };
}

async function loop(
  script: Turn[] | ((req: MessagesRequest, i: number) => Turn),
  o: Partial<LoopOptions> = {},
  cacheMinTokens?: number,
) {
  const server = await startAnthropic({
    script,
    apiKey: KEY,
    ...(cacheMinTokens !== undefined ? { cacheMinTokens } : {}),
  });
  servers.push(server);
  const model = resolveModel('sonnet', 'sonnet');
  const toolbox = o.toolbox ?? fakeToolbox();
  const result = await runAgentLoop({
    client: new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 2 }),
    model,
    price: (u) => costUsd(model, u),
    system: 'You are a test agent.',
    task: 'Do the thing.',
    toolbox,
    maxTurns: 20,
    maxCostUsd: 5,
    timeoutMs: 30_000,
    ...o,
  });
  return { result, server, toolbox };
}

const tool = (name: string, input: object = { x: '1' }): Turn => ({ content: [{ type: 'tool_use', name, input }] });
const text = (t: string, stop_reason?: Turn['stop_reason']): Turn => ({
  content: [{ type: 'text', text: t }],
  ...(stop_reason ? { stop_reason } : {}),
});

test('end_turn with a STATUS block completes; tool_use runs the tool and returns its result', async () => {
  const { result, server, toolbox } = await loop([
    tool('Read'),
    {
      ...text(DONE),
      expect: (req) => {
        const last = req.messages.at(-1)!.content as ToolResultBlock[];
        assert.equal(last[0]!.type, 'tool_result');
        assert.match(last[0]!.content, /^Read ok/);
      },
    },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(result.endedBy, 'status');
  assert.equal(result.turns, 2);
  assert.deepEqual(result.toolCalls, { Read: 1 });
  assert.deepEqual((toolbox as FakeToolbox).calls, ['Read']);
});

test('several tool_use blocks in one turn are all answered, in order', async () => {
  const { result, server } = await loop([
    {
      content: [
        { type: 'tool_use', name: 'Glob', input: { x: 'a' } },
        { type: 'tool_use', name: 'Read', input: { x: 'b' } },
        { type: 'tool_use', name: 'Edit', input: { x: 'c' } },
      ],
    },
    {
      ...text(DONE),
      expect: (req) => {
        const results = req.messages.at(-1)!.content as ToolResultBlock[];
        assert.deepEqual(
          results.map((r) => r.content.split(' ')[0]),
          ['Glob', 'Read', 'Edit'],
        );
      },
    },
  ]);
  server.assertNoViolations();
  assert.deepEqual(result.toolCalls, { Glob: 1, Read: 1, Edit: 1 });
});

test('read-only tools of one turn run together; a writing tool runs alone', async () => {
  const tick = (): Promise<ToolResult> =>
    new Promise((r) => setTimeout(() => r({ content: 'ok', isError: false }), 20));
  const together = fakeToolbox({ Glob: tick, Read: tick, Grep: tick });
  await loop(
    [{ content: ['Glob', 'Read', 'Grep'].map((name) => ({ type: 'tool_use' as const, name, input: {} })) }, text(DONE)],
    {
      toolbox: together,
    },
  );
  assert.equal(together.concurrent, 3, 'three read-only calls overlapped');
  const alone = fakeToolbox({ Edit: tick, Write: tick });
  await loop(
    [{ content: ['Edit', 'Write'].map((name) => ({ type: 'tool_use' as const, name, input: {} })) }, text(DONE)],
    {
      toolbox: alone,
    },
  );
  assert.equal(alone.concurrent, 1, 'writing tools never overlap');
});

test('max_tokens: a cut tool call is dropped and the model is asked to continue', async () => {
  const { result, server, toolbox } = await loop([
    {
      content: [
        { type: 'text', text: 'Writing…' },
        { type: 'tool_use', name: 'Write', input: { x: 'partial' } },
      ],
      stop_reason: 'max_tokens',
    },
    {
      ...text(DONE),
      expect: (req) => assert.match(JSON.stringify(req.messages.at(-1)!.content), /cut off.*Write/s),
    },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.deepEqual((toolbox as FakeToolbox).calls, [], 'the incomplete Write never ran');
});

test('pause_turn sends the turn back and continues', async () => {
  const { result, server } = await loop([
    text('thinking about it', 'pause_turn'),
    { ...text(DONE), expect: (req) => assert.equal(req.messages.at(-1)!.role, 'assistant') },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(result.turns, 2);
});

test('refusal ends the run with ERROR', async () => {
  const { result } = await loop([text('I will not do that.', 'refusal')]);
  assert.equal(result.status.status, 'ERROR');
  assert.equal(result.endedBy, 'refusal');
  assert.match(result.status.blocker!, /refused/);
});

test('model_context_window_exceeded clears old tool results and continues', async () => {
  const { result, server } = await loop([
    tool('Read'),
    tool('Read'),
    tool('Read'),
    text('partial', 'model_context_window_exceeded'),
    {
      ...text(DONE),
      expect: (req) => {
        const cleared = JSON.stringify(req.messages).match(/\[cleared to save context/g) ?? [];
        assert.equal(cleared.length, 3);
      },
    },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
});

test('a missing STATUS block gets one repair turn; the repaired block wins', async () => {
  const { result, server } = await loop([
    text('I changed a.ts.'),
    {
      ...text('STATUS: BLOCKED\nSUMMARY: need creds\nFILES: none\nBLOCKER: no DB password'),
      expect: (req) => assert.match(JSON.stringify(req.messages.at(-1)!.content), /did not end with a STATUS block/),
    },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'BLOCKED');
  assert.equal(result.status.blocker, 'no DB password');
});

test('still no STATUS after the repair turn → ERROR saying so', async () => {
  const { result } = await loop([text('done'), text('really done')]);
  assert.equal(result.status.status, 'ERROR');
  assert.equal(result.status.summary, 'the agent ended without a STATUS block');
  assert.equal(result.endedBy, 'no-status');
});

test('max-turns ends the run with ERROR naming the budget', async () => {
  const { result, server } = await loop(() => tool('Grep'), { maxTurns: 3 });
  assert.equal(result.status.status, 'ERROR');
  assert.equal(result.endedBy, 'max-turns');
  assert.equal(result.status.blocker, 'budget: max-turns (3) reached');
  assert.equal(result.turns, 3);
  assert.equal(server.requests.length, 3);
});

test('max-cost-usd ends the run with ERROR naming the budget and the spend', async () => {
  const { result, server } = await loop(() => ({ ...tool('Grep'), usage: { output_tokens: 100_000 } }), {
    maxCostUsd: 2.5,
  });
  assert.equal(result.endedBy, 'max-cost');
  assert.match(result.status.blocker!, /^budget: max-cost-usd \(\$2\.5\) reached \(\$\d+\.\d{4} spent\)$/);
  assert.ok(result.costUsd >= 2.5);
  assert.ok(server.requests.length >= 2);
});

test('timeout-minutes ends the run with ERROR naming the budget, even mid-request', async () => {
  const { result } = await loop(() => ({ ...tool('Grep'), delayMs: 400 }), { timeoutMs: 900 });
  assert.equal(result.endedBy, 'timeout');
  assert.match(result.status.blocker!, /^budget: timeout-minutes \(0\.0?15? min\) reached$|^budget: timeout-minutes/);
  assert.ok(result.durationMs < 3000);
});

test('cancellation from outside ends the run with ERROR', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('the job was cancelled (SIGTERM)')), 300);
  const { result } = await loop(() => ({ ...tool('Grep'), delayMs: 100 }), { signal: ac.signal });
  assert.equal(result.endedBy, 'cancelled');
  assert.match(result.status.blocker!, /SIGTERM/);
});

test('API failure after retries ends with ERROR and the API message, not a stack', async () => {
  const { result, server } = await loop([
    { fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded' }, repeat: 3, content: [] },
  ]);
  assert.equal(result.endedBy, 'api-error');
  assert.match(result.status.blocker!, /Anthropic API error: 529 .*Overloaded/);
  assert.equal(server.requests.length, 3);
});

test('a stream cut mid tool input is retried and the run carries on', async () => {
  const { result, server } = await loop([
    {
      ...tool('Write', { x: 'a long input that will be cut in the middle' }),
      fault: { cutAfterEvents: 'mid-tool-input' },
    },
    tool('Write'),
    text(DONE),
  ]);
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(server.remaining(), 0);
  assert.deepEqual(result.toolCalls, { Write: 1 });
});

test('event: error mid-stream is retried', async () => {
  const { result } = await loop([
    { ...text('x'), fault: { streamError: { type: 'overloaded_error', message: 'Overloaded' }, afterEvents: 2 } },
    text(DONE),
  ]);
  assert.equal(result.status.status, 'COMPLETE');
});

test('prompt caching: from turn 2 on, ≥ 90% of input tokens are cache reads over a 20-turn run', async () => {
  // Realistic sizes: a few KB of system prompt and tool results of a few hundred tokens each.
  const big = 'x'.repeat(6000);
  const toolbox = fakeToolbox({ Read: () => ({ content: 'line\n'.repeat(300), isError: false }) });
  const script: Turn[] = [...Array.from({ length: 19 }, () => tool('Read')), text(DONE)];
  const { result, server } = await loop(script, { system: `You are a test agent.\n${big}`, toolbox, maxTurns: 25 });
  server.assertNoViolations();
  assert.equal(result.turns, 20);
  let read = 0;
  let total = 0;
  for (const r of server.requests.slice(1)) {
    const u = r.usage!;
    read += u.cache_read_input_tokens;
    total += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  }
  const share = read / total;
  assert.ok(share >= 0.9, `cache read share ${share.toFixed(3)}`);
  for (const r of server.requests) {
    const n = JSON.stringify(r.body).match(/"cache_control"/g)?.length ?? 0;
    assert.ok(n <= 4, `${n} breakpoints`);
  }
});

test('nearing the context window clears older tool results (keeping the newest) so a long run never overflows', async () => {
  const { result, server } = await loop([
    tool('Read'),
    tool('Read'),
    tool('Read'),
    { ...tool('Read'), usage: { cache_read_input_tokens: 170_000 } },
    {
      ...text(DONE),
      expect: (req) => {
        const results = req.messages
          .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
          .filter((b) => b.type === 'tool_result') as ToolResultBlock[];
        assert.equal(results.length, 4);
        assert.deepEqual(
          results.map((r) => r.content.startsWith('[cleared to save context')),
          // Cleared when turn 4's answer reported the near-full window: of the three results then, the two newest
          // stay; turn 4's own result arrives after.
          [true, false, false, false],
          'older results cleared, the newest kept',
        );
      },
    },
  ]);
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
});

test('a result with images is sent as a text block then image blocks in the same tool_result', async () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
  const { result, server } = await loop(
    [
      tool('Read'),
      {
        ...text(DONE),
        expect: (req) => {
          const last = req.messages.at(-1)!.content as Array<{ content: unknown }>;
          assert.deepEqual(last[0]!.content, [
            { type: 'text', text: 'shot.png (8 bytes)' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          ]);
        },
      },
    ],
    {
      toolbox: fakeToolbox({
        Read: () => ({
          content: 'shot.png (8 bytes)',
          isError: false,
          images: [{ mediaType: 'image/png', data: png }],
        }),
      }),
    },
  );
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
});

test('loops sharing a RunBudget draw on it together: turns, cost and tool calls add up; the limit stops the next', async () => {
  const budget = new RunBudget({ maxTurns: 3, maxCostUsd: 5, timeoutMs: 30_000 });
  const first = await loop([tool('Read'), text(DONE)], { budget });
  assert.equal(first.result.turns, 2);
  assert.deepEqual([budget.turns, budget.toolCalls], [2, { Read: 1 }]);
  assert.ok(Math.abs(budget.costUsd - first.result.costUsd) < 1e-12 && budget.costUsd > 0);
  const second = await loop([tool('Grep'), text(DONE)], { budget });
  assert.equal(second.result.turns, 1, "its own figures: one turn before the run's limit");
  assert.equal(second.result.endedBy, 'max-turns');
  assert.equal(second.result.status.blocker, 'budget: max-turns (3) reached');
  assert.deepEqual([budget.turns, budget.toolCalls], [3, { Read: 1, Grep: 1 }]);
  assert.equal(budget.usage.output_tokens, first.result.usage.output_tokens + second.result.usage.output_tokens);
});

test('statusOptional: a plain final answer ends the loop with its text, no repair turn', async () => {
  const { result, server } = await loop([text('The routes are in src/routes.')], { statusOptional: true });
  assert.equal(server.requests.length, 1);
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(result.lastText, 'The routes are in src/routes.');
});
