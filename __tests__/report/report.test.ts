import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor } from '../../src/redact.ts';
import { renderStatusComment, fenced } from '../../src/report/status-comment.ts';
import { Progress } from '../../src/report/progress.ts';

const figures = {
  turns: 3,
  toolCalls: { Read: 2, Bash: 1 },
  usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 300, cache_creation_input_tokens: 40 },
  costUsd: 0.0123,
  durationMs: 65_000,
};

test('redactor masks the value, its base64, the extraheader form and URL encoding', () => {
  const token = 'ghs_TOKEN+with/chars';
  const r = createRedactor([token, '']);
  const header = Buffer.from(`x-access-token:${token}`).toString('base64');
  const text = `a ${token} b ${Buffer.from(token).toString('base64')} c ${header} d ${encodeURIComponent(token)}`;
  const out = r(text);
  assert.equal(out, 'a *** b *** c *** d ***');
  assert.equal(createRedactor([])('plain'), 'plain');
});

test('fenced() outgrows any backtick run in the text', () => {
  const f = fenced('before ```` after');
  assert.ok(f.startsWith('`````\n'));
  assert.ok(f.endsWith('\n`````'));
});

test('STATUS comment holds the block verbatim, linked files and the figures', () => {
  const body = renderStatusComment({
    agent: 'backend-developer',
    status: { status: 'COMPLETE', summary: 'Added /health', files: ['src/a b.ts'], next: 'Deploy' },
    fileUrl: (f) => `https://github.com/o/r/blob/x/${encodeURIComponent(f)}`,
    figures,
    runUrl: 'https://github.com/o/r/actions/runs/1',
    prUrl: 'https://github.com/o/r/pull/2',
  });
  assert.match(body, /```\nSTATUS: COMPLETE\nSUMMARY: Added \/health\nFILES: src\/a b\.ts\nNEXT: Deploy\n```/);
  assert.match(body, /\[src\/a b\.ts\]\(https:\/\/github\.com\/o\/r\/blob\/x\/src%2Fa%20b\.ts\)/);
  assert.match(
    body,
    /3 turns · tools: Read 2, Bash 1 · tokens: 10 in, 20 out, 300 cache read, 40 cache write · \$0\.0123 · 1 min 5 s/,
  );
  assert.match(body, /Pull request: https:\/\/github\.com\/o\/r\/pull\/2/);
});

test('WAITING puts the question first and says how to answer', () => {
  const body = renderStatusComment({
    agent: 'backend-developer',
    status: { status: 'WAITING', summary: 'Need a decision', files: [], blocker: 'Postgres or SQLite?' },
    fileUrl: (f) => f,
    figures,
    runUrl: 'u',
    branch: 'backend-developer/3-db',
  });
  assert.match(body, /> \*\*The agent is waiting for an answer:\*\* Postgres or SQLite\?/);
  assert.match(body, /Reply with `\/backend-developer <your answer>` to continue on `backend-developer\/3-db`/);
});

test('Progress publishes a checklist, throttled, and flushes the final body', async () => {
  const published: string[] = [];
  const p = new Progress(
    'head',
    (b) => {
      published.push(b);
      return Promise.resolve();
    },
    60_000,
  );
  await p.flush();
  p.phase('one');
  p.tool('Read', 'src/x.ts');
  p.phase('two');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(published.length, 1, 'updates inside the interval are held back');
  await p.flush();
  assert.equal(published.length, 2);
  assert.match(published[1]!, /- \[x\] one\n- \[ \] two/);
  assert.match(published[1]!, /Tools used: Read ×1/);
  await p.flush('final');
  assert.equal(published.at(-1), 'final');
});

test('footer lines sit in the small print, above the figures, one each', () => {
  const body = renderStatusComment({
    agent: 'a',
    status: { status: 'COMPLETE', summary: 's', files: [] },
    fileUrl: (f) => f,
    figures,
    runUrl: 'u',
    footer: ['not available here: WebSearch', 'delegated: context-manager (2 turns, $0.0010)'],
  });
  const lines = body.split('\n');
  const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  assert.equal(lines[at(/not available/)], '<sub>not available here: WebSearch</sub><br>');
  assert.equal(at(/delegated/), at(/not available/) + 1);
  assert.equal(at(/3 turns/), at(/delegated/) + 1);
});
