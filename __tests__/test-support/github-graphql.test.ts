// The GraphQL stand-in: documents validated against GitHub's published schema (so an unknown field fails), the
// action's own documents among the valid ones, and createCommitOnBranch applied for real to a bare origin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Octokit } from '@octokit/rest';
import { CREATE_COMMIT_ON_BRANCH } from '../../src/github/commits.ts';
import { MARK_READY_FOR_REVIEW } from '../../src/github/pulls.ts';
import { validateGraphql } from '../../test-support/github-graphql.ts';
import { startGitHub, type GitHubStandIn } from '../../test-support/github-server.ts';
import { createOrigin, readBranch, type Origin } from '../../test-support/git.ts';

const T = { timeout: 120_000 };

describe('documents against the published schema', () => {
  it('every document the action sends is valid', T, () => {
    assert.deepEqual(validateGraphql(CREATE_COMMIT_ON_BRANCH), []);
    assert.deepEqual(validateGraphql(MARK_READY_FOR_REVIEW), []);
  });
  it('an unknown field, a wrong argument or bad syntax is not', T, () => {
    assert.match(validateGraphql('query { viewer { loginn } }').join(), /Cannot query field "loginn" on type "User"/);
    assert.match(
      validateGraphql(
        'mutation { createCommitOnBranch(input: { branch: {}, expectedHeadOid: "x", sha: "y" }) { commit { oid } } }',
      ).join(),
      /sha/,
    );
    assert.match(validateGraphql('query {').join(), /syntax/);
  });
});

describe('the stand-in over HTTP', () => {
  let gh: GitHubStandIn;
  let origin: Origin;
  let octokit: Octokit;
  const head = () =>
    execFileSync('git', ['--git-dir', origin.bareDir, 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).trim();
  const commit = (expectedHeadOid: string, fileChanges: object) =>
    octokit.graphql<{ createCommitOnBranch: { commit: { oid: string; url: string } } }>(CREATE_COMMIT_ON_BRANCH, {
      input: {
        branch: { repositoryNameWithOwner: 'acme/api', branchName: 'main' },
        expectedHeadOid,
        message: { headline: 'Add b', body: 'Body\n\nCo-authored-by: alice <1+alice@users.noreply.github.com>' },
        fileChanges,
      },
    });

  before(async () => {
    origin = await createOrigin({ files: { 'a.txt': 'a\n', 'gone.txt': 'x\n' } });
    gh = await startGitHub({ repo: 'acme/api', gitDir: origin.bareDir, validate: false });
    octokit = new Octokit({ auth: gh.token, baseUrl: gh.url });
  });
  after(() => gh.close());

  it('an unknown field is answered with errors and recorded as a violation', T, async () => {
    const before = gh.violations.length;
    await assert.rejects(octokit.graphql('query { viewer { loginn } }'), /Cannot query field "loginn"/);
    assert.equal(gh.violations.length, before + 1);
    assert.match(gh.violations.at(-1)!, /graphql: invalid document/);
    gh.violations.length = before;
  });

  it('variables that do not fit the input types are a violation too', T, async () => {
    const before = gh.violations.length;
    await assert.rejects(commit(head(), { additions: [{ path: 'x' }] }), /contents/);
    assert.equal(gh.violations.length, before + 1);
    gh.violations.length = before;
  });

  it('createCommitOnBranch writes the commit into the origin and moves the branch', T, async () => {
    const start = head();
    const out = await commit(start, {
      additions: [{ path: 'dir/b.txt', contents: Buffer.from('b\n').toString('base64') }],
      deletions: [{ path: 'gone.txt' }],
    });
    const main = await readBranch(origin, 'main');
    assert.equal(out.createCommitOnBranch.commit.oid, main!.sha);
    assert.equal(out.createCommitOnBranch.commit.url, `https://github.com/acme/api/commit/${main!.sha}`);
    assert.deepEqual(main!.files, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    assert.equal(main!.log[0]!.subject, 'Add b');
    assert.deepEqual(main!.log[0]!.trailers, ['Co-authored-by: alice <1+alice@users.noreply.github.com>']);
    assert.equal(main!.log[0]!.committerName, 'GitHub');
    assert.equal(main!.log[1]!.sha, start);
    gh.assertNoViolations();
  });

  it('a stale expectedHeadOid, a missing deletion or bad base64 aborts with GitHub-shaped errors', T, async () => {
    const now = head();
    const stale = await commit('0'.repeat(40), { additions: [{ path: 'c', contents: 'Yw==' }] }).catch(
      (e: unknown) => e,
    );
    assert.match(JSON.stringify((stale as { errors: unknown }).errors), /STALE_DATA.*Expected branch to point to/);
    await assert.rejects(
      commit(now, { deletions: [{ path: 'nope.txt' }] }),
      /requested for deletion which does not exist/,
    );
    await assert.rejects(commit(now, { additions: [{ path: 'c', contents: 'not base64!' }] }), /not valid base64/);
    assert.equal(head(), now, 'nothing moved');
    gh.assertNoViolations();
  });

  it('a token without contents: write is FORBIDDEN', T, async () => {
    gh.state.tokens[gh.token]!.contents = 'read';
    try {
      const e = await commit(head(), { additions: [] }).catch((x: unknown) => x);
      assert.match(
        JSON.stringify((e as { errors: unknown }).errors),
        /FORBIDDEN.*Resource not accessible by integration/,
      );
    } finally {
      gh.state.tokens[gh.token]!.contents = 'write';
    }
  });
});

describe('GitHub Enterprise Server layout', () => {
  it('REST answers under /api/v3 only, GraphQL at /api/graphql', T, async () => {
    const gh = await startGitHub({ repo: 'acme/api', ghes: {}, validate: false });
    try {
      assert.match(gh.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
      assert.equal(gh.serverUrl, gh.url.replace(/\/api\/v3$/, ''));
      const octokit = new Octokit({ auth: gh.token, baseUrl: gh.url });
      const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'api' });
      assert.equal(data.html_url, `${gh.serverUrl}/acme/api`);
      assert.match(data.url, /\/api\/v3\/repos\/acme\/api$/);
      // Octokit itself turns /api/v3 into /api/graphql.
      const v = await octokit.graphql<{ viewer: null }>('query { viewer { login } }').catch((e: unknown) => e);
      assert.ok(
        gh.requests.some((r) => r.path === '/api/graphql' && r.operationId === 'graphql'),
        String(v),
      );
      const wrong = await fetch(`${gh.serverUrl}/repos/acme/api`, { headers: { authorization: `token ${gh.token}` } });
      assert.equal(wrong.status, 404);
      assert.match(gh.violations.join('\n'), /serves REST under \/api\/v3/);
    } finally {
      await gh.close();
    }
  });
});
