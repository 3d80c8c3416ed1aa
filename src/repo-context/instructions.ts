// The project's instruction files (CLAUDE.md, AGENTS.md): quoted into the context, each cut to its share of the room.
import { join } from 'node:path';
import { readHead } from './read.ts';
import { cut } from './text.ts';

/** Where instruction files are looked for, in the order they are quoted. */
export const DOC_NAMES = ['CLAUDE.md', 'AGENTS.md', '.claude/CLAUDE.md'];
/** The most of one instruction file that is quoted. */
export const DOC_MAX_CHARS = 1500;

export interface InstructionsFile {
  readonly path: string;
  readonly text: string;
}

/** The instruction files at `paths` that have any text (at most 4 × DOC_MAX_CHARS bytes of each is read). */
export async function readDocs(workspace: string, paths: readonly string[]): Promise<InstructionsFile[]> {
  const docs = await Promise.all(
    paths.map(async (path) => ({ path, text: (await readHead(join(workspace, path), DOC_MAX_CHARS * 4)) ?? '' })),
  );
  return docs.filter((d) => d.text.trim());
}

/** `summary` followed by the instruction files, each given what the summary leaves, at most DOC_MAX_CHARS. */
export function appendInstructions(summary: string, docs: readonly InstructionsFile[], maxChars: number): string {
  let text = summary;
  for (const doc of docs) {
    const room = maxChars - text.length - doc.path.length - 40;
    if (room < 200) break;
    const limit = Math.min(DOC_MAX_CHARS, room);
    const body = doc.text.replace(/\r\n?/g, '\n').trim();
    const shown = body.length > limit ? `${cut(body, limit)}\n[… ${doc.path} continues; read it for the rest]` : body;
    text += `\n\n### ${doc.path}\n${shown}`;
  }
  return text;
}
