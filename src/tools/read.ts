/**
 * Read: numbered lines of a file, read in bounded chunks: at most MAX_LINE_CHARS of a line is kept (a 300 MB line is
 * skipped through, never held), and at most MAX_SCAN_BYTES of the file are read per call.
 */
import type { FileHandle } from 'node:fs/promises';
import * as z from 'zod/mini';
import type { ToolContext } from './context.ts';
import { checkImage, imageBytesProblem, isPdf, MAX_IMAGE_SIDE, sniffImage } from './image.ts';
import { MAX_RESULT_CHARS, ok, ToolError, type ToolResult } from './result.ts';
import { defineTool } from './schema.ts';

export const DEFAULT_READ_LINES = 2000;
export const MAX_LINE_CHARS = 2000;
/** One Read reads at most this much of a file (lines before the offset included); Bash reads further. */
export const MAX_SCAN_BYTES = 128 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** Shared by Read, Write and Edit. */
export const FILE_PATH = z.string().check(z.describe('Path relative to the workspace root, or absolute inside it'));

export const ReadInput = z.strictObject({
  file_path: FILE_PATH,
  offset: z.optional(z.int().check(z.minimum(0), z.describe('First line (1-based; 0 = 1)'))),
  limit: z.optional(z.int().check(z.minimum(1), z.describe('Number of lines to read'))),
  pages: z.optional(z.string().check(z.describe('PDF pages (PDFs are not rendered here)'))),
});
export type ReadInput = z.infer<typeof ReadInput>;

export const readTool = defineTool({
  name: 'Read',
  description:
    'Read a file in the workspace (or the agent reference docs). Returns lines numbered like `cat -n`, ' +
    `${DEFAULT_READ_LINES} lines from offset by default; lines over ${MAX_LINE_CHARS} chars are cut. Shows PNG/JPEG/GIF/WebP ` +
    `images (up to ${MAX_IMAGE_SIDE} px a side); other binary files are refused. Read a file before you Edit or overwrite it.`,
  input: ReadInput,
  readOnly: true,
  async run(input, ctx) {
    const r = await ctx.workspace.resolve(input.file_path, 'read');
    if (!r.stat) throw new ToolError(`${r.display} does not exist. Use Glob to find the right path.`);
    if (r.stat.isDirectory())
      throw new ToolError(`${r.display} is a folder, not a file; use Glob or Bash \`ls\` to list it.`);
    // Claude Code's offset 0 (and 1) both mean the first line.
    const offset = Math.max(input.offset ?? 1, 1);
    const limit = input.limit ?? DEFAULT_READ_LINES;
    const fh = await ctx.workspace.openRead(r);
    let stat;
    try {
      stat = await fh.stat();
      const head = Buffer.alloc(Math.min(8192, stat.size));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const first = head.subarray(0, bytesRead);
      const media = sniffImage(first);
      if (media) return await readImage(fh, r.path, r.display, media, stat, ctx);
      if (isPdf(first)) {
        throw new ToolError(
          `${r.display} is a PDF (${stat.size} bytes); Read does not render PDFs in this action${input.pages ? ' (pages is ignored)' : ''}. ` +
            `Use Bash to extract its text, e.g. \`pdftotext -f 1 -l 5 ${r.display} - | head -300\` where poppler-utils is installed.`,
        );
      }
      if (input.pages)
        throw new ToolError(`pages applies to PDF files only; ${r.display} is not a PDF. Use offset and limit.`);
      if (first.includes(0)) {
        throw new ToolError(
          `${r.display} is a binary file (${stat.size} bytes) and cannot be shown as text; use Bash (e.g. \`file\`, \`xxd | head\`) to inspect it.`,
        );
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

    let w: LineWindow;
    try {
      w = await readLineWindow(fh, { offset, limit }, ctx.signal);
    } finally {
      await fh.close().catch(() => {});
    }
    const { out, lineNo, cutLines, stoppedAt, more } = w;
    ctx.seen.set(r.path, { mtimeMs: stat.mtimeMs, size: stat.size });
    if (out.length === 0 && w.scanStopped) {
      return ok(
        `${r.display}: line ${offset} is past the first ${mib(w.scanned)} (${lineNo} lines), as far as one Read ` +
          `goes. Use Bash (e.g. \`sed -n '${offset},${offset + 99}p' ${r.display} | cut -c1-${MAX_LINE_CHARS}\`) ` +
          'to read that far.',
      );
    }
    if (out.length === 0) {
      return ok(`${r.display} has ${lineNo} lines; offset ${offset} is past the end. Use a smaller offset.`);
    }
    const notes: string[] = [];
    const next = stoppedAt ?? offset + out.length;
    if (w.scanStopped) {
      notes.push(
        w.partialLast
          ? `[Stopped after reading ${mib(w.scanned)} of ${mib(w.size)}: line ${lineNo} goes on past that. ` +
              'Use Bash (e.g. `head -c`, `cut -c`, `fold`) for the rest.]'
          : `[Stopped after reading ${mib(w.scanned)} of ${mib(w.size)}, as far as one Read goes. ` +
              `Continue with offset=${next}, or use Bash (\`sed -n\`).]`,
      );
    } else if (more) {
      notes.push(
        stoppedAt
          ? `[Stopped at line ${stoppedAt}: output cap of ${MAX_RESULT_CHARS} characters reached. Continue with offset=${next}.]`
          : `[Showing lines ${offset}-${next - 1}; the file has more. Continue with offset=${next}.]`,
      );
    }
    if (cutLines)
      notes.push(
        `[${cutLines} long line(s) cut at ${MAX_LINE_CHARS} characters; use Bash (e.g. \`cut\`, \`fold\`) for the full text.]`,
      );
    return ok([...out, ...notes].join('\n'));
  },
});

/** An image file as an image block, within the API's limits; refused with the limit it breaks otherwise. */
async function readImage(
  fh: FileHandle,
  real: string,
  display: string,
  media: NonNullable<ReturnType<typeof sniffImage>>,
  stat: { size: number; mtimeMs: number },
  ctx: ToolContext,
): Promise<ToolResult> {
  // Refused by size before it is read: a huge file is never held whole.
  const tooBig = imageBytesProblem(stat.size);
  const data = tooBig ? null : await fh.readFile();
  await fh.close().catch(() => {});
  const c = data ? checkImage(data, media) : { ok: false as const, why: tooBig ?? '' };
  if (!c.ok) {
    throw new ToolError(
      `${display} is an image the model cannot be sent: ${c.why}. Make a smaller copy inside the workspace with Bash ` +
        `(e.g. \`convert ${display} -resize 2000x2000 small.png\` where ImageMagick is installed) and Read that.`,
    );
  }
  ctx.seen.set(real, { mtimeMs: stat.mtimeMs, size: stat.size });
  return {
    content: `${display}: ${media.slice(6).toUpperCase()} image, ${c.width}x${c.height} pixels, ${stat.size} bytes (shown below).`,
    isError: false,
    images: [c.image],
  };
}

export interface LineWindow {
  /** Numbered lines, as shown. */
  out: string[];
  /** Characters of `out` with their newlines. */
  chars: number;
  /** Lines started (the last one may be unfinished when scanStopped). */
  lineNo: number;
  cutLines: number;
  /** First line not shown because of the character cap. */
  stoppedAt: number | null;
  /** The file has lines after those shown. */
  more: boolean;
  /** Bytes read, and the file's size at open. */
  scanned: number;
  size: number;
  /** maxScanBytes was reached before the window was complete. */
  scanStopped: boolean;
  /** The last line shown is the head of a line that goes on past maxScanBytes. */
  partialLast: boolean;
}

export interface WindowOptions {
  offset: number;
  limit: number;
  maxLineChars?: number;
  maxChars?: number;
  maxScanBytes?: number;
}

/**
 * Lines offset..offset+limit-1 of an open file, numbered like `cat -n`, reading chunk by chunk: of each line, only its
 * first bytes (enough for maxLineChars characters) are kept; lines are split at '\n' and a trailing '\r' dropped.
 */
export async function readLineWindow(fh: FileHandle, o: WindowOptions, signal?: AbortSignal): Promise<LineWindow> {
  const maxLineChars = o.maxLineChars ?? MAX_LINE_CHARS;
  const maxChars = o.maxChars ?? MAX_RESULT_CHARS;
  const maxScan = o.maxScanBytes ?? MAX_SCAN_BYTES;
  // A UTF-8 character is at most 4 bytes: this many bytes always hold maxLineChars characters and one more.
  const keepBytes = (maxLineChars + 1) * 4;
  const size = (await fh.stat()).size;
  const w: LineWindow = {
    out: [],
    chars: 0,
    lineNo: 0,
    cutLines: 0,
    stoppedAt: null,
    more: false,
    scanned: 0,
    size,
    scanStopped: false,
    partialLast: false,
  };
  const buf = Buffer.alloc(CHUNK_BYTES);
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let lineBytes = 0;
  let inLine = false; // bytes of the current line have been read
  let done = false;

  // Ends the current line; returns false when the window is complete.
  const endLine = (): boolean => {
    const n = ++w.lineNo;
    inLine = false;
    const parts = kept;
    const total = lineBytes;
    kept = [];
    keptBytes = 0;
    lineBytes = 0;
    if (n < o.offset) return true;
    if (n >= o.offset + o.limit) {
      w.more = true;
      return false;
    }
    let line = Buffer.concat(parts).toString('utf8');
    const whole = parts.reduce((a, p) => a + p.length, 0) === total;
    if (whole && line.endsWith('\r')) line = line.slice(0, -1);
    if (!whole || line.length > maxLineChars) {
      const size = whole ? `${line.length} chars` : `${w.partialLast ? 'over ' : ''}${total} bytes`;
      line = `${line.slice(0, maxLineChars)}… [line cut: ${size}]`;
      w.cutLines++;
    }
    const entry = `${String(n).padStart(6)}\t${line}`;
    if (w.chars + entry.length + 1 > maxChars) {
      w.stoppedAt = n;
      w.more = true;
      return false;
    }
    w.out.push(entry);
    w.chars += entry.length + 1;
    return true;
  };
  // Takes bytes of the current line, keeping only the head of a line that will be shown.
  const take = (chunk: Buffer): void => {
    inLine = true;
    lineBytes += chunk.length;
    const shown = w.lineNo + 1 >= o.offset;
    if (shown && keptBytes < keepBytes) {
      const part = Buffer.from(chunk.subarray(0, keepBytes - keptBytes)); // a copy: buf is reused
      kept.push(part);
      keptBytes += part.length;
    }
  };

  while (!done) {
    signal?.throwIfAborted();
    if (w.scanned >= maxScan) {
      w.scanStopped = true;
      break;
    }
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, maxScan - w.scanned), w.scanned);
    if (bytesRead === 0) {
      if (inLine) endLine();
      break;
    }
    w.scanned += bytesRead;
    const chunk = buf.subarray(0, bytesRead);
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      take(chunk.subarray(from, nl));
      from = nl + 1;
      if (!endLine()) {
        done = true;
        break;
      }
    }
    if (!done && from < chunk.length) take(chunk.subarray(from));
  }
  // Stopped inside a line that is to be shown: show its head.
  if (w.scanStopped && inLine && w.lineNo + 1 >= o.offset && w.lineNo + 1 < o.offset + o.limit) {
    w.partialLast = true;
    endLine();
  }
  return w;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : `${bytes} bytes`;
}
