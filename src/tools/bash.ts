/** Bash: one shell command in the workspace, sandboxed, with a timeout. */
import * as z from 'zod/mini';
import { ok, type ToolResult } from './result.ts';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, type CommandResult } from './sandbox.ts';
import { defineTool, type Tool } from './schema.ts';

export const BashInput = z.strictObject({
  command: z.string().check(z.describe('The command')),
  timeout: z.optional(z.int().check(z.minimum(1000), z.maximum(MAX_TIMEOUT_MS), z.describe('Timeout in ms'))),
  description: z.optional(z.string().check(z.describe('What it does, in 5-10 words'))),
});
export type BashInput = z.infer<typeof BashInput>;

const BASH_DESCRIPTION =
  'Run a bash command in the workspace root (sandboxed; stdin closed; no secrets in env). ' +
  `Timeout in ms, default ${DEFAULT_TIMEOUT_MS}, max ${MAX_TIMEOUT_MS}. Output is capped; redirect long output to a file. ` +
  'Use Read/Edit/Glob/Grep rather than cat/sed/find/grep.';

export interface BashRunner {
  run(command: string, timeoutMs: number, signal?: AbortSignal): Promise<CommandResult>;
}

export function bashTool(runner: BashRunner): Tool {
  return defineTool({
    name: 'Bash',
    description: BASH_DESCRIPTION,
    input: BashInput,
    readOnly: false,
    async run(input, ctx) {
      const timeout = input.timeout ?? DEFAULT_TIMEOUT_MS;
      const r = await runner.run(input.command, timeout, ctx.signal);
      return formatCommandResult(r, timeout);
    },
  });
}

export function formatCommandResult(r: CommandResult, timeoutMs: number): ToolResult {
  const out = r.output.replace(/\s+$/, '');
  if (r.timedOut) {
    return {
      content:
        `${out}\n[Bash: timed out after ${timeoutMs} ms; the command and its child processes were killed. Use a larger timeout (max ${MAX_TIMEOUT_MS}) or a faster command.]`.trimStart(),
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
