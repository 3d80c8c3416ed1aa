// WebSearch against the Anthropic stand-in answering the server-side web search tool the way the API does
// (server_tool_use and web_search_tool_result blocks, usage.server_tool_use): results come back to the agent, the
// request is restricted to allowed-domains, and its tokens and searches count in the run's cost.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { costUsd, resolveModel, WEB_SEARCH_USD } from '../../src/model/models.ts';
import { webSearchBackend, webUse } from '../../src/pipeline/web.ts';
import { runAgentLoop } from '../../src/session/loop.ts';
import { createToolbox, type Toolbox, type WebSearchBackend } from '../../src/tools/index.ts';
import {
  startAnthropic,
  type AnthropicStandIn,
  type MessagesRequest,
  type Turn,
} from '../../test-support/anthropic-server.ts';
import { tempDir } from './helpers.ts';

const KEY = 'sk-ant-test-websearch';
const T = { timeout: 60_000 };
const model = resolveModel('sonnet', 'sonnet');
const servers: AnthropicStandIn[] = [];
const boxes: Toolbox[] = [];
after(async () => {
  await Promise.all([...servers.map((s) => s.close()), ...boxes.map((b) => b.close())]);
});

async function setup(script: Turn[], allowedDomains: string[], provider: 'anthropic' | 'bedrock' = 'anthropic') {
  const server = await startAnthropic({ script, apiKey: KEY });
  servers.push(server);
  const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  const backend: WebSearchBackend = webSearchBackend(provider, model, Promise.resolve(client));
  const tb = await createToolbox({
    workspace: tempDir('websearch-'),
    tools: ['WebSearch'],
    sandbox: 'off',
    allowedDomains,
    webSearch: backend,
  });
  boxes.push(tb);
  return { server, tb, client };
}

const PY_RESULTS = [
  { title: 'json — JSON encoder and decoder', url: 'https://docs.python.org/3/library/json.html' },
  { title: 'Stack Overflow: parse JSON', url: 'https://stackoverflow.com/q/1' },
  { title: 'PyPI: simplejson', url: 'https://pypi.org/project/simplejson/' },
];

const searchTurn = (expect?: Turn['expect']): Turn => ({
  content: [
    { type: 'web_search', query: 'python json module', results: PY_RESULTS },
    { type: 'text', text: 'The json module encodes and decodes JSON.' },
    { type: 'web_search', query: 'python json loads', results: PY_RESULTS.slice(0, 1) },
    { type: 'text', text: 'Use json.loads for strings.' },
  ],
  ...(expect ? { expect } : {}),
});

const toolOf = (req: MessagesRequest) => req.tools?.[0] as Record<string, unknown>;

describe('WebSearch', () => {
  it('is offered read-only with Claude Code’s schema', T, async () => {
    const { tb } = await setup([], ['*']);
    const def = tb.definitions.find((d) => d.name === 'WebSearch');
    assert.deepEqual(def?.input_schema, {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'The search query to use' },
        allowed_domains: {
          type: 'array',
          items: { type: 'string' },
          description: 'Only include search results from these domains',
        },
        blocked_domains: {
          type: 'array',
          items: { type: 'string' },
          description: 'Never include search results from these domains',
        },
      },
      required: ['query'],
      additionalProperties: false,
    });
    assert.equal(tb.isReadOnly('WebSearch'), true);
  });

  it('sends the server tool restricted to allowed-domains and returns titles, URLs and text', T, async () => {
    const { server, tb } = await setup(
      [
        searchTurn((req) => {
          assert.deepEqual(toolOf(req), {
            type: 'web_search_20250305',
            name: 'web_search',
            max_uses: 8,
            allowed_domains: ['docs.python.org', 'pypi.org'],
          });
          assert.deepEqual(req.tool_choice, { type: 'tool', name: 'web_search' });
          assert.deepEqual(req.messages, [
            { role: 'user', content: 'Perform a web search for the query: python json' },
          ]);
          assert.equal(req.model, model.id);
        }),
      ],
      ['docs.python.org', 'pypi.org'],
    );
    const r = await tb.run('WebSearch', { query: 'python json' });
    server.assertNoViolations();
    assert.equal(r.isError, false, r.content);
    assert.equal(
      r.content,
      [
        'Web search results for query: "python json"',
        '(results limited to: docs.python.org, pypi.org)',
        `Links: ${JSON.stringify([
          { title: 'json — JSON encoder and decoder', url: 'https://docs.python.org/3/library/json.html' },
          { title: 'PyPI: simplejson', url: 'https://pypi.org/project/simplejson/' },
        ])}`,
        'The json module encodes and decodes JSON.',
        `Links: ${JSON.stringify([PY_RESULTS[0]])}`,
        'Use json.loads for strings.',
      ].join('\n\n'),
    );
    // Priced like a turn, plus $10 per 1000 searches.
    const usage = server.requests[0]!.usage!;
    assert.deepEqual(usage.server_tool_use, { web_search_requests: 2, web_fetch_requests: 0 });
    assert.ok(r.spent);
    assert.equal(r.spent.webSearches, 2);
    assert.equal(r.spent.usage.input_tokens, usage.input_tokens);
    assert.equal(r.spent.usage.output_tokens, usage.output_tokens);
    const tokens = costUsd(model, { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens });
    assert.ok(Math.abs(r.spent.costUsd - (tokens + 2 * WEB_SEARCH_USD)) < 1e-12, `${r.spent.costUsd}`);
  });

  it('intersects the call’s allowed_domains with the run’s, and takes blocked_domains out of them', T, async () => {
    const { server, tb } = await setup(
      [
        searchTurn((req) => assert.deepEqual(toolOf(req).allowed_domains, ['docs.python.org'])),
        searchTurn((req) => assert.deepEqual(toolOf(req).allowed_domains, ['pypi.org'])),
      ],
      ['*.python.org', 'pypi.org'],
    );
    const r = await tb.run('WebSearch', { query: 'python json', allowed_domains: ['docs.python.org', 'example.com'] });
    assert.equal(r.isError, false, r.content);
    assert.match(r.content, /\(results limited to: docs\.python\.org\)/);
    assert.ok(!r.content.includes('pypi.org'), 'the stand-in filtered like the API');
    const b = await tb.run('WebSearch', { query: 'python json', blocked_domains: ['python.org'] });
    assert.equal(b.isError, false, b.content);
    server.assertNoViolations();
    assert.equal(server.remaining(), 0);
  });

  it('passes blocked_domains through when the run allows any domain', T, async () => {
    const { server, tb } = await setup(
      [
        searchTurn((req) => {
          assert.deepEqual(toolOf(req).blocked_domains, ['stackoverflow.com']);
          assert.equal(toolOf(req).allowed_domains, undefined);
        }),
      ],
      ['*'],
    );
    const r = await tb.run('WebSearch', { query: 'python json', blocked_domains: ['stackoverflow.com'] });
    server.assertNoViolations();
    assert.ok(!r.content.includes('stackoverflow.com'), r.content);
    assert.match(r.content, /pypi\.org/);
  });

  it('refuses before any request when nothing is left to search, or the input is wrong', T, async () => {
    const { server, tb } = await setup([], ['pypi.org']);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { query: 'x y', allowed_domains: ['example.com'] },
        /none of allowed_domains \(example\.com\) is within the run's allowed-domains \(pypi\.org\)/,
      ],
      [
        { query: 'x y', blocked_domains: ['pypi.org'] },
        /every domain of the run's allowed-domains is in blocked_domains/,
      ],
      [
        { query: 'x y', allowed_domains: ['a.org'], blocked_domains: ['b.org'] },
        /give allowed_domains or blocked_domains, not both/,
      ],
      [{ query: 'x' }, /the query must be at least 2 characters/],
      [{ query: 'xy', allowed_domains: 'pypi.org' }, /'allowed_domains' must be an array/],
    ];
    for (const [input, why] of cases) {
      const r = await tb.run('WebSearch', input);
      assert.equal(r.isError, true, JSON.stringify(input));
      assert.match(r.content, why);
    }
    assert.equal(server.requests.length, 0);
    const none = await createToolbox({
      workspace: tempDir('websearch-'),
      tools: ['WebSearch'],
      allowedDomains: ['none'],
      webSearch: { ask: () => Promise.reject(new Error('must not be called')) },
    });
    boxes.push(none);
    const off = await none.run('WebSearch', { query: 'python json' });
    assert.equal(off.content, 'WebSearch: the network is off for this run (allowed-domains: none).');
  });

  it('says so when the provider has no web search, without a request', T, async () => {
    const { server, tb } = await setup([], ['*'], 'bedrock');
    const r = await tb.run('WebSearch', { query: 'python json' });
    assert.equal(r.isError, true);
    assert.equal(
      r.content,
      'WebSearch: web search is not available here: Amazon Bedrock does not offer the server-side web search tool.',
    );
    assert.equal(server.requests.length, 0);
    const bare = await createToolbox({ workspace: tempDir('websearch-'), tools: ['WebSearch'] });
    boxes.push(bare);
    assert.match((await bare.run('WebSearch', { query: 'python json' })).content, /not available in this run/);
  });

  it('says so when the API refuses the tool, and reports search errors', T, async () => {
    const { server, tb } = await setup(
      [
        {
          fault: {
            http: 400,
            errorType: 'invalid_request_error',
            message: "tools.0: 'web_search_20250305' is not supported on this model",
          },
        },
        { content: [{ type: 'web_search', query: 'q', error: 'too_many_requests' }] },
      ],
      ['*'],
    );
    const refused = await tb.run('WebSearch', { query: 'python json' });
    assert.equal(refused.isError, true);
    assert.match(
      refused.content,
      /^WebSearch: web search is not available with this provider or model: the API answered "400 .*not supported on this model/,
    );
    const errored = await tb.run('WebSearch', { query: 'python json' });
    assert.equal(errored.isError, false);
    assert.match(errored.content, /Web search error: too_many_requests/);
    assert.equal(errored.spent?.webSearches, 0);
    assert.equal(server.remaining(), 0);
  });

  it('resumes a paused server turn and sums what both requests used', T, async () => {
    const { server, tb } = await setup(
      [
        { content: [{ type: 'web_search', query: 'q1', results: PY_RESULTS.slice(0, 1) }], stop_reason: 'pause_turn' },
        {
          content: [{ type: 'text', text: 'Done.' }],
          expect: (req) => {
            assert.equal(req.messages.length, 2);
            const blocks = req.messages[1]!.content as Array<{ type: string }>;
            assert.deepEqual(
              blocks.map((b) => b.type),
              ['server_tool_use', 'web_search_tool_result'],
            );
          },
        },
      ],
      ['*'],
    );
    const r = await tb.run('WebSearch', { query: 'python json' });
    server.assertNoViolations();
    assert.match(r.content, /Links: .*docs\.python\.org[\s\S]*Done\.$/);
    const [u1, u2] = server.requests.map((q) => q.usage!);
    assert.equal(r.spent?.usage.input_tokens, u1!.input_tokens + u2!.input_tokens);
    assert.equal(r.spent?.webSearches, 1);
  });

  it('counts its tokens and searches in the run’s usage and cost, and in the footer', T, async () => {
    const server = await startAnthropic({
      apiKey: KEY,
      script: [
        { content: [{ type: 'tool_use', name: 'WebSearch', input: { query: 'python json' } }] },
        searchTurn(),
        { content: [{ type: 'text', text: 'STATUS: COMPLETE\nSUMMARY: searched\nFILES: none' }] },
      ],
    });
    servers.push(server);
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const tb = await createToolbox({
      workspace: tempDir('websearch-'),
      tools: ['WebSearch'],
      allowedDomains: ['*'],
      webSearch: webSearchBackend('anthropic', model, Promise.resolve(client)),
    });
    boxes.push(tb);
    const web = webUse();
    const result = await runAgentLoop({
      client,
      model,
      price: (u) => costUsd(model, u),
      system: 'You are a test agent.',
      task: 'Search.',
      toolbox: tb,
      maxTurns: 5,
      maxCostUsd: 5,
      timeoutMs: 30_000,
      onEvent: (e) => {
        if (e.type === 'tool') web.record(e);
      },
    });
    server.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE');
    assert.equal(result.turns, 2, 'the search request is not a turn');
    const usages = server.requests.map((q) => q.usage!);
    assert.equal(
      result.usage.input_tokens,
      usages.reduce((n, u) => n + u.input_tokens, 0),
    );
    assert.equal(
      result.usage.output_tokens,
      usages.reduce((n, u) => n + u.output_tokens, 0),
    );
    const expected = usages.reduce((n, u) => n + costUsd(model, u), 0);
    assert.ok(Math.abs(result.costUsd - expected) < 1e-12, `${result.costUsd} vs ${expected}`);
    assert.ok(result.costUsd > 2 * WEB_SEARCH_USD);
    assert.deepEqual(web.lines(), ['web: 1 search (2 web searches billed)']);
  });
});

describe('web footer', () => {
  it('counts fetches by host and searches, and says nothing when the web tools were not used', () => {
    const web = webUse();
    assert.deepEqual(web.lines(), []);
    const okResult = { content: 'x', isError: false };
    web.record({ name: 'Read', input: { file_path: 'a' }, result: okResult });
    assert.deepEqual(web.lines(), []);
    web.record({ name: 'WebFetch', input: { url: 'https://docs.python.org/3/' }, result: okResult });
    web.record({ name: 'WebFetch', input: { url: 'https://docs.python.org/3/library/' }, result: okResult });
    web.record({
      name: 'WebFetch',
      input: { url: 'https://evil.example/' },
      result: { content: 'refused', isError: true },
    });
    const spent = {
      usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      costUsd: 0.01,
      webSearches: 1,
    };
    web.record({ name: 'WebSearch', input: { query: 'q' }, result: { ...okResult, spent } });
    assert.deepEqual(web.lines(), ['web: 3 fetches (docs.python.org; 1 failed or refused), 1 search']);
  });
});
