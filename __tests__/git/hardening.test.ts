// What an agent (or its Bash) can leave in the repository must not run when the action commits and pushes with the
// token, and must not redirect the push: hooks, core.hooksPath, core.fsmonitor, credential.helper, url.*.insteadOf,
// filter/diff/merge drivers, a replaced or symlinked .git/config, a planted commondir, a poisoned HOME or GIT_* env.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRepository, type Repository } from '../../src/git/index.ts';
import {
  checkoutLikeActions,
  createOrigin,
  git,
  listBranches,
  pushAsHuman,
  readBranch,
  serveOverHttp,
  type Origin,
} from '../../test-support/git.ts';

const TOKEN = 'ghs_hardeningToken0123456789';
const BRANCH = 'backend-developer/9-poison';
const HOOKS = [
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-push',
  'pre-rebase',
  'post-rewrite',
  'post-checkout',
  'reference-transaction',
  'pre-auto-gc',
];

interface Scene {
  origin: Origin;
  evil: Origin;
  ws: string;
  repo: Repository;
  restore: () => Promise<void>;
  markers: string;
  /** A script that appends its name and arguments to the marker dir and passes stdin through. */
  script(name: string): Promise<string>;
  /** Edits .git/config as a file, the way `git config` in the agent's Bash would, without running anything. */
  setConfig(key: string, value: string, file?: string): Promise<void>;
  snapshot: string;
}

async function scene(
  opts: { origin?: Origin; serverUrl?: string; remoteUrl?: string; repoFullName?: string } = {},
): Promise<Scene> {
  const origin = opts.origin ?? (await createOrigin());
  const evil = await createOrigin();
  const ws = await checkoutLikeActions(origin, {
    token: TOKEN,
    ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}),
  });
  if (opts.remoteUrl) await git(ws, ['remote', 'set-url', 'origin', opts.remoteUrl]);
  const repo = await openRepository(ws, {
    token: TOKEN,
    serverUrl: opts.serverUrl ?? 'https://github.com',
    repoFullName: opts.repoFullName ?? 'acme/api',
    remoteUrl: opts.remoteUrl ?? origin.url,
  });
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  const restore = await repo.hideCredentials();
  const snapshot = await readFile(join(ws, '.git/config'), 'utf8');
  const markers = await mkdtemp(join(tmpdir(), 'bda-markers-'));
  const scripts = await mkdtemp(join(tmpdir(), 'bda-scripts-'));
  return {
    origin,
    evil,
    ws,
    repo,
    restore,
    markers,
    snapshot,
    async script(name) {
      const path = join(scripts, name);
      await writeFile(
        path,
        `#!/bin/sh\necho "$0 $*" >> "${markers}/${name}"\nenv > "${markers}/${name}.env"\ncat\nexit 0\n`,
      );
      await chmod(path, 0o755);
      return path;
    },
    async setConfig(key, value, file = join(ws, '.git/config')) {
      await git(tmpdir(), ['config', '--file', file, '--add', key, value]);
    },
  };
}

/** The action's side after the loop, as main.ts does it. */
async function actionCommitsAndPushes(s: Scene): Promise<{ branch: string; fallback: boolean; sha: string }> {
  await s.restore();
  const changed = await s.repo.changedFiles();
  assert.ok(changed.files.length > 0);
  await s.repo.commitAll({
    message: 'Agent work',
    authorName: 'github-actions[bot]',
    authorEmail: 'bot@example.com',
    coAuthors: ['octocat <1@example.com>'],
  });
  return s.repo.push(BRANCH);
}

async function assertNothingRan(s: Scene): Promise<void> {
  assert.deepEqual(await readdir(s.markers), [], "a planted program ran during the action's git commands");
}

async function assertPushedToRealOrigin(s: Scene, file = 'work.txt'): Promise<void> {
  const remote = await readBranch(s.origin, BRANCH);
  assert.ok(remote, 'the branch is on the real origin');
  assert.equal(remote.files[file], 'agent work\n');
  assert.equal(remote.sha, await s.repo.headSha());
  assert.deepEqual(await listBranches(s.evil), ['main'], 'nothing reached the other remote');
}

test('hooks in .git/hooks do not run (commit, push, rebase)', async () => {
  const s = await scene();
  for (const h of HOOKS) {
    const path = join(s.ws, '.git/hooks', h);
    await writeFile(path, `#!/bin/sh\necho ran >> "${s.markers}/${h}"\nexit 1\n`);
    await chmod(path, 0o755);
  }
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await pushAsHuman(s.origin, BRANCH, { 'other.txt': 'human\n' });
  const r = await actionCommitsAndPushes(s);
  assert.equal(r.fallback, false, 'rebased (with pre-rebase and post-rewrite hooks present) and pushed');
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
});

test('core.hooksPath pointing at agent hooks is discarded', async () => {
  const s = await scene();
  const hooks = join(s.ws, 'tools/hooks');
  await mkdir(hooks, { recursive: true });
  for (const h of HOOKS) {
    await writeFile(join(hooks, h), `#!/bin/sh\necho ran >> "${s.markers}/${h}"\n`);
    await chmod(join(hooks, h), 0o755);
  }
  await s.setConfig('core.hooksPath', hooks);
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
  assert.equal(await readFile(join(s.ws, '.git/config'), 'utf8'), s.snapshot);
});

test('core.fsmonitor script does not run', async () => {
  const s = await scene();
  await s.setConfig('core.fsmonitor', await s.script('fsmonitor'));
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
});

test('url.<evil>.insteadOf redirecting the origin is discarded: the push lands on the real origin', async () => {
  const s = await scene();
  await s.setConfig(`url.${s.evil.url}.insteadOf`, s.origin.url);
  await s.setConfig(`url.${s.evil.url}.pushInsteadOf`, s.origin.url);
  await s.setConfig('remote.origin.pushurl', s.evil.url);
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  await assertPushedToRealOrigin(s);
});

test('filter, diff and merge drivers from .gitattributes and .git/info/attributes do not run', async () => {
  const s = await scene();
  await writeFile(join(s.ws, '.gitattributes'), '* filter=evil diff=evil merge=evil\n');
  await mkdir(join(s.ws, '.git/info'), { recursive: true });
  await writeFile(join(s.ws, '.git/info/attributes'), '* filter=evil2\n');
  await s.setConfig('filter.evil.clean', await s.script('clean'));
  await s.setConfig('filter.evil.smudge', await s.script('smudge'));
  await s.setConfig('filter.evil.process', await s.script('process'));
  await s.setConfig('filter.evil.required', 'true');
  await s.setConfig('filter.evil2.clean', await s.script('clean2'));
  await s.setConfig('diff.evil.textconv', await s.script('textconv'));
  await s.setConfig('diff.evil.command', await s.script('diffcmd'));
  await s.setConfig('merge.evil.driver', `${await s.script('mergedriver')} %O %A %B`);
  await writeFile(join(s.ws, 'README.md'), 'agent readme\n');
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await pushAsHuman(s.origin, BRANCH, { 'README.md': 'human readme\n' });
  const r = await actionCommitsAndPushes(s);
  assert.equal(r.fallback, true, 'the conflict is not resolved by a planted merge driver');
  await assertNothingRan(s);
  const fb = (await readBranch(s.origin, r.branch))!;
  assert.equal(fb.files['work.txt'], 'agent work\n', 'content committed as is, not through a filter');
  assert.equal(fb.files['README.md'], 'agent readme\n');
});

test('credential.helper and core.askPass do not run, over authenticated HTTP; the token travels as a header only', async () => {
  const origin = await createOrigin();
  const http = await serveOverHttp(origin, { token: TOKEN, repoFullName: 'acme/api' });
  try {
    const s = await scene({ origin, serverUrl: http.serverUrl, remoteUrl: http.repoUrl });
    await s.setConfig('credential.helper', await s.script('helper'));
    await s.setConfig(`credential.${http.serverUrl}.helper`, await s.script('helper2'));
    await s.setConfig('core.askPass', await s.script('askpass'));
    await s.setConfig('core.sshCommand', await s.script('ssh'));
    await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
    await pushAsHuman(origin, BRANCH, { 'other.txt': 'human\n' });
    const r = await actionCommitsAndPushes(s);
    assert.equal(r.fallback, false, 'fetched and rebased over HTTP too');
    await assertNothingRan(s);
    await assertPushedToRealOrigin(s);
    const expected = `basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    assert.ok(http.authorizations.length >= 4, 'ls-remote, fetch and push went through the server');
    assert.ok(
      http.authorizations.every((a) => a?.toLowerCase() === expected.toLowerCase()),
      'every request carried the token header, and only that',
    );
    const config = await readFile(join(s.ws, '.git/config'), 'utf8');
    assert.ok(!config.includes(Buffer.from(`x-access-token:${TOKEN}`).toString('base64')), 'never persisted');

    // The server now refuses the token: git gets a 401, and must not ask a helper or askpass for other credentials.
    http.expect('ghs_rotatedToken00000000000');
    await writeFile(join(s.ws, 'more.txt'), 'more\n');
    await s.repo.commitAll({ message: 'More', authorName: 'bot', authorEmail: 'bot@example.com', coAuthors: [] });
    await assert.rejects(
      s.repo.push(BRANCH),
      (e: Error) => e.message.startsWith(`Could not push ${BRANCH} to ${http.repoUrl}`) && !e.message.includes(TOKEN),
    );
    await assertNothingRan(s);
  } finally {
    await http.close();
  }
});

test('a wrong token fails clearly over HTTP and no helper is asked for another', async () => {
  const origin = await createOrigin();
  const http = await serveOverHttp(origin, { token: 'ghs_theRealOne000000000', repoFullName: 'acme/api' });
  try {
    const s = await scene({ origin, serverUrl: http.serverUrl, remoteUrl: http.repoUrl }).catch((e: Error) => e);
    assert.ok(s instanceof Error, 'prepareBranch cannot reach the repository with the wrong token');
    assert.match(s.message, /^Could not reach http:\/\/127\.0\.0\.1:\d+\/acme\/api\.git: /);
    assert.ok(!s.message.includes(TOKEN));
  } finally {
    await http.close();
  }
});

test('a replaced .git/config (other remote, hooks, fsmonitor, include) is replaced back by the snapshot', async () => {
  const s = await scene();
  const included = join(s.markers, '..', `${s.markers.split('/').pop()}-included.config`);
  await writeFile(included, `[core]\n\tfsmonitor = ${await s.script('included-fsmonitor')}\n`);
  const hooks = join(s.ws, 'h');
  await mkdir(hooks);
  await writeFile(join(hooks, 'pre-push'), `#!/bin/sh\necho ran >> "${s.markers}/pre-push"\n`);
  await chmod(join(hooks, 'pre-push'), 0o755);
  await writeFile(
    join(s.ws, '.git/config'),
    [
      '[core]',
      '\trepositoryformatversion = 0',
      '\tbare = false',
      `\thooksPath = ${hooks}`,
      `\tfsmonitor = ${await s.script('fsmonitor')}`,
      '[include]',
      `\tpath = ${included}`,
      '[remote "origin"]',
      `\turl = ${s.evil.url}`,
      '\tfetch = +refs/heads/*:refs/remotes/origin/*',
      `[url "${s.evil.url}"]`,
      `\tinsteadOf = ${s.origin.url}`,
      '[commit]',
      '\tgpgSign = true',
      '[gpg]',
      `\tprogram = ${await s.script('gpg')}`,
      '',
    ].join('\n'),
  );
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
  assert.equal(await readFile(join(s.ws, '.git/config'), 'utf8'), s.snapshot);
});

test('.git/config replaced by a symlink: restored without writing through the link', async () => {
  const s = await scene();
  const outside = join(s.markers, '..', `${s.markers.split('/').pop()}-outside.txt`);
  await writeFile(outside, 'precious\n');
  const { rm } = await import('node:fs/promises');
  await rm(join(s.ws, '.git/config'));
  await symlink(outside, join(s.ws, '.git/config'));
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  assert.equal(await readFile(outside, 'utf8'), 'precious\n');
  assert.equal(await readFile(join(s.ws, '.git/config'), 'utf8'), s.snapshot);
  await assertPushedToRealOrigin(s);
});

test('a planted .git/commondir and config.worktree are removed before the action uses git', async () => {
  const s = await scene();
  const common = await mkdtemp(join(tmpdir(), 'bda-common-'));
  await writeFile(join(s.ws, '.git/commondir'), common);
  await writeFile(join(common, 'config'), `[core]\n\tfsmonitor = ${await s.script('fsmonitor')}\n`);
  await s.setConfig('extensions.worktreeConfig', 'true');
  await writeFile(join(s.ws, '.git/config.worktree'), `[core]\n\tfsmonitor = ${await s.script('fsmonitor2')}\n`);
  await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
  await actionCommitsAndPushes(s);
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
});

test("a poisoned HOME, XDG config and GIT_* variables in the action's environment are ignored", async () => {
  const s = await scene();
  const home = await mkdtemp(join(tmpdir(), 'bda-evil-home-'));
  const fsmonitor = await s.script('home-fsmonitor');
  await writeFile(
    join(home, '.gitconfig'),
    `[core]\n\tfsmonitor = ${fsmonitor}\n\thooksPath = /nonexistent\n[url "${s.evil.url}"]\n\tinsteadOf = ${s.origin.url}\n`,
  );
  await mkdir(join(home, '.config/git'), { recursive: true });
  await writeFile(join(home, '.config/git/config'), `[credential]\n\thelper = ${await s.script('xdg-helper')}\n`);
  const saved = { ...process.env };
  Object.assign(process.env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_PARAMETERS: `'core.fsmonitor=${fsmonitor}'`,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${s.evil.url}.insteadOf`,
    GIT_CONFIG_VALUE_0: s.origin.url,
    GIT_DIR: join(s.evil.bareDir),
    GIT_EXTERNAL_DIFF: await s.script('extdiff'),
    GIT_SSH_COMMAND: await s.script('ssh'),
  });
  try {
    await writeFile(join(s.ws, 'work.txt'), 'agent work\n');
    await actionCommitsAndPushes(s);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  await assertNothingRan(s);
  await assertPushedToRealOrigin(s);
});
