import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { DEFAULT_AGENTS_DIR, TOOL_NAMES, type ToolName } from '../constants.ts';
import { FrontmatterMissing, readFrontmatter, type Frontmatter } from './frontmatter.ts';
import { canonicalToolNames } from './tool-names.ts';
export { TOOL_NAMES, type ToolName };
export { offeredTools, canonicalToolNames, isKnownToolName, CLAUDE_TOOL_NAMES } from './tool-names.ts';

export { DEFAULT_AGENTS_DIR };

export const GITHUB_AGENTS_DIR = '.github/agents';
export const GEMINI_AGENTS_DIR = '.gemini/agents';

/** Which tool's convention a file follows: where it was found decides (fields are read the same way). */
export type AgentFormat = 'claude' | 'copilot' | 'gemini' | 'builtin';

/** One agent: a Markdown file with YAML frontmatter; the body is its instructions. */
export interface AgentDefinition {
  /** The command: `/<name>`. */
  name: string;
  description: string;
  /**
   * The tools the file asks for, as Claude Code's names (aliases mapped, `mcp__…` and wildcards as written);
   * null when the file has no tools line: every tool the run has. `[]`: no tools.
   */
  tools: readonly string[] | null;
  /** Tools the file takes away (`disallowedTools`), as canonical names; [] when none. */
  disallowedTools: readonly string[];
  /** Alias or id as written; undefined when absent or `inherit` (the action's default applies). */
  model?: string;
  /** `maxTurns` / `max_turns`: at most this many turns (the `max-turns` input still caps it). */
  maxTurns?: number;
  /** Gemini's `timeout_mins`: at most this many minutes (the `timeout-minutes` input still caps it). */
  timeoutMinutes?: number;
  body: string;
  /** Absolute path of the agent file. */
  file: string;
  /**
   * Absolute real paths of the files and folders the body links to with relative Markdown links, resolved relative
   * to the agent file; only ones that exist and stay inside the confinement root. The Read tool may read them
   * (read-only) even outside the workspace.
   */
  referenceRoots: string[];
  builtin: boolean;
  format: AgentFormat;
  /** The raw `mcpServers` (Claude Code, Gemini) or `mcp-servers` (Copilot) frontmatter value; parsed in src/mcp. */
  mcpServers?: unknown;
  /** What in the file was ignored or replaced, each naming the file and line; logged when this agent runs. */
  warnings: readonly string[];
}

export interface AgentFileProblem {
  /** Absolute path of the file. */
  file: string;
  /** The agent name the file declares, or its file name without `.md` when the name cannot be read. */
  name: string;
  message: string;
}

export interface AgentCatalog {
  agents: Map<string, AgentDefinition>;
  /** Files that cannot be a command. They never break other agents; one shadows later files (and built-ins) of the same name. */
  errors: AgentFileProblem[];
}

/** An agent file that cannot be a command; `agentName` is what `/<name>` would have been. */
export class AgentFileError extends UserError {
  override name = 'AgentFileError';
  readonly file: string;
  readonly agentName: string;
  constructor(file: string, agentName: string, message: string) {
    super(message);
    this.file = file;
    this.agentName = agentName;
  }
}

/**
 * A command name: letters, digits, `-`, `_` and `.`, starting with a letter or digit. A dot must be followed by
 * another character that is not a dot: the name starts the branch name, and git refuses `..` and a trailing `.`.
 */
const NAME_RE = /^[a-z0-9](?:[a-z0-9_-]|\.(?=[a-z0-9_-]))*$/i;
/** Claude Code's limit: it skips larger files. */
const MAX_FILE_BYTES = 1024 * 1024;
/** Fields read here (normalised keys); others are ignored (debug log). */
const KNOWN_FIELDS = new Set([
  'name',
  'description',
  'tools',
  'disallowedtools',
  'model',
  'maxturns',
  'timeoutmins',
  'mcpservers',
]);

export interface ParseOptions {
  /** Links resolving outside this folder are dropped from `referenceRoots`. Default: the agent file's folder. */
  confineTo?: string;
  builtin?: boolean;
  /** Default 'claude' ('builtin' when `builtin`). Copilot files may leave out `name`: the file name is used. */
  format?: AgentFormat;
  log?: Logger;
}

/** The file name without `.agent.md` / `.md`: Copilot's default name. */
export function fileStem(file: string): string {
  return path.basename(file).replace(/(\.agent)?\.md$/i, '');
}

/**
 * Parses one agent file. Only a file that cannot be a command (no frontmatter, no usable name, over 1 MB) throws
 * AgentFileError (a UserError) naming the file, the line and the fix; anything else that is off is replaced or
 * ignored and said in `warnings`.
 */
export function parseAgentFile(file: string, text: string, opts: ParseOptions = {}): AgentDefinition {
  const abs = path.resolve(file);
  const shown = opts.builtin ? path.basename(abs) : displayPath(abs, opts.confineTo);
  const format: AgentFormat = opts.format ?? (opts.builtin ? 'builtin' : 'claude');
  const stem = fileStem(abs);
  const at = (line: number | undefined): string => `Agent file ${shown}${line ? `:${line}` : ''}`;

  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    throw new AgentFileError(
      abs,
      stem,
      `${at(undefined)}: is ${Math.ceil(Buffer.byteLength(text) / 1024)} KB; keep agent files under ${MAX_FILE_BYTES / 1024} KB (move long material into linked documents).`,
    );
  }
  let fm: Frontmatter;
  try {
    fm = readFrontmatter(text);
  } catch (e) {
    if (e instanceof FrontmatterMissing) throw new AgentFileError(abs, stem, `${at(e.line)}: ${e.message}`);
    throw e;
  }
  const name = nameField(fm, {
    stem,
    format,
    fail: (line, m, asName) => new AgentFileError(abs, asName ?? stem, `${at(line)}: ${m}`),
  });
  const warnings: string[] = [];
  const warn = (field: string, message: string): void => void warnings.push(`${at(fm.lines[field])}: ${message}`);
  const log = opts.log ?? silentLogger;
  if (fm.mode !== 'yaml') {
    log.debug(
      `${at(fm.yamlError?.line)}: not strict YAML (${fm.yamlError?.reason ?? 'not fields'}); read as ${fm.mode === 'repaired' ? 'Claude Code repairs it' : 'plain "key: value" lines'}.`,
    );
  }
  const unknown = Object.keys(fm.data).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) log.debug(`${at(undefined)}: ignoring frontmatter field(s) ${unknown.join(', ')}.`);

  const body = fm.content.trim();
  if (body === '') {
    warnings.push(
      `${at(undefined)}: has no instructions after the frontmatter; the agent runs with only the action's own prompt. Write its instructions below the closing "---".`,
    );
  }
  const model = modelField(fm, warn);
  const maxTurns = positiveField(fm, 'maxturns', 'maxTurns', warn);
  const timeoutMinutes = positiveField(fm, 'timeoutmins', 'timeout_mins', warn);
  return {
    name,
    description: descriptionField(fm, warn),
    tools: toolsField(fm.data.tools, 'tools', warn),
    disallowedTools: toolsField(fm.data.disallowedtools, 'disallowedtools', warn) ?? [],
    ...(model !== undefined ? { model } : {}),
    ...(maxTurns !== undefined ? { maxTurns: Math.floor(maxTurns) } : {}),
    ...(timeoutMinutes !== undefined ? { timeoutMinutes } : {}),
    body,
    file: abs,
    referenceRoots: referenceRoots(abs, body, opts.confineTo ?? path.dirname(abs), log),
    builtin: opts.builtin ?? false,
    format,
    ...(fm.data.mcpservers !== undefined ? { mcpServers: fm.data.mcpservers } : {}),
    warnings,
  };
}

type Warn = (field: string, message: string) => void;

/**
 * Field `name`: the command `/<name>`. A number is taken as written; Copilot files may leave it out (or give a
 * display name) and are then named after the file. Anything else that cannot be a command is the one error.
 */
function nameField(
  fm: Frontmatter,
  o: {
    stem: string;
    format: AgentFormat;
    fail: (line: number | undefined, message: string, asName?: string) => AgentFileError;
  },
): string {
  const raw = fm.data.name;
  const line = fm.lines.name;
  const written =
    typeof raw === 'string' ? raw.trim() : isScalar(raw) ? (fm.text.name ?? String(raw)).trim() : undefined;
  if (written !== undefined && NAME_RE.test(written)) return written;
  if (o.format === 'copilot' && NAME_RE.test(o.stem)) return o.stem;
  if (written === undefined && raw !== undefined && raw !== null) {
    throw o.fail(
      line,
      `field "name" must be one word, got ${describe(raw)}. Write it as "name: ${slug(o.stem) || 'my-agent'}".`,
    );
  }
  if (written === undefined || written === '') {
    if (fm.notMapping) {
      throw o.fail(
        2,
        'the frontmatter must be YAML fields ("name: …"), not a list or a single value. Write "name: ' +
          (slug(o.stem) || 'my-agent') +
          '" as its first line.',
      );
    }
    throw o.fail(
      line ?? 1,
      `field "name" is missing or empty. Add "name: ${slug(o.stem) || 'my-agent'}" to the frontmatter (letters, digits, "-", "_" and "."; it is the command /<name>).`,
    );
  }
  throw o.fail(
    line,
    `field "name" is "${written}"; a name may contain only letters, digits, "-", "_" and "." and must start with a letter or digit (it is the command /<name>). Use e.g. "name: ${slug(written) || 'my-agent'}".`,
    slug(written) || o.stem,
  );
}

/** Field `description`: optional, one sentence; `\n` written in it is a line break (as in Claude Code). */
function descriptionField(fm: Frontmatter, warn: Warn): string {
  const raw = fm.data.description;
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw.replaceAll('\\n', '\n').trim();
  if (isScalar(raw)) return (fm.text.description ?? String(raw)).trim();
  if (Array.isArray(raw)) return raw.filter(isScalar).map(String).join(' ').trim();
  warn(
    'description',
    'field "description" is a mapping, not text; it is ignored. Write one sentence saying what the agent does.',
  );
  return '';
}

/**
 * Fields `tools` and `disallowedTools`: a comma-separated string or a YAML list, as Claude Code's names
 * (see canonicalToolNames), or OpenCode's mapping of names to true/false. Absent or empty (`tools:`): null.
 * `[]` or `""`: no tools. `*` anywhere: null (every tool).
 */
function toolsField(raw: unknown, field: string, warn: Warn): string[] | null {
  if (raw === undefined || raw === null) return null;
  let entries: string[];
  if (typeof raw === 'string') entries = splitToolList(raw);
  else if (Array.isArray(raw)) {
    const bad = raw.filter((e) => typeof e !== 'string');
    if (bad.length) {
      warn(
        field,
        `field "${field === 'tools' ? 'tools' : 'disallowedTools'}" has entries that are not tool names (${bad.map(describe).join(', ')}); they are ignored.`,
      );
    }
    entries = raw.filter((e): e is string => typeof e === 'string').flatMap(splitToolList);
  } else if (typeof raw === 'object' && !(raw instanceof Date)) {
    entries = Object.entries(raw as Record<string, unknown>)
      .filter(([, on]) => on === true || on === 'true')
      .map(([k]) => k);
  } else {
    warn(
      field,
      `field "${field === 'tools' ? 'tools' : 'disallowedTools'}" is ${describe(raw)}, not tool names; it is ignored. Example: "tools: Read, Grep, Glob".`,
    );
    return field === 'tools' ? [] : null;
  }
  const names = [...new Set(entries.flatMap(canonicalToolNames))];
  return names.includes('*') ? null : names;
}

/** A tools string: split at commas outside parentheses (`Bash(git add:*)`); a list without commas at spaces. */
function splitToolList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of s) {
    if (c === '(' || c === '{') depth++;
    if (c === ')' || c === '}') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  const items = out.map((x) => x.trim()).filter(Boolean);
  if (items.length === 1 && !/[()]/.test(items[0]!)) return items[0]!.split(/\s+/);
  return items;
}

/** Field `model`: as written; undefined when absent, empty or `inherit`. Whether it is a model is decided at run time. */
function modelField(fm: Frontmatter, warn: Warn): string | undefined {
  const raw = fm.data.model;
  if (raw === undefined || raw === null) return undefined;
  const m = typeof raw === 'string' ? raw.trim() : isScalar(raw) ? (fm.text.model ?? String(raw)).trim() : undefined;
  if (m === undefined) {
    warn(
      'model',
      `field "model" is ${describe(raw)}, not a model name; the default model is used. Use an alias (sonnet, opus, haiku), a full model id, or "inherit".`,
    );
    return undefined;
  }
  return m === '' || m.toLowerCase() === 'inherit' ? undefined : m;
}

/** A positive number field (`maxTurns`, `timeout_mins`); anything else is ignored with a warning. */
function positiveField(fm: Frontmatter, key: string, shown: string, warn: Warn): number | undefined {
  const raw = fm.data[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (Number.isFinite(n) && n > 0 && (key !== 'maxturns' || n >= 1)) return n;
  warn(key, `field "${shown}" is ${describe(raw)}; it must be a positive number, so it is ignored.`);
  return undefined;
}

function isScalar(v: unknown): v is string | number | boolean | bigint | Date {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof v) || v instanceof Date;
}

/** Where agent files are looked up after `agents-dir`, and how: Copilot's, then Gemini CLI's. */
const OTHER_SOURCES: ReadonlyArray<{ dir: string; format: AgentFormat }> = [
  { dir: GITHUB_AGENTS_DIR, format: 'copilot' },
  { dir: GEMINI_AGENTS_DIR, format: 'gemini' },
];

/**
 * Loads every agent: `agentsDir` (relative to the workspace, with its subfolders, as Claude Code reads
 * `.claude/agents`), then `.github/agents` (`*.agent.md` before `*.md`), then `.gemini/agents`, then the built-ins.
 * The first file of a name wins, so a repository's file overrides a built-in one. A file that cannot be a command is
 * recorded in `errors` (one warning) and shadows later files of the name it would have had, so asking for it
 * reports its error instead of silently running another agent.
 */
export async function loadAgents(opts: {
  workspace: string;
  agentsDir?: string;
  builtinDir: string;
  log?: Logger;
}): Promise<AgentCatalog> {
  const log = opts.log ?? silentLogger;
  const workspace = path.resolve(opts.workspace);
  const agentsDir = opts.agentsDir?.trim() || DEFAULT_AGENTS_DIR;
  const first = path.resolve(workspace, agentsDir);
  if (!isInside(first, workspace)) {
    throw new UserError(
      `agents-dir "${agentsDir}" is outside the repository. Give a folder relative to the repository root, e.g. ${DEFAULT_AGENTS_DIR}.`,
    );
  }
  const others = OTHER_SOURCES.map((s) => ({ dir: path.resolve(workspace, s.dir), format: s.format }));
  const sources: Array<{ dir: string; format: AgentFormat; depth: number }> = [
    // agents-dir pointed at Copilot's or Gemini's folder reads it in that format.
    { dir: first, format: others.find((o) => o.dir === first)?.format ?? 'claude', depth: 4 },
    ...others.map((o) => ({ ...o, depth: 0 })),
    { dir: path.resolve(opts.builtinDir), format: 'builtin' as const, depth: 0 },
  ].filter((d, i, all) => all.findIndex((o) => o.dir === d.dir) === i);

  const catalog: AgentCatalog = { agents: new Map(), errors: [] };
  const taken = new Set<string>();
  for (const { dir, format, depth } of sources) {
    const builtin = format === 'builtin';
    for (const file of await markdownFiles(dir, depth, format === 'copilot')) {
      const confineTo = builtin ? path.resolve(opts.builtinDir) : workspace;
      let def: AgentDefinition;
      try {
        const text = await readFile(file, 'utf8');
        def = parseAgentFile(file, text, { confineTo, builtin, format, log });
      } catch (e) {
        if (e instanceof AgentFileError && notAnAgent(e, file, dir)) {
          log.debug(`${file}: no frontmatter, so not an agent file; skipped.`);
          continue;
        }
        const problem: AgentFileProblem =
          e instanceof AgentFileError
            ? { file, name: e.agentName, message: e.message }
            : {
                file,
                name: fileStem(file),
                message: `Agent file ${file}: cannot be read (${(e as Error).message}).`,
              };
        if (!taken.has(problem.name.toLowerCase())) {
          taken.add(problem.name.toLowerCase());
          catalog.errors.push(problem);
          log.warning(problem.message);
        }
        continue;
      }
      if (taken.has(def.name.toLowerCase())) {
        log.debug(`Agent file ${file}: "${def.name}" is already defined by an earlier file; ignoring this one.`);
        continue;
      }
      for (const w of def.warnings) log.debug(w);
      taken.add(def.name.toLowerCase());
      catalog.agents.set(def.name, def);
    }
  }
  return catalog;
}

/**
 * A Markdown file with no frontmatter at all that is plainly documentation, not a broken agent: one in a subfolder
 * (a reference document beside its agent) or one named in capitals (README.md, CONTRIBUTING.md of a collection).
 * Claude Code skips files without a name silently; these are skipped with a debug line.
 */
function notAnAgent(e: AgentFileError, file: string, dir: string): boolean {
  if (!/does not start with YAML frontmatter/.test(e.message)) return false;
  return path.dirname(file) !== dir || /^[A-Z0-9_-]+$/.test(fileStem(file));
}

/** The agent asked for, or a UserError: its file's problem, or the list of agents there are. Names match case-insensitively. */
export function findAgent(catalog: AgentCatalog, name: string): AgentDefinition {
  const wanted = name.toLowerCase();
  for (const def of catalog.agents.values()) if (def.name.toLowerCase() === wanted) return def;
  const problem = catalog.errors.find((p) => p.name.toLowerCase() === wanted);
  if (problem) throw new UserError(problem.message);
  const known = [...catalog.agents.keys()].sort().map((n) => `/${n}`);
  throw new UserError(
    `No agent named "${name}". Available: ${known.join(', ') || 'none'}. Add ${DEFAULT_AGENTS_DIR}/${name}.md to the repository to define it.`,
  );
}

/**
 * The `*.md` files of `dir`, sorted, then those of its subfolders down to `depth` levels (folders reached through
 * links and dot-folders are not entered). With `agentFirst`, `*.agent.md` files come before the other `*.md`.
 */
async function markdownFiles(dir: string, depth: number, agentFirst = false): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  const md = entries.filter((x) => x.name.toLowerCase().endsWith('.md')).map((x) => x.name);
  const rank = (n: string): number => (agentFirst && n.toLowerCase().endsWith('.agent.md') ? 0 : 1);
  md.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const n of md) {
    const file = path.join(dir, n);
    try {
      if ((await stat(file)).isFile()) files.push(file);
    } catch {
      // a dangling link: not an agent
    }
  }
  if (depth > 0) {
    const subdirs = entries.filter((x) => x.isDirectory() && !x.name.startsWith('.')).map((x) => x.name);
    for (const sub of subdirs.sort()) files.push(...(await markdownFiles(path.join(dir, sub), depth - 1)));
  }
  return files;
}

/** Relative Markdown link targets in the body that exist inside `root`, as absolute real paths. */
function referenceRoots(file: string, body: string, root: string, log: Logger): string[] {
  const out: string[] = [];
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return out;
  }
  // [text](target) and [text](<target> "title"); images too.
  const re = /\[[^\]]*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+["'(][^)]*)?\)/g;
  for (const m of body.matchAll(re)) {
    let target = m[1]!.replace(/^<|>$/g, '').trim();
    if (!target || target.startsWith('#') || target.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    target = target.replace(/[?#].*$/, '');
    try {
      target = decodeURIComponent(target);
    } catch {
      // keep as written
    }
    const resolved = path.resolve(path.dirname(file), target);
    if (!existsSync(resolved)) continue;
    let real: string;
    try {
      real = realpathSync(resolved);
    } catch {
      continue;
    }
    if (!isInside(real, realRoot) || real.split(path.sep).includes('.git')) {
      log.debug(`Agent file ${file}: link "${target}" leaves ${root}; it will not be readable.`);
      continue;
    }
    if (!out.includes(real)) out.push(real);
  }
  return out;
}

function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function displayPath(abs: string, root: string | undefined): string {
  if (root) {
    const rel = path.relative(path.resolve(root), abs);
    if (rel && isInside(abs, path.resolve(root))) return rel.split(path.sep).join('/');
  }
  return abs;
}

function slug(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'nothing';
  if (v instanceof Date) return 'a date';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v} (${scalarText(v)})`;
}

/** A YAML scalar's text; '' for a mapping or list, whose String() would only say "[object Object]". */
function scalarText(v: unknown): string {
  const scalar =
    v === undefined ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean' ||
    typeof v === 'bigint';
  return scalar ? String(v) : '';
}

/** The run's turn and time budgets narrowed by the file's `maxTurns` / `timeout_mins`: the smaller wins. */
export function agentBudgets(
  agent: Pick<AgentDefinition, 'maxTurns' | 'timeoutMinutes'>,
  budgets: { maxTurns: number; timeoutMs: number },
): { maxTurns: number; timeoutMs: number } {
  return {
    maxTurns: Math.min(budgets.maxTurns, agent.maxTurns ?? Infinity),
    timeoutMs: Math.min(
      budgets.timeoutMs,
      agent.timeoutMinutes !== undefined ? Math.round(agent.timeoutMinutes * 60_000) : Infinity,
    ),
  };
}
