// Process faults, through dist/index.js: the job cancelled (SIGTERM) in the middle of a long tool and in the middle
// of the push, and a tool that prints 200 MB. The run must push what exists, report, and exit within the grace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { faultCase, editTurns, finishTurns, assertHealthWorkSaved, bash, statusTurn } from './common.ts';
import type { Turn } from '../../test-support/scenario.ts';
import { cancelWhenPushStarts, type FaultContext } from '../../test-support/fault-run.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Every run here reaches the agent, which sets up its bubblewrap sandbox. Skipped without it, failed under CI=true.
const sandboxed = requireTools('bwrap');

describe('process faults', { concurrency: 3, skip: sandboxed.skip }, () => {
  test('SIGTERM in the middle of a long Bash: the command is killed, the work pushed, ERROR reported, exit 1 within seconds', async () => {
    const turns = (ctx: FaultContext): Turn[] => [
      ...editTurns(),
      { ...bash('sleep 30', 60_000), expect: () => void setTimeout(() => ctx.child?.kill('SIGTERM'), 800) },
      statusTurn('COMPLETE', 'never reached'),
    ];
    await faultCase({ turns, maxWallMs: 20_000 }, (o) => {
      assert.equal(o.verdict.status, 'ERROR');
      assert.notEqual(o.run.code, 0);
      assert.match(o.verdict.report, /cancel/i);
      assertHealthWorkSaved(o);
      assert.equal(o.ctx.s.anthropic.remaining(), 1, 'no model request after the cancel');
    });
  });

  test('SIGTERM while pushing: the push completes or the report says why; a STATUS comment; no duplicate', async () => {
    const turns = (ctx: FaultContext): Turn[] => {
      const [tests, status] = finishTurns();
      return [
        ...editTurns(),
        tests!,
        {
          ...status!,
          // The next request to the git server after the last answer is the push: cancel the job right then.
          expect: () => cancelWhenPushStarts(ctx),
        },
      ];
    };
    // The whole run's wall, start-up included: commits now go through the API (several round trips, then a fetch that
    // is what trips the cancel), and under CI's own load this run took 22 s once against the 20 s it had. What a
    // cancel may take after the signal is the shutdown guard's grace, bounded in shutdown.test.ts.
    await faultCase({ turns, maxWallMs: 30_000 }, (o) => {
      assert.ok(o.run.stdout.includes('Received SIGTERM'), 'the signal arrived during the run');
      assertHealthWorkSaved(o);
    });
  });

  test('a tool printing 200 MB: the output is capped, the action neither crashes nor floods the model', async () => {
    const turns = (): Turn[] => [
      ...editTurns(),
      bash('yes 0123456789abcdef0123456789abcdef | head -c 200000000; echo; echo done', 120_000),
      statusTurn('COMPLETE', 'Printed a lot', 'src/server.js, test/health.test.js'),
    ];
    await faultCase({ turns, maxWallMs: 60_000 }, (o) => {
      assert.equal(o.verdict.status, 'COMPLETE');
      assertHealthWorkSaved(o);
      const last = o.ctx.s.anthropic.requests.at(-1)!.body!;
      const result = JSON.stringify(last.messages.at(-1)!.content);
      assert.ok(result.length < 40_000, `the tool result sent to the model is ${result.length} characters`);
      assert.match(result, /cut/);
    });
  });
});
