// MCP configuration: the three sources, their order, ${VAR} expansion in the input only, and every bad input as a
// warning that leaves the rest working. Plus the tool names and which of them an agent's tools: line offers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMcpConfig, expandVars, type StdioServer, type HttpServer } from '../../src/mcp/config.ts';
import { mcpToolName, selectMcpTools, unknownMcpEntries } from '../../src/mcp/names.ts';
import { parseAgentFile } from '../../src/agents/definition.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function repo(mcpJson?: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bda-mcp-config-'));
  dirs.push(d);
  if (mcpJson !== undefined) await writeFile(join(d, '.mcp.json'), mcpJson);
  return d;
}

test('.mcp.json, then the agent file, then the input: later sources override earlier ones by name', async () => {
  const workspace = await repo(
    JSON.stringify({
      mcpServers: {
        db: { command: 'npx', args: ['-y', 'pg-server'], env: { A: '1' } },
        docs: { type: 'http', url: 'https://docs.example.com/mcp' },
      },
    }),
  );
  const c = await loadMcpConfig({
    workspace,
    agentFile: '.claude/agents/x.md',
    agentServers: { docs: { command: 'docs-server' }, tracker: { command: 'tracker' } },
    input: JSON.stringify({ mcpServers: { db: { command: 'pg', env: { DATABASE_URL: 'postgres://u:pw@h/db' } } } }),
  });
  assert.deepEqual(c.warnings, []);
  const byName = Object.fromEntries(c.servers.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(byName).sort(), ['db', 'docs', 'tracker']);
  assert.equal((byName.db as StdioServer).command, 'pg', 'the input overrides .mcp.json');
  assert.deepEqual((byName.db as StdioServer).env, { DATABASE_URL: 'postgres://u:pw@h/db' });
  assert.equal(byName.db!.source, 'input mcp-config');
  assert.equal((byName.docs as StdioServer).command, 'docs-server', 'the agent file overrides .mcp.json');
  assert.equal(byName.docs!.source, 'agent file .claude/agents/x.md');
  assert.deepEqual(c.secrets, ['postgres://u:pw@h/db'], "the input's env values are masked");
});

test('${VAR} expands in the input only, never in a repository file', async () => {
  const env = { DB_URL: 'postgres://secret@db/prod', HOME: '/home/runner' };
  const workspace = await repo(JSON.stringify({ mcpServers: { file: { command: 'x', env: { U: '${DB_URL}' } } } }));
  const c = await loadMcpConfig({
    workspace,
    agentServers: { agent: { command: 'y', env: { U: '${DB_URL}' } } },
    input: JSON.stringify({
      mcpServers: {
        input: { command: 'z', args: ['--home=${HOME}'], env: { U: '${DB_URL}', V: '${UNSET_VAR:-fallback}' } },
        web: {
          type: 'http',
          url: 'https://${HOST:-mcp.example.com}/mcp',
          headers: { Authorization: 'Bearer ${DB_URL}' },
        },
      },
    }),
    env,
  });
  const byName = Object.fromEntries(c.servers.map((s) => [s.name, s]));
  assert.equal((byName.file as StdioServer).env.U, '${DB_URL}');
  assert.equal((byName.agent as StdioServer).env.U, '${DB_URL}');
  assert.equal((byName.input as StdioServer).env.U, 'postgres://secret@db/prod');
  assert.equal((byName.input as StdioServer).env.V, 'fallback');
  assert.deepEqual((byName.input as StdioServer).args, ['--home=/home/runner']);
  assert.equal((byName.web as HttpServer).url, 'https://mcp.example.com/mcp');
  assert.equal((byName.web as HttpServer).headers.Authorization, 'Bearer postgres://secret@db/prod');
  assert.ok(c.secrets.includes('Bearer postgres://secret@db/prod'));
  assert.ok(c.secrets.includes('postgres://secret@db/prod'), 'a value taken from the environment is masked');
  assert.ok(c.secrets.includes('/home/runner'), 'wherever it lands (here an argument)');
});

test('an unset ${VAR} without a default leaves that server out, naming the variable', async () => {
  const c = await loadMcpConfig({
    workspace: await repo(),
    input: JSON.stringify({
      mcpServers: { db: { command: 'pg', env: { U: '${NOT_SET_ANYWHERE}' } }, ok: { command: 'x' } },
    }),
    env: {},
  });
  assert.deepEqual(
    c.servers.map((s) => s.name),
    ['ok'],
  );
  assert.equal(c.warnings.length, 1);
  assert.match(
    c.warnings[0]!,
    /input mcp-config: MCP server "db" uses \$\{NOT_SET_ANYWHERE\} in db\.env\.U.*not started/,
  );
  assert.throws(() => expandVars('${X}', {}, 'here'), /X is not set/);
});

test('a malformed .mcp.json is a warning naming the file and the JSON error; the other sources still count', async () => {
  const c = await loadMcpConfig({
    workspace: await repo('{"mcpServers": {"db": {"command": "pg",}}}'),
    input: '{"mcpServers": {"ok": {"command": "x"}}}',
  });
  assert.deepEqual(
    c.servers.map((s) => s.name),
    ['ok'],
  );
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /^\.mcp\.json: not valid JSON \(.+\); its MCP servers are not started\./);
});

test('each bad server is left out with a warning saying what to fix', async () => {
  const c = await loadMcpConfig({
    workspace: await repo(
      JSON.stringify({
        mcpServers: {
          'bad name!': { command: 'x' },
          nocmd: { args: ['a'] },
          badargs: { command: 'x', args: 'a b' },
          badenv: { command: 'x', env: { A: { nested: 1 } } },
          sse: { type: 'sse', url: 'https://x.example.com/sse' },
          ftp: { type: 'http', url: 'ftp://x.example.com' },
          weird: { type: 'websocket', url: 'wss://x' },
          slow: { command: 'x', timeout: 5 },
          good: { command: 'x', tools: ['*'] },
          picky: { type: 'local', command: 'x', tools: ['a', 'b'] },
        },
      }),
    ),
  });
  assert.deepEqual(
    c.servers.map((s) => s.name),
    ['good', 'picky'],
  );
  assert.equal(c.servers[0]!.tools, undefined, '"*" offers every tool');
  assert.deepEqual(c.servers[1]!.tools, ['a', 'b']);
  const text = c.warnings.join('\n');
  for (const re of [
    /"bad name!" has a name outside/,
    /"nocmd" needs "command"/,
    /"badargs" has "args" that is not a list of strings/,
    /"badenv" has "env\.A" that is not a string/,
    /"sse" uses the "sse" transport.*use "http"/,
    /"ftp" needs an http\(s\) URL/,
    /"weird" has type "websocket"/,
    /"slow" has "timeout" outside/,
  ])
    assert.match(text, re);
  assert.equal(c.warnings.length, 8);
});

test("Claude Code's list form in an agent file: names refer to servers configured elsewhere, mappings define new ones", async () => {
  const c = await loadMcpConfig({
    workspace: await repo(JSON.stringify({ mcpServers: { github: { command: 'gh-mcp' } } })),
    agentFile: 'a.md',
    agentServers: ['github', 'missing', { sqlite: { command: 'sqlite-mcp', args: ['db.sqlite'] } }, 42],
  });
  assert.deepEqual(c.servers.map((s) => s.name).sort(), ['github', 'sqlite']);
  assert.equal(c.warnings.length, 2);
  assert.match(c.warnings[0]!, /names "missing", which no \.mcp\.json or mcp-config defines/);
});

test('agent files: mcpServers (Claude Code) and mcp-servers (Copilot) pass through raw; mcp__ entries in tools: too', () => {
  const claude = parseAgentFile(
    '/r/.claude/agents/db.md',
    '---\nname: db\ndescription: d\ntools: Read, mcp__postgres, mcp__github__create_issue\nmcpServers:\n  postgres:\n    command: pg\n---\nBody\n',
  );
  assert.deepEqual(claude.tools, ['Read', 'mcp__postgres', 'mcp__github__create_issue']);
  assert.deepEqual(claude.mcpServers, { postgres: { command: 'pg' } });
  const copilot = parseAgentFile(
    '/r/.github/agents/c.md',
    "---\nname: c\ntools: ['mcp__x']\nmcp-servers:\n  x:\n    type: local\n    command: x\n    tools: ['*']\n---\nBody\n",
  );
  assert.deepEqual(copilot.tools, ['mcp__x'], 'a tools: line of MCP tools only offers no built-in');
  assert.deepEqual(copilot.mcpServers, { x: { type: 'local', command: 'x', tools: ['*'] } });
  const none = parseAgentFile('/r/a.md', '---\nname: a\n---\nBody\n');
  assert.equal(none.tools, null, 'no tools: line, every server');
});

test('tool names as Claude Code writes them, and which a tools: line offers', () => {
  assert.equal(mcpToolName('github', 'create_issue'), 'mcp__github__create_issue');
  assert.equal(mcpToolName('my.server', 'get-thing v2'), 'mcp__my_server__get-thing_v2');
  const all = ['mcp__github__create_issue', 'mcp__github__list_issues', 'mcp__db__query', 'mcp__my_server__x'];
  assert.deepEqual(selectMcpTools(undefined, all), all);
  assert.deepEqual(selectMcpTools([], all), []);
  assert.deepEqual(selectMcpTools(['Read', 'mcp__github'], all), all.slice(0, 2));
  assert.deepEqual(selectMcpTools(['mcp__db__query', 'mcp__my.server'], all), ['mcp__db__query', 'mcp__my_server__x']);
  assert.deepEqual(selectMcpTools(['mcp__git'], all), [], 'a server name is matched whole, not as a prefix');
  assert.deepEqual(unknownMcpEntries(['mcp__git', 'mcp__db', 'Bash'], all), ['mcp__git']);
});
