/**
 * Tests that need a system program (bubblewrap, socat, ripgrep) skip with one line naming the package when it is
 * missing — a fresh clone's `npm test` stays green and says what it did not cover — and fail with that same line
 * under CI=true, where a missing sandbox must never pass for a green run.
 *
 * A whole file opts in by taking its test functions from here instead of node:test:
 *
 *     import { requireTools } from './system-tools.ts';
 *     const { test, describe, it, before, after, beforeEach, afterEach } = requireTools('bwrap', 'socat');
 *
 * Its tests are then skipped (one line each) and its hooks not run when a program is missing. For part of a file,
 * use the reason alone as the skip option: `describe('…', { skip: requireTools('rg').skip }, () => …)`.
 */
import { PROBE_ARGS } from '../src/tools/sandbox.ts';
import { spawnSync } from 'node:child_process';
import * as nodeTest from 'node:test';
import type { HookOptions, SuiteFn, TestFn, TestOptions } from 'node:test';
import { which } from '../src/tools/search.ts';

export type SystemTool = 'bwrap' | 'socat' | 'rg';

const PACKAGE: Record<SystemTool, string> = { bwrap: 'bubblewrap', socat: 'socat', rg: 'ripgrep' };

/** Why bwrap cannot make the sandbox the action makes (null when it can), probed once per test file. */
let bwrapProblem: string | null | undefined;
function probeBwrap(bwrap: string): string | null {
  if (bwrapProblem !== undefined) return bwrapProblem;
  const args = [...PROBE_ARGS];
  const r = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  bwrapProblem = r.status === 0 ? null : (r.error?.message ?? r.stderr.trim()) || `exit code ${r.status}`;
  return bwrapProblem;
}

/** The one-line reason the programs are not usable here, or null when they are. */
export function missingTools(programs: readonly SystemTool[], env: NodeJS.ProcessEnv = process.env): string | null {
  const missing = programs.filter((p) => !which(p, env));
  if (missing.length) {
    const pkgs = missing.map((p) => PACKAGE[p]).join(' ');
    return `needs ${missing.map((p) => PACKAGE[p]).join(', ')} (npm run setup, or sudo apt-get install -y ${pkgs})`;
  }
  const bwrap = programs.includes('bwrap') ? which('bwrap', env) : null;
  const problem = bwrap ? probeBwrap(bwrap) : null;
  if (problem) {
    return `needs a working bubblewrap, but it cannot create a sandbox here: ${problem.split('\n')[0]} (on Ubuntu 24.04: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)`;
  }
  return null;
}

/** CI=true: a run that would skip the sandbox tests is a failed run. */
function required(env: NodeJS.ProcessEnv): boolean {
  return /^(true|1)$/i.test(env.CI ?? '');
}

export interface Gated {
  /** The skip option for a test or describe: false when every program is usable, else the one-line reason. */
  readonly skip: string | false;
  // void, not node:test's Promise: the runner awaits its tests itself, and a caller has nothing to await.
  readonly test: (name: string, a?: TestOptions | TestFn, b?: TestFn) => void;
  readonly it: (name: string, a?: TestOptions | TestFn, b?: TestFn) => void;
  readonly describe: (name: string, a?: TestOptions | SuiteFn, b?: SuiteFn) => void;
  readonly before: typeof nodeTest.before;
  readonly after: typeof nodeTest.after;
  readonly beforeEach: typeof nodeTest.beforeEach;
  readonly afterEach: typeof nodeTest.afterEach;
}

/**
 * node:test's functions gated on `programs`: tests and suites skip with the reason, hooks do not run. Under CI=true a
 * missing program throws here, failing the file with the same reason.
 */
export function requireTools(...programs: SystemTool[]): Gated {
  const reason = missingTools(programs);
  if (reason && required(process.env)) {
    throw new Error(`CI=true, so this is a failure, not a skip: ${reason}`);
  }
  const skip: string | false = reason ? `skipped: ${reason}` : false;
  function gate<F extends TestFn | SuiteFn>(run: (name: string, options: TestOptions, fn?: F) => Promise<void>) {
    return (name: string, a?: TestOptions | F, b?: F): void => {
      const options: TestOptions = typeof a === 'object' ? a : {};
      const fn = typeof a === 'function' ? a : b;
      void run(name, skip ? { ...options, skip } : options, fn);
    };
  }
  const hook =
    (add: (fn: nodeTest.HookFn, options?: HookOptions) => void) => (fn?: nodeTest.HookFn, options?: HookOptions) => {
      if (!skip && fn) add(fn, options);
    };
  return {
    skip,
    test: gate<TestFn>(nodeTest.test),
    it: gate<TestFn>(nodeTest.it),
    describe: gate<SuiteFn>(nodeTest.describe),
    before: hook(nodeTest.before),
    after: hook(nodeTest.after),
    beforeEach: hook(nodeTest.beforeEach),
    afterEach: hook(nodeTest.afterEach),
  };
}
