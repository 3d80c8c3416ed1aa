/** Glob: files matching a pattern, newest first, honouring .gitignore. */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { Tool, ToolContext } from './context.ts';
import { ok, ToolError } from './result.ts';
import type { ToolDefinition } from './schema.ts';
import { globMatcher, runProcess, walkFiles } from './search.ts';

export const MAX_GLOB_RESULTS = 500;
/** Above this many matches, results are listed by path instead of newest first. */
export const MAX_SORTED = 5000;

export const globDefinition: ToolDefinition = {
  name: 'Glob',
  description:
    'Find files by glob pattern (e.g. "**/*.ts", "src/**/test_*.py"), newest first; .gitignored files are skipped. ' +
    `At most ${MAX_GLOB_RESULTS} paths are listed.`,
  input_schema: {
    type: 'object',
    properties: {
      pattern: { type: 'string', description: 'Glob pattern, relative to path' },
      path: { type: 'string', description: 'Folder to search (default: workspace root)' },
    },
    required: ['pattern'],
    additionalProperties: false,
  },
};

export interface GlobInput {
  pattern: string;
  path?: string;
}

export interface SearchContext extends ToolContext {
  /** ripgrep's path, or null for the pure-JS fallback. */
  readonly rg: string | null;
}

export const globTool: Tool<GlobInput> = {
  definition: globDefinition,
  readOnly: true,
  async run(input, c) {
    const ctx = c as SearchContext;
    if (input.pattern.trim() === '') throw new ToolError('pattern is empty; use e.g. "**/*".');
    const dir = await ctx.workspace.resolve(input.path ?? '.', 'read');
    if (!dir.stat?.isDirectory()) throw new ToolError(`${dir.display} is not a folder${dir.stat ? '' : ' (it does not exist)'}.`);
    let rels: string[];
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
      const listed = res.stdout.split('\n').filter(Boolean);
      // A bare name pattern or `**/<name pattern>` (any depth, dotfiles included) is exactly what the type filter
      // selected; anything else is matched here.
      const match = prefiltered && (input.pattern === base || input.pattern === `**/${base}`) ? null : globMatcher(input.pattern);
      rels = match ? listed.filter((f) => match(f)) : listed;
    } else {
      const match = globMatcher(input.pattern);
      rels = (await walkFiles(ctx.workspace.root, dir.path, ctx.signal)).filter(match);
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
};
