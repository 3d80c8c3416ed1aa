/**
 * The tools a session adds to the toolbox (as `extraTools`): TodoWrite (the plan) and Skill (the repository's
 * skills; only when it has some). Whether the agent gets them is offeredTools' rule, as for every tool: when its
 * file names them, or has no tools line at all, as Claude Code does.
 */
import { findSkills, type Skill } from '../repo-context/index.ts';
import type { Tool } from '../tools/index.ts';
import { skillTool } from './skill-tool.ts';
import { todoWriteTool, type Todo } from './todos.ts';

export interface SessionTools {
  /** Pass as createToolbox's `extraTools`. */
  readonly tools: readonly Tool[];
  /** Their names: add them to the names the run has (offeredTools' `available`). */
  readonly names: readonly string[];
  /** The repository's skills (for the system prompt, runSession's `skills`). */
  readonly skills: readonly Skill[];
}

export interface SessionToolsOptions {
  readonly workspace: string;
  /** Each new plan from TodoWrite. */
  readonly onTodos: (todos: readonly Todo[]) => void;
  /** A skill that cannot be used (one line naming the file and the fix). */
  readonly warn: (message: string) => void;
}

export async function sessionTools(o: SessionToolsOptions): Promise<SessionTools> {
  const tools: Tool[] = [];
  tools.push(todoWriteTool(o.onTodos));
  const found = await findSkills(o.workspace);
  for (const w of found.warnings) o.warn(w);
  if (found.skills.length) tools.push(skillTool(o.workspace, found.skills));
  return { tools, names: tools.map((t) => t.definition.name), skills: found.skills };
}
