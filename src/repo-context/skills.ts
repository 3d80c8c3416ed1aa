// Skills, as Claude Code and Copilot keep them: `.claude/skills/<name>/SKILL.md` and `.agents/skills/<name>/SKILL.md`,
// YAML frontmatter with `name` and `description`, instructions below it, and files beside it. Discovery reads only
// each file's head (the frontmatter); a body is read when the agent asks for it (session/skill-tool.ts). A skill
// that cannot be used is a warning naming the file and the fix, never a failed run.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import matter from 'gray-matter';
import { readInside } from './read.ts';
import { oneLine } from './text.ts';

/** Where skills live, in the order they are looked up (the first skill of a name wins). */
export const SKILL_DIRS = ['.claude/skills', '.agents/skills'];
/** How much of a SKILL.md discovery reads: the frontmatter must close within it. */
const HEAD_BYTES = 16 * 1024;
/** How much of a SKILL.md the Skill tool returns at most (the tool result is capped further). */
export const SKILL_MAX_BYTES = 256 * 1024;
/** Skills listed at most: the list is in every request. */
export const MAX_SKILLS = 40;
/** A description in the list is cut here (Claude Code allows 1024; the list is in every request). */
const DESCRIPTION_CHARS = 250;
/** Claude Code's rule for skill names, a little wider (upper case, dots and underscores as in agent names). */
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export interface Skill {
  readonly name: string;
  /** One line, at most DESCRIPTION_CHARS. */
  readonly description: string;
  /** The skill's folder, relative to the workspace root (`.claude/skills/pdf`). */
  readonly dir: string;
  /** Its SKILL.md, relative to the workspace root. */
  readonly file: string;
}

export interface SkillsFound {
  readonly skills: readonly Skill[];
  /** One line per skill that cannot be used: the file, what is wrong, what to do. */
  readonly warnings: readonly string[];
}

/** The skills of `workspace`, sorted by name; never throws. */
export async function findSkills(workspace: string): Promise<SkillsFound> {
  const skills: Skill[] = [];
  const warnings: string[] = [];
  for (const root of SKILL_DIRS) {
    for (const folder of await subfolders(join(workspace, root))) {
      const dir = `${root}/${folder}`;
      const file = `${dir}/SKILL.md`;
      const head = await readInside(workspace, file, HEAD_BYTES);
      if (head === null) {
        warnings.push(`Skill ${dir}: no readable SKILL.md (a regular file, not a link); the skill is skipped.`);
        continue;
      }
      const parsed = parseSkill(head, folder);
      if ('problem' in parsed) {
        warnings.push(`Skill ${file}: ${parsed.problem}; the skill is skipped.`);
        continue;
      }
      const taken = skills.find((s) => s.name === parsed.name);
      if (taken) {
        warnings.push(`Skill ${file}: the name "${parsed.name}" is taken by ${taken.file}; this one is skipped.`);
        continue;
      }
      skills.push({ ...parsed, dir, file });
    }
  }
  skills.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (skills.length > MAX_SKILLS) {
    warnings.push(
      `${skills.length} skills found; only the first ${MAX_SKILLS} by name are offered (${skills
        .slice(MAX_SKILLS)
        .map((s) => s.name)
        .join(', ')} are not).`,
    );
  }
  return { skills: skills.slice(0, MAX_SKILLS), warnings };
}

/** The SKILL.md of `skill` without its frontmatter, or null when it cannot be read now. */
export async function readSkill(workspace: string, skill: Skill): Promise<{ body: string; cut: boolean } | null> {
  const text = await readInside(workspace, skill.file, SKILL_MAX_BYTES + 1);
  if (text === null) return null;
  const { content } = splitFrontmatter(normalise(text));
  return { body: content.trim(), cut: Buffer.byteLength(text) > SKILL_MAX_BYTES };
}

/** Folder names directly under `dir`; links and files are not skills. */
async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function normalise(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** The frontmatter's lines and the text after it; `front` is null when the file opens with no `---` line. */
function splitFrontmatter(text: string): { front: string | null; content: string; unclosed?: boolean } {
  const lines = text.split('\n');
  if (lines[0]?.trimEnd() !== '---') return { front: null, content: text };
  const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
  if (close < 0) return { front: null, content: '', unclosed: true };
  return { front: lines.slice(1, close).join('\n'), content: lines.slice(close + 1).join('\n') };
}

type Parsed = Pick<Skill, 'name' | 'description'> | { problem: string };

/** Name and description from a SKILL.md's head, or what is wrong with it. */
export function parseSkill(head: string, folder: string): Parsed {
  const { front, content, unclosed } = splitFrontmatter(normalise(head));
  if (unclosed) {
    return {
      problem: `the frontmatter is not closed within ${HEAD_BYTES / 1024} KB. Add a line "---" after the last field`,
    };
  }
  const data = front === null ? {} : readFields(front);
  if (data === null) {
    return { problem: 'the frontmatter is neither YAML nor "key: value" lines. Write "name: …" and "description: …"' };
  }
  const rawName = data.name ?? folder;
  if (typeof rawName !== 'string' || !NAME_RE.test(rawName.trim())) {
    const shown = typeof rawName === 'string' ? `"${oneLine(rawName, 40)}"` : `a ${typeof rawName}`;
    return {
      problem: `the name is ${shown}; use letters, digits, "-", "." and "_" (at most 64), e.g. "name: ${folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}"`,
    };
  }
  // Claude Code falls back to the first paragraph of the body when there is no description.
  const raw = typeof data.description === 'string' ? data.description : firstParagraph(content);
  const description = oneLine(raw.replace(/\s+/g, ' ').trim(), DESCRIPTION_CHARS);
  if (!description) return { problem: 'it has no description. Add "description: <when to use this skill>"' };
  return { name: rawName.trim(), description };
}

/**
 * The frontmatter's fields: YAML, or, when that fails, the plain `key: value` lines many hand-written files use
 * (`description: Use when: …` is not YAML). Null when neither gives any field.
 */
function readFields(front: string): Record<string, unknown> | null {
  try {
    // A fresh options object: gray-matter caches by content otherwise, and returns the cached (mutable) object.
    const data: unknown = matter(`---\n${front}\n---\n`, { language: 'yaml' }).data;
    if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    // fall through to the line form
  }
  const fields: Record<string, string> = {};
  for (const line of front.split('\n')) {
    const m = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2').trim();
  }
  return Object.keys(fields).length ? fields : null;
}

function firstParagraph(body: string): string {
  const paragraphs = body.split(/\n\s*\n/).map((p) => p.trim());
  return paragraphs.find((p) => p && !p.startsWith('#')) ?? '';
}
