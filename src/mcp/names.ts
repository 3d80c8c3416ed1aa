/**
 * MCP tool names as Claude Code writes them, `mcp__<server>__<tool>`, and which of them an agent is offered. Agent
 * files in the wild name these in their `tools:` line, either a whole server (`mcp__github`) or single tools
 * (`mcp__github__create_issue`).
 */

export const MCP_PREFIX = 'mcp__';

/** The Messages API's limit on a tool name (`^[a-zA-Z0-9_-]{1,64}$`). */
export const MAX_TOOL_NAME = 64;

/** A name part as Claude Code normalises it: anything outside [A-Za-z0-9_-] becomes "_". */
export function normalizeName(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function mcpToolName(server: string, tool: string): string {
  return `${MCP_PREFIX}${normalizeName(server)}__${normalizeName(tool)}`;
}

export function isMcpName(name: string): boolean {
  return name.startsWith(MCP_PREFIX);
}

/**
 * The MCP tools offered out of `available` (full names): every one when `requested` is undefined (no `tools:` line),
 * else those a requested entry names, whole server (`mcp__github`) or single tool, compared case-sensitively as
 * Claude Code does. Entries that are not MCP names are ignored here.
 */
export function selectMcpTools(requested: readonly string[] | undefined, available: readonly string[]): string[] {
  if (requested === undefined) return [...available];
  const wanted = requested.filter(isMcpName).map((r) => normalizeMcpEntry(r));
  return available.filter((name) => wanted.some((w) => name === w || name.startsWith(`${w}__`)));
}

/** `mcp__my.server__tool` written by hand → the normalised form the tool list uses. */
function normalizeMcpEntry(entry: string): string {
  const rest = entry.slice(MCP_PREFIX.length);
  const cut = rest.indexOf('__');
  return cut === -1
    ? `${MCP_PREFIX}${normalizeName(rest)}`
    : `${MCP_PREFIX}${normalizeName(rest.slice(0, cut))}__${normalizeName(rest.slice(cut + 2))}`;
}

/** The entries of a `tools:` line (or the allowed-tools input) that name no tool of a configured server. */
export function unknownMcpEntries(requested: readonly string[], available: readonly string[]): string[] {
  return requested.filter(isMcpName).filter((r) => selectMcpTools([r], available).length === 0);
}
