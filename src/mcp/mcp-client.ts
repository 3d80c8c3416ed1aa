/**
 * The MCP servers of one run, through the official SDK's client: each started in parallel (stdio servers in the
 * Bash sandbox, HTTP servers through the domain allowlist), initialised and listed within a start-up timeout, their
 * tools offered as `mcp__<server>__<tool>` tools of the toolbox. A server that fails is recorded with its stderr tail
 * and left out; the run goes on. Bundled as dist/mcp-client.js and imported only when a server is configured (the
 * SDK, its JSON-schema validator and zod schemas are ~1 MB a run without MCP never parses).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createRedactor } from '../redact.ts';
import { DEFAULT_ALLOWED_DOMAINS, hostAllowed } from '../tools/proxy.ts';
import { fail, type ToolResult } from '../tools/result.ts';
import { allowedEnv, prepareSandbox, spawnInSandbox, type Sandbox, type SandboxMode } from '../tools/sandbox.ts';
import type { Tool, ToolDefinition } from '../tools/schema.ts';
import type { HttpServer, ServerConfig, StdioServer } from './config.ts';
import { MAX_TOOL_NAME, mcpToolName } from './names.ts';
import { mapCallResult } from './result.ts';
import { SandboxedStdioTransport } from './stdio.ts';

export const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** A tool description is cut here: enough for what the tool does, not a manual in every request. */
export const MAX_DESCRIPTION_CHARS = 1024;
/** A tool whose input schema is larger than this (as JSON) is left out. */
export const MAX_SCHEMA_CHARS = 8_000;
/** Tools taken from one server, and the bytes all MCP tool definitions may add to every request. */
export const MAX_TOOLS_PER_SERVER = 100;
export const MAX_DEFINITION_BYTES = 96_000;
/** Pages of tools/list read from one server. */
const MAX_LIST_PAGES = 20;
/** Characters of a failed server's stderr shown in the report. */
const TAIL_IN_REPORT = 400;

export interface HubOptions {
  readonly servers: readonly ServerConfig[];
  readonly workspace: string;
  readonly sandbox: SandboxMode;
  readonly allowedDomains?: readonly string[];
  /** The action's environment: PATH and HOME are taken from it, nothing else. */
  readonly env?: NodeJS.ProcessEnv;
  readonly hiddenPaths?: readonly string[];
  /** Masked in the stderr tails the report shows. */
  readonly secrets?: readonly string[];
  readonly log: Logger;
  readonly noSandboxSetup?: boolean;
  readonly startupTimeoutMs?: number;
  readonly callTimeoutMs?: number;
}

export interface McpHub {
  /** The tools of every server that started, within the bounds above. */
  readonly tools: readonly Tool[];
  /** Lines for the report's footer and the job summary: servers used and their calls; servers that failed. */
  summary(): string[];
  /** Closes every client and kills every server's process group; then the sandbox's proxy. */
  close(): Promise<void>;
}

interface Server {
  readonly config: ServerConfig;
  readonly client: Client;
  readonly transport: Transport;
  readonly stdio: SandboxedStdioTransport | null;
  calls: number;
  /** Set when the connection closed: why, for the calls that come after. */
  down: string | null;
}

interface Failure {
  readonly name: string;
  readonly reason: string;
}

export async function startMcpServers(o: HubOptions): Promise<McpHub> {
  const mask = createRedactor([...(o.secrets ?? [])]);
  const needsSandbox = o.servers.some((s) => s.kind === 'stdio');
  const sandboxing: Promise<Sandbox | Error> | null = needsSandbox
    ? prepareSandbox({
        mode: o.sandbox,
        allowedDomains: o.allowedDomains,
        env: o.env,
        noSetup: o.noSandboxSetup,
        log: (m) => o.log.info(m),
        hiddenPaths: o.hiddenPaths,
      }).catch((e: unknown) => new Error(errorMessage(e)))
    : null;
  const started = await Promise.all(o.servers.map((s) => startOne(s, o, sandboxing, mask)));
  const servers = started.filter((x): x is { server: Server; listed: McpTool[] } => 'server' in x);
  const failures = started.filter((x): x is Failure => 'reason' in x);
  for (const f of failures) o.log.warning(`MCP server "${f.name}" ${f.reason}. The run goes on without it.`);
  const tools = buildTools(servers, o, mask);
  const sandbox = await sandboxing;
  return {
    tools,
    summary() {
      const used = servers.map(
        (s) => `${s.server.config.name} (${s.server.calls} call${s.server.calls === 1 ? '' : 's'})`,
      );
      return [
        ...(used.length ? [`MCP servers: ${used.join(', ')}`] : []),
        ...failures.map((f) => `MCP server ${f.name} failed: ${f.reason}`),
      ];
    },
    async close() {
      await Promise.all(servers.map((s) => s.server.client.close().catch(() => {})));
      if (sandbox && !(sandbox instanceof Error)) await sandbox.close();
    },
  };
}

/** Starts, initialises and lists one server within the start-up timeout; a Failure says why not. */
async function startOne(
  config: ServerConfig,
  o: HubOptions,
  sandboxing: Promise<Sandbox | Error> | null,
  mask: (s: string) => string,
): Promise<{ server: Server; listed: McpTool[] } | Failure> {
  const timeoutMs = o.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  let transport: Transport;
  let stdio: SandboxedStdioTransport | null = null;
  if (config.kind === 'stdio') {
    const sandbox = await sandboxing!;
    if (sandbox instanceof Error) return { name: config.name, reason: `could not be sandboxed: ${sandbox.message}` };
    stdio = stdioTransport(config, sandbox, o);
    transport = stdio;
  } else {
    const refused = httpRefusal(config, o.allowedDomains);
    if (refused) return { name: config.name, reason: refused };
    transport = httpTransport(config, o.allowedDomains);
  }
  const client = new Client({ name: 'backend-developer-action', version: '1' }, { capabilities: {} });
  const server: Server = { config, client, transport, stdio, calls: 0, down: null };
  const deadline = Date.now() + timeoutMs;
  try {
    await withDeadline(client.connect(transport, { timeout: timeoutMs }), deadline);
    const listed = await withDeadline(listAll(client, deadline), deadline);
    client.onclose = () => (server.down ??= describeDown(server, mask));
    return { server, listed };
  } catch (e) {
    const why =
      e instanceof DeadlineError ? `did not answer within ${timeoutMs / 1000} s of starting` : errorMessage(e);
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
    return { name: config.name, reason: describeFailure(why, stdio, mask) };
  }
}

function stdioTransport(config: StdioServer, sandbox: Sandbox, o: HubOptions): SandboxedStdioTransport {
  // PATH and HOME from the action (HOME is an empty folder in the sandbox), and exactly what the config names.
  const base = allowedEnv(o.env ?? process.env);
  const env: Record<string, string> = { PATH: base.PATH!, ...(base.HOME ? { HOME: base.HOME } : {}), ...config.env };
  return new SandboxedStdioTransport(() => spawnInSandbox(sandbox, [config.command, ...config.args], o.workspace, env));
}

/** The allowlist the sandbox's proxy applies, as host rules (empty → the default registries). */
function allowList(domains: readonly string[] | undefined): readonly string[] {
  const d = domains?.filter((x) => x.trim()) ?? [];
  return d.length ? d : DEFAULT_ALLOWED_DOMAINS;
}

function portOf(u: URL): number {
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

function httpRefusal(config: HttpServer, domains: readonly string[] | undefined): string | null {
  const u = new URL(config.url);
  if (hostAllowed(u.hostname.replace(/^\[|\]$/g, ''), portOf(u), allowList(domains))) return null;
  return `was not started: ${u.host} is not in allowed-domains (HTTP MCP servers are reached through the same allowlist as Bash); add ${u.port ? u.host : u.hostname} to allowed-domains`;
}

/** Streamable HTTP from the action's process; every request, redirects included, checked against the allowlist. */
function httpTransport(config: HttpServer, domains: readonly string[] | undefined): Transport {
  const list = allowList(domains);
  const checked = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const u = new URL(url);
    if (!hostAllowed(u.hostname.replace(/^\[|\]$/g, ''), portOf(u), list))
      throw new Error(`${u.host} is not in allowed-domains`);
    // A redirect is not followed by fetch itself, where the check above would not see it.
    return fetch(url, { ...init, redirect: 'manual' });
  };
  return new StreamableHTTPClientTransport(new URL(config.url), {
    fetch: checked,
    requestInit: { headers: { ...config.headers } },
  });
}

async function listAll(client: Client, deadline: number): Promise<McpTool[]> {
  const out: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const r = await client.listTools(cursor ? { cursor } : {}, { timeout: Math.max(1, deadline - Date.now()) });
    out.push(...r.tools);
    cursor = r.nextCursor;
    if (!cursor || out.length > MAX_TOOLS_PER_SERVER) break;
  }
  return out;
}

class DeadlineError extends Error {}

function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError('deadline')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** "exited with code 1 — stderr: …" from what the transport saw. */
function describeFailure(why: string, stdio: SandboxedStdioTransport | null, mask: (s: string) => string): string {
  const parts = [stdio?.exitReason() && /closed/i.test(why) ? stdio.exitReason()! : why];
  const garbage = stdio?.garbage();
  if (garbage) parts.push(`it wrote to stdout what is not JSON-RPC: ${codeSpan(garbage.slice(0, 120))}`);
  const tail = stdio?.stderrTail();
  if (tail) parts.push(`stderr: ${codeSpan(headAndTail(oneLine(tail)))}`);
  return mask(parts.join('; '));
}

function describeDown(server: Server, mask: (s: string) => string): string {
  return describeFailure(server.stdio?.exitReason() ?? 'closed the connection', server.stdio, mask);
}

/** A crash names its error first and its last words last (a stack trace between): both, when it is long. */
function headAndTail(s: string): string {
  const half = TAIL_IN_REPORT / 2;
  return s.length <= TAIL_IN_REPORT ? s : `${s.slice(0, half).trimEnd()} … ${s.slice(-half).trimStart()}`;
}

/** The server's own words in the report, as code: no Markdown, HTML or @mention of theirs renders. */
function codeSpan(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Each server's tools within the bounds; what was left out is logged by name. */
function buildTools(
  servers: ReadonlyArray<{ server: Server; listed: McpTool[] }>,
  o: HubOptions,
  mask: (s: string) => string,
): Tool[] {
  const out: Tool[] = [];
  const dropped: string[] = [];
  let bytes = 0;
  for (const { server, listed } of servers) {
    const wanted = server.config.tools;
    let taken = 0;
    for (const t of listed) {
      if (wanted && !wanted.includes(t.name)) continue;
      const name = mcpToolName(server.config.name, t.name);
      const why =
        taken >= MAX_TOOLS_PER_SERVER
          ? `more than ${MAX_TOOLS_PER_SERVER} tools on one server`
          : name.length > MAX_TOOL_NAME
            ? `the name is longer than ${MAX_TOOL_NAME} characters`
            : null;
      const definition = why ? null : toDefinition(name, t);
      const size = definition ? JSON.stringify(definition).length : 0;
      const reason =
        why ??
        (!definition
          ? `its input schema is over ${MAX_SCHEMA_CHARS} characters`
          : bytes + size > MAX_DEFINITION_BYTES
            ? `the MCP tools would add more than ${MAX_DEFINITION_BYTES / 1000} KB to every request`
            : null);
      if (reason || !definition) {
        dropped.push(`${name} (${reason})`);
        continue;
      }
      bytes += size;
      taken++;
      out.push(mcpTool(server, t, definition, mask, o.callTimeoutMs));
    }
  }
  if (dropped.length) {
    const shown = dropped.slice(0, 30).join(', ');
    o.log.warning(
      `${dropped.length} MCP tool(s) left out: ${shown}${dropped.length > 30 ? `, and ${dropped.length - 30} more` : ''}.`,
    );
  }
  return out;
}

/** The definition the model sees: the server's description cut, its input schema as it is (without `$schema`). */
export function toDefinition(name: string, t: McpTool): ToolDefinition | null {
  const { $schema: _drop, type: _type, properties, required, ...rest } = t.inputSchema as Record<string, unknown>;
  const schema = {
    ...rest,
    type: 'object' as const,
    properties: (properties ?? {}) as Record<string, Record<string, unknown>>,
    ...(Array.isArray(required) && required.length ? { required: required as string[] } : {}),
  };
  if (JSON.stringify(schema).length > MAX_SCHEMA_CHARS) return null;
  const text = oneParagraphs(t.description ?? t.title ?? '');
  const description =
    text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1).trimEnd()}…` : text;
  return { name, description: description || `The tool ${t.name} of an MCP server.`, input_schema: schema };
}

function oneParagraphs(s: string): string {
  return s
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function mcpTool(
  server: Server,
  t: McpTool,
  definition: ToolDefinition,
  mask: (s: string) => string,
  defaultTimeoutMs?: number,
): Tool {
  const timeout = server.config.timeoutMs ?? defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const name = definition.name;
  return {
    definition,
    readOnly: t.annotations?.readOnlyHint === true,
    async call(input, ctx): Promise<ToolResult> {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return fail(name, 'the input must be a JSON object.');
      server.calls++;
      if (server.down) return fail(name, `the MCP server "${server.config.name}" is not running: ${server.down}.`);
      try {
        const r = await server.client.callTool(
          { name: t.name, arguments: input as Record<string, unknown> },
          undefined,
          {
            timeout,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          },
        );
        if (!('content' in r)) return fail(name, 'the server answered in a format older than MCP 2024-11-05.');
        return mapCallResult(name, r as CallToolResult);
      } catch (e) {
        if (ctx.signal?.aborted) return fail(name, 'cancelled.');
        return fail(name, callError(e, server, timeout, mask));
      }
    },
  };
}

function callError(e: unknown, server: Server, timeoutMs: number, mask: (s: string) => string): string {
  const s = `the MCP server "${server.config.name}"`;
  if (e instanceof McpError && e.code === Number(ErrorCode.RequestTimeout))
    return `${s} did not answer within ${timeoutMs / 1000} s; the call was abandoned. Try a smaller request, or do without this tool.`;
  if (server.down || (e instanceof McpError && e.code === Number(ErrorCode.ConnectionClosed)))
    return `${s} stopped during the call: ${server.down ?? describeDown(server, mask)}.`;
  return `${s} returned an error: ${errorMessage(e)}`;
}
