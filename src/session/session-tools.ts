/**
 * The tools a session adds to the toolbox (as `extraTools`): TodoWrite (the plan) and Skill (the repository's
 * skills). Each is offered only when the agent file asks for it by name, or has no tools line at all, as Claude
 * Code does; Skill only when the repository has skills.
 */
import type { AgentDefinition } from '../agents/definition.ts';
import { TOOL_NAMES } from '../constants.ts';
import { findSkills, type Skill } from '../repo-context/index.ts';
import type { Tool } from '../tools/index.ts';
import { skillTool } from './skill-tool.ts';
import { todoWriteTool, type Todo } from './todos.ts';

/**
 * Whether a session tool named `name` is offered to an agent whose tools line is `declared` (null: the file has no
 * tools line, which offers everything).
 */
export function offersSessionTool(declared: readonly string[] | null, name: string): boolean {
  return declared === null || declared.some((t) => t.trim().toLowerCase() === name.toLowerCase());
}

/**
 * The agent file's tools line, or null when it has none. Today a file without the line gets all six built-ins, and
 * a file naming a tool outside them is refused, so "all six" stands for "no tools line" here. Once
 * AgentDefinition.tools is null for a file without the line (and keeps the names it does not know), this is
 * `agent.tools`.
 */
export function declaredTools(agent: Pick<AgentDefinition, 'tools'>): readonly string[] | null {
  const tools: readonly string[] = agent.tools;
  return TOOL_NAMES.every((t) => tools.includes(t)) ? null : tools;
}

export interface SessionTools {
  /** Pass as createToolbox's `extraTools`. */
  readonly tools: readonly Tool[];
  /** Their names: add them to the toolbox's offered `tools`. */
  readonly names: readonly string[];
  /** The repository's skills (for the system prompt, runSession's `skills`). */
  readonly skills: readonly Skill[];
}

export interface SessionToolsOptions {
  readonly workspace: string;
  /** declaredTools(agent). */
  readonly declared: readonly string[] | null;
  /** Each new plan from TodoWrite. */
  readonly onTodos: (todos: readonly Todo[]) => void;
  /** A skill that cannot be used (one line naming the file and the fix). */
  readonly warn: (message: string) => void;
}

export async function sessionTools(o: SessionToolsOptions): Promise<SessionTools> {
  const tools: Tool[] = [];
  if (offersSessionTool(o.declared, 'TodoWrite')) tools.push(todoWriteTool(o.onTodos));
  const found = await findSkills(o.workspace);
  for (const w of found.warnings) o.warn(w);
  if (found.skills.length && offersSessionTool(o.declared, 'Skill')) tools.push(skillTool(o.workspace, found.skills));
  return { tools, names: tools.map((t) => t.definition.name), skills: found.skills };
}
