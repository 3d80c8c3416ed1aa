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
    'Find files by glob pattern (e.g. "**/*.ts", "src/**/test_*.py"), newest first; .gitignored files are skipped. ' +
    `At most ${MAX_GLOB_RESULTS} paths are listed.`,
  input: GlobInput,
  readOnly: true,
  async run(input, ctx: SearchContext) {
    if (input.pattern.trim() === '') throw new ToolError('pattern is empty; use e.g. "**/*".');
    const dir = await ctx.workspace.resolve(input.path ?? '.', 'read');
    if (!dir.stat?.isDirectory())
      throw new ToolError(`${dir.display} is not a folder${dir.stat ? '' : ' (it does not exist)'}.`);
    let rels: string[];
    const what = `The pattern ${JSON.stringify(input.pattern)}`;
    if (ctx.rg) {
      // The pattern is matched here, not with rg -g: an include glob that matches an ignored folder (e.g. "**/*")
      // would override .gitignore in ripgrep.
      const args = ['--files', '--hidden', '--no-require-git', '--no-messages', '-g', '!.git'];
      // A plain file-name pattern as last segment (e.g. *.ts) lets ripgrep drop most names before they cross the
      // pipe: a --type filter, unlike -g, never overrides .gitignore. The full pattern is still matched below.
      const base = input.pattern.split('/').pop()!;
      const prefiltered = /^[\w.*?-]+$/.test(base) && base !== '*' && !base.includes('**');
      if (prefiltered) args.push('--type-add', `pattern:${base}`, '-t', 'pattern');
      const res = await runProcess(ctx.rg, args, dir.path, ctx.signal);
      // A bare name pattern or `**/<name pattern>` (any depth, dotfiles included) is exactly what the type filter
      // selected; anything else is matched in the worker.
      const exact = prefiltered && (input.pattern === base || input.pattern === `**/${base}`);
      rels = exact
        ? res.stdout.split('\n').filter(Boolean)
        : await offloaded(ctx, { kind: 'filter', pattern: input.pattern, listing: res.stdout }, what, GLOB_INSTEAD);
    } else {
      const task = { kind: 'walk', root: ctx.workspace.root, dir: dir.path, pattern: input.pattern } as const;
      rels = await offloaded(ctx, task, what, GLOB_INSTEAD);
    }
    // The run's credential files are never listed, ignored by .gitignore or not.
    rels = rels.filter((rel) => !ctx.workspace.isHidden(path.join(dir.path, rel)));
    if (rels.length === 0) return ok(`No files match ${input.pattern} in ${dir.display}.`);
    // Sorting by modification time costs a stat per match: done up to MAX_SORTED matches (any real repository's
    // usual query); beyond that the list is by path and the note says so.
    const sortByTime = rels.length <= MAX_SORTED;
    let ordered: string[];
    if (sortByTime) {
      const entries = rels.map((rel) => {
        let mtime = 0;
        try {
          mtime = statSync(path.join(dir.path, rel)).mtimeMs;
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
    const entries = ordered;
    const shown = entries.slice(0, MAX_GLOB_RESULTS).map((rel) => ctx.workspace.display(path.join(dir.path, rel)));
    if (entries.length > MAX_GLOB_RESULTS) {
      shown.push(
        `[${entries.length - MAX_GLOB_RESULTS} more of ${entries.length} files not shown (${sortByTime ? 'oldest' : 'too many to sort by time; listed by path'}). ` +
          'Narrow the pattern or the path to see them.]',
      );
    }
    return ok(shown.join('\n'));
  },
});
