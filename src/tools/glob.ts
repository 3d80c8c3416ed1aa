/** Glob: files matching a pattern, newest first, honouring .gitignore. */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod/mini';
import type { ToolContext } from './context.ts';
import type { MatchTask } from './match-tasks.ts';
import { MatchTimeoutError, type Matcher } from './offload.ts';
import { ok, ToolError } from './result.ts';
import { defineTool } from './schema.ts';
import { runProcess } from './search.ts';

export const MAX_GLOB_RESULTS = 500;
/** Above this many matches, results are listed by path instead of newest first. */
export const MAX_SORTED = 5000;

export const GlobInput = z.strictObject({
  pattern: z.string().check(z.describe('Glob pattern, relative to path')),
  path: z.optional(z.string().check(z.describe('Folder to search (default: workspace root)'))),
});
export type GlobInput = z.infer<typeof GlobInput>;

export interface SearchContext extends ToolContext {
  /** ripgrep's path, or null for the pure-JS fallback. */
  readonly rg: string | null;
  /** Runs model-controlled globs and regexes in a worker with a deadline (offload.ts). */
  readonly matcher: Matcher;
}

/**
 * Runs a matching task in the worker; past the deadline, a refusal telling the model that the pattern was too
 * expensive and what to do instead.
 */
export async function offloaded(ctx: SearchContext, task: MatchTask, what: string, instead: string): Promise<string[]> {
  try {
    return await ctx.matcher.run(task, ctx.signal);
  } catch (e) {
    if (!(e instanceof MatchTimeoutError)) throw e;
    throw new ToolError(`${what} is too expensive: the search was stopped after ${e.timeoutMs / 1000} s. ${instead}`);
  }
}

const GLOB_INSTEAD =
  'Use a simpler pattern: few `*` in one path segment and no {a,b} set after many wildcards (e.g. "**/*.ts", ' +
  '"src/**/user*"), or a narrower path; Bash `find` with -name also works.';

export const globTool = defineTool({
  name: 'Glob',
  description:
    'Find files by glob pattern (e.g. "**/*.ts", "src/**/test_*.py"), newest first. .gitignored files are listed ' +
    `only when nothing else matches. At most ${MAX_GLOB_RESULTS} paths are listed.`,
  input: GlobInput,
  readOnly: true,
  async run(input, ctx: SearchContext) {
    if (input.pattern.trim() === '') throw new ToolError('pattern is empty; use e.g. "**/*".');
    const dir = await ctx.workspace.resolve(input.path ?? '.', 'read');
    if (!dir.stat?.isDirectory())
      throw new ToolError(`${dir.display} is not a folder${dir.stat ? '' : ' (it does not exist)'}.`);
    let rels = await listMatches(input.pattern, dir.path, ctx, false);
    // Claude Code's Glob finds .gitignored files (build output, generated code) too; ours leaves them out so that
    // node_modules cannot bury the sources, but a pattern that only they match lists them rather than "no files".
    let header = '';
    if (rels.length === 0) {
      rels = await listMatches(input.pattern, dir.path, ctx, true);
      if (rels.length === 0) return ok(`No files match ${input.pattern} in ${dir.display}.`);
      header = `No files match ${input.pattern} in ${dir.display} outside .gitignored paths; these ${rels.length} .gitignored file(s) do:`;
    }
    const shown = newestFirst(rels, dir.path, (rel) => ctx.workspace.display(path.join(dir.path, rel)));
    return ok([...(header ? [header] : []), ...shown].join('\n'));
  },
});

/** Relative paths under dir matching the pattern: .git and the run's credential files never, ignored files if asked. */
async function listMatches(pattern: string, dir: string, ctx: SearchContext, noIgnore: boolean): Promise<string[]> {
  let rels: string[];
  const what = `The pattern ${JSON.stringify(pattern)}`;
  if (ctx.rg) {
    // The pattern is matched here, not with rg -g: an include glob that matches an ignored folder (e.g. "**/*")
    // would override .gitignore in ripgrep.
    const args = ['--files', '--hidden', '--no-require-git', '--no-messages', '-g', '!.git'];
    if (noIgnore) args.push('--no-ignore');
    // A plain file-name pattern as last segment (e.g. *.ts) lets ripgrep drop most names before they cross the
    // pipe: a --type filter, unlike -g, never overrides .gitignore. The full pattern is still matched below.
    const base = pattern.split('/').pop()!;
    const prefiltered = /^[\w.*?-]+$/.test(base) && base !== '*' && !base.includes('**');
    if (prefiltered) args.push('--type-add', `pattern:${base}`, '-t', 'pattern');
    const res = await runProcess(ctx.rg, args, dir, ctx.signal);
    // A bare name pattern or `**/<name pattern>` (any depth, dotfiles included) is exactly what the type filter
    // selected; anything else is matched in the worker.
    const exact = prefiltered && (pattern === base || pattern === `**/${base}`);
    rels = exact
      ? res.stdout.split('\n').filter(Boolean)
      : await offloaded(ctx, { kind: 'filter', pattern, listing: res.stdout }, what, GLOB_INSTEAD);
  } else {
    const task = { kind: 'walk', root: ctx.workspace.root, dir, pattern, noIgnore } as const;
    rels = await offloaded(ctx, task, what, GLOB_INSTEAD);
  }
  // The run's credential files are never listed, ignored by .gitignore or not.
  return rels.filter((rel) => !ctx.workspace.isHidden(path.join(dir, rel)));
}

/**
 * Up to MAX_GLOB_RESULTS paths, newest first, with a note on the rest. Sorting by modification time costs a stat per
 * match: done up to MAX_SORTED matches (any real repository's usual query); beyond that the list is by path.
 */
function newestFirst(rels: string[], dir: string, display: (rel: string) => string): string[] {
  const sortByTime = rels.length <= MAX_SORTED;
  let ordered: string[];
  if (sortByTime) {
    const entries = rels.map((rel) => {
      let mtime = 0;
      try {
        mtime = statSync(path.join(dir, rel)).mtimeMs;
      } catch {
        // vanished meanwhile: sorts last
      }
      return { rel, mtime };
    });
    entries.sort((a, b) => b.mtime - a.mtime || (a.rel < b.rel ? -1 : 1));
    ordered = entries.map((e) => e.rel);
  } else {
    ordered = rels.sort();
  }
  const shown = ordered.slice(0, MAX_GLOB_RESULTS).map(display);
  if (ordered.length > MAX_GLOB_RESULTS) {
    shown.push(
      `[${ordered.length - MAX_GLOB_RESULTS} more of ${ordered.length} files not shown (${sortByTime ? 'oldest' : 'too many to sort by time; listed by path'}). ` +
        'Narrow the pattern or the path to see them.]',
    );
  }
  return shown;
}
