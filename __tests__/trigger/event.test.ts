// readCommentEvent: what the runner hands the action. Another event or a changed comment is a skip (the workflow may
// listen to more than comments); no event at all means it did not run from Actions, which is an error to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommentEvent } from '../../src/trigger/event.ts';
import { UserError } from '../../src/errors.ts';
import { issueCommentEvent } from '../../test-support/payloads.ts';

const dir = mkdtempSync(join(tmpdir(), 'event-'));
function eventFile(payload: object): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(payload));
  return file;
}
const comment = (action: 'created' | 'edited' = 'created') =>
  eventFile(
    issueCommentEvent({ repo: 'acme/api', issueNumber: 7, body: '/backend-developer do it', login: 'alice', action }),
  );

test(
  'no event name at all (run outside Actions) is an error saying how to run it, not a skip',
  { timeout: 10_000 },
  () => {
    for (const name of [undefined, '', '  ']) {
      assert.throws(
        () => readCommentEvent({ GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: comment() }),
        (e: unknown) =>
          e instanceof UserError &&
          /GITHUB_EVENT_NAME is not set/.test(e.message) &&
          /workflow on issue_comment/.test(e.message) &&
          /use the CLI/.test(e.message),
        `GITHUB_EVENT_NAME=${JSON.stringify(name)}`,
      );
    }
  },
);

test('another event is still a skip naming it', { timeout: 10_000 }, () => {
  for (const name of ['push', 'pull_request', 'workflow_dispatch']) {
    const r = readCommentEvent({ GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: eventFile({ ref: 'refs/heads/main' }) });
    assert.ok('skip' in r, name);
    assert.match(r.skip, new RegExp(`event '${name}' is not issue_comment`));
  }
});

test('an edited comment is a skip; a created one is read', { timeout: 10_000 }, () => {
  const edited = readCommentEvent({ GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: comment('edited') });
  assert.ok('skip' in edited && /comment was edited/.test(edited.skip));
  const created = readCommentEvent({ GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: comment() });
  assert.ok('event' in created);
  assert.equal(created.event.issue.number, 7);
  assert.equal(created.event.comment.body, '/backend-developer do it');
});

test('issue_comment without an event file is an error, not a skip', { timeout: 10_000 }, () => {
  assert.throws(() => readCommentEvent({ GITHUB_EVENT_NAME: 'issue_comment' }), /GITHUB_EVENT_PATH is not set/);
});
