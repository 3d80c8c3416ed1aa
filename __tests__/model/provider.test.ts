import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { OAuth2Client } from 'google-auth-library';
import { runAgentLoop } from '../../src/session/loop.ts';
import { resolveModel, costUsd } from '../../src/model/models.ts';
import {
  createModelClient,
  providerModelId,
  providerSecrets,
  checkProviderSettings,
  type Env,
  type ModelClient,
} from '../../src/model/provider.ts';
import { UserError } from '../../src/errors.ts';
import type { Toolbox, ToolResult } from '../../src/tools/index.ts';
import {
  startAnthropic,
  type AnthropicStandIn,
  type StartOptions,
  type Turn,
} from '../../test-support/anthropic-server.ts';

const DONE = 'Done.\nSTATUS: COMPLETE\nSUMMARY: read it\nFILES: none';
const AWS = {
  AWS_REGION: 'eu-west-3',
  AWS_ACCESS_KEY_ID: 'ASIATESTKEY000000001',
  AWS_SECRET_ACCESS_KEY: 'test/secret+key',
  AWS_SESSION_TOKEN: 'session-token-1',
};
const open: Array<{ close(): unknown }> = [];
after(() => Promise.all(open.map((s) => s.close())));

async function standIn(script: Turn[], extra: Partial<StartOptions> = {}): Promise<AnthropicStandIn> {
  const api = await startAnthropic({ script, ...extra });
  open.push(api);
  return api;
}

function toolbox(): Toolbox & { calls: Array<{ name: string; input: unknown }> } {
  const calls: Array<{ name: string; input: unknown }> = [];
  return {
    calls,
    definitions: [
      {
        name: 'Read',
        description: 'Read a file',
        input_schema: { type: 'object', properties: { path: { type: 'string' } } },
      },
    ],
    sandboxInfo: 'test',
    isReadOnly: () => true,
    run(name: string, input: unknown): Promise<ToolResult> {
      calls.push({ name, input });
      return Promise.resolve({ content: `contents of ${(input as { path: string }).path}`, isError: false });
    },
    async close() {},
  } as unknown as Toolbox & { calls: Array<{ name: string; input: unknown }> };
}

/** A Read tool_use, then a STATUS that asserts the tool_result came back in the request. */
function toolRoundTrip(): Turn[] {
  return [
    {
      content: [
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 'toolu_01Read', name: 'Read', input: { path: 'src/a.ts' } },
      ],
    },
    {
      content: [{ type: 'text', text: DONE }],
      expect: (req) => {
        const last = req.messages.at(-1)!.content as Array<Record<string, unknown>>;
        assert.equal(last[0]!.type, 'tool_result');
        assert.equal(last[0]!.tool_use_id, 'toolu_01Read');
        assert.equal(last[0]!.content, 'contents of src/a.ts');
      },
    },
  ];
}

async function runLoop(client: ModelClient, spec = 'sonnet') {
  const model = resolveModel(spec, 'sonnet');
  const tb = toolbox();
  const result = await runAgentLoop({
    client,
    model,
    price: (u) => costUsd(model, u),
    system: 'You are a test agent.',
    task: 'Read src/a.ts.',
    toolbox: tb,
    maxTurns: 5,
    maxCostUsd: 5,
    timeoutMs: 30_000,
  });
  return { result, tb };
}

async function rejectsUser(p: Promise<unknown> | (() => unknown), pattern: RegExp) {
  const run = typeof p === 'function' ? Promise.resolve().then(p) : p;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Sets process.env entries for the duration of fn (the AWS chain and Google ADC read process.env by design). */
async function withProcessEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('providerModelId', () => {
  test("the aliases map to each provider's ids; anthropic keeps them", () => {
    const ids = ['opus', 'sonnet', 'haiku'].map((a) => resolveModel(a, 'sonnet').id);
    assert.deepEqual(ids, ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5']);
    assert.deepEqual(
      ids.map((id) => providerModelId('bedrock', id)),
      ['global.anthropic.claude-opus-5-5', 'global.anthropic.claude-sonnet-5-5', 'global.anthropic.claude-haiku-5-5'],
    );
    assert.deepEqual(
      ids.map((id) => providerModelId('vertex', id)),
      ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5'],
    );
    assert.deepEqual(
      ids.map((id) => providerModelId('anthropic', id)),
      ids,
    );
  });

  test("dated ids follow the providers' patterns; ids already in the provider's spelling pass through", () => {
    assert.equal(providerModelId('bedrock', 'claude-sonnet-4-5'), 'global.anthropic.claude-sonnet-4-5-20250929-v1:0');
    assert.equal(providerModelId('vertex', 'claude-sonnet-4-5'), 'claude-sonnet-4-5@20250929');
    assert.equal(
      providerModelId('bedrock', 'claude-opus-4-1-20250805'),
      'global.anthropic.claude-opus-4-1-20250805-v1:0',
    );
    assert.equal(providerModelId('vertex', 'claude-opus-4-1-20250805'), 'claude-opus-4-1@20250805');
    assert.equal(providerModelId('bedrock', 'claude-mythos-5'), 'global.anthropic.claude-mythos-5');
    assert.equal(providerModelId('vertex', 'claude-mythos-5'), 'claude-mythos-5');
    for (const id of [
      'us.anthropic.claude-sonnet-5-5',
      'anthropic.claude-haiku-5-5',
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc',
    ]) {
      assert.equal(providerModelId('bedrock', id), id);
    }
    assert.equal(providerModelId('vertex', 'claude-haiku-4-5@20251001'), 'claude-haiku-4-5@20251001');
  });
});

describe('bedrock through the stand-in', () => {
  test("the loop's requests are SigV4-signed (verified), on the mapped model's path, version in the body; a tool_use round-trips", async () => {
    const api = await standIn(toolRoundTrip(), {
      bedrock: {
        region: AWS.AWS_REGION,
        accessKeyId: AWS.AWS_ACCESS_KEY_ID,
        secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY,
        sessionToken: AWS.AWS_SESSION_TOKEN,
      },
    });
    const client = await createModelClient({
      provider: 'bedrock',
      apiKey: '',
      baseUrl: '',
      env: { ...AWS, ANTHROPIC_BEDROCK_BASE_URL: api.bedrockUrl },
    });
    const { result, tb } = await runLoop(client);
    api.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE');
    assert.equal(result.turns, 2);
    assert.deepEqual(tb.calls, [{ name: 'Read', input: { path: 'src/a.ts' } }]);
    assert.equal(api.requests.length, 2);
    for (const rec of api.requests) {
      assert.equal(rec.provider, 'bedrock');
      assert.equal(rec.path, '/model/global.anthropic.claude-sonnet-5-5/invoke-with-response-stream');
      assert.equal(rec.model, 'global.anthropic.claude-sonnet-5-5');
      assert.equal(rec.stream, true);
      assert.match(
        rec.headers['authorization']!,
        /^AWS4-HMAC-SHA256 Credential=ASIATESTKEY000000001\/\d{8}\/eu-west-3\/bedrock\/aws4_request, ?SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, ?Signature=[0-9a-f]{64}$/,
      );
      assert.equal(rec.headers['x-amz-security-token'], AWS.AWS_SESSION_TOKEN);
      assert.equal(rec.headers['anthropic-version'], undefined, 'the version moves into the body');
      assert.equal(rec.headers['x-api-key'], undefined);
      assert.ok(rec.body);
      assert.equal(typeof rec.body.anthropic_version, 'string');
      assert.equal(rec.anthropicVersion, rec.body.anthropic_version);
      assert.ok(!Object.hasOwn(rec.body, 'model'), 'no model in the body');
      assert.ok(!Object.hasOwn(rec.body, 'stream'), 'no stream flag in the body');
      assert.equal(rec.status, 200);
    }
  });

  test('the stream is AWS event-stream framing: CRCs check out and each chunk carries one event as base64 JSON', async () => {
    const api = await standIn([{ content: [{ type: 'tool_use', name: 'Read', input: { path: 'ü/ß.ts' } }] }], {
      bedrock: { apiKey: 'bedrock-api-key' },
    });
    const res = await fetch(`${api.bedrockUrl}/model/anthropic.claude-haiku-5-5/invoke-with-response-stream`, {
      method: 'POST',
      headers: { authorization: 'Bearer bedrock-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.amazon.eventstream');
    const buf = Buffer.from(await res.arrayBuffer());
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    for (let at = 0; at < buf.length;) {
      const total = buf.readUInt32BE(at);
      const headersLength = buf.readUInt32BE(at + 4);
      assert.equal(buf.readUInt32BE(at + 8), crc32(buf.subarray(at, at + 8)), 'prelude CRC');
      assert.equal(buf.readUInt32BE(at + total - 4), crc32(buf.subarray(at, at + total - 4)), 'message CRC');
      const headers: Record<string, string> = {};
      for (let h = at + 12; h < at + 12 + headersLength;) {
        const nameLength = buf.readUInt8(h);
        const name = buf.toString('utf8', h + 1, h + 1 + nameLength);
        assert.equal(buf.readUInt8(h + 1 + nameLength), 7, 'string header');
        const valueLength = buf.readUInt16BE(h + 2 + nameLength);
        headers[name] = buf.toString('utf8', h + 4 + nameLength, h + 4 + nameLength + valueLength);
        h += 4 + nameLength + valueLength;
      }
      assert.deepEqual(headers, {
        ':event-type': 'chunk',
        ':content-type': 'application/json',
        ':message-type': 'event',
      });
      const payload = JSON.parse(buf.toString('utf8', at + 12 + headersLength, at + total - 4)) as { bytes: string };
      // The stand-in's own event, framed by it: a JSON object with a type.
      events.push(JSON.parse(Buffer.from(payload.bytes, 'base64').toString('utf8')) as { type: string });
      at += total;
    }
    const types = events.map((e) => e.type).filter((t) => t !== 'ping');
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    const json = events
      .flatMap((e) => ((e.delta as { partial_json?: string })?.partial_json ?? []) as string[])
      .join('');
    assert.deepEqual(JSON.parse(json), { path: 'ü/ß.ts' });
    api.assertNoViolations();
  });

  test('the stand-in refuses what Bedrock refuses: an Anthropic API id, a model in the body, a bad signature', async () => {
    const api = await standIn([], { bedrock: { region: 'us-east-1', secretAccessKey: 'right-secret' } });
    const sdk = (secret: string) =>
      new AnthropicBedrock({
        awsAccessKey: 'AKIDTEST',
        awsSecretKey: secret,
        awsRegion: 'us-east-1',
        baseURL: api.bedrockUrl,
        maxRetries: 0,
      });
    const params = { max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    await assert.rejects(sdk('right-secret').messages.create({ ...params, model: 'claude-sonnet-5-5' }), /400/);
    await assert.rejects(
      sdk('wrong-secret').messages.create({ ...params, model: 'anthropic.claude-sonnet-5-5' }),
      /403/,
    );
    assert.match(
      api.violations[0]!,
      /400 invalid_request_error: The provided model identifier is invalid: claude-sonnet-5-5/,
    );
    assert.match(api.violations[1]!, /403 permission_error: The request signature we calculated does not match/);
    assert.equal(api.violations.length, 2);
  });
});

describe("other shapes on the providers' routes", () => {
  test('non-streaming requests go to /invoke and :rawPredict; a stream error on Bedrock surfaces as the SDK error', async () => {
    const api = await standIn(
      [
        { content: [{ type: 'text', text: 'plain' }] },
        { content: [{ type: 'text', text: 'plain too' }] },
        {
          content: [{ type: 'text', text: 'never finished' }],
          fault: { streamError: { type: 'overloaded_error', message: 'Overloaded' }, afterEvents: 2 },
        },
      ],
      { bedrock: { region: 'us-west-2' }, vertex: { token: 't' } },
    );
    const bedrock = await createModelClient({
      provider: 'bedrock',
      apiKey: '',
      baseUrl: '',
      env: {
        AWS_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: 'a',
        AWS_SECRET_ACCESS_KEY: 'b',
        ANTHROPIC_BEDROCK_BASE_URL: api.bedrockUrl,
      },
    });
    const params = { model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    // create() is not part of the loop's client (it only streams): the SDKs themselves, with provider ids.
    const rawBedrock = new AnthropicBedrock({
      awsAccessKey: 'a',
      awsSecretKey: 'b',
      awsRegion: 'us-west-2',
      baseURL: api.bedrockUrl,
      maxRetries: 0,
    });
    const token = new OAuth2Client();
    token.setCredentials({ access_token: 't' });
    const rawVertex = new AnthropicVertex({
      region: 'europe-west1',
      projectId: 'p2',
      authClient: token,
      baseURL: api.vertexUrl,
      maxRetries: 0,
    });
    assert.deepEqual(
      (await rawBedrock.messages.create({ ...params, model: 'us.anthropic.claude-haiku-5-5' })).content,
      [{ type: 'text', text: 'plain' }],
    );
    assert.deepEqual((await rawVertex.messages.create(params)).content, [{ type: 'text', text: 'plain too' }]);
    await assert.rejects(bedrock.messages.stream(params).finalMessage(), /Overloaded/);
    assert.deepEqual(
      api.requests.map((r) => r.path),
      [
        '/model/us.anthropic.claude-haiku-5-5/invoke',
        '/v1/projects/p2/locations/europe-west1/publishers/anthropic/models/claude-haiku-5-5:rawPredict',
        '/model/global.anthropic.claude-haiku-5-5/invoke-with-response-stream',
      ],
    );
    assert.deepEqual(
      api.requests.map((r) => r.stream),
      [false, false, true],
    );
    api.assertNoViolations();
  });
});

describe('vertex through the stand-in', () => {
  test('with ANTHROPIC_VERTEX_ACCESS_TOKEN: Bearer, the project/region/model path, version in the body; a tool_use round-trips', async () => {
    const api = await standIn(toolRoundTrip(), {
      vertex: { token: 'ya29.test-token', projectId: 'proj-1', region: 'us-east5' },
    });
    const client = await createModelClient({
      provider: 'vertex',
      apiKey: '',
      baseUrl: '',
      env: {
        CLOUD_ML_REGION: 'us-east5',
        ANTHROPIC_VERTEX_PROJECT_ID: 'proj-1',
        ANTHROPIC_VERTEX_ACCESS_TOKEN: 'ya29.test-token',
        ANTHROPIC_VERTEX_BASE_URL: api.vertexUrl,
      },
    });
    const { result, tb } = await runLoop(client, 'opus');
    api.assertNoViolations();
    assert.equal(result.status.status, 'COMPLETE');
    assert.equal(tb.calls.length, 1);
    assert.equal(api.requests.length, 2);
    for (const rec of api.requests) {
      assert.equal(rec.provider, 'vertex');
      assert.equal(
        rec.path,
        '/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/claude-opus-5-5:streamRawPredict',
      );
      assert.equal(rec.headers['authorization'], 'Bearer ya29.test-token');
      assert.equal(rec.headers['anthropic-version'], undefined);
      assert.equal(rec.headers['x-api-key'], undefined);
      assert.ok(rec.body);
      assert.equal(typeof rec.body.anthropic_version, 'string');
      assert.ok(!Object.hasOwn(rec.body, 'model'), 'no model in the body');
      assert.equal(rec.body.stream, true);
    }
  });

  test('with Application Default Credentials (an external_account file, as google-github-actions/auth writes): the STS token is used', async () => {
    const sts: Array<Record<string, string>> = [];
    const server: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        sts.push(Object.fromEntries(new URLSearchParams(raw)));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            access_token: 'ya29.from-sts',
            issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            token_type: 'Bearer',
            expires_in: 3600,
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise((r) => server.close(r)) });
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'adc-'));
    writeFileSync(join(dir, 'oidc-token'), 'github-oidc-jwt');
    writeFileSync(
      join(dir, 'credentials.json'),
      JSON.stringify({
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/providers/repo',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `http://127.0.0.1:${port}/v1/token`,
        credential_source: { file: join(dir, 'oidc-token') },
      }),
    );
    const api = await standIn([{ content: [{ type: 'text', text: 'hi' }] }], {
      vertex: { token: 'ya29.from-sts', projectId: 'proj-adc', region: 'global' },
    });
    const env = { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'credentials.json') };
    const client = await withProcessEnv(env, () =>
      createModelClient({
        provider: 'vertex',
        apiKey: '',
        baseUrl: '',
        env: {
          ...env,
          CLOUD_ML_REGION: 'global',
          GOOGLE_CLOUD_PROJECT: 'proj-adc',
          ANTHROPIC_VERTEX_BASE_URL: api.vertexUrl,
        },
      }),
    );
    const msg = await client.messages
      .stream({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    assert.deepEqual(msg.content, [{ type: 'text', text: 'hi' }]);
    api.assertNoViolations();
    assert.equal(
      api.requests[0]!.path,
      '/v1/projects/proj-adc/locations/global/publishers/anthropic/models/claude-haiku-4-5@20251001:streamRawPredict',
    );
    assert.equal(sts.length, 1);
    assert.equal(sts[0]!.subject_token, 'github-oidc-jwt');
  });
});

describe('settings and credentials', () => {
  test('anthropic: the key is required; the client talks to /v1/messages with it', async () => {
    await rejectsUser(
      createModelClient({ provider: 'anthropic', apiKey: '', baseUrl: '', env: {} }),
      /anthropic-api-key/,
    );
    const api = await standIn([{ content: [{ type: 'text', text: 'ok' }] }], { apiKey: 'sk-ant-x' });
    const client = await createModelClient({ provider: 'anthropic', apiKey: 'sk-ant-x', baseUrl: api.url, env: {} });
    await client.messages
      .stream({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    assert.equal(api.requests[0]!.path, '/v1/messages');
    assert.equal(api.requests[0]!.model, 'claude-sonnet-5-5');
    api.assertNoViolations();
  });

  test('bedrock: no region, half a key pair, or no credentials at all are UserErrors naming what to set', async () => {
    const base = { provider: 'bedrock' as const, apiKey: '', baseUrl: '' };
    await rejectsUser(
      () => checkProviderSettings({ ...base, env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' } }),
      /AWS_REGION/,
    );
    await rejectsUser(
      createModelClient({ ...base, env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'a' } }),
      /AWS_SECRET_ACCESS_KEY is not set/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'noaws-'));
    const none = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await withProcessEnv(none, () =>
      rejectsUser(
        createModelClient({ ...base, env: { AWS_REGION: 'us-east-1' } }),
        /configure-aws-credentials.*AWS_ACCESS_KEY_ID/,
      ),
    );
  });

  test('vertex: no region, no project, or no Google credentials are UserErrors naming what to set', async () => {
    const base = { provider: 'vertex' as const, apiKey: '', baseUrl: '' };
    await rejectsUser(
      createModelClient({ ...base, env: { ANTHROPIC_VERTEX_ACCESS_TOKEN: 't', GOOGLE_CLOUD_PROJECT: 'p' } }),
      /CLOUD_ML_REGION/,
    );
    await rejectsUser(
      createModelClient({ ...base, env: { ANTHROPIC_VERTEX_ACCESS_TOKEN: 't', CLOUD_ML_REGION: 'global' } }),
      /ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT/,
    );
    await withProcessEnv({ GOOGLE_APPLICATION_CREDENTIALS: join(tmpdir(), 'no-such-dir', 'creds.json') }, () =>
      rejectsUser(
        createModelClient({ ...base, env: { CLOUD_ML_REGION: 'global', GOOGLE_CLOUD_PROJECT: 'p' } }),
        /google-github-actions\/auth.*GOOGLE_APPLICATION_CREDENTIALS/,
      ),
    );
  });

  test('providerSecrets lists the credential values to mask', () => {
    const env: Env = { ...AWS, ANTHROPIC_VERTEX_ACCESS_TOKEN: 'ya29.x' };
    assert.deepEqual(providerSecrets('bedrock', env), [
      AWS.AWS_ACCESS_KEY_ID,
      AWS.AWS_SECRET_ACCESS_KEY,
      AWS.AWS_SESSION_TOKEN,
    ]);
    assert.deepEqual(providerSecrets('vertex', env), ['ya29.x']);
    assert.deepEqual(providerSecrets('anthropic', env), []);
  });

  test('an anthropic client loads neither the AWS nor the Google SDK', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { createModelClient } = await import(${JSON.stringify(new URL('../../src/model/provider.ts', import.meta.url).href)});
      const provider = process.argv[1];
      const env = provider === 'anthropic' ? {} : { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' };
      await createModelClient({ provider, apiKey: 'k', baseUrl: 'http://127.0.0.1:9', env });
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(loaded.filter((p) => /bedrock-sdk|vertex-sdk|@aws-sdk|@smithy|google-auth-library/.test(p)).length));
    `;
    const count = (provider: string) =>
      Number(
        execFileSync(process.execPath, ['--input-type=module', '-e', script, provider], { encoding: 'utf8' }).trim(),
      );
    assert.equal(count('anthropic'), 0);
    assert.ok(count('bedrock') > 0, 'the check sees the Bedrock SDK when it is loaded');
  });
});
