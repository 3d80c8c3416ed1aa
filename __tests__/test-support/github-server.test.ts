import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { startGitHub, type GitHubStandIn } from '../../test-support/github-server.ts';

/** What an Octokit call rejects with on an error response: its status and message, the response's headers and body. */
interface ApiError {
  status: number;
  message: string;
  response: {
    headers: Record<string, string | undefined>;
    data: { message: string; errors: { message: string; [field: string]: unknown }[] };
  };
}

/** The error response a call must end in; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof Error && 'status' in e && 'response' in e, `not an Octokit RequestError: ${String(e)}`);
    return e as unknown as ApiError;
  }
  assert.fail('the call succeeded where an error response was expected');
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const REPO = { owner: 'octo-org', repo: 'hello-world' };

function client(gh: GitHubStandIn, token = gh.token) {
  return new Octokit({ auth: token, baseUrl: gh.url, log: quiet });
}

describe('GitHub stand-in with a real Octokit', () => {
  let gh: GitHubStandIn;
  let octokit: Octokit;
  let loadMs = 0;

  before(async () => {
    const t = performance.now();
    gh = await startGitHub({ permissions: { alice: 'write', mallory: 'triage' }, users: [{ login: 'bob' }] });
    loadMs = performance.now() - t;
    octokit = client(gh);
  });
  after(() => gh.close());
  afterEach(() => {
    const v = gh.violations.splice(0);
    assert.deepEqual(v, [], 'every test leaves no unexpected violation');
  });

  it('starts on a loopback port and reports the description load time', () => {
    assert.match(gh.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(loadMs < 10_000, `start took ${loadMs} ms`);
    console.log(`OpenAPI description load: ${gh.openApiLoadMs} ms; startGitHub: ${Math.round(loadMs)} ms`);
  });

  it('creates, lists, updates a comment and reacts to it (201 new, 200 existing)', async () => {
    const issue = gh.addIssue(gh.repo, { title: 'Add /health', login: 'alice' });
    const human = gh.addComment(gh.repo, issue.number, { login: 'alice', body: '/backend-developer add /health' });

    const {
      data: created,
      status,
      headers,
    } = await octokit.rest.issues.createComment({ ...REPO, issue_number: issue.number, body: 'Working on it' });
    assert.equal(status, 201);
    assert.equal(created.user?.login, 'github-actions[bot]');
    assert.equal(created.user?.type, 'Bot');
    assert.equal(
      created.html_url,
      `https://github.com/octo-org/hello-world/issues/${issue.number}#issuecomment-${created.id}`,
    );
    assert.match(String(headers['x-github-request-id']), /^[0-9A-F:]+$/);
    assert.ok(Number(headers['x-ratelimit-remaining']) < 5000);

    const { data: updated } = await octokit.rest.issues.updateComment({
      ...REPO,
      comment_id: created.id,
      body: 'Done',
    });
    assert.equal(updated.body, 'Done');
    assert.equal(gh.state.comments.find((c) => c.id === created.id)?.body, 'Done');

    const listed = await octokit.paginate(octokit.rest.issues.listComments, {
      ...REPO,
      issue_number: issue.number,
      per_page: 1,
    });
    assert.deepEqual(
      listed.map((c) => c.id),
      [human.id, created.id],
      'paginated through the Link header',
    );

    const first = await octokit.rest.reactions.createForIssueComment({
      ...REPO,
      comment_id: human.id,
      content: 'eyes',
    });
    const again = await octokit.rest.reactions.createForIssueComment({
      ...REPO,
      comment_id: human.id,
      content: 'eyes',
    });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(again.data.id, first.data.id);
    assert.equal(gh.state.reactions.filter((r) => r.commentId === human.id).length, 1);

    const { data: got } = await octokit.rest.issues.getComment({ ...REPO, comment_id: human.id });
    assert.equal(got.reactions?.eyes, 1);

    gh.deleteComment(created.id);
    await assert.rejects(octokit.rest.issues.getComment({ ...REPO, comment_id: created.id }), { status: 404 });
    gh.assertNoViolations();
  });

  it('reads permissions: role_name keeps maintain/triage, the legacy permission maps them; unknown user 404', async () => {
    const alice = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: 'alice' });
    assert.equal(alice.data.permission, 'write');
    const mallory = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: 'mallory' });
    assert.equal(mallory.data.permission, 'read');
    assert.equal(mallory.data.role_name, 'triage');
    const bob = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: 'bob' });
    assert.equal(bob.data.permission, 'read', 'a public repository gives non-collaborators read');
    gh.setPermission('bob', 'admin');
    const bob2 = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: 'bob' });
    assert.equal(bob2.data.permission, 'admin');
    await assert.rejects(octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: 'ghost-user' }), {
      status: 404,
    });
    gh.assertNoViolations();
  });

  it('opens a PR that shares the issue numbering, answers 422 for a duplicate, lists and updates it', async () => {
    gh.setBranch(gh.repo, 'backend-developer/issue-1', 'a'.repeat(40));
    const issue = gh.addIssue(gh.repo, { title: 'An issue', login: 'alice' });
    const { data: pr } = await octokit.rest.pulls.create({
      ...REPO,
      head: 'backend-developer/issue-1',
      base: 'main',
      title: 'Add /health',
      body: 'Closes #1',
      draft: true,
    });
    assert.equal(pr.number, issue.number + 1);
    assert.equal(pr.html_url, `https://github.com/octo-org/hello-world/pull/${pr.number}`);
    assert.equal(pr.head.sha, 'a'.repeat(40));
    assert.equal(pr.draft, true);

    const { data: asIssue } = await octokit.rest.issues.get({ ...REPO, issue_number: pr.number });
    assert.ok(asIssue.pull_request, 'issues/get on a PR number carries pull_request');
    assert.equal(asIssue.title, 'Add /health');
    await assert.rejects(octokit.rest.pulls.get({ ...REPO, pull_number: issue.number }), { status: 404 });

    const dup = await failure(
      octokit.rest.pulls.create({ ...REPO, head: 'backend-developer/issue-1', base: 'main', title: 'again' }),
    );
    assert.equal(dup.status, 422);
    assert.equal(dup.response.data.message, 'Validation Failed');
    assert.equal(
      dup.response.data.errors[0]!.message,
      'A pull request already exists for octo-org:backend-developer/issue-1.',
    );

    const same = await failure(octokit.rest.pulls.create({ ...REPO, head: 'main', base: 'main', title: 'x' }));
    assert.equal(same.status, 422);
    assert.match(same.response.data.errors[0]!.message, /No commits between main and main/);

    const { data: open } = await octokit.rest.pulls.list({
      ...REPO,
      head: 'octo-org:backend-developer/issue-1',
      base: 'main',
      state: 'open',
    });
    assert.deepEqual(
      open.map((p) => p.number),
      [pr.number],
    );
    const { data: none } = await octokit.rest.pulls.list({ ...REPO, head: 'someone-else:backend-developer/issue-1' });
    assert.equal(none.length, 0);

    const { data: closed } = await octokit.rest.pulls.update({
      ...REPO,
      pull_number: pr.number,
      state: 'closed',
      body: 'new body',
    });
    assert.equal(closed.state, 'closed');
    assert.equal(gh.state.pulls.find((p) => p.number === pr.number)?.body, 'new body');
    const { data: stillOpen } = await octokit.rest.pulls.list({ ...REPO, head: 'octo-org:backend-developer/issue-1' });
    assert.equal(stillOpen.length, 0);
    gh.assertNoViolations();
  });

  it('models a PR from a fork (head repo differs)', async () => {
    const pr = gh.addPull(gh.repo, {
      head: 'patch-1',
      headRepo: 'forker/hello-world',
      title: 'From a fork',
      login: 'forker',
      headSha: 'b'.repeat(40),
    });
    assert.equal(gh.state.repos['forker/hello-world']?.fork, true);
    const { data } = await octokit.rest.pulls.get({ ...REPO, pull_number: pr.number });
    assert.equal(data.head.repo?.full_name, 'forker/hello-world');
    assert.equal(data.head.label, 'forker:patch-1');
    assert.equal(data.head.repo?.fork, true);
    const { data: listed } = await octokit.rest.pulls.list({ ...REPO, head: 'forker:patch-1' });
    assert.deepEqual(
      listed.map((p) => p.number),
      [pr.number],
    );
    gh.assertNoViolations();
  });

  it('creates and updates a check run and a commit status; a user token may not create check runs', async () => {
    const sha = gh.branchesOf(gh.repo).main!;
    const { data: run, status } = await octokit.rest.checks.create({
      ...REPO,
      name: 'backend-developer',
      head_sha: sha,
      status: 'in_progress',
      output: { title: 'Working', summary: '…' },
    });
    assert.equal(status, 201);
    assert.equal(run.status, 'in_progress');
    const { data: done } = await octokit.rest.checks.update({
      ...REPO,
      check_run_id: run.id,
      conclusion: 'success',
      output: { title: 'DONE', summary: 'ok' },
    });
    assert.equal(done.status, 'completed');
    assert.equal(done.conclusion, 'success');
    assert.ok(done.completed_at);
    assert.equal(gh.state.checkRuns[0]?.output.title, 'DONE');

    const { data: st } = await octokit.rest.repos.createCommitStatus({
      ...REPO,
      sha,
      state: 'failure',
      context: 'agent',
      description: 'BLOCKED',
    });
    assert.equal(st.state, 'failure');
    assert.equal(gh.state.statuses.length, 1);

    const pat = await startGitHub({ tokens: { ghp_user: { login: 'alice', kind: 'user' } } });
    try {
      const e = await failure(client(pat, 'ghp_user').rest.checks.create({ ...REPO, name: 'x', head_sha: sha }));
      assert.equal(e.status, 403);
      assert.match(e.message, /GitHub App/);
      pat.assertNoViolations();
    } finally {
      await pat.close();
    }
    gh.assertNoViolations();
  });

  it('rejects a bad token with 401 Bad credentials', async () => {
    const e = await failure(client(gh, 'ghs_wrong').rest.repos.get(REPO));
    assert.equal(e.status, 401);
    assert.equal(e.response.data.message, 'Bad credentials');
    const { data } = await octokit.rest.repos.get(REPO);
    assert.equal(data.default_branch, 'main');
    assert.equal(data.full_name, 'octo-org/hello-world');
  });

  it('reports a violation for an invalid request, naming the operation and the schema error', async () => {
    const before = gh.violations.length;
    const issue = gh.addIssue(gh.repo, { title: 't', login: 'alice' });
    const res = await fetch(`${gh.url}/repos/octo-org/hello-world/issues/${issue.number}/comments`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'no body field' }),
    });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { message: string; errors: Array<{ message: string }> };
    assert.match(body.message, /^Invalid request\./);
    assert.match(body.message, /body/);
    const v = gh.violations.slice(before);
    assert.equal(v.length, 1);
    assert.match(v[0]!, /issues\/create-comment/);
    assert.match(v[0]!, /must have required property 'body'/);
    assert.equal(gh.state.comments.filter((c) => c.issueNumber === issue.number).length, 0);
    assert.throws(() => gh.assertNoViolations(), /issues\/create-comment/);
    gh.violations.length = before;
  });

  it('reports a violation for an unknown route and for a bad enum via octokit.request', async () => {
    const before = gh.violations.length;
    const res = await fetch(`${gh.url}/repos/octo-org/hello-world/no-such-thing`, {
      headers: { authorization: `token ${gh.token}` },
    });
    assert.equal(res.status, 404);
    const e = await failure(octokit.request('GET /repos/{owner}/{repo}/pulls', { ...REPO, state: 'bogus' as 'open' }));
    assert.equal(e.status, 422);
    const v = gh.violations.slice(before);
    assert.match(v[0]!, /GET \/repos\/octo-org\/hello-world\/no-such-thing/);
    assert.match(v[1]!, /pulls\/list.*\/query\/state/);
    assert.equal(gh.requests.at(-1)?.operationId, 'pulls/list');
    gh.violations.length = before;
  });
});

describe('GitHub stand-in checks its own responses', () => {
  it('answers 500 and records a violation when its model yields a response the description rejects', async () => {
    const gh = await startGitHub({ private: true });
    try {
      const issue = gh.addIssue(gh.repo, { title: 't', login: 'octo-org' });
      const c = gh.addComment(gh.repo, issue.number, { login: 'octo-org', body: 'hi' });
      gh.state.reactions.push({
        id: 1,
        commentId: c.id,
        user: 'octo-org',
        content: 'sparkles',
        createdAt: '2026-01-01T00:00:00Z',
      });
      const e = await failure(client(gh).rest.reactions.listForIssueComment({ ...REPO, comment_id: c.id }));
      assert.equal(e.status, 500);
      assert.equal(gh.violations.length, 1);
      assert.match(
        gh.violations[0]!,
        /reactions\/list-for-issue-comment .*response 200.*\/0\/content must be equal to one of the allowed values/,
      );

      // A private repository is invisible without a token, as on GitHub.
      const anon = await fetch(`${gh.url}/repos/octo-org/hello-world`);
      assert.equal(anon.status, 404);
      assert.equal(anon.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.ok(anon.headers.get('x-ratelimit-limit'));
    } finally {
      await gh.close();
    }
  });
});

describe('GitHub stand-in fault injection', () => {
  it('answers 502 once, then succeeds; plugin-retry sees both', async () => {
    const gh = await startGitHub({});
    try {
      const issue = gh.addIssue(gh.repo, { title: 't', login: 'octo-org' });
      gh.inject({ operationId: 'issues/create-comment', status: 502 });
      const Retrying = Octokit.plugin(retry);
      const octokit = new Retrying({ auth: gh.token, baseUrl: gh.url, log: quiet, retry: { retryAfterBaseValue: 1 } });
      const { status } = await octokit.rest.issues.createComment({ ...REPO, issue_number: issue.number, body: 'hi' });
      assert.equal(status, 201);
      const seen = gh.requests
        .filter((r) => r.operationId === 'issues/create-comment')
        .map((r) => [r.status, r.injected]);
      assert.deepEqual(seen, [
        [502, true],
        [201, false],
      ]);
      assert.equal(gh.state.comments.length, 1);
      gh.assertNoViolations();
    } finally {
      await gh.close();
    }
  });

  it('answers a secondary rate limit with 403, retry-after and the real message', async () => {
    const gh = await startGitHub({});
    try {
      gh.inject({ operationId: 'pulls/list', kind: 'secondary-rate-limit', retryAfter: 7, times: 2 });
      const octokit = client(gh);
      for (let i = 0; i < 2; i++) {
        const e = await failure(octokit.rest.pulls.list(REPO));
        assert.equal(e.status, 403);
        assert.equal(e.response.headers['retry-after'], '7');
        assert.match(e.message, /You have exceeded a secondary rate limit/);
      }
      const ok = await octokit.rest.pulls.list(REPO);
      assert.equal(ok.status, 200);

      // @octokit/plugin-throttling recognises it as a secondary rate limit and waits retry-after.
      gh.inject({ operationId: 'pulls/list', kind: 'secondary-rate-limit', retryAfter: 1 });
      const seen: number[] = [];
      const Throttled = Octokit.plugin(throttling);
      const throttled = new Throttled({
        auth: gh.token,
        baseUrl: gh.url,
        log: quiet,
        throttle: { onRateLimit: () => false, onSecondaryRateLimit: (after: number) => (seen.push(after), true) },
      });
      const started = Date.now();
      assert.equal((await throttled.rest.pulls.list(REPO)).status, 200);
      assert.deepEqual(seen, [1]);
      assert.ok(Date.now() - started >= 900, 'waited retry-after');
    } finally {
      await gh.close();
    }
  });
});

describe('GitHub stand-in over a real bare repository', () => {
  let dir: string;
  let gh: GitHubStandIn;
  const run = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-standin-'));
    const bare = join(dir, 'origin.git');
    const work = join(dir, 'work');
    run(dir, 'init', '-q', '--bare', '-b', 'main', bare);
    run(dir, 'clone', '-q', bare, work);
    for (const [k, v] of [
      ['user.name', 'T'],
      ['user.email', 't@example.com'],
    ])
      run(work, 'config', k!, v!);
    writeFileSync(join(work, 'README.md'), 'hi\n');
    run(work, 'add', '.');
    run(work, 'commit', '-q', '-m', 'init');
    run(work, 'push', '-q', 'origin', 'main');
    run(work, 'checkout', '-q', '-b', 'feature/x');
    writeFileSync(join(work, 'a.txt'), 'a\n');
    run(work, 'add', '.');
    run(work, 'commit', '-q', '-m', 'feature');
    run(work, 'push', '-q', 'origin', 'feature/x');
    run(work, 'branch', '-q', 'pushed-nothing', 'main');
    run(work, 'push', '-q', 'origin', 'pushed-nothing');
    gh = await startGitHub({ gitDir: bare });
  });
  after(async () => {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads branches and commits from git; pulls/create needs the head branch to exist there', async () => {
    const octokit = client(gh);
    const bare = join(dir, 'origin.git');
    const featureSha = run(dir, '--git-dir', bare, 'rev-parse', 'feature/x');
    const { data: branches } = await octokit.rest.repos.listBranches(REPO);
    assert.deepEqual(
      branches.map((b) => b.name),
      ['feature/x', 'main', 'pushed-nothing'],
    );
    const { data: branch } = await octokit.rest.repos.getBranch({ ...REPO, branch: 'feature/x' });
    assert.equal(branch.commit.sha, featureSha);
    assert.equal(branch.commit.commit.message, 'feature');
    await assert.rejects(octokit.rest.repos.getBranch({ ...REPO, branch: 'nope' }), { status: 404 });

    const missing = await failure(
      octokit.rest.pulls.create({ ...REPO, head: 'never-pushed', base: 'main', title: 't' }),
    );
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.response.data.errors, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);

    const empty = await failure(
      octokit.rest.pulls.create({ ...REPO, head: 'pushed-nothing', base: 'main', title: 't' }),
    );
    assert.equal(empty.status, 422);
    assert.match(empty.response.data.errors[0]!.message, /No commits between main and pushed-nothing/);

    const { data: pr } = await octokit.rest.pulls.create({
      ...REPO,
      head: 'feature/x',
      base: 'main',
      title: 'Feature',
    });
    assert.equal(pr.head.sha, featureSha);
    const { data: commit } = await octokit.rest.repos.getCommit({ ...REPO, ref: 'feature/x' });
    assert.equal(commit.sha, featureSha);
    const { data: check } = await octokit.rest.checks.create({
      ...REPO,
      name: 'agent',
      head_sha: featureSha,
      conclusion: 'success',
    });
    assert.deepEqual(
      check.pull_requests.map((p) => p.number),
      [pr.number],
    );
    const bad = await failure(octokit.rest.checks.create({ ...REPO, name: 'agent', head_sha: 'f'.repeat(40) }));
    assert.equal(bad.status, 422);
    gh.assertNoViolations();
  });
});
