// The secret gate through dist/: the scripted model writes a secret into the repository — one the run holds (the
// GitHub token, the API key) in an encoding the redactor does not know, or one secretlint recognises — and the action
// must commit nothing, push nothing (asserted on the bare origin), report BLOCKED naming file, line and rule but not
// the value, and fail the step. An ordinary change still goes through.
import { requireTools } from '../../test-support/system-tools.ts';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createScenario, API_KEY, GITHUB_TOKEN, type Scenario } from '../../test-support/scenario.ts';
import { healthTurns, SERVICE_FILES } from '../../test-support/health-scenario.ts';
import { git, listBranches, readBranch } from '../../test-support/git.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import type { Turn } from '../../test-support/anthropic-server.ts';
import { assertNoLeak, assertPushed, bash, toolUse } from './assertions.ts';

const { test } = requireTools('bwrap', 'socat');

const b64 = (v: string) => Buffer.from(v).toString('base64');
const hex = (v: string) => Buffer.from(v).toString('hex');
/** A key the run does not hold: only secretlint's private-key rule can tell it is one. */
const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const TIMEOUT = { timeout: 180_000 };

function done(summary: string, files: string): Turn {
  return {
    content: [{ type: 'text', text: `Done.\n\nSTATUS: COMPLETE\nSUMMARY: ${summary}\nFILES: ${files}\nNEXT: Nothing` }],
  };
}

interface Gated {
  s: Scenario;
  run: ActionRun;
  /** The origin's main before the run, to prove nothing moved. */
  mainBefore: string;
}

async function gatedRun(
  script: Turn[],
  inputs: Record<string, string> = {},
  files: Record<string, string> = {},
): Promise<Gated> {
  const s = await createScenario({ script, files: { ...SERVICE_FILES, ...files } });
  const mainBefore = (await git(s.origin.bareDir, ['rev-parse', 'refs/heads/main'])).trim();
  const run = await s.run(s.comment({ body: '/backend-developer add the deploy config' }), inputs);
  return { s, run, mainBefore };
}

/** BLOCKED, nothing on the origin but the untouched main, no pull request; returns the STATUS comment. */
async function assertBlockedNothingPushed({ s, run, mainBefore }: Gated): Promise<string> {
  assert.equal(run.outputs['status'], 'BLOCKED', run.stdout.slice(-4000));
  assert.deepEqual(await listBranches(s.origin), ['main'], 'no branch was pushed');
  assert.equal((await git(s.origin.bareDir, ['rev-parse', 'refs/heads/main'])).trim(), mainBefore);
  assert.equal(s.gh.state.pulls.length, 0, 'no pull request');
  const status = s.gh.state.comments.find((c) => c.body.includes('STATUS: BLOCKED'));
  assert.ok(status, 'a STATUS comment was posted');
  assert.match(
    status.body,
    /The secret gate found \d+ likely secrets? in the changes, so nothing was committed or pushed/,
  );
  assert.match(status.body, /Not committed: \d+ files? changed, \+\d+ −\d+ lines, left in the runner's workspace/);
  assert.match(run.summary, /Not committed: /, 'the job summary lists the files left behind');
  assert.match(run.stdout, /Secret gate: \d+ files, \d+ added bytes searched for \d+ known secrets/);
  return status.body;
}

/** None of `values` (nor a 12-character piece of one) in comments, PR bodies, check runs, the summary or the outputs. */
function assertAbsent(s: Scenario, run: ActionRun, values: readonly string[]): void {
  const places: Array<[string, string]> = [
    ...s.gh.state.comments.map((c): [string, string] => [`comment ${c.id}`, c.body]),
    ...s.gh.state.checkRuns.map((c): [string, string] => [`check run ${c.id}`, JSON.stringify(c)]),
    ['job summary', run.summary],
    ['outputs', JSON.stringify(run.outputs)],
  ];
  for (const v of values) {
    for (let i = 0; i + 12 <= v.length; i += 6) {
      const piece = v.slice(i, i + 12);
      for (const [where, text] of places) assert.ok(!text.includes(piece), `${where} holds part of a secret (${i})`);
    }
  }
}

test(
  'the GitHub token, base64-encoded into a tracked file: BLOCKED, nothing pushed, the step fails, the value nowhere',
  TIMEOUT,
  async () => {
    const g = await gatedRun([
      // Edit needs a Read of the file first, as in Claude Code.
      { content: [toolUse('Read', { file_path: 'src/server.js' })] },
      {
        content: [
          toolUse('Edit', {
            file_path: 'src/server.js',
            old_string: "const todos = [{ id: 1, title: 'write the README', done: false }];\n",
            new_string: `const todos = [{ id: 1, title: 'write the README', done: false }];\nconst DEPLOY = '${b64(`deploy:${GITHUB_TOKEN}`)}';\n`,
          }),
        ],
      },
      done('Added the deploy config', 'src/server.js'),
    ]);
    try {
      const body = await assertBlockedNothingPushed(g);
      assert.equal(g.run.code, 1, 'fail-on includes BLOCKED by default: the step fails');
      assert.match(body, /src\/server\.js:4: known secret \(base64\)/);
      assert.match(g.run.stdout, /::error::BLOCKED: The secret gate found 1 likely secret/);
      await assertNoLeak(g.run, g.s, { fromRequest: g.s.anthropic.requests.length });
      assertAbsent(g.s, g.run, [GITHUB_TOKEN, b64(`deploy:${GITHUB_TOKEN}`)]);
    } finally {
      await g.s.close();
    }
  },
);

test('the API key hex-encoded into a new file: BLOCKED, the hex is not in the report', TIMEOUT, async () => {
  const g = await gatedRun([
    {
      content: [
        toolUse('Write', {
          file_path: 'config/keys.json',
          content: `{\n  "region": "eu",\n  "key": "${hex(API_KEY).toUpperCase()}"\n}\n`,
        }),
      ],
    },
    done('Added the key file', 'config/keys.json'),
  ]);
  try {
    const body = await assertBlockedNothingPushed(g);
    assert.match(body, /config\/keys\.json:3: known secret \(hex\)/);
    assertAbsent(g.s, g.run, [hex(API_KEY), hex(API_KEY).toUpperCase(), API_KEY]);
  } finally {
    await g.s.close();
  }
});

test(
  'a private key block the run does not know: BLOCKED by secretlint, the key body is not in the report',
  TIMEOUT,
  async () => {
    const g = await gatedRun([
      { content: [toolUse('Write', { file_path: 'deploy/id_rsa', content: PEM })] },
      { content: [toolUse('Write', { file_path: 'deploy/README.md', content: '# deploy\n' })] },
      done('Added the deploy key', 'deploy/id_rsa, deploy/README.md'),
    ]);
    try {
      const body = await assertBlockedNothingPushed(g);
      assert.match(body, /deploy\/id_rsa:1: secretlint privatekey \(PrivateKey\)/);
      assert.match(body, /Not committed: 2 files changed, \+\d+ −0 lines.*deploy\/README\.md \(\+1 −0\)/);
      assertAbsent(
        g.s,
        g.run,
        PEM.split('\n').filter((l) => l.length > 20),
      );
    } finally {
      await g.s.close();
    }
  },
);

// With the sandbox on, .git is read-only to Bash: only an unsandboxed agent can commit by itself.
test(
  "sandbox off: the agent's own commit held the key, a later one took it out: still BLOCKED, nothing pushed",
  TIMEOUT,
  async () => {
    const commit = 'git -c user.name=a -c user.email=a@example.com commit -q';
    const g = await gatedRun(
      [
        { content: [toolUse('Write', { file_path: 'notes.txt', content: `key=${API_KEY}\n` })] },
        {
          content: [
            bash(
              `git add -A && ${commit}m wip && printf 'nothing\\n' > notes.txt && ${commit}am clean && git log --oneline | head -3`,
            ),
          ],
        },
        done('Added notes', 'notes.txt'),
      ],
      { sandbox: 'off' },
    );
    try {
      const body = await assertBlockedNothingPushed(g);
      assert.match(body, /notes\.txt:1 in commit [0-9a-f]{7}: known secret \(raw\)/);
      await assertNoLeak(g.run, g.s, { fromRequest: g.s.anthropic.requests.length });
    } finally {
      await g.s.close();
    }
  },
);

test(
  'a file whose name is the token in hex: BLOCKED, and the name is withheld from the report and the outputs',
  TIMEOUT,
  async () => {
    // The hex comes from a file already in the repository, so no tool input (shown in the progress comment) carries it.
    const g = await gatedRun(
      [
        {
          content: [
            bash(
              'mkdir -p cache && echo "{}" > "cache/$(cat .cache-key).json" && echo "{}" > cache/index.json && ls cache | wc -l',
            ),
          ],
        },
        done('Added cache entries', 'cache/index.json'),
      ],
      {},
      { '.cache-key': `${hex(GITHUB_TOKEN)}\n` },
    );
    try {
      const body = await assertBlockedNothingPushed(g);
      assert.match(body, /\(a file whose name holds a secret\): 1 file name/);
      assert.match(body, /Not committed: 2 files changed.*\(a file whose name holds a secret\) \(\+1 −0\)/);
      assert.match(g.run.outputs['files'] ?? '', /^\(a file whose name holds a secret\),cache\/index\.json$/);
      assertAbsent(g.s, g.run, [hex(GITHUB_TOKEN)]);
    } finally {
      await g.s.close();
    }
  },
);

test('fail-on: ERROR: the step passes, but a BLOCKED gate still pushes nothing', TIMEOUT, async () => {
  const g = await gatedRun(
    [
      { content: [toolUse('Write', { file_path: 'ci/token.txt', content: `${b64(GITHUB_TOKEN)}\n` })] },
      done('Added the CI token', 'ci/token.txt'),
    ],
    { 'fail-on': 'ERROR' },
  );
  try {
    const body = await assertBlockedNothingPushed(g);
    assert.equal(g.run.code, 0, g.run.stdout.slice(-2000));
    assert.match(body, /ci\/token\.txt:1: known secret \(base64\)/);
  } finally {
    await g.s.close();
  }
});

test('an ordinary change: COMPLETE, committed and pushed; the gate ran and found nothing', TIMEOUT, async () => {
  const s = await createScenario({
    script: healthTurns(),
    files: { ...SERVICE_FILES, '.env.example': 'DATABASE_URL=postgres://user:password@localhost:5432/app\n' },
  });
  try {
    const run = await s.run(s.comment({ body: '/backend-developer add a health endpoint' }));
    assert.equal(run.code, 0, run.stdout.slice(-3000));
    assert.equal(run.outputs['status'], 'COMPLETE');
    await assertPushed(run, s, 'test/health.test.js');
    const pushed = await readBranch(s.origin, run.outputs['branch']!);
    assert.match(pushed!.files['src/server.js']!, /GET \/health/);
    assert.match(
      run.stdout,
      /Secret gate: 2 files, \d+ added bytes searched for 2 known secrets, \d+ read by the secretlint rules, 0 findings/,
    );
  } finally {
    await s.close();
  }
});
