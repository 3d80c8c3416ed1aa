/** Edit: exact string replacement in one file. */
import * as z from 'zod/mini';
import { FILE_PATH } from './read.ts';
import { ok, ToolError } from './result.ts';
import { defineTool } from './schema.ts';
import { writeWhole } from './write.ts';

/** Files above this size are not edited in memory (use Bash tools for those). */
export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

export const EditInput = z.strictObject({
  file_path: FILE_PATH,
  old_string: z.string().check(z.describe('Exact text to replace')),
  new_string: z.string().check(z.describe('Replacement text (must differ)')),
  replace_all: z.optional(z.boolean().check(z.describe('Replace every occurrence (default false)'))),
});
export type EditInput = z.infer<typeof EditInput>;

export const editTool = defineTool({
  name: 'Edit',
  description:
    'Replace an exact string in a file. old_string must match exactly (whitespace included) and be unique unless ' +
    'replace_all is true; include surrounding lines to make it unique.',
  input: EditInput,
  readOnly: false,
  async run(input, ctx) {
    if (input.old_string === input.new_string)
      throw new ToolError('old_string and new_string are identical; nothing to change.');
    if (input.old_string === '') throw new ToolError('old_string is empty; to create a file use Write.');
    const r = await ctx.workspace.resolve(input.file_path, 'write');
    if (!r.stat) throw new ToolError(`${r.display} does not exist; use Write to create it.`);
    if (r.stat.isDirectory()) throw new ToolError(`${r.display} is a folder; give a file path.`);
    if (r.stat.size > MAX_EDIT_BYTES)
      throw new ToolError(`${r.display} is too large to edit (${r.stat.size} bytes); use Bash (e.g. sed) instead.`);
    const fh = await ctx.workspace.openRead(r);
    let text: string;
    try {
      const buf = await fh.readFile();
      if (buf.subarray(0, 8192).includes(0))
        throw new ToolError(`${r.display} is a binary file; it cannot be edited as text.`);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
    const count = occurrences(text, input.old_string);
    if (count === 0) {
      throw new ToolError(
        `old_string was not found in ${r.display}. Read the file and copy the text exactly (whitespace and indentation included).`,
      );
    }
    if (count > 1 && !input.replace_all) {
      throw new ToolError(
        `old_string occurs ${count} times in ${r.display}. Add surrounding lines to make it unique, or set replace_all to true.`,
      );
    }
    const updated = input.replace_all
      ? text.split(input.old_string).join(input.new_string)
      : text.replace(input.old_string, () => input.new_string);
    await writeWhole(r, updated, ctx);
    const firstLine = text.slice(0, text.indexOf(input.old_string)).split('\n').length;
    return ok(
      `Edited ${r.display}: replaced ${input.replace_all ? count : 1} occurrence(s) (first at line ${firstLine}).`,
    );
  },
});

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}
