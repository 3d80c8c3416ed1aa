/**
 * Edit and MultiEdit: exact string replacements in one file. Like Claude Code, a file must have been Read (or
 * written) in this run before it is edited. When it changed on disk since (a Bash command, a formatter), the edit
 * still applies to the current content, since old_string must match what is there now, and the result says so.
 * MultiEdit applies its edits in order, all or none.
 */
import * as z from 'zod/mini';
import type { ToolContext } from './context.ts';
import { FILE_PATH } from './read.ts';
import { ok, ToolError, type ToolResult } from './result.ts';
import { defineTool } from './schema.ts';
import type { Resolved } from './workspace.ts';
import { writeWhole } from './write.ts';

/** Files above this size are not edited in memory (use Bash tools for those). */
export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

const OLD_STRING = z.string().check(z.describe('Exact text to replace'));
const NEW_STRING = z.string().check(z.describe('Replacement text (must differ)'));
const REPLACE_ALL = z.optional(z.boolean().check(z.describe('Replace every occurrence (default false)')));

export const EditInput = z.strictObject({
  file_path: FILE_PATH,
  old_string: OLD_STRING,
  new_string: NEW_STRING,
  replace_all: REPLACE_ALL,
});
export type EditInput = z.infer<typeof EditInput>;

export const MultiEditInput = z.strictObject({
  file_path: FILE_PATH,
  edits: z
    .array(z.strictObject({ old_string: OLD_STRING, new_string: NEW_STRING, replace_all: REPLACE_ALL }))
    .check(z.minLength(1), z.describe('Edits applied in order, each to the result of the previous')),
});
export type MultiEditInput = z.infer<typeof MultiEditInput>;

interface OneEdit {
  old_string: string;
  new_string: string;
  replace_all?: boolean | undefined;
}

export const editTool = defineTool({
  name: 'Edit',
  description:
    'Replace an exact string in a file you have Read. old_string must match exactly (whitespace included) and be ' +
    'unique unless replace_all is true; include surrounding lines to make it unique.',
  input: EditInput,
  readOnly: false,
  async run(input, ctx) {
    return editFile(input.file_path, [input], ctx);
  },
});

export const multiEditTool = defineTool({
  name: 'MultiEdit',
  description:
    'Several Edits to one file you have Read, applied in order, all or none (if one fails, nothing is written).',
  input: MultiEditInput,
  readOnly: false,
  async run(input, ctx) {
    return editFile(input.file_path, input.edits, ctx);
  },
});

async function editFile(filePath: string, edits: readonly OneEdit[], ctx: ToolContext): Promise<ToolResult> {
  const label = (i: number): string => (edits.length > 1 ? `edit ${i + 1}: ` : '');
  edits.forEach((e, i) => {
    if (e.old_string === e.new_string)
      throw new ToolError(`${label(i)}old_string and new_string are identical; nothing to change.`);
    if (e.old_string === '') throw new ToolError(`${label(i)}old_string is empty; to create a file use Write.`);
  });
  const r = await ctx.workspace.resolve(filePath, 'write');
  if (!r.stat) throw new ToolError(`${r.display} does not exist; use Write to create it.`);
  if (r.stat.isDirectory()) throw new ToolError(`${r.display} is a folder; give a file path.`);
  const seen = ctx.seen.get(r.path);
  if (!seen) {
    throw new ToolError(
      `refusing to edit ${r.display}: you have not Read it in this run. Read it first (so you edit what is there), then Edit.`,
    );
  }
  if (r.stat.size > MAX_EDIT_BYTES)
    throw new ToolError(`${r.display} is too large to edit (${r.stat.size} bytes); use Bash (e.g. sed) instead.`);
  const changed = r.stat.mtimeMs !== seen.mtimeMs || r.stat.size !== seen.size;
  let text = await readText(r, ctx);
  const done: string[] = [];
  for (const [i, e] of edits.entries()) {
    const count = occurrences(text, e.old_string);
    const nothing = edits.length > 1 ? ' Nothing was written.' : '';
    if (count === 0) {
      throw new ToolError(
        `${label(i)}old_string was not found in ${r.display}${i > 0 ? ' (after the edits before it)' : ''}. ` +
          `Read the file and copy the text exactly (whitespace and indentation included).${nothing}`,
      );
    }
    if (count > 1 && !e.replace_all) {
      throw new ToolError(
        `${label(i)}old_string occurs ${count} times in ${r.display}. Add surrounding lines to make it unique, or set replace_all to true.${nothing}`,
      );
    }
    const firstLine = text.slice(0, text.indexOf(e.old_string)).split('\n').length;
    text = e.replace_all ? text.split(e.old_string).join(e.new_string) : text.replace(e.old_string, () => e.new_string);
    done.push(`${e.replace_all ? count : 1} occurrence(s) at line ${firstLine}`);
  }
  await writeWhole(r, text, ctx);
  const what =
    edits.length === 1
      ? `replaced ${done[0]!.replace(' at line', ' (first at line')})`
      : `applied ${edits.length} edits (${done.join('; ')})`;
  const note = changed
    ? `\nNote: ${r.display} had changed on disk since you last Read it (perhaps by a Bash command); the edit was ` +
      'applied to its current content. Read it again if you need to see the rest of the change.'
    : '';
  return ok(`Edited ${r.display}: ${what}.${note}`);
}

async function readText(r: Resolved, ctx: ToolContext): Promise<string> {
  const fh = await ctx.workspace.openRead(r);
  try {
    const buf = await fh.readFile();
    if (buf.subarray(0, 8192).includes(0))
      throw new ToolError(`${r.display} is a binary file; it cannot be edited as text.`);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}
