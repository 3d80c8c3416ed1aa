// MCP end to end through dist/: a real third-party server from npm (@modelcontextprotocol/server-filesystem) started
// from the repository's .mcp.json inside the sandbox; the scripted model calls one of its tools and the result
// reaches the model; the report names the server and its calls; the server is gone when the action exits.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createScenario, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import {
  FILESYSTEM_SERVER_BIN,
  installFilesystemServer,
  type InstalledServers,
} from '../../test-support/mcp-servers.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import { toolResults } from '../security/assertions.ts';

const { test, before, after } = requireTools('bwrap', 'socat');

let installed: InstalledServers;
const scenarios: Scenario[] = [];
before(async () => {
  installed = await installFilesystemServer();
});
after(async () => {
  await Promise.all(scenarios.map((s) => s.close()));
  await installed?.close();
});

const say = (text: string): Turn => ({ content: [{ type: 'text', text }] });

test('the bundle loads the MCP client only from its own chunk', () => {
  const dist = resolve(import.meta.dirname, '../../dist');
  assert.doesNotMatch(readFileSync(`${dist}/index.js`, 'utf8'), /StreamableHTTPClientTransport/);
  assert.match(readFileSync(`${dist}/mcp-client.js`, 'utf8'), /StreamableHTTPClientTransport/);
});

test(
  'a server from .mcp.json runs in the sandbox; its tool result reaches the model; the report counts its calls',
  { timeout: 120_000 },
  async () => {
    const readme = '# todo-api\n\nA small service. The MCP filesystem server read this.\n';
    const s = await createScenario({
      files: {
        ...SERVICE_FILES,
        'README.md': readme,
        '.mcp.json': JSON.stringify({ mcpServers: { fs: { command: FILESYSTEM_SERVER_BIN, args: ['.'] } } }),
      },
      script: [
        {
          content: [
            { type: 'tool_use', id: 'toolu_mcp_1', name: 'mcp__fs__read_text_file', input: { path: 'README.md' } },
          ],
          expect: (req) => {
            const names = (req.tools ?? []).map((t) => (t as { name: string }).name);
            assert.ok(names.includes('Bash'), 'the built-ins are still offered');
            assert.ok(names.includes('mcp__fs__read_text_file'), `offered: ${names.join(', ')}`);
            assert.ok(names.includes('mcp__fs__list_directory'));
          },
        },
        {
          content: [
            { type: 'tool_use', id: 'toolu_mcp_2', name: 'mcp__fs__read_text_file', input: { path: '/etc/shadow' } },
          ],
        },
        say('Read it.\n\nSTATUS: COMPLETE\nSUMMARY: Read the README through MCP\nFILES: none\nNEXT: Nothing'),
      ],
    });
    scenarios.push(s);
    const run = await s.run(
      s.comment({ body: '/backend-developer read the README' }),
      {},
      { env: { PATH: installed.path } },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(s.anthropic.violations, []);
    const results = toolResults(s.anthropic.requests);
    assert.deepEqual(results.get('toolu_mcp_1'), { text: readme, isError: false });
    // The server refuses a path outside its allowed folder: an error result, and the run goes on.
    const outside = results.get('toolu_mcp_2');
    assert.equal(outside?.isError, true);
    assert.match(outside.text, /^mcp__fs__read_text_file: .*(denied|outside allowed)/i);

    const report = s.gh.state.comments.find((c) => /^STATUS: COMPLETE/m.test(c.body));
    assert.match(report!.body, /<sub>MCP servers: fs \(2 calls\)<\/sub>/);
    assert.match(run.summary, /\| Used \| MCP servers: fs \(2 calls\) \|/);
    assert.match(run.stdout, /MCP servers: starting fs \(stdio, \.mcp\.json\)/);
    const left = readdirSync('/proc').filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(installed.binDir);
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, [], 'the server is gone when the action has exited');
    s.gh.assertNoViolations();
  },
);
