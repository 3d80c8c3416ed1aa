// GitHub-native runs through dist/index.js: commits made by GitHub through createCommitOnBranch (signed there), the
// fallbacks to git push and to a branch of its own, a token that may not write, and a GitHub Enterprise Server
// layout (one host, REST under /api/v3, GraphQL at /api/graphql). Every GraphQL document the action sends is
// validated by the stand-in against GitHub's published schema; assertNoViolations fails on any that is not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createScenario, REPO, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { healthTurns, HEALTH_TEST } from '../../test-support/health-scenario.ts';
import { git, listBranches, readBranch } from '../../test-support/git.ts';
import { requireTools } from '../../test-support/system-tools.ts';

const { test, after } = requireTools('bwrap');
const T = { timeout: 290_000 };

const scenarios: Scenario[] = [];
after(() => Promise.all(scenarios.map((s) => s.close())));
async function scenario(o: Parameters<typeof createScenario>[0]): Promise<Scenario> {
  const s = await createScenario(o);
  scenarios.push(s);
  return s;
}

const write = (file_path: string, content: string): Turn => ({
  content: [{ type: 'tool_use', name: 'Write', input: { file_path, content } }],
});
const bash = (command: string): Turn => ({ content: [{ type: 'tool_use', name: 'Bash', input: { command } }] });
const done = (summary: string): Turn => ({
  content: [{ type: 'text', text: `Done.\n\nSTATUS: COMPLETE\nSUMMARY: ${summary}\nFILES: x\n` }],
});

function statusComment(s: Scenario): string {
  // The report: on the pull request when there is one (posted after the progress comment), else the latter.
  const c = s.gh.state.comments.filter((x) => /^STATUS: /m.test(x.body)).at(-1);
  assert.ok(c, 'a STATUS comment was posted');
  return c.body;
}

function graphqlCalls(s: Scenario, field: string) {
  return s.gh.requests.filter((r) => r.operationId === 'graphql' && JSON.stringify(r.body).includes(field));
}

/** Moves `branch` on the bare origin by one commit that writes `path` (top level), as a concurrent push would. */
function moveBranch(bare: string, branch: string, path: string, content: string): string {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'bob',
    GIT_AUTHOR_EMAIL: 'bob@example.com',
    GIT_COMMITTER_NAME: 'bob',
    GIT_COMMITTER_EMAIL: 'bob@example.com',
  };
  const g = (args: string[], input?: string) =>
    execFileSync('git', ['--git-dir', bare, ...args], { input, encoding: 'utf8', env }).trim();
  const head = g(['rev-parse', `refs/heads/${branch}`]);
  const blob = g(['hash-object', '-w', '--stdin'], content);
  const entries = g(['ls-tree', head])
    .split('\n')
    .filter((l) => l && !l.endsWith(`\t${path}`));
  entries.push(`100644 blob ${blob}\t${path}`);
  const tree = g(['mktree'], `${entries.join('\n')}\n`);
  const commit = g(['commit-tree', tree, '-p', head, '-m', `concurrent change to ${path}`]);
  g(['update-ref', `refs/heads/${branch}`, commit, head]);
  return commit;
}

/** The one branch on the origin that is not main. */
function agentBranch(bare: string): string {
  const out = execFileSync('git', ['--git-dir', bare, 'for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/'], {
    encoding: 'utf8',
  });
  const b = out.split('\n').find((x) => x && x !== 'main');
  assert.ok(b, 'the agent branch exists on the origin');
  return b;
}

test(
  'the commit is made by GitHub through createCommitOnBranch: tree, message and trailer as git would',
  T,
  async () => {
    const s = await scenario({
      script: [write('src/health.js', 'export const ok = true;\n'), done('Added a health flag')],
    });
    const run = await s.run(s.comment({ body: '/backend-developer add a health flag' }));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    s.gh.assertNoViolations();
    const branch = run.outputs['branch']!;
    // The branch was created through REST at the base, then GitHub appended the one commit.
    assert.ok(s.gh.requests.some((r) => r.operationId === 'git/create-ref' && r.status === 201));
    assert.equal(s.gh.apiCommits.length, 1);
    assert.equal(s.gh.apiCommits[0]!.branch, branch);
    const pushed = await readBranch(s.origin, branch);
    assert.ok(pushed);
    assert.equal(pushed.sha, s.gh.apiCommits[0]!.oid, 'the branch tip is the commit GitHub made');
    assert.equal(pushed.files['src/health.js'], 'export const ok = true;\n');
    const main = await readBranch(s.origin, 'main');
    assert.deepEqual(
      Object.keys(pushed.files).sort(),
      [...Object.keys(main!.files), 'src/health.js'].sort(),
      'the tree is main plus the new file, nothing else',
    );
    const c = pushed.log[0]!;
    assert.equal(c.subject, 'Added a health flag');
    assert.match(c.body, new RegExp(`/backend-developer for #${s.issueNumber}: COMPLETE`));
    assert.ok(
      c.trailers.some((t) => /^Co-authored-by: alice <\d+\+alice@users\.noreply\.github\.com>$/.test(t)),
      c.trailers.join('|'),
    );
    assert.equal(c.authorName, 'github-actions[bot]', 'authored by the token owner');
    assert.equal(c.committerName, 'GitHub', 'committed (and signed) by GitHub');
    assert.equal(pushed.log[1]!.sha, main!.sha, 'one commit on top of main');
    // The checkout was moved to GitHub's commit, with nothing left over.
    assert.equal((await git(s.workspace, ['rev-parse', 'HEAD'])).trim(), pushed.sha);
    assert.equal((await git(s.workspace, ['status', '--porcelain'])).trim(), '');
    assert.doesNotMatch(statusComment(s), /pushed unsigned/);
    assert.equal(graphqlCalls(s, 'createCommitOnBranch').length, 1);
  },
);

test('a branch that moves between read and commit is refetched and the commit retried on top of it', T, async () => {
  const s = await scenario({
    script: [write('notes.md', 'ours\n'), done('Wrote notes')],
  });
  let moved = '';
  s.gh.beforeMutation = (field) => {
    if (field !== 'createCommitOnBranch' || moved) return;
    moved = moveBranch(s.origin.bareDir, agentBranch(s.origin.bareDir), 'theirs.md', 'theirs\n');
  };
  const run = await s.run(s.comment({ body: '/backend-developer write notes' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.gh.assertNoViolations();
  assert.ok(moved, 'the branch was moved during the first attempt');
  const branch = run.outputs['branch']!;
  const calls = graphqlCalls(s, 'createCommitOnBranch');
  assert.equal(calls.length, 2, 'one stale attempt, one retry');
  assert.match(JSON.stringify(calls[0]!.response), /STALE_DATA/);
  const pushed = await readBranch(s.origin, branch);
  assert.equal(pushed!.files['notes.md'], 'ours\n');
  assert.equal(pushed!.files['theirs.md'], 'theirs\n', 'the concurrent change is kept');
  assert.equal(pushed!.log[1]!.sha, moved, 'the commit sits on top of the moved branch');
  assert.equal((await listBranches(s.origin)).length, 2, 'no fallback branch');
  // The checkout followed: the concurrent file is in the workspace too.
  assert.equal((await git(s.workspace, ['rev-parse', 'HEAD'])).trim(), pushed!.sha);
  assert.equal((await git(s.workspace, ['show', 'HEAD:theirs.md'])).trim(), 'theirs');
});

test('a concurrent change to the same file sends the work to a branch of its own, never forced', T, async () => {
  const s = await scenario({
    script: [write('notes.md', 'ours\n'), done('Wrote notes')],
  });
  let moved = '';
  s.gh.beforeMutation = (field) => {
    if (field !== 'createCommitOnBranch' || moved) return;
    moved = moveBranch(s.origin.bareDir, agentBranch(s.origin.bareDir), 'notes.md', 'theirs\n');
  };
  const run = await s.run(s.comment({ body: '/backend-developer write notes' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.gh.assertNoViolations();
  const branches = await listBranches(s.origin);
  const original = branches.find((b) => b !== 'main' && !/-[0-9a-f]{8}$/.test(b))!;
  const fallback = run.outputs['branch']!;
  assert.match(fallback, new RegExp(`^${original}-[0-9a-f]{8}$`));
  assert.equal((await readBranch(s.origin, original))!.sha, moved, 'the moved branch is left as it is');
  assert.equal((await readBranch(s.origin, fallback))!.files['notes.md'], 'ours\n');
  assert.match(statusComment(s), new RegExp(`the work is on ${fallback.replace(/[/.]/g, '\\$&')}`));
});

test('a symlink cannot go through the API: pushed with git, and the report says so', T, async () => {
  const s = await scenario({
    script: [bash('ln -s README.md docs-link && echo linked'), done('Linked the docs')],
  });
  const run = await s.run(s.comment({ body: '/backend-developer link the docs' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.gh.assertNoViolations();
  assert.equal(s.gh.apiCommits.length, 0, 'no API commit');
  assert.equal(graphqlCalls(s, 'createCommitOnBranch').length, 0, 'the API was not even tried');
  const branch = run.outputs['branch']!;
  const mode = (await git(s.origin.bareDir, ['ls-tree', `refs/heads/${branch}`, 'docs-link'])).split(' ')[0];
  assert.equal(mode, '120000', 'the symlink reached the origin as a symlink');
  const body = statusComment(s);
  assert.match(body, /pushed unsigned: the change adds a symlink \(docs-link\)/);
  assert.match(run.summary, /pushed unsigned: the change adds a symlink/);
});

test('a token without contents: write: ERROR naming the permission, the work kept as a patch', T, async () => {
  const s = await scenario({
    script: [write('src/feature.js', 'export const feature = 1;\n'), done('Added the feature')],
  });
  const token = Object.values(s.gh.state.tokens)[0]!;
  token.contents = 'read';
  const run = await s.run(s.comment({ body: '/backend-developer add the feature' }));
  assert.equal(run.code, 1, 'ERROR fails the step');
  s.gh.assertNoViolations();
  assert.equal(run.outputs['status'], 'ERROR');
  assert.match(run.outputs['blocker']!, /contents: write/);
  assert.match(
    statusComment(s),
    /GitHub refused the commit: the token may not write to the repository \(it needs the contents: write permission\)/,
  );
  assert.match(run.summary, /The work as a patch/);
  assert.match(run.summary, /\+export const feature = 1;/);
  assert.deepEqual(await listBranches(s.origin), ['main'], 'nothing reached the origin');
});

test('GitHub Enterprise Server: clone, API commit, PR, comments, check run and links on one host', T, async () => {
  const s = await scenario({ script: healthTurns(), ghes: true });
  assert.doesNotMatch(s.gh.serverUrl, /github\.com/);
  assert.match(s.gh.url, /\/api\/v3$/);
  assert.match(s.gh.graphqlUrl, /\/api\/graphql$/);
  // An empty workspace: the action clones from ${GITHUB_SERVER_URL}/owner/name.git itself.
  for (const e of await readdir(s.workspace)) await rm(join(s.workspace, e), { recursive: true, force: true });
  const before = s.http.authorizations.length;
  const run = await s.run(s.comment({ body: '/backend-developer add a /health endpoint with tests' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.gh.assertNoViolations();
  assert.ok(s.http.authorizations.length > before, 'git went through the GHES host to the repository');
  const branch = run.outputs['branch']!;
  const pushed = await readBranch(s.origin, branch);
  assert.equal(pushed!.files['test/health.test.js'], HEALTH_TEST);
  assert.equal(pushed!.sha, s.gh.apiCommits[0]!.oid, 'committed through /api/graphql');
  // Every REST call went under /api/v3 (the stand-in records any other path as a violation) and GraphQL to /api/graphql.
  assert.ok(s.gh.requests.some((r) => r.operationId === 'pulls/create'));
  assert.ok(s.gh.requests.some((r) => r.operationId === 'checks/create'));
  assert.ok(s.gh.requests.some((r) => r.operationId === 'graphql'));
  const pr = s.gh.state.pulls[0]!;
  assert.equal(pr.pull!.head, branch);
  const body = statusComment(s);
  const server = s.gh.serverUrl.replace(/[.]/g, '\\.');
  assert.match(body, new RegExp(`${server}/${REPO}/blob/${encodeURIComponent(branch).replace(/[.]/g, '\\.')}/`));
  assert.match(body, new RegExp(`${server}/${REPO}/actions/runs/\\d+`));
  assert.doesNotMatch(body, /https:\/\/github\.com/);
  assert.equal(s.gh.state.checkRuns[0]!.conclusion, 'success');
  assert.equal(run.outputs['pr-url'], `${s.gh.serverUrl}/${REPO}/pull/${pr.number}`);
});
