// Nested repositories, submodules and hostile .gitmodules after the agent's run: none may stop the commit ("work is
// never lost"). Each state is built with plain git in a real workspace, then the action's side runs as main.ts runs
// it (changedFiles, commitAll, push, diffSinceStart, restoreCredentials) and the origin is read back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createCommandManager,
  GitCommandError,
  openRepository,
  parseStatus,
  stageChanges,
  type GitCommandManager,
  type Repository,
  type WorkspaceChanges,
} from '../../src/git/index.ts';
import { refusedByGit } from '../../src/git/status.ts';
import {
  checkoutLikeActions,
  createOrigin,
  git,
  pushAsHuman,
  readBranch,
  type Origin,
} from '../../test-support/git.ts';

const TOKEN = 'ghs_nestedReposToken0123456789';
const BRANCH = 'backend-developer/16-nested';
const BOT = { authorName: 'github-actions[bot]', authorEmail: '41898282+github-actions[bot]@users.noreply.github.com' };

interface Scene {
  origin: Origin;
  ws: string;
  repo: Repository;
  /** A marker path a planted command would create; see assertNothingRan. */
  marker(name: string): string;
  markers: string;
}

/** An origin whose main holds `files` and, for each `gitlinks` entry, a submodule pointer (with its .gitmodules). */
async function originWith(files: Record<string, string>, gitlinks: Record<string, string> = {}): Promise<Origin> {
  const origin = await createOrigin({ files });
  if (!Object.keys(gitlinks).length) return origin;
  const dir = await mkdtemp(join(origin.root, 'seed-links-'));
  await git(dir, ['clone', '-q', origin.url, dir]);
  let modules = '';
  for (const [path, sha] of Object.entries(gitlinks)) {
    await git(dir, ['update-index', '--add', '--cacheinfo', `160000,${sha},${path}`]);
    modules += `[submodule "${path}"]\n\tpath = ${path}\n\turl = https://github.com/acme/${path.split('/').pop()}.git\n`;
  }
  await writeFile(join(dir, '.gitmodules'), modules);
  await git(dir, ['add', '.gitmodules']);
  await git(dir, ['commit', '-q', '-m', 'Add submodules']);
  await git(dir, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
  await rm(dir, { recursive: true, force: true });
  return origin;
}

async function scene(origin: Origin): Promise<Scene> {
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const repo = await openRepository(ws, {
    token: TOKEN,
    serverUrl: 'https://github.com',
    repoFullName: 'acme/api',
    remoteUrl: origin.url,
  });
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await repo.hideCredentials();
  const markers = await mkdtemp(join(tmpdir(), 'bda-nested-markers-'));
  return { origin, ws, repo, markers, marker: (name) => join(markers, name) };
}

async function put(ws: string, files: Record<string, string>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(ws, p)), { recursive: true });
    await writeFile(join(ws, p), c);
  }
}

/** A repository inside the workspace, as the agent's `git init` (and, with files, `git commit`) leaves it. */
async function nestedRepo(dir: string, files: Record<string, string> = {}): Promise<string | null> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', dir]);
  if (!Object.keys(files).length) return null;
  await put(dir, files);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'nested']);
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}

function hostileGitmodules(path: string, marker: string): string {
  return `[submodule "${path}"]\n\tpath = ${path}\n\turl = https://github.com/acme/gen.git\n\tupdate = !touch ${marker}\n\tignore = none\n`;
}

/** The action's side after the loop, as main.ts runs it; every step must succeed. */
async function actionSide(s: Scene): Promise<{ changed: WorkspaceChanges; sha: string | null; diff: string }> {
  const changed = await s.repo.changedFiles();
  const sha = await s.repo.commitAll({
    message: 'Agent work',
    ...BOT,
    coAuthors: ['octocat <1+octocat@users.noreply.github.com>'],
  });
  await s.repo.push(BRANCH);
  const diff = await s.repo.diffSinceStart();
  await s.repo.restoreCredentials();
  return { changed, sha, diff };
}

/** `path → mode` of every entry at the tip of the branch on the origin (gitlinks included, which readBranch cannot read). */
async function modesOn(origin: Origin, branch = BRANCH): Promise<Record<string, string>> {
  const out = await git(origin.bareDir, ['ls-tree', '-r', '-z', `refs/heads/${branch}`]);
  const modes: Record<string, string> = {};
  for (const e of out.split('\0').filter(Boolean)) {
    const [meta, path] = e.split('\t');
    modes[path!] = meta!.split(' ')[0]!;
  }
  return modes;
}

async function assertNothingRan(s: Scene): Promise<void> {
  assert.deepEqual(await readdir(s.markers), [], "a planted command ran during the action's git commands");
}

function skippedPaths(c: WorkspaceChanges): string[] {
  return c.skipped.map((k) => k.path);
}

describe('nested repositories, submodules and .gitmodules', { concurrency: 2 }, () => {
  test(
    'an empty nested repository (git init tools/gen) is skipped with a note; the rest, a file named "*" too, is pushed',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      await put(s.ws, { 'src/app.js': 'app\n', 'README.md': '# api, edited\n', '*': 'a file named star\n' });
      await nestedRepo(join(s.ws, 'tools/gen'));
      const { changed, sha } = await actionSide(s);
      assert.deepEqual(changed.files, ['*', 'README.md', 'src/app.js']);
      assert.deepEqual(skippedPaths(changed), ['tools/gen']);
      assert.match(changed.skipped[0]!.reason, /^tools\/gen is a nested git repository and was not committed/);
      assert.ok(sha);
      const remote = (await readBranch(s.origin, BRANCH))!;
      assert.equal(remote.sha, sha);
      assert.deepEqual(Object.keys(remote.files).sort(), ['*', 'README.md', 'src/app.js']);
      assert.equal(remote.files['README.md'], '# api, edited\n');
      assert.ok(existsSync(join(s.ws, 'tools/gen/.git')), 'the nested repository is left in the workspace as it was');
    },
  );

  test(
    'a nested repository with commits, deep in a new folder: no gitlink pushed, its siblings are, its own config never runs',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      const deep = join(s.ws, 'packages/gen/vendor/lib');
      await nestedRepo(deep, { 'index.js': 'one\n', '.gitattributes': '* filter=evil\n' });
      // Its own config: a filter that would run if the action ever ran git inside it (status of a dirty nested repo).
      await git(deep, ['config', 'filter.evil.clean', `touch ${s.marker('nested-filter')}; cat`]);
      await git(deep, ['config', 'filter.evil.required', 'true']);
      await writeFile(join(deep, 'index.js'), 'two\n');
      await put(s.ws, { 'packages/gen/package.json': '{}\n', 'packages/gen/vendor/README.md': 'vendored\n' });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['packages/gen/package.json', 'packages/gen/vendor/README.md']);
      assert.deepEqual(skippedPaths(changed), ['packages/gen/vendor/lib']);
      const modes = await modesOn(s.origin);
      assert.deepEqual(Object.keys(modes).sort(), [
        'README.md',
        'packages/gen/package.json',
        'packages/gen/vendor/README.md',
      ]);
      assert.ok(!Object.values(modes).includes('160000'), 'no gitlink was pushed');
      await assertNothingRan(s);
    },
  );

  test(
    '.gitmodules with update = !cmd over a real submodule: committed as a plain file, the pointer untouched, a rebase still works',
    { timeout: 120_000 },
    async () => {
      const lib = await createOrigin({ files: { 'lib.js': 'lib\n' } });
      const libSha = (await git(lib.bareDir, ['rev-parse', 'main'])).trim();
      const s = await scene(await originWith({ 'README.md': '# api\n' }, { 'vendor/lib': libSha }));
      const gitmodules = hostileGitmodules('vendor/lib', s.marker('update-command'));
      await put(s.ws, { '.gitmodules': gitmodules, 'src/app.js': 'app\n' });
      // Someone pushes meanwhile: the action's push is rejected and it rebases over the hostile .gitmodules.
      await pushAsHuman(s.origin, BRANCH, { 'CHANGELOG.md': '- human\n' });
      const { changed, diff } = await actionSide(s);
      assert.deepEqual(changed.files, ['.gitmodules', 'src/app.js']);
      assert.deepEqual(changed.skipped, []);
      const modes = await modesOn(s.origin);
      assert.equal(modes['vendor/lib'], '160000');
      assert.equal(modes['CHANGELOG.md'], '100644', "the human's commit is kept");
      assert.equal((await git(s.origin.bareDir, ['rev-parse', `${BRANCH}:vendor/lib`])).trim(), libSha);
      assert.equal(await git(s.origin.bareDir, ['show', `${BRANCH}:.gitmodules`]), gitmodules);
      assert.match(diff, /update = !touch/);
      await assertNothingRan(s);
    },
  );

  test(
    '.gitmodules naming a nested repository: the file is committed, the repository skipped, nothing runs',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      await nestedRepo(join(s.ws, 'tools/gen'), { 'gen.sh': 'echo gen\n' });
      await put(s.ws, {
        '.gitmodules': hostileGitmodules('tools/gen', s.marker('update-command')),
        'tools/README.md': 'tools\n',
      });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['.gitmodules', 'tools/README.md']);
      assert.deepEqual(skippedPaths(changed), ['tools/gen']);
      const modes = await modesOn(s.origin);
      assert.deepEqual(Object.keys(modes).sort(), ['.gitmodules', 'README.md', 'tools/README.md']);
      await assertNothingRan(s);
    },
  );

  test(
    'a regular file at the path .gitmodules calls a submodule is committed as a file',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      await put(s.ws, {
        '.gitmodules': hostileGitmodules('vendor/tool', s.marker('update-command')),
        'vendor/tool': '#!/bin/sh\necho tool\n',
      });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['.gitmodules', 'vendor/tool']);
      assert.deepEqual(changed.skipped, []);
      const remote = (await readBranch(s.origin, BRANCH))!;
      assert.equal(remote.files['vendor/tool'], '#!/bin/sh\necho tool\n');
      assert.equal((await modesOn(s.origin))['vendor/tool'], '100644');
      await assertNothingRan(s);
    },
  );

  test(
    'gitlinks staged in the index (a new one and a moved one) are put back as in HEAD; the notes name them',
    { timeout: 120_000 },
    async () => {
      const lib = await createOrigin({ files: { 'lib.js': 'lib\n' } });
      const libSha = (await git(lib.bareDir, ['rev-parse', 'main'])).trim();
      const s = await scene(await originWith({ 'README.md': '# api\n' }, { 'vendor/lib': libSha }));
      const other = 'f'.repeat(40);
      await git(s.ws, ['update-index', '--add', '--cacheinfo', `160000,${other},vendor/staged`]);
      await git(s.ws, ['update-index', '--cacheinfo', `160000,${other},vendor/lib`]);
      await put(s.ws, {
        '.gitmodules': hostileGitmodules('vendor/staged', s.marker('update-command')),
        'src/app.js': 'app\n',
      });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['.gitmodules', 'src/app.js']);
      assert.deepEqual(skippedPaths(changed), ['vendor/lib', 'vendor/staged']);
      assert.match(
        changed.skipped[1]!.reason,
        /^vendor\/staged is a submodule: the action does not change submodule pointers/,
      );
      const modes = await modesOn(s.origin);
      assert.equal(modes['vendor/staged'], undefined, 'the staged gitlink was not committed');
      assert.equal(
        (await git(s.origin.bareDir, ['rev-parse', `${BRANCH}:vendor/lib`])).trim(),
        libSha,
        'the moved pointer was not committed',
      );
      assert.equal(modes['src/app.js'], '100644');
      await assertNothingRan(s);
    },
  );

  test(
    'a checked-out submodule moved to a new commit, with a planted filter in its config: pointer kept, filter never runs',
    { timeout: 120_000 },
    async () => {
      const lib = await createOrigin({ files: { 'lib.js': 'lib\n' } });
      const libSha = (await git(lib.bareDir, ['rev-parse', 'main'])).trim();
      const s = await scene(await originWith({ 'README.md': '# api\n' }, { 'vendor/lib': libSha }));
      const sub = join(s.ws, 'vendor/lib');
      await rm(sub, { recursive: true, force: true });
      await git(tmpdir(), ['clone', '-q', lib.url, sub]);
      await writeFile(join(sub, '.gitattributes'), '* filter=evil\n');
      await git(sub, ['add', '.gitattributes']);
      await git(sub, ['commit', '-q', '-m', 'moved']);
      // Planted after the commit above, which would run it: only git run inside the submodule can run it now.
      await git(sub, ['config', 'filter.evil.clean', `touch ${s.marker('submodule-filter')}; cat`]);
      // Same size, other mtime: git inside the submodule would have to run the clean filter to tell whether it changed.
      await writeFile(join(sub, 'lib.js'), 'LIB\n');
      await utimes(join(sub, 'lib.js'), new Date('2001-01-01'), new Date('2001-01-01'));
      await put(s.ws, { 'src/app.js': 'app\n' });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['src/app.js']);
      assert.deepEqual(skippedPaths(changed), ['vendor/lib']);
      assert.equal((await git(s.origin.bareDir, ['rev-parse', `${BRANCH}:vendor/lib`])).trim(), libSha);
      await assertNothingRan(s);
    },
  );

  test(
    'a FIFO over a tracked file and a tracked file turned into a nested repository: both skipped, the rest pushed',
    { timeout: 120_000 },
    async () => {
      const s = await scene(
        await originWith({ 'README.md': '# api\n', 'pipe.txt': 'was a file\n', gen: 'was a file\n' }),
      );
      await rm(join(s.ws, 'pipe.txt'));
      execFileSync('mkfifo', [join(s.ws, 'pipe.txt')]);
      await rm(join(s.ws, 'gen'));
      await nestedRepo(join(s.ws, 'gen'), { 'x.txt': 'x\n' });
      await put(s.ws, { 'README.md': '# api, edited\n', 'new.txt': 'new\n' });
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['README.md', 'new.txt']);
      assert.deepEqual(skippedPaths(changed), ['gen', 'pipe.txt']);
      assert.match(changed.skipped[1]!.reason, /not a regular file/);
      const remote = (await readBranch(s.origin, BRANCH))!;
      assert.deepEqual(remote.files, {
        'README.md': '# api, edited\n',
        gen: 'was a file\n',
        'new.txt': 'new\n',
        'pipe.txt': 'was a file\n',
      });
    },
  );

  test(
    'names git refuses (.GIT/, GIT~1/, a nested .Git/, .gitmodules as a symlink): skipped and named, the rest pushed',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      await put(s.ws, {
        '.GIT/x': 'x\n',
        'GIT~1/z': 'z\n',
        'sub/.Git/y': 'y\n',
        'sub/ok.txt': 'ok\n',
        'target.txt': 't\n',
      });
      await symlink('target.txt', join(s.ws, '.gitmodules'));
      const { changed } = await actionSide(s);
      assert.deepEqual(changed.files, ['sub/ok.txt', 'target.txt']);
      assert.deepEqual(skippedPaths(changed), ['.GIT/x', '.gitmodules', 'GIT~1/z', 'sub/.Git/y']);
      assert.ok(changed.skipped.every((k) => k.kind === 'refused'));
      assert.deepEqual(Object.keys(await modesOn(s.origin)).sort(), ['README.md', 'sub/ok.txt', 'target.txt']);
      assert.ok(
        refusedByGit('a/.git. /b', false) && refusedByGit('git~1', false) && refusedByGit('x/.GITMODULES', true),
      );
      assert.ok(
        !refusedByGit('.github/x', false) && !refusedByGit('.gitmodules', false) && !refusedByGit('a/.gitignore', true),
      );
    },
  );

  test(
    'a path git refuses that nothing predicted: the rest is staged, the path is reported as refused',
    { timeout: 120_000 },
    async () => {
      const s = await scene(await originWith({ 'README.md': '# api\n' }));
      await put(s.ws, { 'bad.txt': 'bad\n', 'good.txt': 'good\n', 'README.md': '# edited\n' });
      const real = createCommandManager({
        workTree: s.ws,
        gitDir: join(s.ws, '.git'),
        token: '',
        serverUrl: 'https://github.com',
        protocols: ['file'],
      });
      // git as it answers for a file it cannot index (e.g. unreadable to a non-root runner): exit 1, the rest added.
      const refusing: GitCommandManager = {
        settings: real.settings,
        async exec(args, options) {
          if (args[0] !== 'add' || !args.includes('bad.txt')) return real.exec(args, options);
          await real.exec(
            args.filter((a) => a !== 'bad.txt'),
            options,
          );
          throw new GitCommandError(
            args,
            1,
            '',
            'error: open("bad.txt"): Permission denied\nerror: unable to index file \'bad.txt\'',
          );
        },
      };
      const staged = await stageChanges(refusing, s.ws);
      assert.deepEqual(staged.files, ['README.md', 'good.txt']);
      assert.deepEqual(staged.skipped, [
        {
          path: 'bad.txt',
          kind: 'refused',
          reason:
            'bad.txt could not be added by git and was not committed (error: open("bad.txt"): Permission denied).',
        },
      ]);
      assert.deepEqual((await git(s.ws, ['diff', '--cached', '--name-only'])).split('\n').filter(Boolean), [
        'README.md',
        'good.txt',
      ]);
    },
  );

  test(
    'a gitlink changed in a commit of the run under a hostile .gitmodules: changedFiles and diffSinceStart still work',
    { timeout: 120_000 },
    async () => {
      const lib = await createOrigin({ files: { 'lib.js': 'lib\n' } });
      const libSha = (await git(lib.bareDir, ['rev-parse', 'main'])).trim();
      const s = await scene(await originWith({ 'README.md': '# api\n' }, { 'vendor/lib': libSha }));
      // The agent committing by itself (possible with `sandbox: off`): a moved pointer and a hostile .gitmodules.
      await put(s.ws, { '.gitmodules': hostileGitmodules('vendor/lib', s.marker('update-command')) });
      await git(s.ws, ['update-index', '--cacheinfo', `160000,${'e'.repeat(40)},vendor/lib`]);
      await git(s.ws, ['add', '.gitmodules']);
      await git(s.ws, ['commit', '-q', '-m', 'agent commit']);
      await put(s.ws, { 'src/app.js': 'app\n' });
      const { changed, diff } = await actionSide(s);
      assert.deepEqual(changed.files, ['.gitmodules', 'src/app.js', 'vendor/lib']);
      assert.match(diff, /Subproject commit e{40}/);
      assert.equal((await modesOn(s.origin))['src/app.js'], '100644');
      await assertNothingRan(s);
    },
  );
});

test('parseStatus: spaces in names, renames, unmerged entries, gitlinks, nested repositories; headers and ignored skipped', () => {
  const z = (...t: string[]) => `${t.join('\0')}\0`;
  const sha = 'a'.repeat(40);
  const out = z(
    '# branch.oid ' + sha,
    `1 .M N... 100644 100644 100644 ${sha} ${sha} dir with space/file name.txt`,
    `1 .M SC.. 160000 160000 160000 ${sha} ${sha} vendor/lib`,
    `1 A. N... 000000 160000 160000 ${'0'.repeat(40)} ${sha} vendor/new`,
    `2 R. N... 100644 100644 100644 ${sha} ${sha} R100 new name.txt`,
    'old name.txt',
    `u UU N... 100644 100644 100644 100644 ${sha} ${sha} ${sha} both.txt`,
    '? tools/gen/',
    '? a b.txt',
    '! node_modules/x.js',
  );
  assert.deepEqual(parseStatus(out), [
    { path: 'dir with space/file name.txt', kind: 'tracked', xy: '.M', gitlink: false },
    { path: 'vendor/lib', kind: 'tracked', xy: '.M', gitlink: true },
    { path: 'vendor/new', kind: 'tracked', xy: 'A.', gitlink: true },
    { path: 'new name.txt', kind: 'tracked', xy: 'R.', gitlink: false },
    { path: 'both.txt', kind: 'unmerged', xy: 'UU', gitlink: false },
    { path: 'tools/gen/', kind: 'untracked', xy: '??', gitlink: false },
    { path: 'a b.txt', kind: 'untracked', xy: '??', gitlink: false },
  ]);
  assert.deepEqual(parseStatus(''), []);
});
