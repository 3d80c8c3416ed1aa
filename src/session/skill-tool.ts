/**
 * Claude Code's `Skill` tool (input `skill`, optional `args`): returns a skill's SKILL.md body, read when asked, and
 * where its folder is so the agent can Read the files beside it. The skills themselves are found by
 * repo-context/skills.ts and listed in the system prompt (prompt.ts).
 */
import * as z from 'zod/mini';
import { readSkill, type Skill } from '../repo-context/index.ts';
import { defineTool, ok, ToolError, type Tool } from '../tools/index.ts';
import { capText } from '../tools/result.ts';

const input = z.strictObject({
  skill: z.string().check(z.describe('The name of a skill from the list in the system prompt.')),
  args: z.optional(z.string().check(z.describe('Optional arguments for the skill'))),
});

export function skillTool(workspace: string, skills: readonly Skill[]): Tool {
  const byName = new Map(skills.map((s) => [s.name.toLowerCase(), s]));
  return defineTool({
    name: 'Skill',
    description: "Loads a skill's instructions (its SKILL.md). Skills are listed in the system prompt under Skills.",
    input,
    readOnly: true,
    run: async ({ skill, args }) => {
      const name = skill.trim().replace(/^\//, '');
      const found = byName.get(name.toLowerCase());
      if (!found) {
        throw new ToolError(`no skill named "${name}". Available: ${skills.map((s) => s.name).join(', ') || 'none'}.`);
      }
      const read = await readSkill(workspace, found);
      if (!read) throw new ToolError(`${found.file} cannot be read any more (removed, or replaced by a link).`);
      return ok(skillResult(found, read.body, read.cut, args));
    },
  });
}

/**
 * What the model gets: the folder first (as Claude Code says it), then the body. `$ARGUMENTS` in the body takes the
 * arguments; without it they follow the body.
 */
export function skillResult(skill: Skill, body: string, cut: boolean, args?: string): string {
  const a = args?.trim() ?? '';
  const withArgs = body.includes('$ARGUMENTS')
    ? body.replaceAll('$ARGUMENTS', a)
    : a
      ? `${body}\n\nARGUMENTS: ${a}`
      : body;
  const head = `Base directory for this skill: ${skill.dir} (Read the files it mentions there).\n\n`;
  const more = cut ? `\n\n[${skill.file} is longer; Read it for the rest.]` : '';
  return capText(`${head}${withArgs}${more}`, `Read ${skill.file} with offset for the rest.`);
}
