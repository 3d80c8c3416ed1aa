/** Turns and assertions shared by the fault tests. */
import assert from 'node:assert/strict';
import { healthTurns, STATUS_COMPLETE } from '../../test-support/health-scenario.ts';
import { explain, runFault, type FaultOutcome, type FaultSpec } from '../../test-support/fault-run.ts';
import type { Turn } from '../../test-support/scenario.ts';

export { healthTurns, STATUS_COMPLETE };

/** Glob, Read, Edit src/server.js, Write test/health.test.js: the agent has changed two files after these. */
export function editTurns(): Turn[] {
  return healthTurns().slice(0, 4);
}

/** The Bash test run and the STATUS COMPLETE answer. */
export function finishTurns(): Turn[] {
  return healthTurns().slice(4);
}

export function bash(command: string, timeout?: number): Turn {
  return {
    content: [
      { type: 'tool_use', name: 'Bash', input: { command, ...(timeout ? { timeout } : {}), description: 'run it' } },
    ],
  };
}

export function statusTurn(status: string, summary: string, files = ''): Turn {
  return { content: [{ type: 'text', text: `Done.\n\nSTATUS: ${status}\nSUMMARY: ${summary}\nFILES: ${files}` }] };
}

/** Small SDK-visible retry delays, so the SDK's own backoff does not dominate the suite. */
export const FAST_RETRY = { 'retry-after-ms': '50', 'retry-after': '1' };

/** Runs the spec, asserts every invariant, hands the outcome to `more`, always closes. */
export async function faultCase(
  spec: FaultSpec,
  more?: (o: FaultOutcome) => void | Promise<void>,
): Promise<FaultOutcome> {
  const o = await runFault(spec);
  try {
    assert.deepEqual(o.verdict.problems, [], explain(o));
    await more?.(o);
    return o;
  } catch (e) {
    if (e instanceof assert.AssertionError && !e.message.includes('--- log tail')) e.message += `\n${explain(o)}`;
    throw e;
  } finally {
    await o.close();
  }
}

/** The two files of the health change, as the origin must hold them. */
export function assertHealthWorkSaved(o: FaultOutcome, opts: { withTest?: boolean } = {}): void {
  assert.ok(o.verdict.savedOn, 'the changes are on a branch of the origin');
  assert.ok(o.verdict.changed.includes('src/server.js'), `changed: ${o.verdict.changed.join(', ')}`);
  if (opts.withTest !== false) assert.ok(o.verdict.changed.includes('test/health.test.js'));
}
