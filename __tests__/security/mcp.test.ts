// MCP servers get nothing of the action's: one run through dist/ in which a stdio server of ours, started from the
// repository's .mcp.json, probes its environment, every process's environ, the runner's HOME and folders, a loopback
// service and a host outside the allowlist. It reports names and places only (never values), so the toolbox's masking
// cannot be what makes this pass. A second server, from the mcp-config input, gets exactly the secret the workflow
// passes it, and the model still never sees that value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createScenario, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import {
  assertNoLeak,
  createFakeRunner,
  resultOf,
  statusTurn,
  toolUse,
  type FakeRunner,
  type ToolUseBlock,
} from './assertions.ts';

const { test, before, after } = requireTools('bwrap', 'socat');

const FIXTURE = readFileSync(resolve(import.meta.dirname, '../fixtures/mcp/fake-server.mjs'), 'utf8');
/** What the workflow passes the second server on purpose (its name has no secret look: only the input says so). */
const GIVEN = 'postgres://app:given-doNotLeak-pw@db.internal/prod';

let s: Scenario;
let fr: FakeRunner;
let run: ActionRun;
let loopback: Server;
const loopbackHits: string[] = [];
const calls: Record<string, ToolUseBlock> = {};

interface Probe {
  envKeys: string[];
  hits: string[];
  pids: string[];
  files: Record<string, string>;
  net: { tcp?: string; viaProxy?: string };
}

before(async () => {
  fr = await createFakeRunner();
  loopback = createServer((req, res) => {
    loopbackHits.push(req.url ?? '');
    res.end('hello');
  });
  await new Promise<void>((r) => loopback.listen(0, '127.0.0.1', r));
  const port = (loopback.address() as AddressInfo).port;
  const node = ['tools/probe-server.mjs', 'ok'];
  Object.assign(calls, {
    probe: toolUse('mcp__probe__probe', {
      needle: 'doNotLeak',
      files: [
        join(fr.home, '.git-credentials'),
        join(fr.home, '.npmrc'),
        join(fr.runnerTemp, '_runner_file_commands', 'set_env_0b1c'),
        join(fr.actions, '_tokens.json'),
      ],
      tcp: { host: '127.0.0.1', port },
      viaProxy: 'example.com:443',
    }),
    literal: toolUse('mcp__probe__getenv', { name: 'TRY' }),
    given: toolUse('mcp__given__getenv', { name: 'DATABASE_URL' }),
    givenProbe: toolUse('mcp__given__probe', { needle: 'doNotLeak' }),
  });
  s = await createScenario({
    files: {
      ...SERVICE_FILES,
      'tools/probe-server.mjs': FIXTURE,
      // A repository file naming the runner's secret: it must stay the literal text.
      '.mcp.json': JSON.stringify({
        mcpServers: { probe: { command: 'node', args: node, env: { TRY: '${SECRET_IN_RUNNER_ENV}' } } },
      }),
      'NOTES.md': 'notes\n',
    },
    script: [...Object.values(calls).map((c): Turn => ({ content: [c] })), statusTurn()],
  });
  const input = JSON.stringify({
    mcpServers: { given: { command: 'node', args: node, env: { DATABASE_URL: '${DB_URL}' } } },
  });
  run = await s.run(
    s.comment({ body: '/backend-developer look around' }),
    { 'mcp-config': input },
    // node on PATH as setup-node leaves it; DB_URL as a step's env: would carry it from a secret.
    { env: { ...fr.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, DB_URL: GIVEN } },
  );
});

after(async () => {
  await s?.close();
  await fr?.close();
  loopback?.close();
});

function probe(block: ToolUseBlock): Probe {
  const r = resultOf(s.anthropic.requests, block.id);
  assert.equal(r.isError, false, r.text);
  return JSON.parse(r.text) as Probe;
}

test('the run completed with both servers', () => {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(s.anthropic.remaining(), 0);
  s.anthropic.assertNoViolations();
  assert.match(run.summary, /MCP servers: probe \(2 calls\), given \(2 calls\)/);
});

test("a repository's server sees only PATH, HOME and what its config names", () => {
  const p = probe(calls.probe!);
  const allowed = /^(PATH|HOME|TMPDIR|TRY|PWD|SHLVL|_|(HTTPS?|NO)_PROXY|(https?|no)_proxy)$/;
  assert.deepEqual(
    p.envKeys.filter((k) => !allowed.test(k)),
    [],
  );
  assert.ok(p.envKeys.includes('TRY'));
  // GIVEN, the other server's secret, has the same marker: each server has a jail of its own.
  assert.deepEqual(p.hits, [], 'no secret in its env, any visible process environ, or the runner files');
});

test("it runs in its own PID namespace: the action's processes are not there to read", () => {
  const p = probe(calls.probe!);
  assert.ok(p.pids.length < 10, `pids: ${p.pids.join(' ')}`);
});

test("the runner's HOME and folders are not there", () => {
  const p = probe(calls.probe!);
  for (const [f, status] of Object.entries(p.files)) assert.match(status, /^error: ENOENT$/, f);
});

test('the network: a loopback service on the host is unreachable; a host outside the allowlist is refused', () => {
  const p = probe(calls.probe!);
  assert.match(p.net.tcp ?? '', /^error: (ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/);
  assert.equal(p.net.viaProxy, 'status 403');
  assert.deepEqual(loopbackHits, []);
});

test('${VAR} in a repository file is not expanded', () => {
  const r = resultOf(s.anthropic.requests, calls.literal!.id);
  assert.equal(r.text, 'TRY=${SECRET_IN_RUNNER_ENV}');
});

test('the mcp-config input passes a secret explicitly: that server has it, the model never sees it', () => {
  // Its own sandbox's processes (the jail's init, the proxy bridge) carry the env it was started with.
  const hits = probe(calls.givenProbe!).hits;
  assert.deepEqual(
    hits.filter((h) => !h.startsWith('/proc/')),
    ['env DATABASE_URL'],
  );
  const r = resultOf(s.anthropic.requests, calls.given!.id);
  assert.equal(r.text, 'DATABASE_URL=***');
  for (const req of s.anthropic.requests) assert.ok(!JSON.stringify(req.body ?? '').includes(GIVEN));
});

test('no secret anywhere: model requests, comments, summary, outputs, logs, transcript', async () => {
  await assertNoLeak(run, s);
});
