/**
 * Tool names as agent files write them, mapped onto Claude Code's names (the names this action's tools carry), and
 * the set a run offers: what the file asks for, minus `disallowedTools`, within the `allowed-tools` input, among
 * the tools the run actually has. A name the run does not have is never an error: Claude Code and Copilot ignore
 * tools they do not know, so the agent runs with the rest and the report says what was left out.
 */
import picomatch from 'picomatch';

/**
 * Claude Code's tool names that agent files use and that this action knows of (whether or not a given run has
 * them: that is `available`, passed in). Names outside this list still pass through as written.
 */
export const CLAUDE_TOOL_NAMES = [
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'Bash',
  'BashOutput',
  'KillShell',
  'Glob',
  'Grep',
  'WebFetch',
  'WebSearch',
  'TodoWrite',
  'Agent',
  'Skill',
  'NotebookEdit',
] as const;

/**
 * Other spellings (compared lower-cased) → Claude Code's names. Claude Code's own older names; GitHub Copilot's
 * aliases (docs.github.com "custom agents configuration": read, edit, search, execute/shell, agent, web, todo) and
 * VS Code's tool names; Gemini CLI's tool names and display names. An alias maps to the main tools only (`execute`
 * → Bash, not BashOutput), so the report never lists as missing a tool the file did not name.
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  // Claude Code: the delegation tool was Task; KillBash became KillShell; LS is gone (Glob lists).
  task: ['Agent'],
  killbash: ['KillShell'],
  ls: ['Glob'],
  // GitHub Copilot custom agents.
  read: ['Read'],
  notebookread: ['Read'],
  edit: ['Edit', 'Write'],
  search: ['Grep', 'Glob'],
  execute: ['Bash'],
  shell: ['Bash'],
  powershell: ['Bash'],
  'custom-agent': ['Agent'],
  web: ['WebFetch', 'WebSearch'],
  todo: ['TodoWrite'],
  // VS Code chat modes and Copilot agents written for it.
  codebase: ['Grep', 'Glob'],
  editfiles: ['Edit', 'Write'],
  createfile: ['Write'],
  runcommands: ['Bash'],
  runinterminal: ['Bash'],
  terminal: ['Bash'],
  fetch: ['WebFetch'],
  todos: ['TodoWrite'],
  findtestfiles: ['Glob'],
  textsearch: ['Grep'],
  filesearch: ['Glob'],
  readfile: ['Read'],
  // Gemini CLI: tool names, then display names.
  read_file: ['Read'],
  read_many_files: ['Read'],
  write_file: ['Write'],
  replace: ['Edit'],
  run_shell_command: ['Bash'],
  search_file_content: ['Grep'],
  grep_search: ['Grep'],
  list_directory: ['Glob'],
  web_fetch: ['WebFetch'],
  google_web_search: ['WebSearch'],
  web_search: ['WebSearch'],
  write_todos: ['TodoWrite'],
  activate_skill: ['Skill'],
  writefile: ['Write'],
  findfiles: ['Glob'],
  searchtext: ['Grep'],
  readfolder: ['Glob'],
  readmanyfiles: ['Read'],
  googlesearch: ['WebSearch'],
};

const BY_LOWER = new Map<string, readonly string[]>([
  ...CLAUDE_TOOL_NAMES.map((n): [string, readonly string[]] => [n.toLowerCase(), [n]]),
  ...Object.entries(ALIASES),
]);

/** `mcp__<server>__<tool>` or `mcp__<server>`: an MCP server's tool, or all of them. */
const MCP_NAME = /^mcp__[A-Za-z0-9_.-]+$/;

/**
 * Claude Code's names for one entry of a `tools` line, in order: a Claude name in any case, an alias (one may stand
 * for several tools), `mcp__…` as written, Copilot's `server/tool` and `server/*` as the MCP names they mean, a
 * permission pattern's tool (`Bash(git:*)` → Bash), a wildcard as written (`*`, `mcp__github__*`), and anything
 * else as written (it will be reported as not available).
 */
export function canonicalToolNames(entry: string): string[] {
  const t = entry.trim().replace(/^(['"])(.*)\1$/, '$2');
  if (t === '') return [];
  if (t.startsWith('mcp__')) return [t];
  const perm = /^([A-Za-z_][\w-]*)\s*\(.*\)$/.exec(t);
  if (perm) return canonicalToolNames(perm[1]!);
  // Claude Code's own spelling first: `Edit` is Edit, while Copilot's lower-case `edit` also means Write.
  if ((CLAUDE_TOOL_NAMES as readonly string[]).includes(t)) return [t];
  const known = BY_LOWER.get(t.toLowerCase());
  if (known) return [...known];
  const slash = /^([^/\s]+)\/([^/\s]+)$/.exec(t);
  if (slash) {
    const [, server, tool] = slash as unknown as [string, string, string];
    // VS Code's grouped names (`search/codebase`, `edit/editFiles`, `web/fetch`) name built-in tools; anything
    // else is Copilot's `<mcp server>/<tool>`.
    const inner = BY_LOWER.get(tool.toLowerCase()) ?? BY_LOWER.get(server.toLowerCase());
    if (inner) return [...inner];
    return [tool === '*' ? `mcp__${server}` : `mcp__${server}__${tool}`];
  }
  return [t];
}

/** Whether a name is one the `allowed-tools` input may use: a Claude Code name or alias, or `mcp__…`. */
export function isKnownToolName(name: string): boolean {
  return MCP_NAME.test(name) || BY_LOWER.has(name.trim().toLowerCase());
}

/** Whether `pattern` (a name from a file or an input) covers the tool `name` the run has. */
export function toolMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  // `mcp__server` stands for every tool of that server.
  if (pattern.startsWith('mcp__') && !pattern.slice(5).includes('__') && name.startsWith(`${pattern}__`)) return true;
  return pattern.includes('*') && picomatch.isMatch(name, pattern, { dot: true });
}

export interface OfferedTools {
  /** The tools to offer, in the order of `available`. */
  readonly offered: string[];
  /** What the file asks for that this run does not have, as the canonical names (in the file's order). */
  readonly unavailable: string[];
}

/**
 * The tools a run offers an agent. `agent.tools` null = every tool the run has; `available` = the names the run
 * has (the built-ins and the session's and MCP servers' tools); `allowed` = the `allowed-tools` input (null = no
 * restriction), which narrows and never widens. Tools taken away by `disallowedTools` or the input are not
 * "unavailable": only what the file asks for and the run lacks is.
 */
export function offeredTools(
  agent: { readonly tools: readonly string[] | null; readonly disallowedTools?: readonly string[] },
  available: readonly string[],
  allowed: readonly string[] | null = null,
): OfferedTools {
  const asked = agent.tools ?? ['*'];
  const unavailable = asked.filter((p) => !available.some((n) => toolMatches(p, n)));
  const denied = agent.disallowedTools ?? [];
  const allow = allowed?.flatMap(canonicalToolNames) ?? null;
  const offered = available.filter(
    (n, i) =>
      available.indexOf(n) === i &&
      asked.some((p) => toolMatches(p, n)) &&
      !denied.some((p) => toolMatches(p, n)) &&
      (allow === null || allow.some((p) => toolMatches(p, n))),
  );
  return { offered, unavailable: [...new Set(unavailable)] };
}
