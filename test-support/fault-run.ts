/**
 * One run of dist/index.js with a fault planted somewhere (model API, GitHub, git, the process), checked against the
 * invariants of issue 7. The fault tests and `npm run soak` both go through here.
 */
import type { ChildProcess } from 'node:child_process';
import { slugBranch } from '../src/git/branch-name.ts';
import { createScenario, type Scenario, type Turn } from './scenario.ts';
import { checkInvariants, snapshotTree, type Verdict } from './invariants.ts';
import type { ActionRun } from './launcher.ts';

export interface FaultContext {
  s: Scenario;
  /** The branch the action works on for the scenario's issue. */
  branch: string;
  /** The trigger comment's id. */
  commentId: number;
  /** The action's process, once started. */
  child: ChildProcess | undefined;
  /** Work started from hooks (a human's push, a deletion) that the run must wait for before checking. */
  pending: Array<Promise<unknown>>;
}

export interface FaultSpec {
  /** The model's turns; hooks (`expect`) may use the context to interleave a fault. */
  turns: (ctx: FaultContext) => Turn[];
  files?: Record<string, string>;
  inputs?: Record<string, string>;
  /** Extra environment of the action's process (e.g. a PATH without ripgrep, NODE_OPTIONS planting a fault). */
  env?: Record<string, string>;
  /** Before the run: inject GitHub faults, prepare the origin or the workspace. */
  setup?: (ctx: FaultContext) => Promise<void> | void;
  onStart?: (ctx: FaultContext) => void;
  /** Default 60 s. */
  maxWallMs?: number;
  /** Seeds the stand-in's stream splitting. */
  seed?: number;
}

export interface FaultOutcome {
  ctx: FaultContext;
  run: ActionRun;
  wallMs: number;
  verdict: Verdict;
  close(): Promise<void>;
}

export const COMMAND = '/backend-developer add a /health endpoint with tests';

export async function runFault(spec: FaultSpec): Promise<FaultOutcome> {
  const s = await createScenario({ script: [], ...(spec.files ? { files: spec.files } : {}) });
  try {
    const event = s.comment({ body: COMMAND });
    const ctx: FaultContext = {
      s,
      branch: slugBranch('backend-developer/', s.issueNumber, 'Add a health endpoint'),
      commentId: event.comment.id,
      child: undefined,
      pending: [],
    };
    s.anthropic.push(...spec.turns(ctx));
    await spec.setup?.(ctx);
    const prsBefore = s.gh.state.pulls.length;
    const before = await snapshotTree(s.workspace);
    const t0 = Date.now();
    const run = await s.run(event, spec.inputs ?? {}, {
      ...(spec.env ? { env: spec.env } : {}),
      onStart(child) {
        ctx.child = child;
        spec.onStart?.(ctx);
      },
    });
    const wallMs = Date.now() - t0;
    await Promise.allSettled(ctx.pending);
    const after = await snapshotTree(s.workspace);
    const failOn = spec.inputs?.['fail-on']
      ?.split(',')
      .map((x) => x.trim().toUpperCase())
      .filter(Boolean);
    const verdict = await checkInvariants({
      commentId: ctx.commentId,
      run,
      wallMs,
      gh: s.gh,
      origin: s.origin,
      before,
      after,
      ...(failOn?.length ? { failOn } : {}),
      maxWallMs: spec.maxWallMs ?? 60_000,
      prsBefore,
    });
    return { ctx, run, wallMs, verdict, close: () => s.close() };
  } catch (e) {
    await s.close();
    throw e;
  }
}

/** A readable account of a failed run, for assertion messages. */
export function explain(o: FaultOutcome): string {
  const log = o.run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::') && !l.startsWith('::add-mask::') && !l.startsWith('::set-output'))
    .slice(-40)
    .join('\n');
  return `${o.verdict.problems.join('\n')}\n--- exit ${o.run.code} signal ${o.run.signal}, ${o.wallMs} ms; report:\n${o.verdict.report.slice(0, 1500)}\n--- log tail:\n${log}\n--- stderr:\n${o.run.stderr.slice(-2000)}`;
}

/** Sends SIGTERM to the action the moment its next git request (the push) reaches the origin. */
export function cancelWhenPushStarts(ctx: FaultContext, giveUpMs = 30_000): void {
  const seen = ctx.s.http.authorizations.length;
  const timer = setInterval(() => {
    if (ctx.s.http.authorizations.length > seen) {
      clearInterval(timer);
      ctx.child?.kill('SIGTERM');
    }
  }, 2);
  setTimeout(() => clearInterval(timer), giveUpMs).unref();
}
