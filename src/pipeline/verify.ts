/**
 * Step 7: trust, but verify. A COMPLETE run with a verify-command runs it in the same sandbox as Bash (an agent
 * without Bash still gets its work verified, in a sandbox of its own); a failure turns the status into ERROR with
 * the output's tail. The work is committed either way.
 */
import { errorMessage } from '../errors.ts';
import { createToolbox, type Toolbox } from '../tools/index.ts';
import { sandboxSettings } from './agent-run.ts';
import type { CredentialFiles } from '../security/credential-files.ts';
import { worsen, type Run } from './run.ts';

/** verify-command may run this long at most (and never past timeout-minutes). */
const VERIFY_MAX_MS = 30 * 60_000;

/** Returns the output tail to show when verification failed. */
export async function verify(
  run: Run,
  toolbox: Toolbox | undefined,
  offered: readonly string[],
  credentials: CredentialFiles,
): Promise<string | undefined> {
  const { cfg } = run;
  if (run.status.status !== 'COMPLETE' || !cfg.verifyCommand || !toolbox) return undefined;
  run.channel.phase(`Verifying: ${cfg.verifyCommand}`);
  let v: { exitCode: number | null; timedOut: boolean; output: string };
  try {
    const verifier = offered.includes('Bash')
      ? toolbox
      : await createToolbox({ ...sandboxSettings(run, credentials), tools: ['Bash'] });
    v = await verifier
      .runCommand(cfg.verifyCommand, { signal: run.cancelled, timeoutMs: Math.min(cfg.timeoutMs, VERIFY_MAX_MS) })
      .finally(() => (verifier === toolbox ? undefined : verifier.close()));
  } catch (e) {
    // Could not even start (no usable sandbox): the work is still committed and pushed, as ERROR.
    v = { exitCode: null, timedOut: false, output: `verify-command could not start: ${errorMessage(e)}` };
  }
  if (v.exitCode === 0) return undefined;
  const how = v.timedOut ? 'timed out' : v.exitCode === null ? 'could not start' : `exit ${v.exitCode}`;
  worsen(run, 'ERROR', `verify-command \`${cfg.verifyCommand}\` failed (${how})`);
  return run.redact(v.output.slice(-3000));
}
