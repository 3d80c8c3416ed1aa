import assert from 'node:assert/strict';
import { createScenario, REPO, GITHUB_TOKEN, API_KEY, type Scenario } from '../../test-support/scenario.ts';
import { healthTurns, HEALTH_TEST } from '../../test-support/health-scenario.ts';
import { readBranch } from '../../test-support/git.ts';
import { readFile } from 'node:fs/promises';
import { requireTools } from '../../test-support/system-tools.ts';

// The run offers Bash, so the action sets up its bubblewrap sandbox. Skipped without it, failed under CI=true.
const { test, after, before } = requireTools('bwrap');

const SECRETS = [GITHUB_TOKEN, API_KEY, Buffer.from(`x-access-token:${GITHUB_TOKEN}`).toString('base64')];

function assertNoSecrets(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} contains a secret`);
}

let s: Scenario;
before(async () => {
  s = await createScenario({ script: healthTurns() });
});
after(() => s.close());

test("a collaborator's /backend-developer comment yields a pushed branch, a PR, a STATUS comment and a green check", async () => {
  const event = s.comment({ body: '/backend-developer add a /health endpoint with tests' });
  const run = await s.run(event);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.gh.assertNoViolations();
  s.anthropic.assertNoViolations();
  assert.equal(s.anthropic.remaining(), 0, 'every scripted turn was used');

  // The branch on the bare origin holds the agent's work, committed by the bot, co-authored by the commenter.
  const branch = run.outputs['branch']!;
  assert.match(branch, /^backend-developer\/\d+-add-a-health-endpoint/);
  const pushed = await readBranch(s.origin, branch);
  assert.ok(pushed, `branch ${branch} exists on origin`);
  assert.equal(pushed.files['test/health.test.js'], HEALTH_TEST);
  assert.match(pushed.files['src/server.js']!, /'GET \/health'/);
  assert.equal(pushed.log[0]!.authorName, 'github-actions[bot]');
  assert.ok(
    pushed.log[0]!.trailers.some((t) => /^Co-authored-by: alice </.test(t)),
    pushed.log[0]!.trailers.join('|'),
  );
  // commit-signing defaults to auto: GitHub made the commit through createCommitOnBranch (signed there).
  assert.equal(s.gh.apiCommits.at(-1)?.oid, pushed.sha);
  assert.equal(pushed.log[0]!.committerName, 'GitHub');

  // The PR, ready for review (COMPLETE), closing the issue.
  const prs = s.gh.state.pulls;
  assert.equal(prs.length, 1);
  const pr = prs[0]!;
  assert.equal(pr.pull!.head, branch);
  assert.equal(pr.pull!.draft, false);
  assert.match(pr.body ?? '', new RegExp(`Closes #${s.issueNumber}`));
  assert.equal(run.outputs['pr-number'], String(pr.number));

  // The STATUS comment on the PR, verbatim block, files as the real change.
  const statusComment = s.gh.state.comments.find(
    (c) => c.issueNumber === pr.number && c.body.includes('STATUS: COMPLETE'),
  );
  assert.ok(statusComment, 'STATUS comment on the PR');
  assert.match(statusComment.body, /FILES: src\/server\.js, test\/health\.test\.js/);
  // The progress comment on the issue links to it; 👀 on the trigger.
  assert.ok(
    s.gh.state.comments.some((c) => c.issueNumber === s.issueNumber && c.body.includes(run.outputs['comment-url']!)),
  );
  assert.equal(s.gh.state.reactions.filter((r) => r.content === 'eyes').length, 1);

  // The check run on the pushed head, success.
  const check = s.gh.state.checkRuns.find((c) => String(c.id) === run.outputs['check-run-id']);
  assert.ok(check);
  assert.equal(check.headSha, pushed.sha);
  assert.equal(check.conclusion, 'success');
  assert.equal(check.name, 'backend-developer');

  // Outputs and the job summary.
  assert.equal(run.outputs['status'], 'COMPLETE');
  assert.equal(run.outputs['skipped'], 'false');
  assert.equal(run.outputs['files'], 'src/server.js,test/health.test.js');
  assert.equal(run.outputs['turns'], '6');
  assert.ok(Number(run.outputs['cost-usd']) > 0);
  assert.match(run.summary, /\| Status \| COMPLETE \|/);
  const transcript = await readFile(run.outputs['transcript']!, 'utf8');
  assert.ok(transcript.split('\n').filter(Boolean).length > 6);

  // No secret anywhere the action wrote.
  // ::add-mask:: is how an action tells the runner what to mask; the runner consumes those lines.
  assertNoSecrets('stdout', run.stdout.replace(/^::add-mask::.*$/gm, ''));
  assert.equal(run.stdout.match(/^::add-mask::/gm)?.length, 2);
  assertNoSecrets('stderr', run.stderr);
  assertNoSecrets('summary', run.summary);
  assertNoSecrets('transcript', transcript);
  for (const c of s.gh.state.comments) assertNoSecrets(`comment ${c.id}`, c.body);
  for (const r of s.anthropic.requests) assertNoSecrets('a model request', JSON.stringify(r.body));
  // The workspace keeps actions/checkout's credentials for later steps of the job.
  assert.match(await readFile(`${s.workspace}/.git/config`, 'utf8'), /extraheader/);
  assert.equal(REPO, 'acme/todo-api');
});
