// The repository context the agent gets in its first message, so it need not explore to learn the stack, where the
// API and the schema live, and how tests run. Computed from the file list (git ls-files when it can) plus a few
// manifests; it reads no other file contents, so it stays fast on large repositories.
// The parts, in the order they run: listing.ts (the file list; paths.ts says what a directory's name means) →
// facts.ts (what the paths say) → stack.ts (manifests) → render.ts (the Markdown, bounded; text.ts holds its helpers).
// Beside it, for the system prompt: instructions.ts (CLAUDE.md, AGENTS.md, …, whole up to a cap) and skills.ts
// (.claude/skills, .agents/skills). read.ts reads a file's head without following links.
import { analyse } from './facts.ts';
import { loadInstructions, type ProjectInstructions } from './instructions.ts';
import { listFiles } from './listing.ts';
import { render } from './render.ts';
import { readManifests } from './stack.ts';

export { listFiles, type FileListing } from './listing.ts';
export { SKIPPED_DIRS } from './paths.ts';
export {
  INSTRUCTIONS_MAX_BYTES,
  loadInstructions,
  type InstructionsFile,
  type ProjectInstructions,
} from './instructions.ts';
export { findSkills, readSkill, type Skill, type SkillsFound } from './skills.ts';

export interface RepoContextOptions {
  /** Upper bound on the text's length; default 8000 (about 2k tokens). */
  maxChars?: number;
}

export interface RepoContext {
  /** Markdown, at most maxChars long. */
  text: string;
  /** Time spent computing it. */
  ms: number;
  /** Files considered (after .gitignore and the skipped directories). */
  files: number;
  /** The project's instruction files (CLAUDE.md, AGENTS.md, …), for the system prompt. */
  instructions: ProjectInstructions;
}

export const DEFAULT_CONTEXT_CHARS = 8000;

/** Computes the repository context of `workspace`. Never throws for an unreadable repo: it reports what it found. */
export async function repoContext(workspace: string, opts: RepoContextOptions = {}): Promise<RepoContext> {
  const started = performance.now();
  const maxChars = Math.max(200, opts.maxChars ?? DEFAULT_CONTEXT_CHARS);
  const loading = loadInstructions(workspace); // fixed paths: no need to wait for the listing
  const listing = await listFiles(workspace);
  const facts = analyse(listing.files);
  const [manifests, instructions] = await Promise.all([readManifests(workspace, facts.manifestPaths), loading]);
  const text = render(listing, facts, manifests, maxChars);
  return { text, ms: Math.round(performance.now() - started), files: listing.files.length, instructions };
}
