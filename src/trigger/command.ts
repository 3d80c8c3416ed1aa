// The command in a comment: `/<agent-name> <task>` on the comment's first non-blank line. Only that line can hold
// it, so a quoted, fenced or indented command (someone citing an earlier comment) never starts a run.

export interface Command {
  /** The agent's name as spelled in `agentNames` (or `only`). */
  readonly agent: string;
  /** The rest of the command line plus the following lines, trimmed; '' when the comment holds only the command. */
  readonly task: string;
}

/** Characters that may continue an agent name: `/backend-developer2` and `/backend-developer-x` are other names. */
const NAME_CHAR = /[\p{L}\p{N}_.-]/u;
/** Punctuation allowed right after the name and dropped from the task: `/backend-developer: add an endpoint`. */
const AFTER_NAME = /^[:,]/;

/**
 * The command of a comment body, or null when it has none for these agents.
 * `agentNames` are compared case-insensitively as plain strings (no patterns); with `only` set, only that agent answers.
 */
export function parseCommand(body: string, agentNames: readonly string[], only?: string): Command | null {
  const first = firstLine(body);
  if (!first) return null;
  const names = only ? [only] : [...agentNames];
  // Longest first, so of `/backend` and `/backend-dev` the whole word wins even if both are agents.
  names.sort((a, b) => b.length - a.length);
  const line = first.line;
  for (const name of names) {
    if (!name) continue;
    const end = 1 + name.length;
    if (line.slice(1, end).toLowerCase() !== name.toLowerCase()) continue;
    const next = line.charAt(end);
    if (next && NAME_CHAR.test(next)) continue;
    if (next && !/\s/.test(next) && !AFTER_NAME.test(next)) continue;
    const rest = line.slice(end).replace(AFTER_NAME, '');
    const task = [rest, ...first.following].join('\n').trim();
    return { agent: name, task };
  }
  return null;
}

/**
 * The `/name` a comment starts with, whatever the agents are (lower-cased), or null. For telling "not a command" from
 * "a command for an agent we do not know" — `/cc` or `/lgtm` are commands for other bots, so only reply when it is close.
 */
export function commandName(body: string): string | null {
  const first = firstLine(body);
  if (!first) return null;
  const m = /^\/([\p{L}\p{N}_][\p{L}\p{N}_.-]*)/u.exec(first.line);
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** True when the comment starts with a `/word` command line, for any agent. */
export function isCommandLike(body: string): boolean {
  return commandName(body) !== null;
}

/**
 * The first non-blank line when it starts with `/` as Markdown paragraph text (at most three spaces of indentation,
 * not a quote, fence or indented code), with its leading spaces removed, and the lines after it.
 */
function firstLine(body: string): { line: string; following: string[] } | null {
  const lines = body.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const i = lines.findIndex((l) => l.trim() !== '');
  if (i < 0) return null;
  const raw = lines[i] ?? '';
  // Four spaces or a tab (after up to three spaces) make an indented code block.
  const indent = /^ {0,3}/.exec(raw)?.[0].length ?? 0;
  const line = raw.slice(indent);
  if (!line.startsWith('/')) return null; // also rules out `>` quotes, ``` / ~~~ fences, lists and indented code
  return { line: line.trimEnd(), following: lines.slice(i + 1) };
}

/** The known name within `maxDistance` edits of `name` (a typo like `/backend-develper`), or null. */
export function nearestName(name: string, names: readonly string[], maxDistance = 2): string | null {
  let best: string | null = null;
  let bestDistance = maxDistance + 1;
  for (const candidate of names) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
