/** Write: create or overwrite a whole file; overwriting needs a Read of the current version first. */
import * as z from 'zod/mini';
import type { ToolContext } from './context.ts';
import { FILE_PATH } from './read.ts';
import { ok, ToolError } from './result.ts';
import { defineTool } from './schema.ts';
import type { Resolved } from './workspace.ts';

export const WriteInput = z.strictObject({
  file_path: FILE_PATH,
  content: z.string().check(z.describe('The full file content')),
});
export type WriteInput = z.infer<typeof WriteInput>;

export const writeTool = defineTool({
  name: 'Write',
  description:
    'Create or overwrite a file in the workspace with the given content; parent folders are created. ' +
    'An existing file must be Read first. Prefer Edit for changes to existing files.',
  input: WriteInput,
  readOnly: false,
  async run(input, ctx) {
    const r = await ctx.workspace.resolve(input.file_path, 'write');
    if (r.stat?.isDirectory()) throw new ToolError(`${r.display} is a folder; give a file path.`);
    if (r.stat) assertSeenCurrent(r, ctx, 'overwrite');
    const bytes = await writeWhole(r, input.content, ctx);
    return ok(`${r.stat ? 'Overwrote' : 'Created'} ${r.display} (${bytes} bytes, ${lineCount(input.content)} lines).`);
  },
});

/** An existing file may be replaced only in the version the agent last saw. */
export function assertSeenCurrent(r: Resolved, ctx: ToolContext, verb: string): void {
  const seen = ctx.seen.get(r.path);
  if (!seen)
    throw new ToolError(
      `refusing to ${verb} ${r.display}: you have not Read it in this run. Read it first (so nothing you have not seen is lost), then try again.`,
    );
  if (r.stat && (r.stat.mtimeMs !== seen.mtimeMs || r.stat.size !== seen.size)) {
    throw new ToolError(
      `refusing to ${verb} ${r.display}: it changed since you last Read it (perhaps by a Bash command). Read it again, then try again.`,
    );
  }
}

/** Writes the content through a checked descriptor and records the new version as seen. */
export async function writeWhole(r: Resolved, content: string, ctx: ToolContext): Promise<number> {
  const fh = await ctx.workspace.openWrite(r);
  const data = Buffer.from(content, 'utf8');
  try {
    await fh.truncate(0);
    await fh.write(data, 0, data.length, 0);
    const st = await fh.stat();
    ctx.seen.set(r.path, { mtimeMs: st.mtimeMs, size: st.size });
  } finally {
    await fh.close();
  }
  return data.length;
}

function lineCount(s: string): number {
  if (s === '') return 0;
  return s.split('\n').length - (s.endsWith('\n') ? 1 : 0);
}
