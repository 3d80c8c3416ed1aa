/**
 * Runs MatchTasks (match-tasks.ts) in worker threads with a deadline. A glob like `**\/*a*a*a*a*a*a*a*a*{b,c}` or a
 * regex like `(a+)+$` backtracks for hours on an ordinary name or line; on the main thread it would block the event
 * loop, and with it the run's timeout, SIGTERM, the push and the report. In a worker, the main thread stays free and
 * terminates the worker at the deadline (or when the run is cancelled).
 *
 * Workers are kept warm between calls (starting one costs tens of milliseconds); each runs one task at a time, so a
 * slow task never delays another and terminating it loses nothing else.
 */
import { abortReason } from '../errors.ts';
import { Worker } from 'node:worker_threads';
import type { MatchReply, MatchRequest } from './match-worker.ts';
import type { MatchTask } from './match-tasks.ts';

/** How long one Glob/Grep may spend matching. Ordinary patterns over 100k paths take well under a second. */
export const MATCH_TIMEOUT_MS = 10_000;
/** Idle workers kept warm for the next call. */
const KEEP_IDLE = 2;
/** A task that blows up memory (a huge match list) ends the worker, not the action. */
const WORKER_HEAP_MB = 512;
/** A worker that has not picked up its task by then is broken (start-up on a loaded runner takes well under 1 s). */
const START_TIMEOUT_MS = 30_000;

/** The task ran past its deadline and was stopped. */
export class MatchTimeoutError extends Error {
  override name = 'MatchTimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`matching was stopped after ${timeoutMs / 1000} s`);
    this.timeoutMs = timeoutMs;
  }
}

export interface Matcher {
  /** Runs the task in a worker; rejects with MatchTimeoutError at the deadline, or with the signal's reason. */
  run(task: MatchTask, signal?: AbortSignal): Promise<string[]>;
  /** Starts a worker ahead of the first task (in the background, e.g. while the model answers its first turn). */
  warm(): void;
  /** Terminates every worker. */
  close(): Promise<void>;
}

/**
 * The worker's file: beside this module when running from sources (tests, scripts), beside the bundle in dist
 * (scripts/bundle.mjs builds dist/match-worker.js next to dist/index.js and dist/cli.js).
 */
export function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './match-worker.ts' : './match-worker.js', import.meta.url);
}

export function createMatcher(opts: { timeoutMs?: number } = {}): Matcher {
  const timeoutMs = opts.timeoutMs ?? MATCH_TIMEOUT_MS;
  const idle: Worker[] = [];
  const busy = new Set<Worker>();
  let seq = 0;
  let closed = false;

  const spawn = (): Worker => {
    const w = new Worker(workerUrl(), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    // An idle worker that dies (it failed to start) leaves the pool; its error is reported by the task, if any, that
    // it was running, and never thrown as an unhandled 'error' event.
    w.on('error', () => {});
    w.on('exit', () => {
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
    });
    return w;
  };
  const take = (): Worker => {
    const w = idle.pop() ?? spawn();
    w.ref();
    busy.add(w);
    return w;
  };
  const release = (w: Worker, keep: boolean): void => {
    busy.delete(w);
    if (keep && !closed && idle.length < KEEP_IDLE) {
      // An idle worker must not keep the process alive.
      w.unref();
      idle.push(w);
    } else {
      void w.terminate();
    }
  };

  return {
    run(task, signal) {
      if (closed) return Promise.reject(new Error('the matcher is closed'));
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return new Promise<string[]>((resolve, reject) => {
        const w = take();
        const id = ++seq;
        const settle = (keep: boolean, then: () => void): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
          release(w, keep);
          then();
        };
        const onMessage = (m: MatchReply): void => {
          if (m.id !== id) return;
          if ('started' in m) {
            clearTimeout(timer);
            timer = setTimeout(() => settle(false, () => reject(new MatchTimeoutError(timeoutMs))), timeoutMs);
            return;
          }
          settle(true, () => (m.ok ? resolve(m.value) : reject(new Error(m.error))));
        };
        const onError = (e: Error): void => settle(false, () => reject(e));
        const onExit = (code: number): void =>
          settle(false, () => reject(new Error(`the matching worker exited (code ${code})`)));
        const onAbort = (): void => settle(false, () => reject(abortReason(signal)));
        // Until the worker picks the task up, only a broken worker is timed; then the task's own deadline runs.
        const notStarted = (): void => settle(false, () => reject(new Error('the matching worker did not start')));
        let timer = setTimeout(notStarted, START_TIMEOUT_MS);
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        signal?.addEventListener('abort', onAbort, { once: true });
        w.postMessage({ id, task } satisfies MatchRequest);
      });
    },
    warm() {
      if (closed || idle.length || busy.size) return;
      const w = spawn();
      w.unref();
      idle.push(w);
    },
    async close() {
      closed = true;
      const all = [...idle.splice(0), ...busy];
      busy.clear();
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
