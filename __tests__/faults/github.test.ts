// GitHub API faults, through dist/index.js and the GitHub stand-in: transient 5xx (also after the write took
// effect), secondary rate limits, a PR that already exists, the progress comment deleted by a human mid-run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { faultCase, healthTurns, assertHealthWorkSaved } from './common.ts';
import { pushAsHuman } from '../../test-support/git.ts';
import { REPO, type Turn } from '../../test-support/scenario.ts';
import type { FaultOutcome } from '../../test-support/fault-run.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Every run here reaches the agent, which sets up its bubblewrap sandbox. Skipped without it, failed under CI=true.
const sandboxed = requireTools('bwrap');

function complete(o: FaultOutcome): void {
  assert.equal(o.verdict.status, 'COMPLETE');
  assert.equal(o.run.code, 0);
  assertHealthWorkSaved(o);
  o.ctx.s.gh.assertNoViolations();
}

function injected(o: FaultOutcome, operationId: string): number {
  return o.ctx.s.gh.requests.filter((r) => r.operationId === operationId && r.injected).length;
}

function checkRuns(o: FaultOutcome): number {
  return o.ctx.s.gh.state.checkRuns.length;
}

describe('GitHub faults', { concurrency: 3, skip: sandboxed.skip }, () => {
  test('502 on creating a comment: retried, one progress comment', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        setup: ({ s }) => s.gh.inject({ operationId: 'issues/create-comment', status: 502 }),
      },
      (o) => {
        complete(o);
        assert.equal(injected(o, 'issues/create-comment'), 1);
      },
    );
  });

  test('502 on creating a comment after GitHub wrote it: no duplicate comment', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        setup: ({ s }) => s.gh.inject({ operationId: 'issues/create-comment', status: 502, applied: true, times: 2 }),
      },
      (o) => {
        complete(o);
        assert.equal(injected(o, 'issues/create-comment'), 2);
      },
    );
  });

  test('503 on creating the PR: retried, one PR', async () => {
    await faultCase(
      { turns: () => healthTurns(), setup: ({ s }) => s.gh.inject({ operationId: 'pulls/create', status: 503 }) },
      (o) => {
        complete(o);
        assert.equal(o.ctx.s.gh.state.pulls.length, 1);
        assert.equal(o.run.outputs['pr-number'], String(o.ctx.s.gh.state.pulls[0]!.number));
      },
    );
  });

  test('503 on creating the PR after GitHub created it: the retry finds it, one PR', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        setup: ({ s }) => s.gh.inject({ operationId: 'pulls/create', status: 503, applied: true }),
      },
      (o) => {
        complete(o);
        assert.equal(o.ctx.s.gh.state.pulls.length, 1);
        assert.equal(o.run.outputs['pr-number'], String(o.ctx.s.gh.state.pulls[0]!.number));
      },
    );
  });

  test('502 on creating the check run: retried, one check run', async () => {
    await faultCase(
      { turns: () => healthTurns(), setup: ({ s }) => s.gh.inject({ operationId: 'checks/create', status: 502 }) },
      (o) => {
        complete(o);
        assert.equal(checkRuns(o), 1);
        assert.ok(o.run.outputs['check-run-id']);
      },
    );
  });

  test('502 on creating the check run after GitHub created it: one check run', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        setup: ({ s }) => s.gh.inject({ operationId: 'checks/create', status: 502, applied: true }),
      },
      (o) => {
        complete(o);
        assert.equal(checkRuns(o), 1, o.ctx.s.gh.state.checkRuns.map((c) => `${c.name}@${c.headSha}`).join(', '));
      },
    );
  });

  test('secondary rate limit (403 with retry-after) on comments: waited out, one comment each', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        setup: ({ s }) => {
          s.gh.inject({ operationId: 'issues/create-comment', kind: 'secondary-rate-limit', retryAfter: 1 });
          s.gh.inject({ operationId: 'issues/update-comment', kind: 'secondary-rate-limit', retryAfter: 1 });
        },
      },
      (o) => {
        complete(o);
        assert.equal(injected(o, 'issues/create-comment') + injected(o, 'issues/update-comment'), 2);
      },
    );
  });

  test('422 "a pull request already exists" (a PR opened meanwhile): the existing PR is used and gets the report', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        async setup({ s, branch }) {
          await pushAsHuman(s.origin, branch, { 'NOTES.md': 'work in progress\n' }, 'WIP');
          s.gh.addPull(REPO, { head: branch, title: 'WIP: health endpoint', login: 'alice' });
          // The list that precedes the create misses it, as if it were opened a moment later.
          s.gh.inject({ operationId: 'pulls/list', status: 200, body: [] });
        },
      },
      (o) => {
        complete(o);
        const prs = o.ctx.s.gh.state.pulls;
        assert.equal(prs.length, 1);
        assert.equal(o.run.outputs['pr-number'], String(prs[0]!.number));
        assert.ok(o.ctx.s.gh.requests.some((r) => r.operationId === 'pulls/create' && r.status === 422));
        assert.ok(
          o.ctx.s.gh.state.comments.some((c) => c.issueNumber === prs[0]!.number && /STATUS: COMPLETE/.test(c.body)),
        );
      },
    );
  });

  test('the progress comment deleted by a human mid-run: the report is posted again, once', async () => {
    await faultCase(
      {
        turns: (ctx) => {
          const h = healthTurns();
          const deleting: Turn = {
            ...h[2]!,
            expect: () => {
              const mine = ctx.s.gh.state.comments.find((c) => c.body.includes(`progress=${ctx.commentId} -->`));
              assert.ok(mine, 'the progress comment exists by turn 3');
              ctx.s.gh.deleteComment(mine.id);
            },
          };
          return [h[0]!, h[1]!, deleting, ...h.slice(3)];
        },
      },
      (o) => {
        complete(o);
        o.ctx.s.anthropic.assertNoViolations();
        const progress = o.ctx.s.gh.state.comments.filter((c) => c.body.includes(`progress=${o.ctx.commentId} -->`));
        assert.equal(progress.length, 1);
        assert.match(progress[0]!.body, /finished: \*\*COMPLETE\*\*/);
      },
    );
  });
});
