// MCP servers started for real in the Bash sandbox (a small server of ours, __tests__/fixtures/mcp/fake-server.mjs, one behaviour
// per mode): the tools the model is offered, what their calls return through the toolbox, and every fault — a server
// that exits at once, hangs on tools/call, crashes mid-run, writes garbage or floods stdout, lists 300 tools — ending
// as an error result or a named failure while the rest goes on, with every process killed at the end.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startMcp, type McpSetup } from '../../src/mcp/index.ts';
import { MAX_DESCRIPTION_CHARS } from '../../src/mcp/mcp-client.ts';
import { createToolbox, MAX_RESULT_CHARS, type Toolbox } from '../../src/tools/index.ts';
import type { Logger } from '../../src/log.ts';
import { requireTools } from '../../test-support/system-tools.ts';

const { test, before, after } = requireTools('bwrap', 'socat');

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'mcp', 'fake-server.mjs');
let root: string;
let workspace: string;
/** The action's environment as the servers' parent sees it: node on PATH (as setup-node leaves it), a HOME. */
let env: NodeJS.ProcessEnv;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'bda-mcp-'));
  workspace = join(root, 'ws');
  await mkdir(join(workspace, 'tools'), { recursive: true });
  await mkdir(join(root, 'home'));
  await copyFile(FIXTURE, join(workspace, 'tools', 'fake-server.mjs'));
  env = {
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: join(root, 'home'),
    GITHUB_TOKEN: 'ghs_actionTokenDoNotLeak0123456789',
  };
});
after(() => rm(root, { recursive: true, force: true }));

interface Started {
  mcp: McpSetup;
  box: Toolbox;
  logs: string[];
  close(): Promise<void>;
}

/** Starts the servers (mode per name) and a toolbox offering all their tools. */
async function start(
  servers: Record<string, string>,
  o: { startupTimeoutMs?: number; callTimeoutMs?: number } = {},
): Promise<Started> {
  const logs: string[] = [];
  const log: Logger = { debug: () => {}, info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) };
  // A unique marker on each command line lets the test find the processes afterwards.
  const marker = `run-${Math.random().toString(36).slice(2)}`;
  const mcpServers = Object.fromEntries(
    Object.entries(servers).map(([name, mode]) => [
      name,
      { command: 'node', args: ['tools/fake-server.mjs', mode, marker] },
    ]),
  );
  const mcp = await startMcp({
    workspace,
    input: JSON.stringify({ mcpServers }),
    env,
    sandbox: 'required',
    allowedDomains: ['registry.npmjs.org'],
    log,
    noSandboxSetup: true,
    ...o,
  });
  const box = await createToolbox({
    workspace,
    tools: mcp.offer(undefined),
    extraTools: mcp.tools,
    env,
    ripgrep: false,
    noSandboxSetup: true,
  });
  return {
    mcp,
    box,
    logs,
    async close() {
      await mcp.close();
      await box.close();
      assert.deepEqual(processesWith(marker), [], 'every server process is gone after close');
    },
  };
}

/** Pids whose command line carries `marker`. */
function processesWith(marker: string): string[] {
  return readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
}

test(
  'a working server: its tools as mcp__<server>__<tool>, results mapped, errors as is_error, calls counted',
  { timeout: 60_000 },
  async () => {
    const s = await start({ fake: 'ok' });
    try {
      const defs = Object.fromEntries(s.box.definitions.map((d) => [d.name, d]));
      assert.deepEqual(Object.keys(defs), [
        'mcp__fake__echo',
        'mcp__fake__image',
        'mcp__fake__fail',
        'mcp__fake__big',
        'mcp__fake__probe',
        'mcp__fake__getenv',
      ]);
      assert.deepEqual(defs.mcp__fake__echo!.input_schema, {
        type: 'object',
        properties: { text: { type: 'string', description: 'What to echo' } },
        required: ['text'],
      });
      assert.equal(defs.mcp__fake__big!.description.length, MAX_DESCRIPTION_CHARS, 'a long description is cut');
      assert.ok(s.box.isReadOnly('mcp__fake__echo'), 'readOnlyHint makes it read-only');
      assert.ok(!s.box.isReadOnly('mcp__fake__image'));

      assert.deepEqual(await s.box.run('mcp__fake__echo', { text: 'hi' }), { content: 'echo: hi', isError: false });
      const img = await s.box.run('mcp__fake__image', {});
      assert.equal(img.isError, false);
      assert.equal(img.images?.length, 1);
      assert.equal(img.images?.[0]?.mediaType, 'image/png');
      assert.match(img.content, /^a dot\n\[resource link: file:\/\/\/data\/report\.csv \(report\.csv\), text\/csv\]$/);
      const failed = await s.box.run('mcp__fake__fail', {});
      assert.deepEqual(failed, { content: 'mcp__fake__fail: relation "users" does not exist', isError: true });
      const big = await s.box.run('mcp__fake__big', {});
      assert.ok(big.content.length < MAX_RESULT_CHARS + 400, `capped: ${big.content.length}`);
      assert.match(big.content, /\[Output cut at .*ask it for less/);
      const notObject = await s.box.run('mcp__fake__echo', 'hi');
      assert.equal(notObject.isError, true);
      // The input that was not an object never reached the server: four calls.
      assert.deepEqual(s.mcp.summary(), ['MCP servers: fake (4 calls)']);
    } finally {
      await s.close();
    }
  },
);

test('a server that exits at once is named with its stderr tail; the others start', { timeout: 60_000 }, async () => {
  const s = await start({ dead: 'exit', fake: 'ok' });
  try {
    assert.ok(s.box.definitions.some((d) => d.name === 'mcp__fake__echo'));
    assert.ok(!s.box.definitions.some((d) => d.name.startsWith('mcp__dead__')));
    const [used, failed] = s.mcp.summary();
    assert.equal(used, 'MCP servers: fake (0 calls)');
    assert.match(
      failed!,
      /^MCP server dead failed: exited with code 3; stderr: `fake-server: cannot reach the database at db\.internal:5432`$/,
    );
    assert.ok(
      s.logs.some((l) => /^warning: MCP server "dead" exited with code 3.*The run goes on without it\.$/.test(l)),
    );
  } finally {
    await s.close();
  }
});

test(
  'a server that hangs on tools/call: an error result after the call timeout, the run goes on, killed at the end',
  { timeout: 60_000 },
  async () => {
    const s = await start({ slow: 'hang' }, { callTimeoutMs: 1500 });
    try {
      const t0 = Date.now();
      const r = await s.box.run('mcp__slow__echo', { text: 'x' });
      assert.ok(Date.now() - t0 < 10_000);
      assert.equal(r.isError, true);
      assert.match(
        r.content,
        /^mcp__slow__echo: the MCP server "slow" did not answer within 1\.5 s; the call was abandoned/,
      );
      // The server is still there for the next call (which hangs too, and is abandoned again).
      assert.match((await s.box.run('mcp__slow__echo', { text: 'y' })).content, /did not answer/);
    } finally {
      await s.close();
    }
  },
);

test(
  'a server that crashes mid-run: that call and later ones are error results naming the exit and stderr',
  { timeout: 60_000 },
  async () => {
    const s = await start({ db: 'crash' });
    try {
      const r = await s.box.run('mcp__db__echo', { text: 'x' });
      assert.equal(r.isError, true);
      assert.match(
        r.content,
        /the MCP server "db" stopped during the call: exited with code 139; stderr: `fake-server: segfault in the query planner`/,
      );
      const again = await s.box.run('mcp__db__echo', { text: 'x' });
      assert.match(again.content, /the MCP server "db" is not running: exited with code 139/);
      assert.deepEqual(s.mcp.summary(), ['MCP servers: db (2 calls)']);
    } finally {
      await s.close();
    }
  },
);

test(
  'garbage on stdout: skipped between messages; a server that writes nothing else fails to start, quoted',
  { timeout: 60_000 },
  async () => {
    const s = await start({ chatty: 'garbage', noisy: 'garbage-only' }, { startupTimeoutMs: 3000 });
    try {
      assert.deepEqual(await s.box.run('mcp__chatty__echo', { text: 'still works' }), {
        content: 'echo: still works',
        isError: false,
      });
      const failed = s.mcp.summary().find((l) => l.startsWith('MCP server noisy'));
      assert.match(
        failed!,
        /did not answer within 3 s of starting; it wrote to stdout what is not JSON-RPC: `Server listening on stdio/,
      );
    } finally {
      await s.close();
    }
  },
);

test(
  'a server flooding stdout is stopped; one listing 300 tools is cut to 100, the dropped ones logged',
  { timeout: 60_000 },
  async () => {
    const s = await start({ flood: 'flood', many: 'many' }, { startupTimeoutMs: 20_000 });
    try {
      assert.match(
        s.mcp.summary().find((l) => l.startsWith('MCP server flood'))!,
        /flooded stdout/,
      );
      const many = s.box.definitions.filter((d) => d.name.startsWith('mcp__many__'));
      assert.equal(many.length, 100);
      const dropped = s.logs.find((l) => /MCP tool\(s\) left out/.test(l));
      assert.match(
        dropped!,
        /^warning: 200 MCP tool\(s\) left out: mcp__many__tool_100 \(more than 100 tools on one server\), .*, and 170 more\.$/,
      );
    } finally {
      await s.close();
    }
  },
);

test('no configuration: nothing starts; a malformed .mcp.json is a warning and nothing starts either', async () => {
  const mcp = await startMcp({ workspace, env, log: { debug() {}, info() {}, warning() {} } });
  assert.deepEqual(mcp.tools, []);
  assert.deepEqual(mcp.summary(), []);
  await mcp.close();
  await writeFile(join(workspace, '.mcp.json'), '{"mcpServers": ');
  const warnings: string[] = [];
  const bad = await startMcp({ workspace, env, log: { debug() {}, info() {}, warning: (m) => warnings.push(m) } });
  assert.deepEqual(bad.tools, []);
  assert.match(warnings[0]!, /^\.mcp\.json: not valid JSON/);
  await rm(join(workspace, '.mcp.json'));
});
