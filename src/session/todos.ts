/**
 * The agent's plan: Claude Code's `TodoWrite` tool, same name and input schema (`todos`: `{content, status,
 * activeForm}`, each call the whole list), so agent files written for Claude Code plan the same way here. The list
 * goes to whoever watches (the progress comment, the job summary) through `onChange`; the model only hears that it
 * was taken.
 */
import * as z from 'zod/mini';
import { defineTool, ok, type Tool } from '../tools/index.ts';

export const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;

export interface Todo {
  /** Imperative: "Add the users table". */
  readonly content: string;
  readonly status: (typeof TODO_STATUSES)[number];
  /** Present continuous, shown while in progress: "Adding the users table". */
  readonly activeForm: string;
}

/** Claude Code's input, item for item (its items are plain objects: unknown keys are dropped, not refused). */
const input = z.strictObject({
  todos: z
    .array(
      z.object({
        content: z.string().check(z.minLength(1)),
        status: z.enum(TODO_STATUSES),
        activeForm: z.string().check(z.minLength(1)),
      }),
    )
    .check(z.describe('The updated todo list')),
});

// Short on purpose: every request carries it (see the 12 KB first-request budget in the bench).
const DESCRIPTION =
  'Keep your plan as a checklist, shown live to the people following this run. Send the whole list each call; ' +
  'it replaces the previous one. content is imperative ("Add tests"), activeForm present continuous ("Adding ' +
  'tests"). Keep one item in_progress and mark items completed as you finish them.';

/** The TodoWrite tool; `onChange` gets each new list, in the order the calls ran. */
export function todoWriteTool(onChange: (todos: readonly Todo[]) => void): Tool {
  return defineTool({
    name: 'TodoWrite',
    description: DESCRIPTION,
    input,
    // It changes the plan others watch: calls run one at a time, in order, so the last list wins.
    readOnly: false,
    run: ({ todos }) => {
      onChange(todos.map(({ content, status, activeForm }) => ({ content, status, activeForm })));
      return Promise.resolve(ok('Todos updated'));
    },
  });
}
