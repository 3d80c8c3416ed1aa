/**
 * How a run stops early. A cancel signal (SIGTERM, SIGINT) or an internal fault that escaped every await (an
 * uncaught exception, an unhandled rejection) aborts the run's AbortController: the agent stops, and the run goes on
 * down its ordinary path — restore the checkout's credentials, commit and push what exists, post an ERROR STATUS.
 * If that has not finished within the grace, `giveUp` runs and the process exits with 1. A second fault is only
 * logged: the grace timer is already running, so a fault loop can neither keep the process alive nor start over; a
 * cancel signal after a fault shortens the wait to the cancel's grace.
 */
import { errorMessage } from '../errors.ts';

export interface ShutdownOptions {
  /** The run's controller: the same one its signal is handed to the agent with. */
  controller: AbortController;
  /** After a cancel signal: the runner kills the process soon after (SIGINT, SIGTERM 7.5 s later, then SIGKILL). */
  graceMs: number;
  /**
   * After an internal fault (default graceMs): nothing outside is about to kill the process, and the ordinary push
   * and report on a slow runner take longer than a cancel's grace, so this one can be longer.
   */
  faultGraceMs?: number;
  /** An annotation for the log (core.warning). Must not throw; a throw is swallowed. */
  warn(message: string): void;
  /**
   * The grace ran out: write what can be written (outputs, the failure). `what` is e.g. "Cancelled (SIGTERM)" or
   * "Internal error (…)". The process exits with 1 right after.
   */
  giveUp(what: string): void;
  /** For tests: the process to listen on, and how to exit. */
  proc?: Pick<NodeJS.Process, 'on' | 'off'>;
  exit?: (code: number) => void;
}

export interface Shutdown {
  /** The first internal fault, when one happened: the step must fail even if the report went out. */
  readonly fault: string | undefined;
  /** Removes the handlers and the grace timer (the run finished by itself). */
  dispose(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installShutdown(o: ShutdownOptions): Shutdown {
  const proc = o.proc ?? process;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let fault: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const warn = (m: string): void => {
    try {
      o.warn(m);
    } catch {
      // The log itself failed (a closed stdout): nothing better to do, and throwing here would be a fault loop.
    }
  };
  let deadline = Infinity;
  let giveUpAs = '';
  // Exits `ms` from now unless an earlier exit is already set: a cancel after a fault shortens the wait to the
  // runner's window; nothing lengthens it.
  const arm = (ms: number, what: string): void => {
    if (Date.now() + ms >= deadline) return;
    deadline = Date.now() + ms;
    giveUpAs = what;
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        o.giveUp(giveUpAs);
      } catch {
        // Nothing more can be written; the exit below is what matters.
      }
      exit(1);
    }, ms);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!o.controller.signal.aborted) {
      warn(`Received ${sig}: stopping the agent, pushing what exists and reporting.`);
      o.controller.abort(new Error(`the job was cancelled (${sig})`));
    }
    arm(o.graceMs, `Cancelled (${sig})`);
  };
  const onFault = (e: unknown): void => {
    const what = errorMessage(e);
    if (fault !== undefined || o.controller.signal.aborted) {
      fault ??= what;
      warn(`Another internal error while stopping: ${what}`);
      return;
    }
    fault = what;
    warn(`Internal error: ${what}. Stopping the agent, pushing what exists and reporting.`);
    o.controller.abort(new Error(`an internal error stopped the run: ${what}`));
    arm(o.faultGraceMs ?? o.graceMs, `Internal error (${what})`);
  };
  for (const s of SIGNALS) proc.on(s, onSignal);
  proc.on('uncaughtException', onFault);
  proc.on('unhandledRejection', onFault);
  return {
    get fault() {
      return fault;
    },
    dispose() {
      clearTimeout(timer);
      for (const s of SIGNALS) proc.off(s, onSignal);
      proc.off('uncaughtException', onFault);
      proc.off('unhandledRejection', onFault);
    },
  };
}
