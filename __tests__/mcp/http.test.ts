// Streamable HTTP servers: reached from the action's process, only when their host is in allowed-domains, with the
// headers of their config. The server is the official SDK's own (McpServer over StreamableHTTPServerTransport).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { startMcp } from '../../src/mcp/index.ts';
import type { Logger } from '../../src/log.ts';

let http: Server;
let port: number;
let workspace: string;
const auth: string[] = [];

before(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'bda-mcp-http-'));
  http = createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    // Stateless: a server and a transport per request, as the SDK's examples do.
    const server = new McpServer({ name: 'issues', version: '1' });
    server.registerTool(
      'find_issue',
      { description: 'Finds an issue by number.', inputSchema: { number: z.number() } },
      ({ number }) => ({ content: [{ type: 'text', text: `issue ${number}: the login page is slow` }] }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
});
after(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await rm(workspace, { recursive: true, force: true });
});

function logger(lines: string[]): Logger {
  return { debug: () => {}, info: () => {}, warning: (m) => lines.push(m) };
}

const config = (url: string) =>
  JSON.stringify({
    mcpServers: { issues: { type: 'http', url, headers: { Authorization: 'Bearer ${ISSUES_TOKEN}' } } },
  });

test(
  'an HTTP server on an allowed host: its tools, a call, and the configured headers',
  { timeout: 30_000 },
  async () => {
    const mcp = await startMcp({
      workspace,
      input: config(`http://127.0.0.1:${port}/mcp`),
      env: { ISSUES_TOKEN: 'issues-token-0123456789' },
      allowedDomains: [`127.0.0.1:${port}`],
      log: logger([]),
    });
    try {
      assert.deepEqual(
        mcp.tools.map((t) => t.definition.name),
        ['mcp__issues__find_issue'],
      );
      assert.deepEqual(mcp.secrets, ['issues-token-0123456789', 'Bearer issues-token-0123456789']);
      const r = await mcp.tools[0]!.call({ number: 7 }, { workspace: undefined as never, seen: new Map() });
      assert.deepEqual(r, { content: 'issue 7: the login page is slow', isError: false });
      const invalid = await mcp.tools[0]!.call({ number: 'seven' }, { workspace: undefined as never, seen: new Map() });
      assert.equal(invalid.isError, true, 'the server validates the arguments; its error is an error result');
      assert.ok(auth.length >= 3 && auth.every((a) => a === 'Bearer issues-token-0123456789'), auth.join(', '));
      assert.deepEqual(mcp.summary(), ['MCP servers: issues (2 calls)']);
    } finally {
      await mcp.close();
    }
  },
);

test('an HTTP server outside allowed-domains is not contacted', { timeout: 30_000 }, async () => {
  const before = auth.length;
  const warnings: string[] = [];
  const mcp = await startMcp({
    workspace,
    input: config(`http://127.0.0.1:${port}/mcp`),
    env: { ISSUES_TOKEN: 'issues-token-0123456789' },
    log: logger(warnings),
  });
  assert.deepEqual(mcp.tools, []);
  assert.equal(auth.length, before, 'no request reached it');
  assert.match(
    warnings.join('\n'),
    new RegExp(
      `MCP server "issues" was not started: 127\\.0\\.0\\.1:${port} is not in allowed-domains .*add 127\\.0\\.0\\.1:${port} to allowed-domains`,
    ),
  );
  assert.match(mcp.summary()[0]!, /^MCP server issues failed: was not started/);
  await mcp.close();
});
