import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueCommentEvent, assertValidWebhook } from '../../test-support/payloads.ts';
import { parseOutputFile } from '../../test-support/launcher.ts';

test('issue_comment payload from webhooks-examples is re-pointed and valid', () => {
  const ev = issueCommentEvent({ repo: 'acme/api', issueNumber: 7, body: '/backend-developer hi', login: 'alice' });
  assert.equal(ev.action, 'created');
  assert.equal(ev.repository.full_name, 'acme/api');
  assert.equal(ev.issue.number, 7);
  assert.equal(ev.comment.user.login, 'alice');
  assert.equal(ev.issue.pull_request, undefined);
});

test('PR-comment variant carries issue.pull_request and passes the webhook schema', () => {
  const ev = issueCommentEvent({ repo: 'acme/api', issueNumber: 8, body: 'x', login: 'bob', pullRequest: true });
  assert.ok(ev.issue.pull_request, 'issue.pull_request is set');
  assert.match(ev.issue.pull_request.url, /\/pulls\/8$/);
  assertValidWebhook(ev);
});

test('the webhook schema check rejects a broken payload', () => {
  const ev = issueCommentEvent({ repo: 'acme/api', issueNumber: 9, body: 'x', login: 'c' });
  Reflect.deleteProperty(ev.comment, 'user');
  assert.throws(() => assertValidWebhook(ev), /does not match the webhook schema/);
});

test('GITHUB_OUTPUT parser reads k=v and heredoc forms', () => {
  const out = parseOutputFile('a=1\nsummary<<ghadelimiter_1\nline one\nline two\nghadelimiter_1\nb=x=y\n');
  assert.deepEqual(out, { a: '1', summary: 'line one\nline two', b: 'x=y' });
  assert.throws(() => parseOutputFile('k<<EOF\nnever closed'), /never closed/);
});
