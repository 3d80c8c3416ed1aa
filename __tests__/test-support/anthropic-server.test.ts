import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startAnthropic, countTokens, type AnthropicStandIn, type Turn } from '../../test-support/anthropic-server.ts';

const KEY = 'sk-ant-test-key';
const MODEL = 'claude-sonnet-5-5';
const open: AnthropicStandIn[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
});

async function start(script: Turn[], extra: { cacheMinTokens?: number; seed?: number } = {}) {
  const api = await startAnthropic({ script, apiKey: KEY, ...extra });
  open.push(api);
  return api;
}

function client(api: AnthropicStandIn, o: { maxRetries?: number; apiKey?: string; timeout?: number } = {}) {
  return new Anthropic({
    apiKey: o.apiKey ?? KEY,
    baseURL: api.url,
    maxRetries: o.maxRetries ?? 0,
    timeout: o.timeout,
  });
}

const hello = { model: MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] };

/** The stand-in's JSON answer to a raw POST: a message, or an error body. */
interface RawBody {
  type: string;
  content?: unknown[];
  error?: { type: string; message: string };
  request_id?: string;
}

/** One server-sent event's data, as the stand-in streams a message: the fields these tests read. */
interface StreamData {
  type: string;
  message?: { content: unknown[]; stop_reason: string | null; usage: Record<string, number> };
  content_block?: { input: unknown; name: string };
  delta?: { type?: string; partial_json?: string; stop_reason?: string };
  usage?: Record<string, number>;
}

async function rawPost(api: AnthropicStandIn, body: unknown, headers: Record<string, string> = { 'x-api-key': KEY }) {
  const res = await fetch(`${api.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as RawBody };
}

/** `params` is often deliberately malformed: the request the SDK sends as given, for the stand-in to refuse. */
async function rejects400(api: AnthropicStandIn, params: unknown, message: string | RegExp) {
  const err = await client(api)
    .messages.create(params as Anthropic.MessageCreateParamsNonStreaming)
    .then(
      () => assert.fail('expected a 400'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof Anthropic.BadRequestError, String(err));
  assert.equal(err.status, 400);
  assert.equal(err.type, 'invalid_request_error');
  if (typeof message === 'string') assert.equal(err.apiMessage, message);
  else assert.match(String(err.apiMessage), message);
  assert.ok(err.requestID?.startsWith('req_'));
}

describe('streaming through the real SDK', () => {
  test('a text turn arrives whole, in many deltas, with pings and the request recorded', async () => {
    const text = 'Here is a long answer ✓ with some unicode 🚀 and "quotes"\nover lines. '.repeat(20);
    const api = await start([{ content: [{ type: 'text', text }] }]);
    const stream = client(api).messages.stream(hello);
    let deltas = 0;
    stream.on('text', () => deltas++);
    const msg = await stream.finalMessage();
    assert.equal(msg.content.length, 1);
    assert.deepEqual(msg.content[0], { type: 'text', text });
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.model, MODEL);
    assert.match(msg.id, /^msg_01/);
    assert.ok(deltas > 5, `only ${deltas} text deltas`);
    assert.equal(msg.usage.output_tokens, Math.ceil(text.length / 4));
    assert.equal(api.requests.length, 1);
    const rec = api.requests[0]!;
    assert.equal(rec.stream, true);
    assert.equal(rec.status, 200);
    assert.equal(rec.path, '/v1/messages');
    assert.equal(rec.headers['authorization'], `Bearer ${KEY}`);
    assert.ok(rec.anthropicVersion, 'anthropic-version recorded');
    assert.equal(rec.body?.model, MODEL);
    assert.ok(rec.bytes > 0);
    assert.deepEqual(rec.usage?.output_tokens, msg.usage.output_tokens);
    assert.equal(api.remaining(), 0);
    api.assertNoViolations();
  });

  test('the raw SSE has the API framing: message_start…message_stop with pings and split partial_json', async () => {
    const api = await start([
      { content: [{ type: 'tool_use', name: 'Read', input: { path: 'src/a.ts', lines: [1, 2, 3] } }] },
    ]);
    const res = await fetch(`${api.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ ...hello, stream: true }),
    });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    // fetch's body yields Uint8Array chunks (the DOM-less lib types leave them untyped).
    for await (const chunk of res.body!) chunks.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    assert.ok(chunks.length > 3, `${chunks.length} chunks`);
    assert.ok(
      chunks.some((c) => !c.endsWith('\n\n')),
      'some chunk ends mid-frame',
    );
    const text = chunks.join('');
    const frames = text
      .split('\n\n')
      .filter(Boolean)
      .map((f) => {
        const [ev, data] = f.split('\n');
        return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) as StreamData };
      });
    const names = frames.map((f) => f.event).filter((n) => n !== 'ping');
    assert.equal(names[0], 'message_start');
    assert.equal(names[1], 'content_block_start');
    assert.equal(names.at(-3), 'content_block_stop');
    assert.equal(names.at(-2), 'message_delta');
    assert.equal(names.at(-1), 'message_stop');
    assert.ok(frames.some((f) => f.event === 'ping'));
    for (const f of frames) assert.equal(f.data.type, f.event);
    const started = frames[0]!.data.message!;
    assert.deepEqual(started.content, []);
    assert.equal(started.stop_reason, null);
    for (const k of ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'output_tokens']) {
      assert.equal(typeof started.usage[k], 'number', k);
    }
    const blockStart = frames.find((f) => f.event === 'content_block_start')!.data.content_block!;
    assert.deepEqual(blockStart.input, {});
    assert.equal(blockStart.name, 'Read');
    const parts = frames
      .filter((f) => f.data.delta?.type === 'input_json_delta')
      .map((f) => f.data.delta!.partial_json);
    assert.ok(parts.length > 1, 'partial_json is split');
    assert.deepEqual(JSON.parse(parts.join('')), { path: 'src/a.ts', lines: [1, 2, 3] });
    const delta = frames.find((f) => f.event === 'message_delta')!.data;
    assert.deepEqual(delta.delta, { stop_reason: 'tool_use', stop_sequence: null, stop_details: null });
    assert.equal(typeof delta.usage!.output_tokens, 'number');
    assert.equal(typeof delta.usage!.cache_read_input_tokens, 'number');
  });

  test('a tool_use input is rebuilt exactly from split partial_json, across seeds', async () => {
    const input = {
      path: 'src/ünïcode/файл.ts',
      content: 'line 1\n\tline "2" \\ back\u0000slash 🚀\n'.repeat(30),
      nested: { n: -12.5e3, ok: true, none: null, list: [1, 'two', { three: 3 }] },
    };
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const api = await start([{ content: [{ type: 'tool_use', name: 'Write', input }] }], { seed });
      const msg = await client(api).messages.stream(hello).finalMessage();
      assert.equal(msg.stop_reason, 'tool_use', `seed ${seed}`);
      const block = msg.content[0]!;
      assert.equal(block.type, 'tool_use');
      if (block.type !== 'tool_use') return;
      assert.match(block.id, /^toolu_01[0-9A-Za-z]{24}$/);
      assert.equal(block.name, 'Write');
      assert.deepEqual(block.input, input, `seed ${seed}`);
      await api.close();
    }
  });

  test('text plus two tool_use blocks in one turn, ids kept when given', async () => {
    const api = await start([
      {
        content: [
          { type: 'text', text: 'Reading both files.' },
          { type: 'tool_use', id: 'toolu_A', name: 'Read', input: { path: 'a.ts' } },
          { type: 'tool_use', name: 'Grep', input: { pattern: 'TODO', glob: '**/*.ts' } },
        ],
      },
    ]);
    const msg = await client(api).messages.stream(hello).finalMessage();
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.content.length, 3);
    assert.deepEqual(msg.content[0], { type: 'text', text: 'Reading both files.' });
    const [, a, b] = msg.content;
    assert.ok(a?.type === 'tool_use' && b?.type === 'tool_use');
    assert.equal(a.id, 'toolu_A');
    assert.deepEqual(a.input, { path: 'a.ts' });
    assert.equal(b.name, 'Grep');
    assert.deepEqual(b.input, { pattern: 'TODO', glob: '**/*.ts' });
    assert.notEqual(b.id, a.id);
  });

  test('an empty tool input arrives as {}', async () => {
    const api = await start([{ content: [{ type: 'tool_use', name: 'Noop', input: {} }] }]);
    const msg = await client(api).messages.stream(hello).finalMessage();
    assert.ok(msg.content[0]?.type === 'tool_use');
    assert.deepEqual(msg.content[0].input, {});
  });

  test('non-streaming create gets the same message as JSON; stop_reason can be scripted', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'plain' }], stop_reason: 'max_tokens' }]);
    const msg = await client(api).messages.create(hello);
    assert.deepEqual(msg.content, [{ type: 'text', text: 'plain' }]);
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(api.requests[0]!.stream, false);
    assert.equal(msg.usage.input_tokens, api.requests[0]!.usage!.input_tokens);
  });
});

describe('faults', () => {
  test('429 with retry-after: the SDK waits, retries and succeeds; both requests recorded', async () => {
    const api = await start([
      {
        fault: {
          http: 429,
          errorType: 'rate_limit_error',
          message: 'Number of request tokens has exceeded your rate limit.',
          headers: { 'retry-after': '0.02' },
        },
      },
      { content: [{ type: 'text', text: 'after the limit' }] },
    ]);
    const msg = await client(api, { maxRetries: 2 }).messages.stream(hello).finalMessage();
    assert.deepEqual(msg.content, [{ type: 'text', text: 'after the limit' }]);
    assert.equal(api.requests.length, 2);
    assert.equal(api.requests[0]!.status, 429);
    assert.equal(api.requests[0]!.fault, 'http');
    assert.equal(api.requests[1]!.status, 200);
    assert.equal(api.remaining(), 0);
    api.assertNoViolations();
  });

  test('529 overloaded three times exhausts 2 retries and surfaces as the SDK error with the message', async () => {
    const api = await start([
      {
        fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after-ms': '5' } },
        repeat: 3,
      },
    ]);
    assert.equal(api.remaining(), 3);
    const err = await client(api, { maxRetries: 2 })
      .messages.stream(hello)
      .finalMessage()
      .then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.equal(err.status, 529);
    assert.equal(err.type, 'overloaded_error');
    assert.equal(err.apiMessage, 'Overloaded');
    assert.deepEqual(err.error, {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      request_id: err.requestID,
    });
    assert.equal(api.requests.length, 3);
    assert.equal(api.remaining(), 0);
  });

  test('500 api_error then success', async () => {
    const api = await start([
      {
        fault: {
          http: 500,
          errorType: 'api_error',
          message: 'Internal server error',
          headers: { 'retry-after-ms': '1' },
        },
      },
      { content: [{ type: 'text', text: 'ok' }] },
    ]);
    const msg = await client(api, { maxRetries: 1 }).messages.create(hello);
    assert.deepEqual(msg.content, [{ type: 'text', text: 'ok' }]);
    assert.deepEqual(
      api.requests.map((r) => r.status),
      [500, 200],
    );
  });

  test('an event: error frame mid-stream throws and the SDK does not retry it', async () => {
    const api = await start([
      {
        content: [{ type: 'text', text: 'partial answer that will not finish' }],
        fault: { streamError: { type: 'overloaded_error', message: 'Overloaded' }, afterEvents: 3 },
      },
      { content: [{ type: 'text', text: 'never reached' }] },
    ]);
    const err = await client(api, { maxRetries: 2 })
      .messages.stream(hello)
      .finalMessage()
      .then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.equal(err.type, 'overloaded_error');
    assert.equal(err.apiMessage, 'Overloaded');
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0]!.fault, 'stream-error');
    assert.equal(api.remaining(), 1);
  });

  test('a stream cut in the middle of a tool_use input throws', async () => {
    const api = await start([
      {
        content: [{ type: 'tool_use', name: 'Write', input: { path: 'x.ts', content: 'x'.repeat(500) } }],
        fault: { cutAfterEvents: 'mid-tool-input' },
      },
    ]);
    const stream = client(api, { maxRetries: 2 }).messages.stream(hello);
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    await assert.rejects(stream.finalMessage(), (e: Error) => {
      assert.ok(!(e instanceof Anthropic.APIError), String(e));
      assert.match(e.message, /terminated/);
      return true;
    });
    assert.ok(types.includes('content_block_start'), types.join());
    assert.ok(!types.includes('content_block_stop'), 'cut before the block ended');
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0]!.fault, 'cut');
  });

  test('a stream destroyed after n events throws; one ended cleanly before message_stop throws too', async () => {
    const api = await start([
      { content: [{ type: 'text', text: 'abc '.repeat(50) }], fault: { cutAfterEvents: 2 } },
      { content: [{ type: 'text', text: 'abc '.repeat(50) }], fault: { cutAfterEvents: 3, graceful: true } },
    ]);
    await assert.rejects(client(api).messages.stream(hello).finalMessage(), (e: Error) => {
      assert.match(e.message, /terminated/, 'a transport error, not the SDK end-of-stream check');
      return true;
    });
    await assert.rejects(
      client(api).messages.stream(hello).finalMessage(),
      /stream ended without producing a Message with role=assistant/,
    );
    assert.equal(api.remaining(), 0);
  });

  test('reset: the socket dies before a response, the SDK retries on the next turn', async () => {
    const api = await start([{ fault: { reset: true } }, { content: [{ type: 'text', text: 'second try' }] }]);
    const msg = await client(api, { maxRetries: 1 }).messages.create(hello);
    assert.deepEqual(msg.content, [{ type: 'text', text: 'second try' }]);
    assert.equal(api.requests.length, 2);
    assert.equal(api.requests[0]!.fault, 'reset');
  });

  test('hang: never answers; the client times out and close() still returns promptly', async () => {
    const api = await startAnthropic({ script: [{ fault: { hang: true } }], apiKey: KEY });
    const err = await client(api, { timeout: 300 })
      .messages.stream(hello)
      .finalMessage()
      .then(
        () => assert.fail('expected a timeout'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.APIConnectionTimeoutError, String(err));
    const t0 = Date.now();
    await api.close();
    assert.ok(Date.now() - t0 < 1000);
  });

  test('hang with a client still waiting: close() destroys the socket', async () => {
    const api = await startAnthropic({ script: [{ fault: { hang: true } }], apiKey: KEY });
    const pending = client(api, { timeout: 60_000 })
      .messages.create(hello)
      .then(
        () => 'answered',
        () => 'failed',
      );
    while (api.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await api.close();
    assert.equal(await pending, 'failed');
  });
});

describe('rejects what the real API rejects', () => {
  test('a fifth cache_control block is a 400 with the API message, counted across tools, system and messages', async () => {
    const api = await start([]);
    const cc = { type: 'ephemeral' as const };
    await rejects400(
      api,
      {
        model: MODEL,
        max_tokens: 100,
        tools: [
          { name: 'a', input_schema: { type: 'object' }, cache_control: cc },
          { name: 'b', input_schema: { type: 'object' }, cache_control: cc },
        ],
        system: [{ type: 'text', text: 'sys', cache_control: cc }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'one', cache_control: cc }] },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [{ type: 'text', text: 'two', cache_control: cc }] },
        ],
      },
      'A maximum of 4 blocks with cache_control may be provided. Found 5.',
    );
    assert.equal(api.violations.length, 1);
    assert.match(api.violations[0]!, /400 invalid_request_error: A maximum of 4/);
    assert.throws(() => api.assertNoViolations(), /A maximum of 4/);
  });

  test('four cache_control blocks are fine', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'ok' }] }]);
    const cc = { type: 'ephemeral' as const };
    await client(api).messages.create({
      model: MODEL,
      max_tokens: 100,
      tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: cc }],
      system: [{ type: 'text', text: 'sys', cache_control: cc }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'one', cache_control: cc }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'two', cache_control: cc }] },
      ],
    });
    api.assertNoViolations();
  });

  test('a tool_result whose tool_use is not in the previous assistant message is a 400', async () => {
    const api = await start([]);
    await rejects400(
      api,
      {
        ...hello,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: 'orphan' },
            ],
          },
        ],
      },
      /^messages\.2\.content\.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2\. Each `tool_result` block must have a corresponding `tool_use` block in the previous message\.$/,
    );
    await rejects400(
      api,
      {
        ...hello,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] }],
      },
      /unexpected `tool_use_id`.*toolu_9/,
    );
  });

  test('a tool_use left unanswered (or answered after text) is a 400', async () => {
    const api = await start([]);
    const asked = {
      role: 'assistant' as const,
      content: [
        { type: 'tool_use' as const, id: 'toolu_1', name: 'Read', input: {} },
        { type: 'tool_use' as const, id: 'toolu_2', name: 'Read', input: {} },
      ],
    };
    await rejects400(
      api,
      {
        ...hello,
        messages: [
          { role: 'user', content: 'go' },
          asked,
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a' }] },
        ],
      },
      /^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_2\./,
    );
    await rejects400(
      api,
      {
        ...hello,
        messages: [
          { role: 'user', content: 'go' },
          asked,
          {
            role: 'user',
            content: [
              { type: 'text', text: 'first some text' },
              { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: 'b' },
            ],
          },
        ],
      },
      /without `tool_result` blocks immediately after: toolu_1, toolu_2/,
    );
  });

  test('a correct tool round trip is accepted', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'done' }] }]);
    await client(api).messages.create({
      ...hello,
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'reading' },
            { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { p: 1 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'file', is_error: false },
            { type: 'text', text: 'and then?' },
          ],
        },
      ],
    });
    api.assertNoViolations();
  });

  test('empty content is a 400', async () => {
    const api = await start([]);
    await rejects400(
      api,
      { ...hello, messages: [{ role: 'user', content: [] }] },
      /^messages\.0: all messages must have non-empty content/,
    );
    await rejects400(
      api,
      { ...hello, messages: [{ role: 'user', content: '' }] },
      /^messages\.0: all messages must have non-empty content/,
    );
    await rejects400(
      api,
      { ...hello, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
      'messages: text content blocks must be non-empty',
    );
    await rejects400(
      api,
      {
        ...hello,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [] },
          { role: 'user', content: 'again' },
        ],
      },
      /^messages\.1: all messages must have non-empty content/,
    );
    assert.equal(api.violations.length, 4);
  });

  test('an unknown key on a content block is a 400 (Extra inputs are not permitted)', async () => {
    const api = await start([]);
    await rejects400(
      api,
      { ...hello, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', parsed_output: null }] }] },
      'messages.0.content.0.text.parsed_output: Extra inputs are not permitted',
    );
  });

  test('missing model, max_tokens or messages and an assistant first message are 400s', async () => {
    const api = await start([]);
    const cases: Array<[unknown, string]> = [
      [{ max_tokens: 10, messages: hello.messages }, 'model: Field required'],
      [{ model: MODEL, messages: hello.messages }, 'max_tokens: Field required'],
      [{ model: MODEL, max_tokens: 10 }, 'messages: Field required'],
      [
        { model: MODEL, max_tokens: 10, messages: [{ role: 'assistant', content: 'hi' }] },
        'messages: first message must use the "user" role',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await rawPost(api, body);
      assert.equal(res.status, 400);
      assert.equal(res.body.type, 'error');
      assert.deepEqual(res.body.error, { type: 'invalid_request_error', message });
      assert.equal(res.body.request_id, res.headers.get('request-id'));
    }
  });
});

describe('auth', () => {
  test('Bearer (the SDK) and x-api-key are both accepted; a wrong or missing key is a 401', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }]);
    const viaSdk = await client(api).messages.create(hello);
    assert.deepEqual(viaSdk.content, [{ type: 'text', text: 'a' }]);
    const viaHeader = await rawPost(api, hello, { 'x-api-key': KEY });
    assert.equal(viaHeader.status, 200);
    assert.deepEqual(viaHeader.body.content, [{ type: 'text', text: 'b' }]);
    assert.equal(api.requests[1]!.headers['x-api-key'], KEY);

    const err = await client(api, { apiKey: 'sk-wrong' })
      .messages.create(hello)
      .then(
        () => assert.fail('expected 401'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
    assert.equal(err.type, 'authentication_error');
    const missing = await rawPost(api, hello, {});
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error?.type, 'authentication_error');
    assert.equal(api.remaining(), 0);
    assert.equal(api.violations.length, 2);
  });
});

describe('prompt caching emulation', () => {
  const bigSchema = (n: number) => ({
    type: 'object' as const,
    properties: Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `field_${n}_${i}`,
        { type: 'string', description: `A field number ${i} of tool ${n}, described at some length.` },
      ]),
    ),
  });
  const tools = [
    { name: 'Read', description: 'Read a file', input_schema: bigSchema(1) },
    { name: 'Write', description: 'Write a file', input_schema: bigSchema(2) },
    {
      name: 'Bash',
      description: 'Run a command',
      input_schema: bigSchema(3),
      cache_control: { type: 'ephemeral' as const },
    },
  ];
  const systemText = 'You are a backend developer. '.repeat(80);
  const system = [{ type: 'text' as const, text: systemText, cache_control: { type: 'ephemeral' as const } }];
  const task = 'Add an endpoint that lists orders. '.repeat(40);
  const fileBody = 'export const x = 1;\n'.repeat(200);

  // The test's own count of the blocks, in cache order, without cache_control.
  const strip = <T extends { cache_control?: unknown }>({ cache_control: _c, ...rest }: T) => rest;
  const toolTokens = tools.reduce((n, t) => n + countTokens(strip(t)), 0);
  const systemTokens = countTokens({ type: 'text', text: systemText });
  const taskTokens = countTokens({ type: 'text', text: task });
  const toolUse = { type: 'tool_use' as const, id: 'toolu_1', name: 'Read', input: { path: 'src/a.ts' } };
  const toolResult = { type: 'tool_result' as const, tool_use_id: 'toolu_1', content: fileBody };

  test("a second request extending the first reads the first one's prefix from cache", async () => {
    const api = await start([
      { content: [toolUse] },
      { content: [{ type: 'text', text: 'done' }] },
      { content: [{ type: 'text', text: 'done again' }] },
    ]);
    const c = client(api);
    const first = await c.messages
      .stream({
        model: MODEL,
        max_tokens: 1000,
        tools,
        system,
        messages: [{ role: 'user', content: [{ type: 'text', text: task, cache_control: { type: 'ephemeral' } }] }],
      })
      .finalMessage();
    const total1 = toolTokens + systemTokens + taskTokens;
    assert.ok(total1 > 1024, `prompt of ${total1} tokens is above the minimum`);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(first.usage.cache_creation_input_tokens, total1);
    assert.equal(first.usage.input_tokens, 0);

    // The loop's pattern: the message breakpoint moves to the newest block.
    const messages2 = [
      { role: 'user' as const, content: [{ type: 'text' as const, text: task }] },
      { role: 'assistant' as const, content: [toolUse] },
      { role: 'user' as const, content: [{ ...toolResult, cache_control: { type: 'ephemeral' as const } }] },
    ];
    const second = await c.messages
      .stream({ model: MODEL, max_tokens: 1000, tools, system, messages: messages2 })
      .finalMessage();
    const added = countTokens(toolUse) + countTokens(toolResult);
    assert.equal(second.usage.cache_read_input_tokens, total1);
    assert.equal(second.usage.cache_creation_input_tokens, added);
    assert.equal(second.usage.input_tokens, 0);
    const all = total1 + added;
    assert.ok(second.usage.cache_read_input_tokens / all > 0.5, 'most of the input is read from cache');
    assert.deepEqual(api.requests[1]!.usage?.cache_read_input_tokens, total1);

    // A changed system prompt keeps only the tools prefix (the tools breakpoint) and rewrites the rest.
    const third = await c.messages
      .create({
        model: MODEL,
        max_tokens: 1000,
        tools,
        system: [{ ...system[0]!, text: 'Different. ' + systemText }],
        messages: messages2,
      })
      .then((m) => m.usage);
    assert.equal(third.cache_read_input_tokens, toolTokens);
    assert.ok(third.cache_creation_input_tokens! > 0);
    assert.equal(third.input_tokens, 0);
    assert.equal(api.remaining(), 0);
    api.assertNoViolations();
  });

  test('without a breakpoint on the new block nothing new is written, and the read is found by lookback', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }]);
    const c = client(api);
    await c.messages.create({
      model: MODEL,
      max_tokens: 10,
      tools,
      system,
      messages: [{ role: 'user', content: task }],
    });
    // Second request: the breakpoint sits 2 blocks after the written system prefix → lookback finds it.
    const u = (
      await c.messages.create({
        model: MODEL,
        max_tokens: 10,
        tools: tools.map(strip),
        system: [{ type: 'text', text: systemText }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: task },
              { type: 'text', text: 'more', cache_control: { type: 'ephemeral' } },
            ],
          },
        ],
      })
    ).usage;
    assert.equal(u.cache_read_input_tokens, toolTokens + systemTokens);
    assert.equal(u.cache_creation_input_tokens, taskTokens + countTokens({ type: 'text', text: 'more' }));
    assert.equal(u.input_tokens, 0);
  });

  test('a breakpoint more than 20 blocks past the written prefix misses it', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }]);
    const c = client(api);
    const first = await c.messages.create({
      model: MODEL,
      max_tokens: 10,
      tools,
      system,
      messages: [{ role: 'user', content: task }],
    });
    assert.ok(first.usage.cache_creation_input_tokens! > 0);
    const many = Array.from({ length: 25 }, (_, i) => ({ type: 'text' as const, text: `note ${i}` }));
    const u = (
      await c.messages.create({
        model: MODEL,
        max_tokens: 10,
        tools: tools.map(strip),
        system: [{ type: 'text', text: systemText }],
        messages: [
          { role: 'user', content: [...many.slice(0, -1), { ...many.at(-1)!, cache_control: { type: 'ephemeral' } }] },
        ],
      })
    ).usage;
    assert.equal(u.cache_read_input_tokens, 0);
    assert.ok(u.cache_creation_input_tokens! > toolTokens + systemTokens);
  });

  test('below the minimum length nothing is cached: both counters 0', async () => {
    const api = await start([{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }]);
    const c = client(api);
    const params = {
      model: MODEL,
      max_tokens: 10,
      system: [{ type: 'text' as const, text: 'short system', cache_control: { type: 'ephemeral' as const } }],
      messages: [
        {
          role: 'user' as const,
          content: [{ type: 'text' as const, text: 'short', cache_control: { type: 'ephemeral' as const } }],
        },
      ],
    };
    for (let i = 0; i < 2; i++) {
      const u = (await c.messages.stream(params).finalMessage()).usage;
      assert.equal(u.cache_creation_input_tokens, 0);
      assert.equal(u.cache_read_input_tokens, 0);
      assert.equal(
        u.input_tokens,
        countTokens({ type: 'text', text: 'short system' }) + countTokens({ type: 'text', text: 'short' }),
      );
    }
  });

  test('cacheMinTokens is configurable', async () => {
    const api = await startAnthropic({
      script: [{ content: [{ type: 'text', text: 'a' }] }],
      apiKey: KEY,
      cacheMinTokens: 1,
    });
    open.push(api);
    const u = (
      await client(api).messages.create({
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'short', cache_control: { type: 'ephemeral' } }] }],
      })
    ).usage;
    assert.equal(u.cache_creation_input_tokens, countTokens({ type: 'text', text: 'short' }));
  });
});

describe('script bookkeeping', () => {
  test('expect failures and unscripted requests become violations; remaining() and push() track the script', async () => {
    const api = await start([
      {
        content: [{ type: 'text', text: 'one' }],
        expect: (req) => assert.equal(req.messages.length, 3, 'wanted the whole conversation'),
      },
    ]);
    assert.equal(api.remaining(), 1);
    await client(api).messages.create(hello);
    assert.equal(api.remaining(), 0);
    assert.equal(api.violations.length, 1);
    assert.match(api.violations[0]!, /turn #0 expect failed: wanted the whole conversation/);

    const err = await client(api, { maxRetries: 2 })
      .messages.create(hello)
      .then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.InternalServerError);
    assert.equal(api.requests.length, 2, 'not retried');
    assert.match(api.violations[1]!, /unscripted request/);

    api.push({ content: [{ type: 'text', text: 'pushed' }] });
    assert.equal(api.remaining(), 1);
    const msg = await client(api).messages.create(hello);
    assert.deepEqual(msg.content, [{ type: 'text', text: 'pushed' }]);
    assert.equal(api.requests[2]!.turn, 1);
  });

  test('a function script answers from the request', async () => {
    const api = await startAnthropic({
      apiKey: KEY,
      script: (req, index) => ({ content: [{ type: 'text', text: `#${index}: ${req.messages.length} messages` }] }),
    });
    open.push(api);
    const a = await client(api).messages.stream(hello).finalMessage();
    const b = await client(api).messages.create({
      ...hello,
      messages: [...hello.messages, { role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }],
    });
    assert.deepEqual(a.content, [{ type: 'text', text: '#0: 1 messages' }]);
    assert.deepEqual(b.content, [{ type: 'text', text: '#1: 3 messages' }]);
    assert.equal(api.remaining(), 0);
  });

  test('a scripted usage override is answered as given', async () => {
    const api = await start([
      { content: [{ type: 'text', text: 'x' }], usage: { input_tokens: 1_000_000, output_tokens: 50_000 } },
    ]);
    const u = (await client(api).messages.stream(hello).finalMessage()).usage;
    assert.equal(u.input_tokens, 1_000_000);
    assert.equal(u.output_tokens, 50_000);
  });
});
