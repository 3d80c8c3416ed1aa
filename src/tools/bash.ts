/**
 * Bash: one shell command, sandboxed, with a timeout, in a working directory that carries over between calls
 * (shell.ts). With run_in_background it returns an id at once; BashOutput reads what the command printed since the
 * last read and KillShell stops it. The three are offered together: BashOutput and KillShell are part of Bash here.
 */
import * as z from 'zod/mini';
import { ok, type ToolResult } from './result.ts';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, type CommandResult } from './sandbox.ts';
import { defineTool, type Tool } from './schema.ts';
import type { Shell } from './shell.ts';

export const BashInput = z.strictObject({
  command: z.string().check(z.describe('The command')),
  timeout: z.optional(z.int().check(z.minimum(1000), z.maximum(MAX_TIMEOUT_MS), z.describe('Timeout in ms'))),
  description: z.optional(z.string().check(z.describe('What it does, in 5-10 words'))),
  run_in_background: z.optional(z.boolean().check(z.describe('Return an id at once (see BashOutput)'))),
});
export type BashInput = z.infer<typeof BashInput>;

const BASH_DESCRIPTION =
  'Run a bash command in the workspace (sandboxed; stdin closed; no secrets in env). The working directory carries ' +
  `over between calls. Timeout in ms, default ${DEFAULT_TIMEOUT_MS}, max ${MAX_TIMEOUT_MS}. Output is capped; ` +
  'redirect long output to a file. Use Read/Edit/Glob/Grep rather than cat/sed/find/grep.';

export const BashOutputInput = z.strictObject({
  bash_id: z.string().check(z.describe('Id from Bash')),
  filter: z.optional(z.string().check(z.describe('Regex: only matching lines'))),
});

export const KillShellInput = z.strictObject({
  shell_id: z.string().check(z.describe('Id from Bash')),
});

/** Bash, BashOutput and KillShell over one shell. */
export function bashTools(shell: Shell): Tool[] {
  const bash = defineTool({
    name: 'Bash',
    description: BASH_DESCRIPTION,
    input: BashInput,
    readOnly: false,
    async run(input, ctx) {
      if (input.run_in_background) {
        const { id, notes } = await shell.start(input.command);
        return ok(
          [
            ...notes,
            `Command running in background with ID: ${id} (in ${shell.cwdDisplay}). Read its output with BashOutput ` +
              `(bash_id "${id}"); stop it with KillShell. It is killed when the run ends.`,
          ].join('\n'),
        );
      }
      const timeout = input.timeout ?? DEFAULT_TIMEOUT_MS;
      const { result, notes } = await shell.run(input.command, timeout, ctx.signal);
      return withNotes(formatCommandResult(result, timeout), notes);
    },
  });
  const output = defineTool({
    name: 'BashOutput',
    description: 'New output of a background Bash command since the last read, and its state.',
    input: BashOutputInput,
    readOnly: false,
    run: (input) => Promise.resolve(ok(shell.read(input.bash_id, input.filter))),
  });
  const kill = defineTool({
    name: 'KillShell',
    description: 'Stop a background Bash command by its id.',
    input: KillShellInput,
    readOnly: false,
    run: async (input) => ok(await shell.kill(input.shell_id)),
  });
  return [bash, output, kill];
}

function withNotes(r: ToolResult, notes: readonly string[]): ToolResult {
  if (!notes.length) return r;
  return { ...r, content: `${r.content}\n${notes.join('\n')}` };
}

export function formatCommandResult(r: CommandResult, timeoutMs: number): ToolResult {
  const out = r.output.replace(/\s+$/, '');
  if (r.timedOut) {
    return {
      content:
        `${out}\n[Bash: timed out after ${timeoutMs} ms; the command and its child processes were killed. Use a larger timeout (max ${MAX_TIMEOUT_MS}), run_in_background, or a faster command.]`.trimStart(),
      isError: true,
    };
  }
  if (r.aborted) return { content: `${out}\n[Bash: cancelled; the command was killed.]`.trimStart(), isError: true };
  if (r.exitCode !== 0) {
    const why = r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit code ${r.exitCode}`;
    return { content: `${out}\n[${why}]`.trimStart(), isError: true };
  }
  return ok(out || '(no output)');
}
