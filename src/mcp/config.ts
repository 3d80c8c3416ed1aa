/**
 * Which MCP servers a run has, from the places people already keep them, later sources overriding earlier ones by
 * server name:
 *   1. `.mcp.json` at the repository root (Claude Code's project file: `{"mcpServers": {name: config}}`);
 *   2. the agent file's frontmatter: `mcpServers` (Claude Code: a mapping, or a list of names and one-key mappings)
 *      or `mcp-servers` (Copilot custom agents);
 *   3. the `mcp-config` input (the same JSON as `.mcp.json`).
 * `${VAR}` and `${VAR:-default}` are expanded from the action's environment in the input only: a file from the
 * repository is data, and must not be able to pull a secret out of the runner's environment into a server it chose.
 * Nothing here throws for bad input: every problem is a warning naming its source, and the server is left out.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const MCP_JSON = '.mcp.json';

interface Common {
  /** The server's name as configured (the `<server>` in `mcp__<server>__<tool>`, normalised there). */
  readonly name: string;
  /** Where it was configured: ".mcp.json", "agent file .claude/agents/x.md" or "input mcp-config". */
  readonly source: string;
  /** Copilot's per-server `tools` list: only these tools are offered (absent or "*": all). */
  readonly tools?: readonly string[];
  /** Per-call timeout in ms (`timeout`), default DEFAULT_CALL_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

export interface StdioServer extends Common {
  readonly kind: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  /** The only variables the server gets besides PATH and HOME. */
  readonly env: Readonly<Record<string, string>>;
}

export interface HttpServer extends Common {
  readonly kind: 'http';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type ServerConfig = StdioServer | HttpServer;

export interface McpConfig {
  readonly servers: readonly ServerConfig[];
  /** One line each: what was wrong, where, and what happens (the server or the file is left out). */
  readonly warnings: readonly string[];
  /**
   * Values from the `mcp-config` input's env and headers (after expansion), and every value a `${VAR}` there took
   * from the environment: masked in tool results, as they are usually secrets (a DATABASE_URL, a bearer token).
   */
  readonly secrets: readonly string[];
}

/** Server names as Claude Code accepts them; they become part of a tool name. */
const SERVER_NAME = /^[A-Za-z0-9_.-]{1,48}$/;

type Expand = ((text: string, where: string) => string) | null;

/** Reads and merges every source. `agentServers` is the raw frontmatter value; `input` the raw `mcp-config`. */
export async function loadMcpConfig(o: {
  workspace: string;
  agentFile?: string;
  agentServers?: unknown;
  input?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<McpConfig> {
  const warnings: string[] = [];
  const secrets: string[] = [];
  const byName = new Map<string, ServerConfig>();
  const put = (list: readonly ServerConfig[]): void => {
    for (const s of list) {
      byName.delete(s.name);
      byName.set(s.name, s);
    }
  };

  let fileText: string | null = null;
  try {
    fileText = await readFile(path.join(o.workspace, MCP_JSON), 'utf8');
  } catch {
    // no .mcp.json: nothing to add
  }
  if (fileText !== null) put(parseJsonSource(fileText, MCP_JSON, null, warnings, secrets));

  if (o.agentServers !== undefined && o.agentServers !== null) {
    const where = `agent file ${o.agentFile ?? ''}`.trim();
    put(parseAgentServers(o.agentServers, where, byName, warnings));
  }

  if (o.input?.trim()) {
    const env = o.env ?? process.env;
    // Every value taken from the environment is treated as a secret, wherever it lands (an env value, an argument).
    const expand: Expand = (t, w) => expandVars(t, env, w, (v) => secrets.push(v));
    put(parseJsonSource(o.input, 'input mcp-config', expand, warnings, secrets));
  }
  return { servers: [...byName.values()], warnings, secrets: [...new Set(secrets)].filter((s) => s.length >= 8) };
}

/** `.mcp.json` or the input: `{"mcpServers": {...}}` (a bare `{name: config}` mapping is accepted from the input). */
function parseJsonSource(
  text: string,
  source: string,
  expand: Expand,
  warnings: string[],
  secrets: string[],
): ServerConfig[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    warnings.push(
      `${source}: not valid JSON (${(e as Error).message}); its MCP servers are not started. Fix the JSON (a trailing comma or a comment is a common cause).`,
    );
    return [];
  }
  if (!isRecord(data)) {
    warnings.push(`${source}: must be a JSON object {"mcpServers": {...}}; its MCP servers are not started.`);
    return [];
  }
  const servers = 'mcpServers' in data ? data.mcpServers : expand ? data : undefined;
  if (!isRecord(servers)) {
    warnings.push(
      `${source}: "mcpServers" must be an object of servers by name, e.g. {"mcpServers": {"db": {"command": "npx", "args": ["-y", "some-mcp-server"]}}}; no MCP servers from it.`,
    );
    return [];
  }
  const out: ServerConfig[] = [];
  for (const [name, raw] of Object.entries(servers)) {
    const s = parseServer(name, raw, source, expand, warnings);
    if (!s) continue;
    if (expand) {
      const values = s.kind === 'stdio' ? Object.values(s.env) : Object.values(s.headers);
      secrets.push(...values);
    }
    out.push(s);
  }
  return out;
}

/**
 * The frontmatter's servers: a mapping of name → config (both formats), or Claude Code's list whose entries are a
 * name (a server configured elsewhere: kept as it is) or a one-key mapping name → config.
 */
function parseAgentServers(
  raw: unknown,
  source: string,
  known: ReadonlyMap<string, ServerConfig>,
  warnings: string[],
): ServerConfig[] {
  const entries: Array<[string, unknown]> = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (typeof item === 'string') {
        if (!known.has(item))
          warnings.push(`${source}: mcpServers names "${item}", which no ${MCP_JSON} or mcp-config defines; left out.`);
      } else if (isRecord(item)) entries.push(...Object.entries(item));
      else warnings.push(`${source}: an mcpServers entry must be a server name or "name: {config}"; one is ignored.`);
    }
  } else if (isRecord(raw)) entries.push(...Object.entries(raw));
  else {
    warnings.push(`${source}: mcpServers must be a mapping of servers by name (or a list); ignored.`);
    return [];
  }
  return entries.flatMap(([name, cfg]) => parseServer(name, cfg, source, null, warnings) ?? []);
}

/** One server's config, or null with a warning saying what was wrong. */
export function parseServer(
  name: string,
  raw: unknown,
  source: string,
  expand: Expand,
  warnings: string[],
): ServerConfig | null {
  const bad = (what: string): null => {
    warnings.push(`${source}: MCP server "${name}" ${what}; it is not started.`);
    return null;
  };
  if (!SERVER_NAME.test(name)) return bad('has a name outside letters, digits, "_", "-" and "." (48 at most)');
  if (!isRecord(raw)) return bad('must be an object with "command" (stdio) or "url" (http)');
  try {
    const x = expand ?? ((t: string) => t);
    const common = {
      name,
      source,
      ...toolsField(raw.tools),
      ...timeoutField(raw.timeout),
    };
    const type = typeof raw.type === 'string' ? raw.type.toLowerCase() : undefined;
    if (type === 'sse') return bad('uses the "sse" transport, which is deprecated and not supported; use "http"');
    if (type === 'http' || type === 'streamable-http' || (type === undefined && raw.url !== undefined)) {
      if (typeof raw.url !== 'string' || !raw.url) return bad('needs "url": the server\'s Streamable HTTP endpoint');
      const url = x(raw.url, `${name}.url`);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return bad(`has "url" ${JSON.stringify(url)}, which is not a URL`);
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return bad('needs an http(s) URL');
      const headers = stringMap(raw.headers, 'headers', bad, (v, k) => x(v, `${name}.headers.${k}`));
      if (!headers) return null;
      return { ...common, kind: 'http', url, headers };
    }
    if (type !== undefined && type !== 'stdio' && type !== 'local')
      return bad(`has type "${raw.type as string}"; use "stdio" (a command) or "http" (a URL)`);
    if (typeof raw.command !== 'string' || !raw.command.trim())
      return bad('needs "command" (or "type": "http" and "url")');
    if (raw.args !== undefined && (!Array.isArray(raw.args) || raw.args.some((a) => typeof a !== 'string')))
      return bad('has "args" that is not a list of strings');
    const args = ((raw.args ?? []) as string[]).map((a, i) => x(a, `${name}.args[${i}]`));
    const env = stringMap(raw.env, 'env', bad, (v, k) => x(v, `${name}.env.${k}`));
    if (!env) return null;
    return { ...common, kind: 'stdio', command: x(raw.command, `${name}.command`), args, env };
  } catch (e) {
    if (e instanceof Problem) return bad(e.message);
    throw e;
  }
}

function toolsField(raw: unknown): { tools?: string[] } {
  if (raw === undefined || raw === null) return {};
  if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'string'))
    throw new Problem('has "tools" that is not a list of tool names');
  const list = raw as string[];
  return list.includes('*') ? {} : { tools: list };
}

function timeoutField(raw: unknown): { timeoutMs?: number } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 1000 || raw > 600_000)
    throw new Problem('has "timeout" outside 1000…600000 (milliseconds per call)');
  return { timeoutMs: Math.round(raw) };
}

function stringMap(
  raw: unknown,
  field: string,
  bad: (what: string) => null,
  map: (value: string, key: string) => string,
): Record<string, string> | null {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) return bad(`has "${field}" that is not an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      return bad(`has "${field}.${k}" that is not a string`);
    out[k] = map(String(v), k);
  }
  return out;
}

/** A config problem found while reading one server (an unset variable, a bad field): that server is left out. */
class Problem extends Error {}

/** `${VAR}` and `${VAR:-default}` from `env`; an unset variable without a default is an error naming it. */
export function expandVars(
  text: string,
  env: NodeJS.ProcessEnv,
  where: string,
  used: (value: string) => void = () => {},
): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      used(v);
      return v;
    }
    if (fallback !== undefined) return fallback;
    throw new Problem(
      `uses \${${name}} in ${where}, but ${name} is not set in the step's environment (add it under env:, or write \${${name}:-default})`,
    );
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
