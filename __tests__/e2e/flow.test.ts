// The GitHub flow end to end through dist/index.js: each test asserts on the stand-ins' state and the bare origin.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, REPO, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import { readBranch, listBranches } from '../../test-support/git.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Runs that reach the agent set up its bubblewrap sandbox (sandbox auto); the ones that end before it need nothing.
const sandboxed = requireTools('bwrap');

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
const say = (text: string): Turn => ({ content: [{ type: 'text', text }] });
const status = (s: string, summary: string, extra = ''): Turn =>
  say(`Done.\n\nSTATUS: ${s}\nSUMMARY: ${summary}\nFILES: x\n${extra}`);

function statusComments(s: Scenario, n?: number) {
  return s.gh.state.comments.filter((c) => /^STATUS: /m.test(c.body) && (n === undefined || c.issueNumber === n));
}

test(
  'BLOCKED: the work is pushed, the PR is a draft, the check fails and so does the step',
  { skip: sandboxed.skip },
  async () => {
    const s = await scenario({
      script: [
        write('docs/plan.md', '# plan\n'),
        status('BLOCKED', 'Planned the change; need DB credentials', 'BLOCKER: no DATABASE_URL for the migration'),
      ],
    });
    const run = await s.run(s.comment({ body: '/backend-developer add a users table' }));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::BLOCKED: no DATABASE_URL for the migration/);
    const pushed = await readBranch(s.origin, run.outputs['branch']!);
    assert.equal(pushed?.files['docs/plan.md'], '# plan\n');
    const pr = s.gh.state.pulls[0]!;
    assert.equal(pr.pull!.draft, true);
    assert.equal(s.gh.state.checkRuns[0]!.conclusion, 'failure');
    assert.equal(run.outputs['status'], 'BLOCKED');
    assert.equal(run.outputs['blocker'], 'no DATABASE_URL for the migration');
    assert.equal(statusComments(s, pr.number).length, 1);
    s.gh.assertNoViolations();
  },
);

test(
  'WAITING asks a question; the answer resumes on the same branch with the question in context, no second PR',
  { skip: sandboxed.skip },
  async () => {
    const s = await scenario({
      script: [
        write('db/schema.sql', '-- tbd\n'),
        status(
          'WAITING',
          'Drafted the schema; need a database choice',
          'BLOCKER: Should this use PostgreSQL or SQLite?',
        ),
        {
          content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'db/schema.sql' } }],
          expect: (req) => {
            const first = JSON.stringify(req.messages[0]);
            assert.match(first, /Should this use PostgreSQL or SQLite\?/, 'the earlier question is in the thread');
            assert.match(first, /use SQLite/, 'the answer is the task');
          },
        },
        write('db/schema.sql', 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n'),
        status('COMPLETE', 'Added the users table for SQLite'),
      ],
    });
    const first = await s.run(s.comment({ body: '/backend-developer add a users table' }));
    assert.equal(first.code, 0, 'WAITING is not in fail-on');
    assert.equal(first.outputs['status'], 'WAITING');
    const pr = s.gh.state.pulls[0]!;
    const question = statusComments(s, pr.number)[0]!;
    assert.match(question.body, /waiting for an answer:\*\* Should this use PostgreSQL or SQLite\?/);
    assert.equal(s.gh.state.checkRuns[0]!.conclusion, 'neutral');
    assert.equal(pr.pull!.draft, true, 'WAITING opens a draft');
    const branch = first.outputs['branch']!;
    const before = await readBranch(s.origin, branch);

    const second = await s.run(s.comment({ body: '/backend-developer use SQLite' }));
    assert.equal(second.code, 0, second.stdout);
    assert.equal(second.outputs['branch'], branch);
    assert.equal(second.outputs['status'], 'COMPLETE');
    const after = await readBranch(s.origin, branch);
    assert.equal(after!.log.length, before!.log.length + 1, 'one new commit on the same branch');
    assert.match(after!.files['db/schema.sql']!, /CREATE TABLE users/);
    assert.equal(s.gh.state.pulls.length, 1, 'no second PR');
    assert.equal(pr.pull!.draft, false, 'the draft opened while WAITING is marked ready once COMPLETE');
    assert.ok(s.gh.requests.some((r) => r.operationId === 'graphql' && r.status === 200));
    s.gh.assertNoViolations();
    assert.equal(s.anthropic.remaining(), 0);
    s.anthropic.assertNoViolations();
  },
);

test('a follow-up comment on the PR commits to the PR head; no second PR', { skip: sandboxed.skip }, async () => {
  const s = await scenario({
    script: [
      write('a.txt', 'one\n'),
      status('COMPLETE', 'first'),
      write('b.txt', 'two\n'),
      status('COMPLETE', 'second'),
    ],
  });
  const first = await s.run(s.comment({ body: '/backend-developer start' }));
  const pr = s.gh.state.pulls[0]!;
  const branch = first.outputs['branch']!;
  const second = await s.run(s.comment({ body: '/backend-developer also add b.txt', issue: pr.number }));
  assert.equal(second.code, 0, second.stdout);
  assert.equal(second.outputs['branch'], branch);
  assert.equal(second.outputs['pr-number'], String(pr.number));
  const head = await readBranch(s.origin, branch);
  assert.equal(head!.files['b.txt'], 'two\n');
  assert.equal(head!.files['a.txt'], 'one\n');
  assert.equal(s.gh.state.pulls.length, 1);
  assert.equal(s.gh.state.checkRuns.at(-1)!.headSha, head!.sha);
  assert.equal(statusComments(s, pr.number).length, 2, 'one STATUS comment per command');
});

test(
  'a re-run of the same event creates no second PR and no second STATUS comment',
  { skip: sandboxed.skip },
  async () => {
    const s = await scenario({
      script: [
        write('a.txt', 'one\n'),
        status('COMPLETE', 'first'),
        write('a.txt', 'one\n'),
        status('COMPLETE', 'first again'),
      ],
    });
    const event = s.comment({ body: '/backend-developer start' });
    const first = await s.run(event);
    const again = await s.run(event);
    assert.equal(first.code, 0);
    assert.equal(again.code, 0, again.stdout);
    assert.equal(s.gh.state.pulls.length, 1);
    const pr = s.gh.state.pulls[0]!;
    assert.equal(statusComments(s, pr.number).length, 1, 'the STATUS comment was updated, not duplicated');
    assert.equal(statusComments(s, pr.number)[0]!.body.includes('first again'), true);
    const progress = s.gh.state.comments.filter((c) => c.issueNumber === s.issueNumber && c.body.includes('progress='));
    assert.equal(progress.length, 1);
    assert.equal(s.gh.state.reactions.length, 1);
  },
);

test('a PR from a fork is BLOCKED with an explanation; no model call, nothing pushed', async () => {
  const s = await scenario({ script: [] });
  const pr = s.gh.addPull(REPO, { head: 'feature', title: 'Fork PR', login: 'mallory', headRepo: 'mallory/todo-api' });
  const branches = await listBranches(s.origin);
  const run = await s.run(s.comment({ body: '/backend-developer fix it', issue: pr.number }));
  assert.equal(run.code, 1);
  assert.equal(run.outputs['status'], 'BLOCKED');
  assert.match(run.outputs['blocker']!, /mallory\/todo-api.*never pushes to forks/);
  assert.equal(s.anthropic.requests.length, 0);
  assert.deepEqual(await listBranches(s.origin), branches);
  assert.equal(statusComments(s, pr.number).length, 1);
});

test('nothing changed: no commit, no PR, the STATUS comment lands on the issue', { skip: sandboxed.skip }, async () => {
  const s = await scenario({
    script: [
      { content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'README.md' } }] },
      status('COMPLETE', 'The README already documents this'),
    ],
  });
  const branches = await listBranches(s.origin);
  const run = await s.run(s.comment({ body: '/backend-developer check the README' }));
  assert.equal(run.code, 0);
  assert.equal(s.gh.state.pulls.length, 0);
  assert.deepEqual(await listBranches(s.origin), branches);
  assert.equal(run.outputs['files'], '');
  const c = statusComments(s, s.issueNumber);
  assert.equal(c.length, 1);
  assert.match(c[0]!.body, /Nothing changed/);
  assert.equal(run.outputs['pr-number'], '');
});

test(
  'verify-command failing turns COMPLETE into ERROR with the output tail; the work is still pushed',
  { skip: sandboxed.skip },
  async () => {
    const s = await scenario({
      script: [
        write(
          'test/broken.test.js',
          "import { test } from 'node:test';\ntest('x', () => { throw new Error('boom-123'); });\n",
        ),
        status('COMPLETE', 'Added a test'),
      ],
    });
    const run = await s.run(s.comment({ body: '/backend-developer add a test' }), { 'verify-command': 'node --test' });
    assert.equal(run.code, 1);
    assert.equal(run.outputs['status'], 'ERROR');
    assert.match(run.outputs['blocker']!, /verify-command `node --test` failed \(exit 1\)/);
    const pr = s.gh.state.pulls[0]!;
    const c = statusComments(s, pr.number)[0]!;
    assert.match(c.body, /verify-command output/);
    assert.match(c.body, /boom-123/);
    assert.equal(
      (await readBranch(s.origin, run.outputs['branch']!))!.files['test/broken.test.js']?.includes('boom-123'),
      true,
    );
  },
);

test('a budget ends the run with ERROR naming it; the work so far is pushed', { skip: sandboxed.skip }, async () => {
  let i = 0;
  const s = await scenario({ script: () => write(`notes/${i++}.md`, `step ${i}\n`) });
  const run = await s.run(s.comment({ body: '/backend-developer loop forever' }), { 'max-turns': '3' });
  assert.equal(run.code, 1);
  assert.equal(run.outputs['status'], 'ERROR');
  assert.equal(run.outputs['blocker'], 'budget: max-turns (3) reached');
  assert.equal(run.outputs['turns'], '3');
  const pushed = await readBranch(s.origin, run.outputs['branch']!);
  assert.deepEqual(
    Object.keys(pushed!.files)
      .filter((f) => f.startsWith('notes/'))
      .sort(),
    ['notes/0.md', 'notes/1.md', 'notes/2.md'],
  );
  assert.equal(s.gh.state.checkRuns[0]!.conclusion, 'failure');
});

test(
  'SIGTERM mid-run: the work is pushed and ERROR is reported within the grace period',
  { skip: sandboxed.skip },
  async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    let killedAt = 0;
    const s = await scenario({
      script: [
        write('partial.txt', 'half done\n'),
        {
          ...bash('sleep 30'),
          expect: () => {
            // The turn that starts the long Bash: cancel the job shortly after it begins.
            setTimeout(() => {
              killedAt = Date.now();
              child!.kill('SIGTERM');
            }, 400);
          },
        },
      ],
    });
    const run = await s.run(s.comment({ body: '/backend-developer long task' }), {}, { onStart: (c) => (child = c) });
    const took = Date.now() - killedAt;
    assert.ok(took < 5000, `finished ${took} ms after SIGTERM`);
    assert.notEqual(run.code, 0);
    assert.equal(run.outputs['status'], 'ERROR');
    assert.match(run.outputs['blocker']!, /cancelled.*SIGTERM/);
    const pushed = await readBranch(s.origin, run.outputs['branch']!);
    assert.equal(pushed?.files['partial.txt'], 'half done\n');
    assert.ok(statusComments(s).some((c) => /STATUS: ERROR/.test(c.body)));
  },
);

test('an agent file that cannot be a command: the commenter is told the file, line and fix; ERROR; no model call', async () => {
  const s = await scenario({
    files: {
      ...SERVICE_FILES,
      // A name with a space is no command; filed under its slug, it shadows the built-in rather than run it instead.
      '.claude/agents/backend-developer.md': '---\ndescription: d\nname: backend developer\n---\nDo things.\n',
    },
    script: [],
  });
  const run = await s.run(s.comment({ body: '/backend-developer do it' }));
  assert.equal(run.code, 1);
  assert.equal(run.outputs['status'], 'ERROR');
  assert.equal(s.anthropic.requests.length, 0);
  const reply = statusComments(s, s.issueNumber)[0];
  assert.ok(reply, 'a reply on the issue');
  assert.match(reply.body, /\.claude\/agents\/backend-developer\.md:3: field "name" is "backend developer"/);
  assert.match(reply.body, /Use e\.g\. "name: backend-developer"/);
});

test('an empty workspace is cloned with the token, and the run proceeds', { skip: sandboxed.skip }, async () => {
  const { readdir, rm } = await import('node:fs/promises');
  const s = await scenario({ script: [write('x.txt', 'x\n'), status('COMPLETE', 'added x')] });
  for (const f of await readdir(s.workspace)) await rm(`${s.workspace}/${f}`, { recursive: true, force: true });
  const run = await s.run(s.comment({ body: '/backend-developer add x' }));
  assert.equal(run.code, 0, run.stdout);
  assert.equal((await readBranch(s.origin, run.outputs['branch']!))!.files['x.txt'], 'x\n');
  assert.ok(
    s.http.authorizations.length > 0 && s.http.authorizations.every((a) => a?.startsWith('basic ')),
    'every git request carried the token header',
  );
});

test('an unexpected API failure after the acknowledgement still ends in an ERROR report, not a stale progress comment', async () => {
  const s = await scenario({ script: [] });
  const pr = s.gh.addPull(REPO, { head: 'main', base: 'main', title: 'Same-repo PR', login: 'alice' });
  s.gh.inject({ operationId: 'pulls/get', status: 404, times: 1 });
  const run = await s.run(s.comment({ body: '/backend-developer fix', issue: pr.number }));
  assert.equal(run.code, 1);
  assert.equal(run.outputs['status'], 'ERROR');
  const report = s.gh.state.comments.find((c) => c.body.includes('progress=') && /STATUS: ERROR/.test(c.body));
  assert.ok(report, 'the progress comment became the ERROR report');
  assert.match(report.body, /failed unexpectedly/);
  assert.ok(!/\n\s+at /.test(run.stdout), 'no stack trace in the log');
});

test(
  "the built-in agent's reference docs are readable (read-only) outside the workspace; the model input overrides the file's",
  { skip: sandboxed.skip },
  async () => {
    const path = await import('node:path');
    const doc = path.resolve(import.meta.dirname, '../../dist/agents/backend-developer/API-STANDARDS.md');
    const s = await scenario({
      script: [
        {
          content: [{ type: 'tool_use', name: 'Read', input: { file_path: doc } }],
          expect: (req) => {
            assert.equal(req.model, 'claude-opus-5-5');
            assert.ok(JSON.stringify(req.system).includes(doc), 'the system prompt names the reference doc');
            assert.ok(
              !JSON.stringify(req).includes('### Pagination, filtering'),
              'reference docs are not pasted into the prompt',
            );
          },
        },
        {
          content: [{ type: 'tool_use', name: 'Write', input: { file_path: doc, content: 'overwritten' } }],
          expect: (req) => {
            const r = (req.messages.at(-1)!.content as { is_error?: boolean; content: string }[])[0]!;
            assert.ok(!r.is_error, r.content);
            assert.match(r.content, /API/);
          },
        },
        {
          ...status('COMPLETE', 'read the standards'),
          expect: (req) => {
            const r = (req.messages.at(-1)!.content as { is_error?: boolean; content: string }[])[0]!;
            assert.equal(r.is_error, true, 'Write outside the workspace is refused');
          },
        },
      ],
    });
    const run = await s.run(s.comment({ body: '/backend-developer read the standards' }), { model: 'opus' });
    assert.equal(run.code, 0, run.stdout);
    s.anthropic.assertNoViolations();
    const { readFile } = await import('node:fs/promises');
    assert.notEqual(await readFile(doc, 'utf8'), 'overwritten');
  },
);

test('an unknown model alias is a clear ERROR listing the known ones; no model call', async () => {
  const s = await scenario({ script: [] });
  const run = await s.run(s.comment({ body: '/backend-developer hi' }), { model: 'gpt-9' });
  assert.equal(run.code, 1);
  assert.equal(s.anthropic.requests.length, 0);
  assert.match(run.outputs['blocker']!, /gpt-9/);
  assert.match(run.outputs['blocker']!, /sonnet/);
  assert.match(run.outputs['blocker']!, /opus/);
});

test(
  'workflow files written through Bash are discarded unless allow-workflow-changes; other work is kept',
  { skip: sandboxed.skip },
  async () => {
    const script = () => [
      bash(
        'mkdir -p .github/workflows && printf "on: push\\n" > .github/workflows/evil.yml && printf "ok\\n" > kept.txt',
      ),
      status('COMPLETE', 'wrote files'),
    ];
    const s = await scenario({ script: script() });
    const run = await s.run(s.comment({ body: '/backend-developer go' }));
    assert.equal(run.code, 0, run.stdout);
    const pushed = await readBranch(s.origin, run.outputs['branch']!);
    assert.equal(pushed!.files['kept.txt'], 'ok\n');
    assert.equal(pushed!.files['.github/workflows/evil.yml'], undefined);
    assert.equal(run.outputs['files'], 'kept.txt');
    assert.ok(statusComments(s).some((c) => /evil\.yml were discarded: set allow-workflow-changes: true/.test(c.body)));

    const allowed = await scenario({ script: script() });
    const run2 = await allowed.run(allowed.comment({ body: '/backend-developer go' }), {
      'allow-workflow-changes': 'true',
    });
    const pushed2 = await readBranch(allowed.origin, run2.outputs['branch']!);
    assert.equal(pushed2!.files['.github/workflows/evil.yml'], 'on: push\n');
  },
);

test('verify-command runs even for an agent without Bash', { skip: sandboxed.skip }, async () => {
  const s = await scenario({
    files: {
      ...SERVICE_FILES,
      '.claude/agents/reviewer.md':
        '---\nname: reviewer\ndescription: edits only\ntools: Read, Write\n---\nYou edit files.\n',
    },
    script: [write('note.txt', 'n\n'), status('COMPLETE', 'noted')],
  });
  const run = await s.run(s.comment({ body: '/reviewer note it' }), {
    'verify-command': 'test -f note.txt && echo verified-ok && exit 3',
  });
  assert.equal(run.outputs['status'], 'ERROR');
  assert.match(run.outputs['blocker']!, /failed \(exit 3\)/);
  assert.ok(statusComments(s).some((c) => c.body.includes('verified-ok')));
  assert.equal((await readBranch(s.origin, run.outputs['branch']!))!.files['note.txt'], 'n\n');
});

test('a near miss of an agent name gets a "did you mean" reply (ERROR); other slash commands are left alone', async () => {
  const s = await scenario({ script: [] });
  const run = await s.run(s.comment({ body: '/backend-develper add a route' }));
  assert.equal(run.code, 1);
  assert.equal(run.outputs['status'], 'ERROR');
  assert.match(run.outputs['blocker']!, /No agent named "\/backend-develper"\. Did you mean \/backend-developer\?/);
  assert.ok(statusComments(s, s.issueNumber).some((c) => c.body.includes('Did you mean /backend-developer?')));
  const before = s.gh.requests.length;
  const other = await s.run(s.comment({ body: '/lgtm' }));
  assert.equal(other.code, 0);
  assert.equal(other.outputs['skipped'], 'true');
  assert.equal(s.gh.requests.length, before, 'no API call for a command of another tool');
  assert.equal(s.anthropic.requests.length, 0);
});

test('create-pr: false pushes the branch and opens no pull request', { skip: sandboxed.skip }, async () => {
  const s = await scenario({ script: [write('y.txt', 'y\n'), status('COMPLETE', 'added y')] });
  const run = await s.run(s.comment({ body: '/backend-developer add y' }), { 'create-pr': 'false' });
  assert.equal(run.code, 0, run.stdout);
  assert.equal(s.gh.state.pulls.length, 0);
  assert.equal((await readBranch(s.origin, run.outputs['branch']!))!.files['y.txt'], 'y\n');
  assert.equal(run.outputs['pr-number'], '');
  assert.ok(statusComments(s, s.issueNumber).some((c) => /STATUS: COMPLETE/.test(c.body)));
});
