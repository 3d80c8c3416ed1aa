// Repository states the agent can leave behind that used to make `git add`/`status`/`diff` fail after the run, so
// nothing was committed: nested repositories (empty, with commits, deep, a `.git` file pointing at the workspace's
// own .git, a gitlink staged in the index), a hostile `.gitmodules` (`update = !cmd`) over a nested repository or a
// real submodule, a FIFO over a tracked file, a `.GIT` folder git refuses to add. Through dist/index.js: every run
// ends with a STATUS, the other files reach the real origin, the report names what was left out, no gitlink is
// pushed, and no planted command ran.
import { requireTools } from '../../test-support/system-tools.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createScenario, type Scenario } from '../../test-support/scenario.ts';
import { createOrigin, git } from '../../test-support/git.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import {
  assertNoLeak,
  assertNoMarkers,
  bash,
  createFakeRunner,
  resultOf,
  statusTurn,
  toolUse,
  type FakeRunner,
  type ToolUseBlock,
} from './assertions.ts';

const { describe, test, before, after } = requireTools('bwrap', 'socat');

const TIMEOUT = { timeout: 240_000 };
const TODO = 'export const todo = (title) => ({ title, done: false });\n';

let fr: FakeRunner;
const scenarios: Scenario[] = [];

before(async () => {
  fr = await createFakeRunner();
});

after(async () => {
  for (const s of scenarios) await s.close();
  await fr?.close();
});

interface Outcome {
  s: Scenario;
  run: ActionRun;
  branch: string;
  /** The STATUS comment the run posted. */
  report: string;
}

/** One run on a fresh scenario: each turn's tool calls, then a COMPLETE status. */
async function agentRun(
  turns: ToolUseBlock[][],
  opts: { inputs?: Record<string, string>; setup?: (s: Scenario) => Promise<void> } = {},
): Promise<Outcome> {
  const s = await createScenario({ script: [] });
  scenarios.push(s);
  await opts.setup?.(s);
  s.anthropic.push(...turns.map((content) => ({ content })), statusTurn('COMPLETE', 'Added the todo module.'));
  const run = await s.run(s.comment({ body: '/backend-developer add a todo module' }), opts.inputs ?? {}, {
    env: fr.env,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.outputs['status'], 'COMPLETE', run.stdout.slice(-3000));
  assert.equal(s.anthropic.remaining(), 0);
  const report = s.gh.state.comments
    .map((c) => c.body)
    .filter((b) => /STATUS: COMPLETE/.test(b))
    .pop();
  assert.ok(report, `a STATUS comment was posted:\n${run.stdout.slice(-3000)}`);
  const branch = run.outputs['branch'];
  assert.ok(branch);
  await assertNoLeak(run, s);
  return { s, run, branch, report };
}

/** `path → mode` at the tip of the branch on the bare origin (gitlinks included). */
async function modesOn(o: Outcome, branch = o.branch): Promise<Record<string, string>> {
  const out = await git(o.s.origin.bareDir, ['ls-tree', '-r', '-z', `refs/heads/${branch}`]);
  const modes: Record<string, string> = {};
  for (const e of out.split('\0').filter(Boolean)) {
    const [meta, path] = e.split('\t');
    modes[path!] = meta!.split(' ')[0]!;
  }
  return modes;
}

async function fileOn(o: Outcome, path: string): Promise<string> {
  return git(o.s.origin.bareDir, ['show', `refs/heads/${o.branch}:${path}`]);
}

/** The work reached the origin as regular files, next to the untouched base; nothing under `left` did. */
async function assertSaved(o: Outcome, files: Record<string, string>, left: readonly string[]): Promise<void> {
  const modes = await modesOn(o);
  for (const [p, c] of Object.entries(files)) {
    assert.equal(modes[p], '100644', `${p} was pushed as a regular file; on origin: ${Object.keys(modes).join(', ')}`);
    assert.equal(await fileOn(o, p), c);
  }
  assert.ok(modes['src/server.js'], 'the base files are still there');
  for (const l of left) {
    // Left as the base branch has it: absent if new, the base's entry (file or gitlink) if tracked.
    const tree = (ref: string) => git(o.s.origin.bareDir, ['ls-tree', '-r', ref, '--', l]);
    assert.equal(await tree(`refs/heads/${o.branch}`), await tree('refs/heads/main'), `nothing of ${l} was committed`);
    const reasons =
      'is a nested git repository and was not committed|is a submodule: the action does not change submodule pointers|is not a regular file|has a name git refuses';
    const named = new RegExp(`${l.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (${reasons})`);
    assert.match(o.report, named, `the report names ${l}:\n${o.report}`);
  }
}

function hostileGitmodules(path: string, marker: string): string {
  return `[submodule "gen"]\n\tpath = ${path}\n\turl = https://github.com/acme/gen.git\n\tupdate = !touch ${marker}\n\tignore = none\n`;
}

/** Bash: a repository with one commit at `dir` (created inside the sandbox, with git's own identity flags). */
function nestedRepoCommand(dir: string, file = 'gen.sh'): string {
  return `(mkdir -p ${dir} && cd ${dir} && git init -q && echo 'echo gen' > ${file} && git add -A && git -c user.name=agent -c user.email=agent@example.com commit -q -m gen); echo rc=$?`;
}

describe('git states after the run (through dist, sandbox on unless noted)', { concurrency: 2 }, () => {
  test(
    "an empty nested repository and a .git file pointing at the workspace's own .git: skipped and named, the rest pushed",
    TIMEOUT,
    async () => {
      const init = bash(
        'git init -q tools/gen; echo rc=$?; ls tools/gen/.git/HEAD; touch .git/planted 2>&1; echo ws-git-rc=$?',
      );
      const self = bash(
        'mkdir -p tools/self && echo "gitdir: $PWD/.git" > tools/self/.git && echo s > tools/self/s.txt; echo rc=$?',
      );
      const o = await agentRun([
        [
          toolUse('Write', { file_path: 'src/todo.js', content: TODO }),
          toolUse('Write', { file_path: 'NOTES.md', content: '# notes\n' }),
        ],
        [init, self],
      ]);
      const r = resultOf(o.s.anthropic.requests, init.id).text;
      assert.match(r, /rc=0\s+tools\/gen\/\.git\/HEAD/, `a nested .git can be created inside the sandbox: ${r}`);
      assert.match(r, /Read-only file system[\s\S]*ws-git-rc=1/, `the workspace's own .git stays read-only: ${r}`);
      assert.match(resultOf(o.s.anthropic.requests, self.id).text, /rc=0/);
      await assertSaved(o, { 'src/todo.js': TODO, 'NOTES.md': '# notes\n' }, ['tools/gen', 'tools/self']);
    },
  );

  test(
    'a nested repository with commits deep in a new folder, with a filter in its own config: skipped, the filter never runs',
    TIMEOUT,
    async () => {
      const marker = fr.marker('nested-filter');
      const plant = bash(
        `${nestedRepoCommand('packages/gen/vendor/lib', 'index.js')}; cd packages/gen/vendor/lib && printf '* filter=evil\\n' > .gitattributes && ` +
          `git config filter.evil.clean 'touch ${marker}; cat' && git config filter.evil.required true && printf 'ONE\\n' > index.js; echo plant-rc=$?`,
      );
      const o = await agentRun([
        [toolUse('Write', { file_path: 'packages/gen/package.json', content: '{}\n' }), plant],
      ]);
      assert.match(resultOf(o.s.anthropic.requests, plant.id).text, /plant-rc=0/);
      await assertSaved(o, { 'packages/gen/package.json': '{}\n' }, ['packages/gen/vendor/lib']);
      assert.ok(!Object.values(await modesOn(o)).includes('160000'), 'no gitlink was pushed');
      assertNoMarkers([marker]);
    },
  );

  test(
    'a .gitmodules with update = !cmd naming a nested repository: committed as a plain file, nothing runs',
    TIMEOUT,
    async () => {
      const marker = fr.marker('gitmodules-update');
      const gitmodules = hostileGitmodules('tools/gen', marker);
      const nested = bash(nestedRepoCommand('tools/gen'));
      const o = await agentRun([
        [
          toolUse('Write', { file_path: '.gitmodules', content: gitmodules }),
          toolUse('Write', { file_path: 'src/todo.js', content: TODO }),
          nested,
        ],
      ]);
      assert.match(resultOf(o.s.anthropic.requests, nested.id).text, /rc=0/);
      await assertSaved(o, { '.gitmodules': gitmodules, 'src/todo.js': TODO }, ['tools/gen']);
      assertNoMarkers([marker]);
    },
  );

  test(
    'a hostile .gitmodules over a real submodule the agent re-created with another commit: the pointer stays, the rest is pushed',
    TIMEOUT,
    async () => {
      const marker = fr.marker('submodule-update');
      const gitmodules = hostileGitmodules('vendor/lib', marker);
      let libSha = '';
      const setup = async (s: Scenario): Promise<void> => {
        // The repository has a submodule (not checked out, as actions/checkout leaves it without `submodules:`).
        const lib = await createOrigin({ files: { 'lib.js': 'lib\n' } });
        libSha = (await git(lib.bareDir, ['rev-parse', 'main'])).trim();
        const dir = await mkdtemp(join(s.origin.root, 'with-submodule-'));
        await git(dir, ['clone', '-q', s.origin.bareDir, dir]);
        await git(dir, ['update-index', '--add', '--cacheinfo', `160000,${libSha},vendor/lib`]);
        await writeFile(
          join(dir, '.gitmodules'),
          '[submodule "lib"]\n\tpath = vendor/lib\n\turl = https://github.com/acme/lib.git\n',
        );
        await git(dir, ['add', '.gitmodules']);
        await git(dir, ['commit', '-q', '-m', 'Add a submodule']);
        await git(dir, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
        await rm(lib.root, { recursive: true, force: true });
      };
      const recreate = bash(nestedRepoCommand('vendor/lib', 'lib.js'));
      const write = toolUse('Write', { file_path: '.gitmodules', content: gitmodules });
      const o = await agentRun(
        [
          [toolUse('Read', { file_path: '.gitmodules' })],
          [write, toolUse('Write', { file_path: 'src/todo.js', content: TODO }), recreate],
        ],
        { setup },
      );
      assert.ok(!resultOf(o.s.anthropic.requests, write.id).isError);
      assert.match(resultOf(o.s.anthropic.requests, recreate.id).text, /rc=0/);
      await assertSaved(o, { '.gitmodules': gitmodules, 'src/todo.js': TODO }, ['vendor/lib']);
      assert.equal(
        (await git(o.s.origin.bareDir, ['rev-parse', `refs/heads/${o.branch}:vendor/lib`])).trim(),
        libSha,
        'the submodule pointer is unchanged',
      );
      assertNoMarkers([marker]);
    },
  );

  test(
    'a FIFO over a tracked file, a .GIT folder, and a file where .gitmodules names a submodule: the first two named, the file pushed',
    TIMEOUT,
    async () => {
      const marker = fr.marker('file-at-submodule-path');
      const gitmodules = hostileGitmodules('vendor/tool', marker);
      const fifo = bash('rm package.json && mkfifo package.json && mkdir -p .GIT && echo x > .GIT/config; echo rc=$?');
      const o = await agentRun([
        [
          fifo,
          toolUse('Write', { file_path: '.gitmodules', content: gitmodules }),
          toolUse('Write', { file_path: 'vendor/tool', content: '#!/bin/sh\necho tool\n' }),
        ],
      ]);
      assert.match(resultOf(o.s.anthropic.requests, fifo.id).text, /rc=0/);
      await assertSaved(o, { '.gitmodules': gitmodules, 'vendor/tool': '#!/bin/sh\necho tool\n' }, [
        'package.json',
        '.GIT/config',
      ]);
      assertNoMarkers([marker]);
    },
  );

  test(
    'sandbox off: a nested repository staged as a gitlink in the real index is put back; not pushed, named',
    TIMEOUT,
    async () => {
      const stage = bash(
        `${nestedRepoCommand('tools/gen')}; git add tools/gen 2>&1; git ls-files -s tools/gen; echo stage-rc=$?`,
      );
      const o = await agentRun([[toolUse('Write', { file_path: 'src/todo.js', content: TODO }), stage]], {
        inputs: { sandbox: 'off' },
      });
      assert.match(
        resultOf(o.s.anthropic.requests, stage.id).text,
        /^160000 [0-9a-f]{40} 0\ttools\/gen$/m,
        'the gitlink landed in the index',
      );
      await assertSaved(o, { 'src/todo.js': TODO }, ['tools/gen']);
      assert.ok(!Object.values(await modesOn(o)).includes('160000'), 'no gitlink was pushed');
    },
  );
});
