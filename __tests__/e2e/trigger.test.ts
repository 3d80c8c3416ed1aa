import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, type Scenario } from '../../test-support/scenario.ts';
import { listBranches } from '../../test-support/git.ts';

let s: Scenario;
before(async () => {
  // No scripted turn: any model request here is a violation.
  s = await createScenario({ script: [] });
});
after(() => s.close());

function oneLineError(stdout: string): string {
  const errors = stdout.split('\n').filter((l) => l.startsWith('::error::'));
  assert.equal(errors.length, 1, stdout);
  assert.ok(!/\n\s+at /.test(stdout), 'no stack trace');
  return errors[0]!;
}

test('missing anthropic-api-key: one line saying which input and how to set it', async () => {
  const run = await s.run(s.comment({ body: '/backend-developer do it' }), { 'anthropic-api-key': '' });
  assert.equal(run.code, 1);
  assert.match(oneLineError(run.stdout), /anthropic-api-key.*secrets\.ANTHROPIC_API_KEY/);
  assert.equal(s.anthropic.requests.length, 0);
});

test('an event that is not issue_comment is skipped with a notice, no API call', async () => {
  const before = s.gh.requests.length;
  const push = await s.run({ ref: 'refs/heads/main' }, {}, { env: { GITHUB_EVENT_NAME: 'push' } });
  assert.equal(push.code, 0, push.stdout);
  assert.equal(push.outputs['skipped'], 'true');
  assert.match(push.stdout, /::notice::Skipped: event 'push' is not issue_comment/);
  assert.equal(s.gh.requests.length, before);
});

test(
  'no event name at all (run outside Actions): one error line saying how to run it, no API call',
  { timeout: 60_000 },
  async () => {
    const before = s.gh.requests.length;
    const run = await s.run(s.comment({ body: '/backend-developer do it' }), {}, { env: { GITHUB_EVENT_NAME: '' } });
    assert.equal(run.code, 1, run.stdout);
    const line = oneLineError(run.stdout);
    assert.match(line, /GITHUB_EVENT_NAME is not set/);
    assert.match(line, /workflow on issue_comment.*use the CLI/);
    assert.notEqual(run.outputs['skipped'], 'true');
    assert.equal(s.gh.requests.length, before);
    assert.equal(s.anthropic.requests.length, 0);
  },
);

test('an unreadable event file: one line, no stack', async () => {
  const run = await s.run('/nonexistent/event.json' as unknown as object, {}, {});
  assert.equal(run.code, 1);
  assert.match(oneLineError(run.stdout), /Cannot read the event file \/nonexistent\/event\.json \(ENOENT\)/);
});

test('a comment that is not a command is skipped without any API call', async () => {
  const before = s.gh.requests.length;
  const run = await s.run(s.comment({ body: 'Looks good to me! /backend-developer is great' }));
  assert.equal(run.code, 0);
  assert.equal(run.outputs['skipped'], 'true');
  assert.equal(run.outputs['status'], '');
  assert.equal(s.gh.requests.length, before);
});

test('edited and deleted comments are skipped', async () => {
  for (const action of ['edited', 'deleted'] as const) {
    const run = await s.run(s.comment({ body: '/backend-developer do it', action }));
    assert.equal(run.code, 0);
    assert.equal(run.outputs['skipped'], 'true');
    assert.match(run.stdout, new RegExp(`comment was ${action}`));
  }
});

test('a command inside a code block or quote does not count', async () => {
  for (const body of ['```\n/backend-developer do it\n```', '> /backend-developer do it']) {
    const run = await s.run(s.comment({ body }));
    assert.equal(run.outputs['skipped'], 'true', body);
  }
});

test('a read-only commenter is refused: reply, warning, no model call, no branch', async () => {
  const branchesBefore = await listBranches(s.origin);
  const run = await s.run(s.comment({ body: '/backend-developer delete everything', login: 'mallory' }));
  assert.equal(run.code, 0);
  assert.equal(run.outputs['skipped'], 'true');
  assert.ok(run.annotations.some((a) => a.level === 'warning' && /mallory/.test(a.message)));
  const reply = s.gh.state.comments.find((c) => c.user === 'github-actions[bot]' && c.body.includes('@mallory'));
  assert.ok(reply, 'a short reply to the commenter');
  assert.match(reply.body, /write/);
  assert.equal(s.anthropic.requests.length, 0);
  assert.deepEqual(await listBranches(s.origin), branchesBefore);
  assert.equal(s.gh.state.reactions.length, 0);
  s.gh.assertNoViolations();
});

test('a bot is refused even with write permission unless listed in allowed-bots', async () => {
  s.gh.addUser('deploy-bot[bot]', 'Bot');
  s.gh.setPermission('deploy-bot[bot]', 'write');
  const run = await s.run(s.comment({ body: '/backend-developer hi', login: 'deploy-bot[bot]', userType: 'Bot' }));
  assert.equal(run.outputs['skipped'], 'true');
  assert.equal(s.anthropic.requests.length, 0);
});

test("the action's own comments never trigger it", async () => {
  const before = s.gh.requests.length;
  const run = await s.run(
    s.comment({ body: '/backend-developer hi\n\n<!-- backend-developer-action status=1 -->', login: 'alice' }),
  );
  assert.equal(run.outputs['skipped'], 'true');
  assert.equal(s.gh.requests.length, before);
});
