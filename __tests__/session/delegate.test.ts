// Delegation through a whole session: the real toolbox (without Bash, so no sandbox), the scripted Messages stand-in
// answering the command's agent and its sub-agents (told apart by their system prompts), the run's shared budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { loadAgents, offeredTools, parseAgentFile, type AgentCatalog } from '../../src/agents/definition.ts';
import { resolveModel, costUsd } from '../../src/model/models.ts';
import { runSession } from '../../src/session/session.ts';
import { Transcript } from '../../src/session/transcript.ts';
import { subagentTools, wantsDelegation, type Delegation, type SessionEvent } from '../../src/session/delegate.ts';
import { createToolbox } from '../../src/tools/index.ts';
import {
  startAnthropic,
  type AnthropicStandIn,
  type MessagesRequest,
  type Turn,
} from '../../test-support/anthropic-server.ts';
import { tempDir, writeFiles } from '../tools/helpers.ts';

const KEY = 'sk-ant-delegate-test';
const T = { timeout: 60_000 };
const ROOT = path.resolve(import.meta.dirname, '../..');
const servers: AnthropicStandIn[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const DONE = 'Done.\nSTATUS: COMPLETE\nSUMMARY: did it\nFILES: none';
const say = (text: string): Turn => ({ content: [{ type: 'text', text }] });
const call = (name: string, input: object): Turn => ({ content: [{ type: 'tool_use', name, input }] });
const ask = (subagent_type: string, prompt = 'Where are the routes?', name = 'Agent'): Turn =>
  call(name, { description: 'find routes', prompt, subagent_type });

/** Which agent a request is from: the marker its body starts with ("I am <name>."), or the built-in's own words. */
function who(req: MessagesRequest): string {
  const system = JSON.stringify(req.system);
  if (system.includes('You answer questions about this repository')) return 'context-manager';
  return /I am ([a-z-]+)\./.exec(system)?.[1] ?? 'unknown';
}
/** The agent's turn number within its own loop: 1 for its first request. */
const turnOf = (req: MessagesRequest): number => (req.messages.length + 1) / 2;
type ToolResultBlock = { type: string; content: unknown; is_error?: boolean };
function lastResult(req: MessagesRequest): ToolResultBlock {
  const blocks = req.messages.at(-1)!.content as unknown as ToolResultBlock[];
  return blocks.find((b) => b.type === 'tool_result')!;
}
const resultText = (r: ToolResultBlock): string =>
  typeof r.content === 'string' ? r.content : JSON.stringify(r.content);

const agentFile = (name: string, tools: string | null, model = 'sonnet'): string =>
  `---\nname: ${name}\ndescription: The ${name} agent.\n${tools === null ? '' : `tools: ${tools}\n`}model: ${model}\n---\nI am ${name}.\n`;

interface Setup {
  /** Agent files of the repository (name → tools line; null = no line). */
  agents?: Record<string, string | null>;
  /** Their `model:` lines (default sonnet). */
  models?: Record<string, string>;
  root?: string;
  script: (req: MessagesRequest, i: number) => Turn;
  maxTurns?: number;
  maxCostUsd?: number;
  timeoutMs?: number;
  maxDepth?: number;
}

async function session(o: Setup) {
  const ws = tempDir('delegate-');
  writeFiles(ws, {
    'src/routes/users.js': "router.get('/users', list);\n",
    'openapi.yaml': 'openapi: 3.0.0\n',
    ...Object.fromEntries(
      Object.entries(o.agents ?? {}).map(([n, t]) => [`.claude/agents/${n}.md`, agentFile(n, t, o.models?.[n])]),
    ),
  });
  const catalog: AgentCatalog = await loadAgents({ workspace: ws, builtinDir: path.join(ROOT, 'agents') });
  const server = await startAnthropic({ script: o.script, apiKey: KEY });
  servers.push(server);
  const rootName = o.root ?? 'backend-developer';
  const agent = catalog.agents.get(rootName)!;
  const model = resolveModel(agent.model, 'sonnet');
  // As the pipeline does: the file's tools among those the run has (no Bash here, so no sandbox), Agent included.
  const { offered } = offeredTools(agent, ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Agent']);
  assert.ok(offered.includes('Agent') || o.maxDepth === 0, `${rootName} is offered Agent: ${offered.join(', ')}`);
  const toolbox = await createToolbox({ workspace: ws, tools: offered, ripgrep: false });
  const events: SessionEvent[] = [];
  const delegations: Delegation[] = [];
  const transcript = new Transcript(path.join(ws, '..', `${path.basename(ws)}.jsonl`), (s) => s);
  try {
    const result = await runSession({
      client: new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 }),
      agent,
      model,
      toolbox,
      workspace: ws,
      repoFullName: 'acme/api',
      branch: 'b',
      startSha: '0'.repeat(40),
      task: {
        task: 'Add GET /health',
        requester: 'alice',
        kind: 'issue',
        number: 1,
        title: 't',
        body: null,
        comments: [],
      },
      budgets: { maxTurns: o.maxTurns ?? 20, maxCostUsd: o.maxCostUsd ?? 5, timeoutMs: o.timeoutMs ?? 30_000 },
      transcript,
      onEvent: (e) => events.push(e),
      delegation: { catalog, maxDepth: o.maxDepth ?? 1, onDelegated: (d) => delegations.push(d) },
    });
    await transcript.close();
    const lines = readFileSync(transcript.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionEvent);
    return { result, server, events, delegations, lines, ws };
  } finally {
    await toolbox.close();
  }
}

/** The cost the stand-in's usage of request `i` adds at the model of that request. */
function costOf(server: AnthropicStandIn): number {
  return server.requests.reduce((sum, r) => sum + costUsd(resolveModel(r.model ?? 'sonnet', 'sonnet'), r.usage!), 0);
}

test(
  'backend-developer delegates to context-manager: only its final text comes back; turns and cost count',
  T,
  async () => {
    const FINAL = "Routes live in src/routes/users.js:\n```\nrouter.get('/users', list);\n```";
    const { result, server, delegations, events, lines } = await session({
      script: (req) => {
        const [agent, turn] = [who(req), turnOf(req)];
        if (agent === 'context-manager') {
          if (turn === 1) {
            const tools = (req.tools ?? []).map((t) => t['name']);
            assert.deepEqual(tools, ['Read', 'Glob', 'Grep'], 'its own tools; no Agent (depth limit, and not asked)');
            assert.match(req.model, /haiku/, 'its own model');
            const task = JSON.stringify(req.messages[0]);
            assert.match(task, /Where are the routes\?/);
            assert.match(task, /Repository context \(computed by the action\)/);
            assert.match(task, /openapi\.yaml/, 'it knows the computed repository context');
            return call('Read', { file_path: 'src/routes/users.js' });
          }
          return say(FINAL);
        }
        if (turn === 1) {
          const agentDef = req.tools!.find((t) => t['name'] === 'Agent')!;
          assert.match(String(agentDef['description']), /- context-manager: Read-only repository guide/);
          assert.doesNotMatch(String(agentDef['description']), /- backend-developer/, 'the caller is not listed');
          return ask('context-manager');
        }
        if (turn === 2) {
          const r = lastResult(req);
          assert.equal(resultText(r), FINAL, 'exactly the final text');
          assert.equal(r.is_error, undefined);
          return call('Write', { file_path: 'src/health.js', content: 'ok\n' });
        }
        return say(DONE);
      },
    });
    server.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE');
    assert.equal(server.requests.length, 5);
    assert.equal(result.turns, 5, '3 turns of backend-developer + 2 of context-manager');
    assert.deepEqual(result.toolCalls, { Agent: 1, Read: 1, Write: 1 });
    assert.ok(Math.abs(result.costUsd - costOf(server)) < 1e-9, `${result.costUsd} vs ${costOf(server)}`);
    assert.equal(
      result.usage.output_tokens,
      server.requests.reduce((s, r) => s + r.usage!.output_tokens, 0),
    );
    assert.equal(delegations.length, 1);
    const d = delegations[0]!;
    assert.deepEqual([d.path, d.turns, d.endedBy], [['context-manager'], 2, 'status']);
    assert.match(d.line, /^delegated: context-manager \(2 turns, \$0\.\d{4}\)$/);
    // The sub-loop's events reach the session's listener and the transcript, tagged with the sub-agent.
    assert.ok(events.some((e) => e.type === 'tool' && e.name === 'Read' && e.agent === 'context-manager'));
    assert.ok(events.some((e) => e.type === 'tool' && e.name === 'Agent' && e.agent === undefined));
    const start = lines.find((l) => l.type === 'delegate');
    assert.ok(start && start.type === 'delegate');
    assert.equal(start.agent, 'context-manager');
    assert.deepEqual(start.tools, ['Read', 'Glob', 'Grep']);
    assert.ok(lines.some((l) => l.type === 'response' && l.agent === 'context-manager'));
  },
);

test('Task (the older name) works like Agent', T, async () => {
  const { result, server, delegations } = await session({
    script: (req) => {
      if (who(req) === 'context-manager') return say('In src/routes.');
      if (turnOf(req) === 1) return ask('context-manager', 'where?', 'Task');
      assert.equal(resultText(lastResult(req)), 'In src/routes.');
      return say(DONE);
    },
  });
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(delegations.length, 1);
  assert.deepEqual(result.toolCalls, { Task: 1 });
});

test('an unknown subagent_type is an error result listing the agents', T, async () => {
  const { result, server, delegations } = await session({
    agents: { helper: 'Read' },
    script: (req) => {
      if (turnOf(req) === 1) return ask('frontend-wizard');
      const r = lastResult(req);
      assert.equal(r.is_error, true);
      assert.equal(
        resultText(r),
        'Agent: no agent named "frontend-wizard". Available agents: backend-developer, context-manager, helper. Give one of these as subagent_type.',
      );
      return say(DONE);
    },
  });
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(server.requests.length, 2);
  assert.deepEqual(delegations, []);
});

test('a delegation loop ends at the nesting limit with an error result naming it (depth 1 and 2)', T, async () => {
  for (const maxDepth of [1, 2]) {
    const refusals: string[] = [];
    const { result, server, delegations } = await session({
      agents: { ping: 'Read, Agent', pong: 'Read, Task' },
      root: 'ping',
      maxDepth,
      script: (req) => {
        const me = who(req);
        const other = me === 'ping' ? 'pong' : 'ping';
        if (turnOf(req) === 1) return ask(other, `pass it on, ${me}`);
        const r = lastResult(req);
        if (r.is_error) refusals.push(`${me}: ${resultText(r)}`);
        return say(me === 'ping' && req.messages.length === 3 && !r.is_error ? DONE : `${me} gave up`);
      },
    });
    server.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE', `maxDepth ${maxDepth}`);
    // The deepest agent is not offered the tool; its call anyway gets the limit as its reason.
    const deepest = server.requests.find(
      (r) =>
        r.body &&
        turnOf(r.body) === 1 &&
        r.body.messages[0] &&
        JSON.stringify(r.body.messages[0]).includes(`pass it on, ${maxDepth === 1 ? 'ping' : 'pong'}`),
    );
    assert.ok(deepest?.body);
    assert.equal(
      deepest.body.tools?.some((t) => t['name'] === 'Agent'),
      false,
      'not offered at the limit',
    );
    assert.equal(refusals.length, 1, refusals.join('\n'));
    const chain = maxDepth === 1 ? 'ping → pong' : 'ping → pong → ping';
    assert.equal(
      refusals[0],
      `${maxDepth === 1 ? 'pong' : 'ping'}: Agent: ${chain} is already ${maxDepth} delegation(s) deep, the limit (max-delegation-depth ${maxDepth}). Do this part yourself with your own tools, or end and report what you found to the agent that asked you.`,
    );
    assert.deepEqual(
      delegations.map((d) => d.path.join(' → ')),
      maxDepth === 1 ? ['pong'] : ['pong → ping', 'pong'],
      'nested delegations end first',
    );
  }
});

test('max-delegation-depth 0: the tool is not offered and a call gets the reason', T, async () => {
  const { result, server } = await session({
    maxDepth: 0,
    script: (req) => {
      if (turnOf(req) === 1) {
        assert.equal(
          req.tools!.some((t) => t['name'] === 'Agent'),
          false,
        );
        return ask('context-manager');
      }
      assert.match(
        resultText(lastResult(req)),
        /^Agent: delegation is off in this run \(max-delegation-depth is 0\)\./,
      );
      return say(DONE);
    },
  });
  server.assertNoViolations();
  assert.equal(result.status.status, 'COMPLETE');
  assert.equal(server.requests.length, 2);
});

test(
  'max-turns runs out inside the sub-loop: it is cut off, and so is the caller, which still ends with a STATUS',
  T,
  async () => {
    const { result, server, delegations } = await session({
      maxTurns: 4,
      script: (req) => {
        if (who(req) === 'context-manager') return call('Grep', { pattern: 'router' });
        return ask('context-manager');
      },
    });
    server.assertNoViolations();
    assert.equal(server.requests.length, 4, '1 of backend-developer, 3 of context-manager, then nothing');
    assert.equal(result.turns, 4);
    assert.equal(result.endedBy, 'max-turns');
    assert.equal(result.status.status, 'ERROR');
    assert.equal(result.status.blocker, 'budget: max-turns (4) reached');
    assert.equal(delegations.length, 1);
    assert.equal(delegations[0]!.turns, 3);
    assert.equal(delegations[0]!.endedBy, 'max-turns');
    assert.match(
      delegations[0]!.line,
      /^delegated: context-manager \(3 turns, \$0\.\d{4}; cut off: budget: max-turns \(4\) reached\)$/,
    );
  },
);

test('max-cost-usd spent inside the sub-loop cuts it off; the cost counts against the run', T, async () => {
  let toolResult = '';
  const { result, server } = await session({
    maxCostUsd: 1,
    script: (req) => {
      if (who(req) === 'context-manager') {
        // 2M input tokens are over the run's $1 at any model's prices, in one answer.
        return { ...call('Grep', { pattern: 'x' }), usage: { input_tokens: 2_000_000 } };
      }
      if (turnOf(req) === 2) toolResult = resultText(lastResult(req));
      return ask('context-manager');
    },
  });
  server.assertNoViolations();
  assert.equal(server.requests.length, 2, 'the sub-agent gets one turn, the caller none after it');
  assert.equal(result.endedBy, 'max-cost');
  assert.match(result.status.blocker!, /^budget: max-cost-usd \(\$1\) reached \(\$\d+\.\d{4} spent\)$/);
  assert.ok(result.costUsd >= 1, `the sub-loop's cost is the run's: ${result.costUsd}`);
  assert.ok(Math.abs(result.costUsd - costOf(server)) < 1e-9);
  assert.equal(toolResult, '', 'the caller got no further turn to read it');
});

test('a sub-agent that hangs is cut off by the run’s timeout; the caller ends with STATUS ERROR', T, async () => {
  const started = Date.now();
  const { result, delegations } = await session({
    timeoutMs: 1_500,
    script: (req) => (who(req) === 'context-manager' ? { fault: { hang: true } } : ask('context-manager')),
  });
  assert.ok(Date.now() - started < 10_000, 'well within the test');
  assert.equal(result.endedBy, 'timeout');
  assert.equal(result.status.status, 'ERROR');
  assert.match(result.status.blocker!, /^budget: timeout-minutes \(0\.03 min\) reached$/);
  assert.equal(delegations[0]?.endedBy, 'timeout');
});

test(
  "the sub-agent's model: the call's, else its file's; one this action does not know falls back to the caller's",
  T,
  async () => {
    const seen: Record<string, string> = {};
    const { result, server, events } = await session({
      agents: { odd: 'Read', plain: null },
      models: { odd: 'fable', plain: 'opus' },
      script: (req) => {
        const me = who(req);
        if (me !== 'unknown') {
          seen[me] ??= req.model;
          return say(`${me} here`);
        }
        const withOpus = call('Agent', {
          description: 'd',
          prompt: 'p',
          subagent_type: 'context-manager',
          model: 'opus',
        });
        return [ask('odd'), ask('plain'), withOpus][turnOf(req) - 1] ?? say(DONE);
      },
    });
    server.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE');
    assert.match(seen['odd']!, /sonnet/, "fable is unknown: the caller's model (sonnet)");
    assert.match(seen['plain']!, /opus/, "its file's model");
    assert.match(seen['context-manager']!, /opus/, "the call's model over the file's haiku");
    assert.ok(
      events.some(
        (e) => e.type === 'note' && e.agent === 'odd' && /Unknown model "fable".*Using sonnet\./.test(e.message),
      ),
      JSON.stringify(events.filter((e) => e.type === 'note')),
    );
  },
);

test('wantsDelegation and subagentTools: the offer rule and the tools a sub-agent gets', () => {
  const parse = (lines: string) => parseAgentFile('/tmp/d.md', `---\nname: d\n${lines}---\nGo.\n`);
  assert.equal(wantsDelegation(parse('')), true, 'no tools line: every tool');
  assert.equal(wantsDelegation(parse('tools: Read, Agent\n')), true);
  assert.equal(wantsDelegation(parse('tools: Read, Task\n')), true, 'the older name');
  assert.equal(wantsDelegation(parse('tools:\n  - task\n')), true);
  assert.equal(wantsDelegation(parse('tools: Read, Grep\n')), false);
  assert.equal(wantsDelegation(parse('tools: []\n')), false, 'an agent without tools');
  assert.equal(wantsDelegation(parse('disallowedTools: Task\n')), false, 'taken away');
  const have = ['Read', 'Write', 'Grep', 'Agent', 'mcp__db__query'];
  assert.deepEqual(subagentTools(parse(''), have), {
    names: ['Read', 'Write', 'Grep', 'mcp__db__query'],
    delegates: true,
    missing: [],
  });
  assert.deepEqual(subagentTools(parse('tools: Read, Bash, Task, Grep, WebFetch\n'), have), {
    names: ['Read', 'Grep'],
    delegates: true,
    missing: ['Bash', 'WebFetch'],
  });
  assert.deepEqual(subagentTools(parse('tools: Read, Write\ndisallowedTools: Write\n'), have), {
    names: ['Read'],
    delegates: false,
    missing: [],
  });
  // The built-ins: backend-developer delegates, context-manager does not.
  const builtin = (name: string) => {
    const file = path.join(ROOT, 'agents', `${name}.md`);
    return parseAgentFile(file, readFileSync(file, 'utf8'), { builtin: true });
  };
  assert.equal(wantsDelegation(builtin('backend-developer')), true);
  assert.equal(wantsDelegation(builtin('context-manager')), false);
});
