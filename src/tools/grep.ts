/** Grep: regex search over files (ripgrep syntax), honouring .gitignore. */
import { lstatSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod/mini';
import { offloaded, type SearchContext } from './glob.ts';
import type { GrepJsTask } from './match-tasks.ts';
import { capText, ok, ToolError } from './result.ts';
import { defineTool } from './schema.ts';
import { FILE_TYPES, runProcess } from './search.ts';

const MODES = ['content', 'files_with_matches', 'count'] as const;
/** Lines or entries shown when head_limit is not given, as in Claude Code. */
export const DEFAULT_HEAD_LIMIT = 250;
type Mode = (typeof MODES)[number];
/** What to do when a search without ripgrep runs past its deadline. */
const GREP_INSTEAD =
  'Simplify the regex: no nested or adjacent quantifiers over the same text (e.g. (a+)+, (a|a)*, .*.*=), anchor it ' +
  'or use a literal prefix; narrow path, glob or type.';

export const GrepInput = z.strictObject({
  pattern: z.string().check(z.describe('Regular expression')),
  path: z.optional(z.string().check(z.describe('File or folder to search (default: workspace root)'))),
  glob: z.optional(z.string().check(z.describe('Only files matching this glob, e.g. "*.ts"'))),
  type: z.optional(z.string().check(z.describe('File type, e.g. js, py, go, rust'))),
  output_mode: z.optional(z.enum(MODES)),
  '-i': z.optional(z.boolean().check(z.describe('Case insensitive'))),
  '-n': z.optional(z.boolean().check(z.describe('Line numbers (content mode, default true)'))),
  '-A': z.optional(z.int().check(z.minimum(0), z.describe('Lines after each match'))),
  '-B': z.optional(z.int().check(z.minimum(0), z.describe('Lines before each match'))),
  '-C': z.optional(z.int().check(z.minimum(0), z.describe('Lines around each match'))),
  context: z.optional(z.int().check(z.minimum(0), z.describe('Same as -C'))),
  '-o': z.optional(z.boolean().check(z.describe('Only the matched parts'))),
  multiline: z.optional(z.boolean().check(z.describe('Let patterns span lines; . matches newlines'))),
  head_limit: z.optional(
    z.int().check(z.minimum(0), z.describe(`Max lines/entries (default ${DEFAULT_HEAD_LIMIT}; 0 = all)`)),
  ),
  offset: z.optional(z.int().check(z.minimum(0), z.describe('Skip N lines/entries first'))),
});
export type GrepInput = z.infer<typeof GrepInput>;

export const grepTool = defineTool({
  name: 'Grep',
  description:
    'Search file contents with a regex (ripgrep syntax); .gitignored files are skipped. output_mode: ' +
    'files_with_matches (default), content (matching lines; -n/-A/-B/-C/-o apply) or count.',
  input: GrepInput,
  readOnly: true,
  async run(input, ctx: SearchContext) {
    const mode: Mode = input.output_mode ?? 'files_with_matches';
    const target = await ctx.workspace.resolve(input.path ?? '.', 'read');
    if (!target.stat) throw new ToolError(`${target.display} does not exist.`);
    const lines = ctx.rg
      ? await withRipgrep(ctx.rg, input, mode, target.display, ctx)
      : await withJs(input, mode, target.path, target.stat.isDirectory(), ctx);
    if (lines.length === 0) return ok(`No matches for ${JSON.stringify(input.pattern)} in ${target.display}.`);
    if (mode !== 'content') lines.sort();
    const text = paginate(lines, input.offset ?? 0, input.head_limit ?? DEFAULT_HEAD_LIMIT).join('\n');
    return ok(
      capText(text, 'Narrow the search with path, glob or type, or use head_limit / output_mode "files_with_matches".'),
    );
  },
});

/** Lines offset..offset+limit (limit 0: all), with a note saying what is left and how to get it. */
export function paginate(lines: readonly string[], offset: number, limit: number): string[] {
  if (offset >= lines.length) {
    return [`[offset ${offset} is past the end: there are ${lines.length} lines/entries. Use a smaller offset.]`];
  }
  const end = limit === 0 ? lines.length : Math.min(lines.length, offset + limit);
  const shown = lines.slice(offset, end);
  if (end < lines.length) {
    shown.push(
      `[Showing lines/entries ${offset + 1}-${end} of ${lines.length}. Continue with offset=${end}, or head_limit=0 for all.]`,
    );
  } else if (offset > 0) shown.push(`[Lines/entries ${offset + 1}-${end} of ${lines.length}.]`);
  return shown;
}

async function withRipgrep(
  rg: string,
  input: GrepInput,
  mode: Mode,
  shown: string,
  ctx: SearchContext,
): Promise<string[]> {
  const args = [
    '--null',
    '--no-require-git',
    '--hidden',
    '--color',
    'never',
    '--no-messages',
    '--max-columns',
    '1000',
    '--max-columns-preview',
  ];
  if (mode === 'files_with_matches') args.push('-l');
  else if (mode === 'count') args.push('-c', '--with-filename');
  else {
    args.push('--no-heading', '--with-filename');
    if (input['-n'] !== false) args.push('-n');
    if (input['-o']) args.push('-o');
    const around = input.context ?? input['-C'];
    if (around !== undefined) args.push('-C', String(around));
    if (input['-A'] !== undefined) args.push('-A', String(input['-A']));
    if (input['-B'] !== undefined) args.push('-B', String(input['-B']));
  }
  if (input['-i']) args.push('-i');
  if (input.multiline) args.push('-U', '--multiline-dotall');
  // A glob without '/' goes in as a file type, which (unlike -g) cannot override .gitignore.
  if (input.glob && !input.glob.includes('/') && !input.glob.startsWith('!'))
    args.push('--type-add', `glob:${input.glob}`, '-t', 'glob');
  else if (input.glob) args.push('-g', input.glob);
  args.push('-g', '!.git'); // last, so a broad glob cannot bring .git back
  if (input.type) args.push('--type', input.type);
  args.push('-e', input.pattern);
  // Searching from the workspace root prints workspace-relative paths; a read-only root's are absolute.
  if (shown !== '.') args.push('--', shown);
  const res = await runProcess(rg, args, ctx.workspace.root, ctx.signal);
  if (res.code === 2 && res.stderr.trim()) {
    const msg = res.stderr.trim();
    if (/unrecognized file type/i.test(msg))
      throw new ToolError(`${msg}. Use a ripgrep type name (e.g. js, ts, py, go, rust) or the glob parameter.`);
    if (!res.stdout) throw new ToolError(`invalid search: ${msg}`);
  }
  // --null puts a NUL after each path, so paths parse reliably; hard-linked files (which may be another name for a
  // file outside the workspace) are dropped like everywhere else.
  const lines = res.stdout.split(mode === 'files_with_matches' ? '\0' : '\n');
  if (lines.at(-1) === '') lines.pop();
  const linked = new Map<string, boolean>();
  // Hard-linked files and the run's credential files are dropped from what ripgrep printed.
  const isDropped = (p: string): boolean => {
    let v = linked.get(p);
    if (v === undefined) {
      try {
        const abs = path.resolve(ctx.workspace.root, p);
        const st = lstatSync(abs);
        v = (st.isFile() && st.nlink > 1) || ctx.workspace.isHidden(abs);
      } catch {
        v = true;
      }
      linked.set(p, v);
    }
    return v;
  };
  const out: string[] = [];
  for (const line of lines) {
    if (mode === 'files_with_matches') {
      if (!isDropped(line)) out.push(line);
      continue;
    }
    const nul = line.indexOf('\0');
    if (nul === -1) {
      if (out.length && out.at(-1) !== '--') out.push(line); // context separator
      continue;
    }
    const file = line.slice(0, nul);
    if (isDropped(file)) continue;
    const rest = line.slice(nul + 1);
    // Count lines are "path\0N"; content lines "path\0N:text" (match) or "path\0N-text" (context) with -n.
    const sep = mode === 'content' && input['-n'] !== false ? (/^\d+([:-])/.exec(rest)?.[1] ?? ':') : ':';
    out.push(`${file}${sep}${rest}`);
  }
  while (out.at(-1) === '--') out.pop();
  return out;
}

/** Without ripgrep: checked here, then walked and matched in the worker (match-tasks.ts), under its deadline. */
async function withJs(input: GrepInput, mode: Mode, target: string, isDir: boolean, ctx: SearchContext) {
  const flags = `${input['-i'] ? 'i' : ''}${input.multiline ? 'gms' : 'g'}u`;
  try {
    new RegExp(input.pattern, flags);
  } catch (e) {
    throw new ToolError(`invalid regex: ${(e as Error).message}`);
  }
  if (input.type && !FILE_TYPES[input.type]) {
    const known = Object.keys(FILE_TYPES).join(', ');
    throw new ToolError(`unrecognized file type '${input.type}'. Known: ${known}; or use the glob parameter.`);
  }
  const task: GrepJsTask = {
    kind: 'grep',
    root: ctx.workspace.root,
    target,
    isDir,
    pattern: input.pattern,
    flags,
    multiline: input.multiline === true,
    ...(input.glob ? { glob: input.glob } : {}),
    ...(input.type ? { type: input.type } : {}),
    mode,
    before: input['-B'] ?? input.context ?? input['-C'] ?? 0,
    after: input['-A'] ?? input.context ?? input['-C'] ?? 0,
    numbers: input['-n'] !== false,
    only: input['-o'] === true,
    hidden: [...ctx.workspace.hiddenPaths],
  };
  return offloaded(ctx, task, `The search for ${JSON.stringify(input.pattern)}`, GREP_INSTEAD);
}
