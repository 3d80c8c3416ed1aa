import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';
import { UserError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { DEFAULT_AGENTS_DIR, TOOL_NAMES, type ToolName } from '../constants.ts';
export { TOOL_NAMES, type ToolName };

export { DEFAULT_AGENTS_DIR };

export const GITHUB_AGENTS_DIR = '.github/agents';

/** One agent: a Markdown file with YAML frontmatter; the body is its instructions. */
export interface AgentDefinition {
  /** The command: `/<name>`. */
  name: string;
  description: string;
  /** Tools the agent may use; all six when the file does not say. */
  tools: ToolName[];
  /** Alias or full id; undefined when absent or `inherit` (the action's default applies). */
  model?: string;
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
  /**
   * The `mcp__…` entries of the `tools:` line (a whole server or single tools); undefined when the file has no
   * `tools:` line, which offers every configured MCP server. Matched in src/mcp.
   */
  mcpTools?: string[];
  /** The raw `mcpServers` (Claude Code) or `mcp-servers` (Copilot) frontmatter value; parsed in src/mcp. */
  mcpServers?: unknown;
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
  /** Malformed files. They never break other agents; one shadows later files (and built-ins) of the same name. */
  errors: AgentFileProblem[];
}

/** A malformed agent file; `agentName` is what `/<name>` would have been. */
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

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/i;
const KNOWN_FIELDS = new Set(['name', 'description', 'tools', 'model', 'mcpServers', 'mcp-servers']);
const MAX_FILE_BYTES = 100 * 1024;

export interface ParseOptions {
  /** Links resolving outside this folder are dropped from `referenceRoots`. Default: the agent file's folder. */
  confineTo?: string;
  builtin?: boolean;
  log?: Logger;
}

/** Throws the file's AgentFileError; `asName` overrides the agent name it is filed under. */
type Fail = (message: string, asName?: string) => never;

/** Parses one agent file. Throws AgentFileError (a UserError) naming the file, the field and the fix. */
export function parseAgentFile(file: string, text: string, opts: ParseOptions = {}): AgentDefinition {
  const abs = path.resolve(file);
  const shown = opts.builtin ? path.basename(abs) : displayPath(abs, opts.confineTo);
  const fallbackName = path.basename(abs).replace(/\.md$/i, '');
  let agentName = fallbackName;
  const fail: Fail = (message, asName) => {
    throw new AgentFileError(abs, asName ?? agentName, `Agent file ${shown}: ${message}`);
  };

  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    fail(
      `is ${Math.ceil(Buffer.byteLength(text) / 1024)} KB; keep agent files under ${MAX_FILE_BYTES / 1024} KB (move long material into linked documents).`,
    );
  }
  const { data, content } = readFrontmatter(text, fail);
  const name = nameField(data.name, fallbackName, fail);
  agentName = name; // every later problem is filed under the name the file declares
  const description = descriptionField(data.description, fail);
  const { tools, mcpTools } = toolsField(data.tools, fail);
  const mcpServers = data.mcpServers ?? data['mcp-servers'];
  const model = modelField(data.model, fail);

  const unknown = Object.keys(data).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length)
    (opts.log ?? silentLogger).debug(`Agent file ${shown}: ignoring frontmatter field(s) ${unknown.join(', ')}.`);

  const body = content.trim();
  if (body === '') {
    fail('has no instructions after the frontmatter. Write the agent\'s instructions below the closing "---".');
  }

  return {
    name,
    description,
    tools,
    ...(model !== undefined ? { model } : {}),
    body,
    file: abs,
    referenceRoots: referenceRoots(abs, body, opts.confineTo ?? path.dirname(abs), opts.log ?? silentLogger),
    builtin: opts.builtin ?? false,
    ...(mcpTools !== undefined ? { mcpTools } : {}),
    ...(mcpServers !== undefined && mcpServers !== null ? { mcpServers } : {}),
  };
}

/** The YAML frontmatter's fields and the Markdown after it. */
function readFrontmatter(text: string, fail: Fail): { data: Record<string, unknown>; content: string } {
  // Frontmatter must be the very first thing, opened and closed by a line of exactly `---` (this also keeps
  // gray-matter's `---js` executable frontmatter out).
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = src.split('\n');
  if (lines[0]?.trimEnd() !== '---') {
    fail(
      lines[0]?.startsWith('---')
        ? `the first line must be exactly "---" (got "${lines[0].slice(0, 40)}"); only YAML frontmatter is supported.`
        : 'does not start with YAML frontmatter. Put a line "---" first, then "name: <agent-name>" and "description: …", then "---", then the instructions.',
    );
  }
  const closing = lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
  if (closing < 0)
    fail('the frontmatter is not closed. Add a line "---" after the last field, before the instructions.');

  let data: Record<string, unknown>;
  let content: string;
  try {
    const parsed = matter(src, { language: 'yaml' });
    data = parsed.data ?? {};
    content = parsed.content;
  } catch (e) {
    const err = e as { reason?: string; message?: string; mark?: { line?: number } };
    const line = typeof err.mark?.line === 'number' ? ` at line ${err.mark.line + 1}` : '';
    const reason = err.reason ?? String(err.message ?? e).split('\n')[0];
    return fail(
      `invalid YAML in the frontmatter${line}: ${reason}. Fix the YAML (quote values containing ":" or "#").`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    fail('the frontmatter must be YAML fields ("name: …"), not a list or a single value.');
  }
  return { data, content };
}

/** Field `name`: required, the command `/<name>`. */
function nameField(rawName: unknown, fallbackName: string, fail: Fail): string {
  if (rawName === undefined || rawName === null || (typeof rawName === 'string' && rawName.trim() === '')) {
    fail(
      `field "name" is missing or empty. Add "name: ${slug(fallbackName)}" to the frontmatter (letters, digits and "-"; it is the command /<name>).`,
    );
  }
  if (typeof rawName !== 'string') {
    fail(
      `field "name" must be a string, got ${describe(rawName)}. Quote it: name: "${slug(scalarText(rawName)) || 'my-agent'}".`,
    );
  }
  const name = rawName.trim();
  if (!NAME_RE.test(name)) {
    fail(
      `field "name" is "${name}"; a name may contain only letters, digits and "-" and must not start with "-" (it is the command /<name>). Use e.g. "name: ${slug(name) || 'my-agent'}".`,
      slug(name) || fallbackName,
    );
  }
  return name;
}

/** Field `description`: optional, one sentence. */
function descriptionField(raw: unknown, fail: Fail): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') {
    fail(
      `field "description" must be a string, got ${describe(raw)}. Write one sentence saying what the agent does (quote it if it contains ":").`,
    );
  }
  return raw.trim();
}

/**
 * Field `tools`: a comma-separated string or a YAML list of tool names; all six when absent. `mcp__…` entries (MCP
 * servers' tools) are passed through as they are, for src/mcp to match against the configured servers.
 */
function toolsField(raw: unknown, fail: Fail): { tools: ToolName[]; mcpTools?: string[] } {
  if (raw === undefined || raw === null) return { tools: [...TOOL_NAMES] };
  let list: unknown[];
  if (typeof raw === 'string') list = raw.split(',');
  else if (Array.isArray(raw)) list = raw;
  else {
    return fail(
      `field "tools" must be a comma-separated string or a YAML list, got ${describe(raw)}. Example: "tools: Read, Grep, Glob".`,
    );
  }
  const picked: ToolName[] = [];
  const mcpTools: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') {
      fail(
        `field "tools" has an entry that is ${describe(entry)}; entries must be tool names: ${TOOL_NAMES.join(', ')}.`,
      );
    }
    const t = entry.trim();
    if (t === '') continue;
    if (t.startsWith('mcp__')) {
      if (!mcpTools.includes(t)) mcpTools.push(t);
      continue;
    }
    const tool = TOOL_NAMES.find((n) => n.toLowerCase() === t.toLowerCase());
    if (!tool) {
      fail(
        `field "tools" names an unknown tool "${t}". Valid tools: ${TOOL_NAMES.join(', ')} (remove "tools" to allow all six).`,
      );
    }
    if (!picked.includes(tool)) picked.push(tool);
  }
  if (picked.length === 0 && mcpTools.length === 0) {
    fail(
      `field "tools" lists no tools. Name at least one of ${TOOL_NAMES.join(', ')}, or remove the field to allow all six.`,
    );
  }
  return { tools: picked, mcpTools };
}

/** Field `model`: an alias or a full id; undefined when absent, empty or `inherit` (the action's default applies). */
function modelField(raw: unknown, fail: Fail): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') {
    fail(
      `field "model" must be a string, got ${describe(raw)}. Use an alias (sonnet, opus, haiku, sonnet[1m], opus[1m]), a full model id, or "inherit".`,
    );
  }
  const m = raw.trim();
  return m === '' || m.toLowerCase() === 'inherit' ? undefined : m;
}

/**
 * Loads every agent: `agentsDir` (relative to the workspace), then `.github/agents`, then the built-ins. The first
 * file of a name wins, so a repository's file overrides a built-in one. A malformed file is recorded in `errors`
 * and shadows later files of the name it would have had, so asking for it reports its error instead of silently
 * running another agent.
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
  const dirs: Array<{ dir: string; builtin: boolean }> = [
    { dir: first, builtin: false },
    { dir: path.resolve(workspace, GITHUB_AGENTS_DIR), builtin: false },
    { dir: path.resolve(opts.builtinDir), builtin: true },
  ].filter((d, i, all) => all.findIndex((o) => o.dir === d.dir) === i);

  const catalog: AgentCatalog = { agents: new Map(), errors: [] };
  const taken = new Set<string>();
  for (const { dir, builtin } of dirs) {
    for (const file of await markdownFiles(dir)) {
      const confineTo = builtin ? path.resolve(opts.builtinDir) : workspace;
      let def: AgentDefinition;
      try {
        const text = await readFile(file, 'utf8');
        def = parseAgentFile(file, text, { confineTo, builtin, log });
      } catch (e) {
        const problem: AgentFileProblem =
          e instanceof AgentFileError
            ? { file, name: e.agentName, message: e.message }
            : {
                file,
                name: path.basename(file, '.md'),
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
      taken.add(def.name.toLowerCase());
      catalog.agents.set(def.name, def);
    }
  }
  return catalog;
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

async function markdownFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const n of names.filter((x) => x.toLowerCase().endsWith('.md')).sort()) {
    const file = path.join(dir, n);
    try {
      if ((await stat(file)).isFile()) files.push(file);
    } catch {
      // a dangling link: not an agent
    }
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
