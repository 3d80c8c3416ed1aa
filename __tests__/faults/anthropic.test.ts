// Model API faults, through dist/index.js and the Anthropic stand-in: each run still ends with a STATUS comment,
// the agent's work on a pushed branch, no duplicates, the exit code fail-on asks for, in bounded time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { faultCase, editTurns, finishTurns, healthTurns, assertHealthWorkSaved, FAST_RETRY } from './common.ts';
import type { Turn } from '../../test-support/scenario.ts';
import type { FaultOutcome } from '../../test-support/fault-run.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Every run here reaches the agent, which sets up its bubblewrap sandbox. Skipped without it, failed under CI=true.
const sandboxed = requireTools('bwrap');

function assertCompleteAfterRetry(o: FaultOutcome, fault: string): void {
  assert.equal(o.verdict.status, 'COMPLETE');
  assert.equal(o.run.code, 0);
  assertHealthWorkSaved(o);
  assert.equal(o.ctx.s.anthropic.remaining(), 0, 'every scripted turn was used');
  o.ctx.s.anthropic.assertNoViolations();
  o.ctx.s.gh.assertNoViolations();
  assert.ok(
    o.ctx.s.anthropic.requests.some((r) => r.fault === fault),
    `the ${fault} fault was served`,
  );
}

describe('Anthropic faults', { concurrency: 3, skip: sandboxed.skip }, () => {
  test('429 with retry-after: the SDK waits and retries; the run completes', async () => {
    const turns = (): Turn[] => [
      {
        fault: {
          http: 429,
          errorType: 'rate_limit_error',
          message: 'Number of request tokens has exceeded your per-minute rate limit',
          headers: { 'retry-after': '1' },
        },
      },
      ...healthTurns(),
    ];
    await faultCase({ turns }, (o) => {
      assertCompleteAfterRetry(o, 'http');
      assert.equal(o.ctx.s.anthropic.requests.filter((r) => r.status === 429).length, 1);
    });
  });

  test('529 overloaded once: retried; the run completes', async () => {
    const turns = (): Turn[] => [
      ...editTurns(),
      { fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded', headers: FAST_RETRY } },
      ...finishTurns(),
    ];
    await faultCase({ turns }, (o) => assertCompleteAfterRetry(o, 'http'));
  });

  test('529 overloaded for longer than the retries: ERROR naming the overload, the work so far pushed', async () => {
    const turns = (): Turn[] => [
      ...editTurns(),
      { fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded', headers: FAST_RETRY }, repeat: 3 },
    ];
    await faultCase({ turns }, (o) => {
      assert.equal(o.verdict.status, 'ERROR');
      assert.equal(o.run.code, 1);
      assert.match(o.verdict.report, /Overloaded|overloaded/);
      assertHealthWorkSaved(o);
      assert.equal(o.ctx.s.anthropic.remaining(), 0);
      assert.equal(o.ctx.s.gh.state.pulls.length, 1, 'a draft PR holds the partial work');
      assert.equal(o.ctx.s.gh.state.pulls[0]!.pull!.draft, true);
    });
  });

  test('500 api_error once: retried; the run completes', async () => {
    const turns = (): Turn[] => [
      ...editTurns().slice(0, 2),
      { fault: { http: 500, errorType: 'api_error', message: 'Internal server error', headers: FAST_RETRY } },
      ...healthTurns().slice(2),
    ];
    await faultCase({ turns }, (o) => assertCompleteAfterRetry(o, 'http'));
  });

  test('connection reset before any byte: retried; the run completes', async () => {
    const turns = (): Turn[] => [...editTurns().slice(0, 3), { fault: { reset: true } }, ...healthTurns().slice(3)];
    await faultCase({ turns }, (o) => assertCompleteAfterRetry(o, 'reset'));
  });

  test('stream cut in the middle of a tool_use input: the turn is asked again, the tool runs once', async () => {
    const h = healthTurns();
    const turns = (): Turn[] => [
      h[0]!,
      h[1]!,
      { ...h[2]!, fault: { cutAfterEvents: 'mid-tool-input' } },
      ...h.slice(2),
    ];
    await faultCase({ turns }, (o) => {
      assertCompleteAfterRetry(o, 'cut');
      assert.equal(o.run.outputs['turns'], '6', 'the cut attempt is not a turn');
      assert.match(o.verdict.report, /Edit 1/, 'the cut Edit did not run twice');
    });
  });

  test('event: error in the middle of the stream: the turn is asked again; the run completes', async () => {
    const h = healthTurns();
    const turns = (): Turn[] => [
      h[0]!,
      { ...h[1]!, fault: { streamError: { type: 'overloaded_error', message: 'Overloaded' }, afterEvents: 3 } },
      ...h.slice(1),
    ];
    await faultCase({ turns }, (o) => assertCompleteAfterRetry(o, 'stream-error'));
  });

  test('a response that never comes: the timeout-minutes budget ends the run with ERROR, the work pushed', async () => {
    const turns = (): Turn[] => [...editTurns(), { fault: { hang: true } }];
    await faultCase({ turns, inputs: { 'timeout-minutes': '0.05' }, maxWallMs: 30_000 }, (o) => {
      assert.equal(o.verdict.status, 'ERROR');
      assert.equal(o.run.code, 1);
      assert.match(o.verdict.report, /timeout-minutes/);
      assertHealthWorkSaved(o);
    });
  });

  test('max_tokens in the middle of a tool call: the cut call is dropped and asked again', async () => {
    const h = healthTurns();
    const cut: Turn = {
      content: [
        { type: 'text', text: 'Now the test file.' },
        {
          type: 'tool_use',
          name: 'Write',
          input: { file_path: 'test/health.test.js', content: 'import { test } from' },
        },
      ],
      stop_reason: 'max_tokens',
    };
    const again: Turn = {
      ...h[3]!,
      expect: (req) => {
        const last = req.messages.at(-1)!;
        assert.equal(last.role, 'user');
        assert.match(JSON.stringify(last.content), /cut off/);
      },
    };
    const turns = (): Turn[] => [...h.slice(0, 3), cut, again, ...h.slice(4)];
    await faultCase({ turns }, (o) => {
      assert.equal(o.verdict.status, 'COMPLETE');
      assertHealthWorkSaved(o);
      assert.equal(o.ctx.s.anthropic.remaining(), 0);
      o.ctx.s.anthropic.assertNoViolations();
      assert.match(o.verdict.report, /Write 1/, 'the cut Write never ran');
    });
  });

  test('context window exceeded: old results are cleared and the agent carries on', async () => {
    const h = healthTurns();
    const full: Turn = {
      content: [{ type: 'text', text: 'Let me look at the tests too, and' }],
      stop_reason: 'model_context_window_exceeded',
    };
    const turns = (): Turn[] => [...h.slice(0, 4), full, ...h.slice(4)];
    await faultCase({ turns }, (o) => {
      assert.equal(o.verdict.status, 'COMPLETE');
      assertHealthWorkSaved(o);
      assert.equal(o.ctx.s.anthropic.remaining(), 0);
      o.ctx.s.anthropic.assertNoViolations();
    });
  });
});
