/**
 * MCP servers for a run: read their configuration (config.ts), and when there is any, start them (mcp-client.ts,
 * loaded only then: a run without MCP never parses the SDK). What comes back is the servers' tools for the toolbox's
 * `extraTools`, their names for the offered set, and the report lines.
 */
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SandboxMode } from '../tools/sandbox.ts';
import type { Tool } from '../tools/schema.ts';
import { loadMcpConfig } from './config.ts';
import type { McpHub } from './mcp-client.ts';
import { selectMcpTools } from './names.ts';

export { loadMcpConfig, MCP_JSON, type McpConfig, type ServerConfig } from './config.ts';
export { isMcpName, mcpToolName, selectMcpTools, unknownMcpEntries } from './names.ts';

export interface McpSetup {
  /** Every tool of the servers that started (pass them as the toolbox's extraTools). */
  readonly tools: readonly Tool[];
  /** Values from the mcp-config input (env, headers): mask them in tool results. */
  readonly secrets: readonly string[];
  /** The offered MCP tool names for an agent's `tools:` entries (undefined: no tools line, every server). */
  offer(requested: readonly string[] | undefined): string[];
  /** Report lines: servers used with their calls, servers that failed with their stderr tail. */
  summary(): string[];
  /** Kills every server's process group. Safe to call twice. */
  close(): Promise<void>;
}

export interface McpOptions {
  readonly workspace: string;
  /** The agent file (for messages) and its raw `mcpServers` / `mcp-servers` frontmatter value. */
  readonly agentFile?: string;
  readonly agentServers?: unknown;
  /** The raw `mcp-config` input. */
  readonly input?: string;
  /** The action's environment: `${VAR}` in the input expands from it; PATH and HOME come from it. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default 'auto'. */
  readonly sandbox?: SandboxMode;
  readonly allowedDomains?: readonly string[];
  readonly hiddenPaths?: readonly string[];
  readonly log: Logger;
  readonly noSandboxSetup?: boolean;
  readonly startupTimeoutMs?: number;
  readonly callTimeoutMs?: number;
}

const NONE: McpSetup = {
  tools: [],
  secrets: [],
  offer: () => [],
  summary: () => [],
  close: async () => {},
};

/** Reads the configuration and starts the servers; never throws for a bad config or a failing server. */
export async function startMcp(o: McpOptions): Promise<McpSetup> {
  const env = o.env ?? process.env;
  const config = await loadMcpConfig({
    workspace: o.workspace,
    agentFile: o.agentFile,
    agentServers: o.agentServers,
    input: o.input,
    env,
  });
  for (const w of config.warnings) o.log.warning(w);
  if (!config.servers.length) return NONE;
  o.log.info(`MCP servers: starting ${config.servers.map((s) => `${s.name} (${s.kind}, ${s.source})`).join(', ')}.`);
  let hub: McpHub;
  try {
    const { startMcpServers } = await import('./mcp-client.ts');
    hub = await startMcpServers({
      servers: config.servers,
      workspace: o.workspace,
      sandbox: o.sandbox ?? 'auto',
      allowedDomains: o.allowedDomains,
      env,
      hiddenPaths: o.hiddenPaths,
      secrets: config.secrets,
      log: o.log,
      noSandboxSetup: o.noSandboxSetup,
      // Claude Code's variables for the same two timeouts, in ms.
      startupTimeoutMs: o.startupTimeoutMs ?? msFrom(env.MCP_TIMEOUT),
      callTimeoutMs: o.callTimeoutMs ?? msFrom(env.MCP_TOOL_TIMEOUT),
    });
  } catch (e) {
    // Each server's own failure is handled inside; this is the client itself failing to load or start.
    o.log.warning(`MCP servers could not be started: ${errorMessage(e)}. The run goes on without them.`);
    return NONE;
  }
  const names = hub.tools.map((t) => t.definition.name);
  let closing: Promise<void> | null = null;
  return {
    tools: hub.tools,
    secrets: config.secrets,
    offer: (requested) => selectMcpTools(requested, names),
    summary: () => hub.summary(),
    close: () => (closing ??= hub.close()),
  };
}

function msFrom(v: string | undefined): number | undefined {
  const n = Number(v);
  return v && Number.isFinite(n) && n >= 1000 ? n : undefined;
}
