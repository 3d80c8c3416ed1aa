// Redaction: the token sits in a file committed to the repository. The tools mask it before the model sees it;
// and when the model produces it anyway (here: the scripted model writes the literal value, its base64 and the
// extraheader form into its SUMMARY and NEXT), comments, PR, check run, summary, outputs, logs and the
// transcript show it masked.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createScenario, API_KEY, GITHUB_TOKEN, type Scenario } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import { assertNoLeak, assertNoSecretIn, assertPushed, bash, resultOf, toolResults, toolUse } from './assertions.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// The action runs with its sandbox on: bubblewrap, and socat for the proxied network of the default settings.
// Without them each test is skipped with one line naming the package; under CI=true they fail instead.
const { test, before, after } = requireTools('bwrap', 'socat');

const b64 = (v: string) => Buffer.from(v).toString('base64');
let s: Scenario;
let run: ActionRun;
const read = toolUse('Read', { file_path: 'config/deploy.env' });
const grep = toolUse('Grep', { pattern: 'DEPLOY_TOKEN', output_mode: 'content' });
const cat = bash(
  `cat config/deploy.env; base64 -w0 config/deploy.env; echo; printf 'x-access-token:%s' "$(sed -n 's/^DEPLOY_TOKEN=//p' config/deploy.env)" | base64 -w0`,
);

before(async () => {
  s = await createScenario({
    script: [
      { content: [read, grep, cat] },
      // The file itself holds no secret: one that did would stop the commit at the secret gate (secret-gate.test.ts),
      // and this run must push so the check run and the PR can be checked too.
      { content: [toolUse('Write', { file_path: 'NOTES.md', content: 'token: see config/deploy.env\n' })] },
      {
        content: [
          {
            type: 'text',
            text:
              `The deploy token is ${GITHUB_TOKEN} (base64 ${b64(GITHUB_TOKEN)}, header ${b64(`x-access-token:${GITHUB_TOKEN}`)}, key ${API_KEY}).\n\n` +
              `STATUS: COMPLETE\nSUMMARY: Found the token ${GITHUB_TOKEN} and the key ${API_KEY}\nFILES: NOTES.md\nNEXT: Rotate ${b64(`x-access-token:${GITHUB_TOKEN}`)} and ${encodeURIComponent(GITHUB_TOKEN)}`,
          },
        ],
      },
    ],
    files: { ...SERVICE_FILES, 'config/deploy.env': `DEPLOY_TOKEN=${GITHUB_TOKEN}\nREGION=eu\n` },
  });
  run = await s.run(s.comment({ body: '/backend-developer find the deploy token' }));
});
after(() => s?.close());

test('the run completed and pushed', async () => {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  await assertPushed(run, s);
});

test('tool results that would carry the token (Read, Grep, Bash cat/base64) reach the model masked', () => {
  for (const b of [read, grep, cat]) {
    const r = resultOf(s.anthropic.requests, b.id);
    assertNoSecretIn(`${b.name} result`, r.text);
    assert.match(r.text, /\*\*\*/, `${b.name}: the value is masked, not missing`);
  }
  for (const [id, r] of toolResults(s.anthropic.requests)) assertNoSecretIn(`tool result ${id}`, r.text);
});

test('a secret the model produces anyway is masked in comments, PR, summary, outputs, logs and transcript', async () => {
  // The model's own turns echo back in later requests, so only tool results are checked there (test above).
  await assertNoLeak(run, s, { fromRequest: s.anthropic.requests.length, skipCheckRuns: true });
  assert.match(run.outputs['summary'] ?? '', /Found the token \*\*\* and the key \*\*\*/);
  const status = s.gh.state.comments.find((c) => c.body.includes('STATUS: COMPLETE'));
  assert.ok(status);
  assert.match(status.body, /\*\*\*/);
  assert.doesNotMatch(await readFile(run.outputs['transcript']!, 'utf8'), new RegExp(GITHUB_TOKEN));
});

// FAILS until src/main.ts redacts the check run's title: `title: redact(`${status.status}: ${status.summary}`).slice(0, 200)`.
test('a secret the model produces anyway is masked in the check run (title and summary) [needs the main.ts fix]', () => {
  assert.ok(s.gh.state.checkRuns.length > 0);
  for (const c of s.gh.state.checkRuns) assertNoSecretIn(`check run ${c.id}`, JSON.stringify(c));
});
