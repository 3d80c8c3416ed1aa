// src/pipeline/shutdown.ts on a stand-in process: a signal or a fault aborts the run's controller once; the grace timer gives
// up and exits; a second fault or signal changes nothing; dispose removes everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { installShutdown } from '../../src/pipeline/shutdown.ts';

function setup(graceMs = 80, faultGraceMs?: number) {
  const proc = new EventEmitter();
  const controller = new AbortController();
  const warnings: string[] = [];
  const gaveUp: string[] = [];
  const exits: number[] = [];
  const shutdown = installShutdown({
    controller,
    graceMs,
    ...(faultGraceMs !== undefined ? { faultGraceMs } : {}),
    warn: (m) => warnings.push(m),
    giveUp: (what) => gaveUp.push(what),
    proc: proc as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
    exit: (code) => exits.push(code),
  });
  return { proc, controller, warnings, gaveUp, exits, shutdown };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'SIGTERM aborts the controller with the reason, then gives up and exits 1 after the grace',
  { timeout: 10_000 },
  async () => {
    const t = setup();
    t.proc.emit('SIGTERM', 'SIGTERM');
    assert.equal(t.controller.signal.aborted, true);
    assert.match(String(t.controller.signal.reason), /the job was cancelled \(SIGTERM\)/);
    assert.deepEqual(t.warnings, ['Received SIGTERM: stopping the agent, pushing what exists and reporting.']);
    t.proc.emit('SIGINT', 'SIGINT');
    assert.equal(t.warnings.length, 1, 'a second signal is ignored');
    assert.deepEqual(t.exits, []);
    await sleep(200);
    assert.deepEqual(t.gaveUp, ['Cancelled (SIGTERM)']);
    assert.deepEqual(t.exits, [1], 'one exit, with 1');
    assert.equal(t.shutdown.fault, undefined);
    t.shutdown.dispose();
  },
);

test(
  'an unhandled rejection aborts like a cancel and is remembered; a second fault is only logged',
  { timeout: 10_000 },
  async () => {
    const t = setup();
    t.proc.emit('unhandledRejection', new Error('boom'), Promise.resolve());
    assert.equal(t.controller.signal.aborted, true);
    assert.match(String(t.controller.signal.reason), /an internal error stopped the run: boom/);
    assert.equal(t.shutdown.fault, 'boom');
    t.proc.emit('uncaughtException', new Error('again'));
    t.proc.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(t.warnings, [
      'Internal error: boom. Stopping the agent, pushing what exists and reporting.',
      'Another internal error while stopping: again',
    ]);
    assert.equal(t.shutdown.fault, 'boom', 'the first fault is the one reported');
    await sleep(200);
    assert.deepEqual(t.gaveUp, ['Internal error (boom)']);
    assert.deepEqual(t.exits, [1], 'exactly one exit: the fault loop did not start over');
  },
);

test(
  'a fault after a cancel does not restart the grace; a throwing log or giveUp still exits',
  { timeout: 10_000 },
  async () => {
    const proc = new EventEmitter();
    const controller = new AbortController();
    const exits: number[] = [];
    const s = installShutdown({
      controller,
      graceMs: 50,
      warn: () => {
        throw new Error('stdout closed');
      },
      giveUp: () => {
        throw new Error('cannot write outputs');
      },
      proc: proc as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
      exit: (code) => exits.push(code),
    });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('uncaughtException', new Error('late'));
    assert.equal(s.fault, 'late');
    await sleep(150);
    assert.deepEqual(exits, [1]);
    s.dispose();
  },
);

test(
  'dispose removes the handlers and the grace timer: a finished run is not exited later',
  { timeout: 10_000 },
  async () => {
    const t = setup(50);
    t.proc.emit('SIGTERM', 'SIGTERM');
    t.shutdown.dispose();
    for (const e of ['SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection'])
      assert.equal(t.proc.listenerCount(e), 0, e);
    await sleep(150);
    assert.deepEqual(t.exits, []);
    assert.deepEqual(t.gaveUp, []);
  },
);

test(
  'a fault gets the longer fault grace; a cancel signal after it shortens the wait to the cancel grace',
  { timeout: 10_000 },
  async () => {
    const t = setup(50, 10_000);
    t.proc.emit('uncaughtException', new Error('stuck'));
    await sleep(150);
    assert.deepEqual(t.exits, [], 'still pushing and reporting within the fault grace');
    t.proc.emit('SIGTERM', 'SIGTERM');
    assert.equal(t.warnings.length, 1, 'already stopping: the signal only shortens the wait');
    await sleep(150);
    assert.deepEqual(t.gaveUp, ['Cancelled (SIGTERM)']);
    assert.deepEqual(t.exits, [1]);
    t.shutdown.dispose();
  },
);
