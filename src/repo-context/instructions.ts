// The project's instruction files, as Claude Code (CLAUDE.md, .claude/CLAUDE.md), Codex and others (AGENTS.md) and
// Copilot (.github/copilot-instructions.md) read them: whole, up to a cap on all of them together. The prompt quotes
// them in its cached prefix, each under a heading naming the file (see session/prompt.ts).
import { readInside } from './read.ts';

/** Where instruction files are looked for, in the order they are quoted. */
export const INSTRUCTION_FILES = ['CLAUDE.md', '.claude/CLAUDE.md', 'AGENTS.md', '.github/copilot-instructions.md'];
/** The most of all instruction files together that is quoted, in UTF-8 bytes. */
export const INSTRUCTIONS_MAX_BYTES = 40 * 1024;

export interface InstructionsFile {
  /** Relative to the workspace root. */
  readonly path: string;
  /** The text quoted (line ends normalised, trimmed), possibly cut. */
  readonly text: string;
  /** The text was cut at the cap; the rest is in the file. */
  readonly cut: boolean;
  /** The earlier file this one repeats word for word (AGENTS.md copied to CLAUDE.md); `text` is then empty. */
  readonly sameAs?: string;
}

export interface ProjectInstructions {
  readonly files: readonly InstructionsFile[];
  /** Files that exist but got no room at all under the cap. */
  readonly left: readonly string[];
}

/**
 * The instruction files of `workspace` that have any text, in INSTRUCTION_FILES order, sharing `maxBytes`. A file
 * that is a link, or lies under a folder that leads out of the workspace, is never read (this runs outside the
 * sandbox).
 */
export async function loadInstructions(
  workspace: string,
  maxBytes = INSTRUCTIONS_MAX_BYTES,
): Promise<ProjectInstructions> {
  // One more byte than the cap tells a file that fits exactly from one that goes on.
  const texts = await Promise.all(INSTRUCTION_FILES.map((p) => readInside(workspace, p, maxBytes + 1)));
  const files: InstructionsFile[] = [];
  const left: string[] = [];
  let room = maxBytes;
  INSTRUCTION_FILES.forEach((path, i) => {
    const text = (texts[i] ?? '')
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      .trim();
    if (!text) return;
    const same = files.find((f) => !f.sameAs && !f.cut && f.text === text);
    if (same) return void files.push({ path, text: '', cut: false, sameAs: same.path });
    if (room <= 0) return void left.push(path);
    const bytes = Buffer.byteLength(text);
    if (bytes <= room) {
      files.push({ path, text, cut: false });
      room -= bytes;
      return;
    }
    files.push({ path, text: cutBytes(text, room), cut: true });
    room = 0;
  });
  return { files, left };
}

/** The first `max` bytes of `text`, ended at the last line break when one is in the last fifth, no broken characters. */
function cutBytes(text: string, max: number): string {
  const head = Buffer.from(text)
    .subarray(0, max)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  const nl = head.lastIndexOf('\n');
  return (nl > head.length * 0.8 ? head.slice(0, nl) : head).trimEnd();
}
