/**
 * The action's entry: signals, the event and the inputs, the pipeline (src/pipeline/), and the one setFailed.
 * Everything a run does is in the pipeline's steps; this file only decides how the process ends.
 */
import * as core from '@actions/core';
import { Output } from './constants.ts';
import { UserError, errorMessage } from './errors.ts';
import { readConfig } from './config/inputs.ts';
import { createRedactor } from './redact.ts';
import { providerSecrets } from './model/provider.ts';
import { readCommentEvent } from './trigger/event.ts';
import { Outputs } from './pipeline/outputs.ts';
import { runPipeline } from './pipeline/index.ts';
import { actionsLogger } from './pipeline/log.ts';
import { installShutdown } from './pipeline/shutdown.ts';

/**
 * After a cancel signal the run has this long to push and report before it exits anyway. The runner sends SIGINT,
 * then SIGTERM 7.5 s later and SIGKILL 2.5 s after that: 7 s uses most of that window (the secret gate and the push
 * now come before the report) and still ends before SIGTERM.
 */
const CANCEL_GRACE_MS = 7_000;
/** After an internal fault the run has this long to push and report (no runner kill is coming). */
const FAULT_GRACE_MS = 30_000;

export async function run(): Promise<void> {
  const outputs = new Outputs();
  outputs.set(Output.Skipped, false);
  let redact = createRedactor([]);
  const skip = (reason: string): void => {
    core.notice(`Skipped: ${reason}`);
    outputs.set(Output.Skipped, true);
  };
  const cancel = new AbortController();
  // A cancel signal or an internal fault stops the agent; the run then pushes and reports, or exits after the grace.
  const shutdown = installShutdown({
    controller: cancel,
    graceMs: CANCEL_GRACE_MS,
    faultGraceMs: FAULT_GRACE_MS,
    warn: (m) => core.warning(redact(m)),
    giveUp: (what) => {
      outputs.flush(redact);
      core.setFailed(redact(`${what}; the report may be incomplete.`));
    },
  });
  try {
    // The event first: a run that is not for us is skipped even when an input is wrong.
    const read = readCommentEvent();
    if ('skip' in read) return skip(read.skip);
    const cfg = readConfig();
    const secrets = [cfg.githubToken, cfg.anthropicApiKey];
    // Masked in the log (single-line values: the runner masks line by line) and in everything the action writes.
    const protect = (more: readonly string[]): void => {
      for (const s of more) if (s && !s.includes('\n')) core.setSecret(s);
      secrets.push(...more);
      redact = createRedactor(secrets);
    };
    protect(providerSecrets(cfg.provider, process.env));
    const failed = await runPipeline({
      cfg,
      event: read.event,
      outputs,
      cancelled: cancel.signal,
      log: actionsLogger,
      skip,
      redact: (t) => redact(t),
      protect,
      secrets,
    });
    if (failed || shutdown.fault) core.setFailed(redact(failed ?? `Internal error: ${shutdown.fault}`));
  } catch (e) {
    if (e instanceof UserError) core.setFailed(redact(e.message));
    else {
      core.debug(redact((e as Error)?.stack ?? ''));
      core.setFailed(
        redact(
          `Unexpected error: ${errorMessage(e)}. Re-run with ACTIONS_STEP_DEBUG=true for details, and report it if it persists.`,
        ),
      );
    }
  } finally {
    outputs.flush(redact);
    shutdown.dispose();
  }
}
