/** Read: numbered lines of a file, streamed so a large file is never loaded whole. */
import { createInterface } from 'node:readline';
import type { Tool } from './context.ts';
import { MAX_RESULT_CHARS, ok, ToolError } from './result.ts';
import type { ToolDefinition } from './schema.ts';

export const DEFAULT_READ_LINES = 2000;
export const MAX_LINE_CHARS = 2000;

export const readDefinition: ToolDefinition = {
  name: 'Read',
  description:
    'Read a file in the workspace (or the agent reference docs). Returns lines numbered like `cat -n`, ' +
    `${DEFAULT_READ_LINES} lines from offset by default; lines over ${MAX_LINE_CHARS} chars are cut. Binary files are refused. ` +
    'Read a file before overwriting it with Write.',
  input_schema: {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'Path relative to the workspace root, or absolute inside it' },
      offset: { type: 'integer', minimum: 1, description: 'Line number to start at (1-based)' },
      limit: { type: 'integer', minimum: 1, description: 'Number of lines to read' },
    },
    required: ['file_path'],
    additionalProperties: false,
  },
};

export interface ReadInput {
  file_path: string;
  offset?: number;
  limit?: number;
}

export const readTool: Tool<ReadInput> = {
  definition: readDefinition,
  readOnly: true,
  async run(input, ctx) {
    const r = await ctx.workspace.resolve(input.file_path, 'read');
    if (!r.stat) throw new ToolError(`${r.display} does not exist. Use Glob to find the right path.`);
    if (r.stat.isDirectory()) throw new ToolError(`${r.display} is a folder, not a file; use Glob or Bash \`ls\` to list it.`);
    const offset = input.offset ?? 1;
    const limit = input.limit ?? DEFAULT_READ_LINES;
    const fh = await ctx.workspace.openRead(r);
    let stat;
    try {
      stat = await fh.stat();
      const head = Buffer.alloc(Math.min(8192, stat.size));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      if (head.subarray(0, bytesRead).includes(0)) {
        throw new ToolError(`${r.display} is a binary file (${stat.size} bytes) and cannot be shown as text; use Bash (e.g. \`file\`, \`xxd | head\`) to inspect it.`);
      }
      if (stat.size === 0) {
        await fh.close();
        ctx.seen.set(r.path, { mtimeMs: stat.mtimeMs, size: 0 });
        return ok(`${r.display} is empty.`);
      }
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }

    const out: string[] = [];
    let chars = 0;
    let lineNo = 0;
    let cutLines = 0;
    let stoppedAt: number | null = null; // first line not shown because of the character cap
    let more = false;
    const stream = fh.createReadStream({ start: 0, encoding: 'utf8', highWaterMark: 64 * 1024 });
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const raw of rl) {
        lineNo++;
        if (lineNo < offset) continue;
        if (lineNo >= offset + limit) {
          more = true;
          break;
        }
        let line = raw;
        if (line.length > MAX_LINE_CHARS) {
          line = `${line.slice(0, MAX_LINE_CHARS)}… [line cut: ${line.length} chars]`;
          cutLines++;
        }
        const entry = `${String(lineNo).padStart(6)}\t${line}`;
        if (chars + entry.length + 1 > MAX_RESULT_CHARS) {
          stoppedAt = lineNo;
          more = true;
          break;
        }
        out.push(entry);
        chars += entry.length + 1;
      }
    } finally {
      rl.close();
      stream.destroy();
      await fh.close().catch(() => {});
    }
    ctx.seen.set(r.path, { mtimeMs: stat.mtimeMs, size: stat.size });
    if (out.length === 0) {
      return ok(`${r.display} has ${lineNo} lines; offset ${offset} is past the end. Use a smaller offset.`);
    }
    const notes: string[] = [];
    const next = stoppedAt ?? offset + out.length;
    if (more) {
      notes.push(
        stoppedAt
          ? `[Stopped at line ${stoppedAt}: output cap of ${MAX_RESULT_CHARS} characters reached. Continue with offset=${next}.]`
          : `[Showing lines ${offset}-${next - 1}; the file has more. Continue with offset=${next}.]`,
      );
    }
    if (cutLines) notes.push(`[${cutLines} long line(s) cut at ${MAX_LINE_CHARS} characters; use Bash (e.g. \`cut\`, \`fold\`) for the full text.]`);
    return ok([...out, ...notes].join('\n'));
  },
};
