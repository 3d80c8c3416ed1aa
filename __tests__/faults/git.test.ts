// git faults, through dist/index.js and a real bare origin served over HTTP: someone pushes meanwhile (rebased, or a
// fallback branch on conflict), the remote goes away before the push, a branch of the same name with unrelated
// history, a dirty workspace, a very large diff, binary files, a file the agent deleted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faultCase, editTurns, finishTurns, healthTurns, assertHealthWorkSaved, bash, statusTurn } from './common.ts';
import { git, pushAsHuman, readBranch, listBranches, type Origin } from '../../test-support/git.ts';
import { NOT_PUSHED } from '../../test-support/invariants.ts';
import type { Turn } from '../../test-support/scenario.ts';
import type { FaultContext } from '../../test-support/fault-run.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Runs that reach the agent set up its bubblewrap sandbox; the faults found before it need nothing.
const sandboxed = requireTools('bwrap');

/** The STATUS turn, with `during` started when the request for it arrives and given `ms` to finish first. */
function lastTurnWith(ctx: FaultContext, during: () => Promise<unknown>, ms = 1500): Turn {
  const [, status] = finishTurns();
  return { ...status!, delayMs: ms, expect: () => void ctx.pending.push(during()) };
}

async function pushOrphan(origin: Origin, branch: string, files: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(origin.root, 'orphan-'));
  await git(dir, ['init', '-q', dir]);
  await git(dir, ['checkout', '-q', '--orphan', 'x']);
  for (const [p, c] of Object.entries(files)) await writeFile(join(dir, p), c);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'Unrelated history']);
  await git(dir, ['push', '-q', origin.bareDir, `HEAD:refs/heads/${branch}`]);
  await rm(dir, { recursive: true, force: true });
}

describe('git faults', { concurrency: 3 }, () => {
  test(
    'push rejected because someone pushed meanwhile: rebased once, both changes on the branch',
    { skip: sandboxed.skip },
    async () => {
      await faultCase(
        {
          turns: (ctx) => [
            ...editTurns(),
            finishTurns()[0]!,
            lastTurnWith(ctx, () => pushAsHuman(ctx.s.origin, ctx.branch, { 'CHANGELOG.md': '- human note\n' })),
          ],
        },
        async (o) => {
          assert.equal(o.verdict.status, 'COMPLETE');
          assertHealthWorkSaved(o);
          assert.equal(o.run.outputs['branch'], o.ctx.branch);
          const b = await readBranch(o.ctx.s.origin, o.ctx.branch);
          assert.equal(b!.files['CHANGELOG.md'], '- human note\n', "the human's commit is kept");
          assert.match(b!.files['src/server.js']!, /GET \/health/);
          assert.equal(b!.log[1]!.subject, 'Human change');
        },
      );
    },
  );

  test(
    'push rejected and the rebase conflicts: the work goes to a fallback branch and the report says so',
    { skip: sandboxed.skip },
    async () => {
      const clash = "export const routes = { 'GET /todos': () => 'rewritten by a human' };\n";
      await faultCase(
        {
          turns: (ctx) => [
            ...editTurns(),
            finishTurns()[0]!,
            lastTurnWith(ctx, () => pushAsHuman(ctx.s.origin, ctx.branch, { 'src/server.js': clash })),
          ],
        },
        async (o) => {
          assertHealthWorkSaved(o);
          assert.notEqual(o.verdict.savedOn, o.ctx.branch);
          assert.equal(o.run.outputs['branch'], o.verdict.savedOn);
          assert.match(o.verdict.report, /moved on meanwhile/);
          assert.equal(
            (await readBranch(o.ctx.s.origin, o.ctx.branch))!.files['src/server.js'],
            clash,
            "the human's branch is untouched",
          );
          const pr = o.ctx.s.gh.state.pulls[0];
          assert.equal(pr?.pull!.head, o.verdict.savedOn, 'the PR is opened from the fallback branch');
        },
      );
    },
  );

  test(
    'the remote unreachable at push time: ERROR that says the push failed; no PR',
    { skip: sandboxed.skip },
    async () => {
      await faultCase(
        { turns: (ctx) => [...editTurns(), finishTurns()[0]!, lastTurnWith(ctx, () => ctx.s.http.close(), 300)] },
        async (o) => {
          assert.equal(o.verdict.status, 'ERROR');
          assert.equal(o.run.code, 1);
          assert.equal(o.verdict.savedOn, undefined);
          assert.match(o.verdict.report, NOT_PUSHED);
          assert.match(o.verdict.report, /127\.0\.0\.1|connect|unable to access/i, 'the report names what failed');
          assert.equal(o.ctx.s.gh.state.pulls.length, 0);
          assert.deepEqual(await listBranches(o.ctx.s.origin), ['main']);
        },
      );
    },
  );

  test('a pre-existing branch of that name with unrelated history: ERROR naming it, before any model request; the branch untouched', async () => {
    let sha = '';
    await faultCase(
      {
        turns: () => healthTurns(),
        async setup({ s, branch }) {
          await pushOrphan(s.origin, branch, { 'OTHER.md': 'someone elses project\n' });
          sha = (await readBranch(s.origin, branch))!.sha;
        },
      },
      async (o) => {
        assert.equal(o.verdict.status, 'ERROR');
        assert.equal(o.run.code, 1);
        assert.match(o.verdict.report, /no history in common/);
        assert.equal(o.ctx.s.anthropic.requests.length, 0);
        assert.equal((await readBranch(o.ctx.s.origin, o.ctx.branch))!.sha, sha);
        assert.equal(o.ctx.s.gh.state.pulls.length, 0);
      },
    );
  });

  test('a dirty workspace at start: ERROR before any model request; the files are left as they were', async () => {
    await faultCase(
      {
        turns: () => healthTurns(),
        async setup({ s }) {
          await writeFile(join(s.workspace, 'scratch.txt'), 'left by an earlier step\n');
          await writeFile(join(s.workspace, 'README.md'), '# edited by an earlier step\n');
        },
      },
      (o) => {
        assert.equal(o.verdict.status, 'ERROR');
        assert.equal(o.run.code, 1);
        assert.match(o.verdict.report, /uncommitted changes/);
        assert.equal(o.ctx.s.anthropic.requests.length, 0);
        assert.deepEqual(o.verdict.changed, []);
      },
    );
  });

  test(
    'a very large diff (3000 files, 20 MB): all pushed; the report fits in a comment',
    { skip: sandboxed.skip },
    async () => {
      const gen =
        "node -e \"const fs=require('fs');fs.mkdirSync('gen',{recursive:true});for(let i=0;i<3000;i++)fs.writeFileSync('gen/file-'+i+'.txt','line '+i+'\\n'.repeat(i%7+1));fs.writeFileSync('gen/big.txt','0123456789abcdef\\n'.repeat(1250000))\"";
      await faultCase(
        {
          turns: () => [...editTurns(), bash(gen), statusTurn('COMPLETE', 'Generated the fixtures', 'gen/')],
          maxWallMs: 90_000,
        },
        (o) => {
          assert.equal(o.verdict.status, 'COMPLETE');
          assertHealthWorkSaved(o);
          assert.ok(o.verdict.changed.length >= 3002, `${o.verdict.changed.length} changed`);
          for (const c of o.ctx.s.gh.state.comments) assert.ok(c.body.length <= 65_536);
          o.ctx.s.gh.assertNoViolations();
        },
      );
    },
  );

  test('binary files: pushed byte for byte', { skip: sandboxed.skip }, async () => {
    const cmd =
      "mkdir -p assets && head -c 300000 /dev/urandom > assets/blob.bin && printf '\\000\\377\\000\\001' > assets/tiny.bin";
    await faultCase(
      { turns: () => [bash(cmd), statusTurn('COMPLETE', 'Added assets', 'assets/blob.bin, assets/tiny.bin')] },
      async (o) => {
        assert.equal(o.verdict.status, 'COMPLETE');
        assert.ok(o.verdict.savedOn);
        const b = await readBranch(o.ctx.s.origin, o.verdict.savedOn);
        assert.equal(b!.files['assets/tiny.bin'], '\x00\xff\x00\x01');
        assert.equal(b!.files['assets/blob.bin']!.length, 300_000);
      },
    );
  });

  test('a file deleted by the agent: the deletion is committed and pushed', { skip: sandboxed.skip }, async () => {
    await faultCase(
      {
        turns: () => [
          ...editTurns(),
          bash('rm README.md'),
          statusTurn('COMPLETE', 'Removed the README', 'README.md, src/server.js, test/health.test.js'),
        ],
      },
      async (o) => {
        assert.equal(o.verdict.status, 'COMPLETE');
        assertHealthWorkSaved(o);
        assert.ok(o.verdict.changed.includes('README.md'));
        const b = await readBranch(o.ctx.s.origin, o.verdict.savedOn!);
        assert.equal(b!.files['README.md'], undefined);
        assert.match(o.verdict.report, /FILES: README\.md, src\/server\.js, test\/health\.test\.js/);
      },
    );
  });
});
