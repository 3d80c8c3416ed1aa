import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRepository, type Repository } from '../../src/git/index.ts';
import { UserError } from '../../src/errors.ts';
import {
  checkoutExtraheader,
  checkoutLikeActions,
  createOrigin,
  git,
  listBranches,
  pushAsHuman,
  readBranch,
  type Origin,
} from '../../test-support/git.ts';

const TOKEN = 'ghs_repoTestToken0123456789';
const B64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const BRANCH = 'backend-developer/5-add-health';
const BOT = { authorName: 'github-actions[bot]', authorEmail: '41898282+github-actions[bot]@users.noreply.github.com' };

async function open(origin: Origin, dir?: string): Promise<{ ws: string; repo: Repository }> {
  const ws = dir ?? (await checkoutLikeActions(origin, { token: TOKEN }));
  const repo = await openRepository(ws, {
    token: TOKEN,
    serverUrl: 'https://github.com',
    repoFullName: 'acme/api',
    remoteUrl: origin.url,
  });
  return { ws, repo };
}

async function commitAndPush(
  repo: Repository,
  message = 'Add health endpoint',
): Promise<{ committed: string | null; sha: string; branch: string; fallback: boolean }> {
  const committed = await repo.commitAll({
    message,
    ...BOT,
    coAuthors: ['octocat <1+octocat@users.noreply.github.com>'],
  });
  return { committed, ...(await repo.push(BRANCH)) };
}

test('the checkout-like workspace carries the token; openRepository takes it out at once and restoreCredentials puts it back', async () => {
  const origin = await createOrigin();
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const before = await readFile(join(ws, '.git/config'), 'utf8');
  assert.ok(before.includes(`[http "https://github.com/"]`));
  assert.ok(before.includes(`extraheader = ${checkoutExtraheader(TOKEN)}`));

  const { repo } = await open(origin, ws);
  const list = await git(ws, ['config', '--list', '--show-origin']);
  assert.ok(!list.includes(B64) && !list.includes(TOKEN), 'git config --list still shows the token');
  const during = await readFile(join(ws, '.git/config'), 'utf8');
  assert.ok(!during.includes(B64) && !during.toLowerCase().includes('extraheader'));

  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  const restore = await repo.hideCredentials();
  await restore();
  assert.ok(!(await readFile(join(ws, '.git/config'), 'utf8')).includes(B64));
  await repo.restoreCredentials();
  assert.equal(
    (await git(ws, ['config', '--get', 'http.https://github.com/.extraheader'])).trim(),
    checkoutExtraheader(TOKEN),
  );
});

test('a token embedded in the remote URL is stripped too, and restored at the end', async () => {
  const origin = await createOrigin();
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const https = `https://x-access-token:${TOKEN}@github.com/acme/api.git`;
  await git(ws, ['config', 'remote.origin.url', https]);
  const repo = await openRepository(ws, { token: TOKEN, serverUrl: 'https://github.com', repoFullName: 'acme/api' });
  assert.equal(repo.remoteUrl, 'https://github.com/acme/api.git');
  assert.ok(!(await readFile(join(ws, '.git/config'), 'utf8')).includes(TOKEN));
  await repo.restoreCredentials();
  assert.equal((await git(ws, ['config', 'remote.origin.url'])).trim(), https);
});

test('a new branch from the base: commit with bot author, Co-authored-by trailer, pushed to origin', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  const prep = await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  assert.equal(prep.reused, false);
  assert.equal(await repo.currentBranch(), BRANCH);
  await mkdir(join(ws, 'src/routes'), { recursive: true });
  await writeFile(join(ws, 'src/routes/health.js'), 'export const health = () => "ok";\n');
  assert.deepEqual((await repo.changedFiles()).files, ['src/routes/health.js']);
  const r = await commitAndPush(repo, 'Add health endpoint\n\n/backend-developer for #5: COMPLETE');
  assert.equal(r.fallback, false);
  assert.equal(r.branch, BRANCH);
  const remote = await readBranch(origin, BRANCH);
  assert.ok(remote);
  assert.equal(remote.sha, r.sha);
  assert.equal(remote.files['src/routes/health.js'], 'export const health = () => "ok";\n');
  const [top] = remote.log;
  assert.equal(top!.subject, 'Add health endpoint');
  assert.equal(top!.authorName, BOT.authorName);
  assert.equal(top!.authorEmail, BOT.authorEmail);
  assert.equal(top!.committerName, BOT.authorName, 'the machine-wide git identity must not be used');
  assert.deepEqual(top!.trailers, ['Co-authored-by: octocat <1+octocat@users.noreply.github.com>']);
  assert.deepEqual(await listBranches(origin), [BRANCH, 'main'].sort());
});

test('nothing changed → commitAll returns null and nothing is pushed', async () => {
  const origin = await createOrigin();
  const { repo } = await open(origin);
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  assert.deepEqual((await repo.changedFiles()).files, []);
  assert.equal(await repo.commitAll({ message: 'x', ...BOT, coAuthors: [] }), null);
  assert.deepEqual(await listBranches(origin), ['main']);
});

test('deleted, renamed, binary and ignored files', async () => {
  const origin = await createOrigin({
    files: { 'README.md': '# r\n', 'old.txt': 'old\n', 'gone.txt': 'bye\n', '.gitignore': 'node_modules/\n*.log\n' },
  });
  const { ws, repo } = await open(origin);
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  const bin = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0x89, 0x50, 0x4e, 0x47]);
  await writeFile(join(ws, 'logo.png'), bin);
  await rm(join(ws, 'gone.txt'));
  await rename(join(ws, 'old.txt'), join(ws, 'new name ü.txt'));
  await mkdir(join(ws, 'node_modules/x'), { recursive: true });
  await writeFile(join(ws, 'node_modules/x/index.js'), 'ignored');
  await writeFile(join(ws, 'debug.log'), 'ignored');
  assert.deepEqual((await repo.changedFiles()).files, ['gone.txt', 'logo.png', 'new name ü.txt', 'old.txt']);
  const r = await commitAndPush(repo);
  assert.equal(r.committed, r.sha);
  const remote = (await readBranch(origin, BRANCH))!;
  assert.deepEqual(Object.keys(remote.files).sort(), ['.gitignore', 'README.md', 'logo.png', 'new name ü.txt']);
  assert.equal(remote.files['logo.png'], bin.toString('latin1'));
  assert.equal(remote.files['new name ü.txt'], 'old\n');
});

test('a second run on the same issue reuses and continues the branch', async () => {
  const origin = await createOrigin();
  const first = await open(origin);
  await first.repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await writeFile(join(first.ws, 'a.txt'), 'one\n');
  const one = await commitAndPush(first.repo, 'First');

  const second = await open(origin);
  const prep = await second.repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  assert.equal(prep.reused, true);
  assert.equal(prep.sha, one.sha);
  assert.equal(await readFile(join(second.ws, 'a.txt'), 'utf8'), 'one\n');
  await writeFile(join(second.ws, 'b.txt'), 'two\n');
  assert.deepEqual((await second.repo.changedFiles()).files, ['b.txt']);
  const two = await commitAndPush(second.repo, 'Second');
  assert.equal(two.fallback, false);
  const remote = (await readBranch(origin, BRANCH))!;
  assert.deepEqual(
    remote.log.map((c) => c.subject),
    ['Second', 'First', 'Initial commit'],
  );
  assert.deepEqual(await listBranches(origin), [BRANCH, 'main'].sort(), 'no new branch per mention');
});

test('pr mode checks out the existing head branch; a missing one is a UserError', async () => {
  const origin = await createOrigin();
  await pushAsHuman(origin, 'feature/login', { 'login.js': 'x\n' });
  const { ws, repo } = await open(origin);
  const prep = await repo.prepareBranch({ branch: 'feature/login', base: 'main', mode: 'pr' });
  assert.equal(prep.reused, true);
  assert.equal(await readFile(join(ws, 'login.js'), 'utf8'), 'x\n');
  const other = await open(origin);
  await assert.rejects(
    other.repo.prepareBranch({ branch: 'feature/gone', base: 'main', mode: 'pr' }),
    (e) => e instanceof UserError && /feature\/gone/.test(e.message),
  );
  await assert.rejects(
    other.repo.prepareBranch({ branch: BRANCH, base: 'develop', mode: 'issue' }),
    (e) => e instanceof UserError && /base-branch/.test(e.message),
  );
  await assert.rejects(other.repo.prepareBranch({ branch: 'bad..name', base: 'main', mode: 'issue' }), UserError);
});

test('a dirty workspace at start is refused with the paths named, and nothing is lost', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  await writeFile(join(ws, 'README.md'), 'local edit\n');
  await writeFile(join(ws, 'notes.txt'), 'untracked\n');
  await assert.rejects(
    repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' }),
    (e) => e instanceof UserError && /README\.md/.test(e.message) && /notes\.txt/.test(e.message),
  );
  assert.equal(await readFile(join(ws, 'README.md'), 'utf8'), 'local edit\n');
  assert.equal(await readFile(join(ws, 'notes.txt'), 'utf8'), 'untracked\n');
  assert.equal(await repo.currentBranch(), 'main');
});

test('push after a human pushed meanwhile: rebased once and pushed, both commits kept', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await writeFile(join(ws, 'agent.txt'), 'agent\n');
  const humanSha = await pushAsHuman(origin, BRANCH, { 'human.txt': 'human\n' });
  const r = await commitAndPush(repo);
  assert.equal(r.fallback, false);
  assert.equal(r.branch, BRANCH);
  const remote = (await readBranch(origin, BRANCH))!;
  assert.equal(remote.sha, await repo.headSha());
  assert.equal(remote.log[1]!.sha, humanSha, 'our commit sits on top of the human one');
  assert.equal(remote.files['agent.txt'], 'agent\n');
  assert.equal(remote.files['human.txt'], 'human\n');
  assert.deepEqual(remote.log[0]!.trailers, ['Co-authored-by: octocat <1+octocat@users.noreply.github.com>']);
});

test('a conflicting human push: the rebase is aborted and the work goes to a fallback branch', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await writeFile(join(ws, 'README.md'), 'agent version\n');
  const humanSha = await pushAsHuman(origin, BRANCH, { 'README.md': 'human version\n' });
  const r = await commitAndPush(repo);
  assert.equal(r.fallback, true);
  assert.match(r.branch, new RegExp(`^${BRANCH.replace(/\//g, '\\/')}-[0-9a-f]{8}$`));
  assert.equal((await readBranch(origin, BRANCH))!.sha, humanSha, 'the human branch is untouched');
  const fb = (await readBranch(origin, r.branch))!;
  assert.equal(fb.sha, r.sha);
  assert.equal(fb.files['README.md'], 'agent version\n');
  assert.equal(await repo.currentBranch(), BRANCH, 'no rebase left in progress');
  assert.deepEqual(await listBranches(origin), [BRANCH, r.branch, 'main'].sort());
});

test('an unreachable remote is a clear Error (not a UserError), and the commit stays local', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await writeFile(join(ws, 'x.txt'), 'x\n');
  const sha = await repo.commitAll({ message: 'x', ...BOT, coAuthors: [] });
  await rm(origin.bareDir, { recursive: true, force: true });
  await assert.rejects(
    repo.push(BRANCH),
    (e: Error) => !(e instanceof UserError) && e.message.startsWith(`Could not push ${BRANCH} to ${origin.url}`),
  );
  assert.equal(await repo.headSha(), sha);
});

test('the agent committing itself or leaving HEAD on another branch: the work is still committed on the branch', async () => {
  const origin = await createOrigin();
  const { ws, repo } = await open(origin);
  const { sha: start } = await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await writeFile(join(ws, 'one.txt'), '1\n');
  await git(ws, ['add', 'one.txt']);
  await git(ws, ['commit', '-q', '-m', 'agent committed']);
  await git(ws, ['checkout', '-q', '--detach', start]);
  await writeFile(join(ws, 'two.txt'), '2\n');
  assert.deepEqual((await repo.changedFiles()).files, ['one.txt', 'two.txt']);
  assert.equal(await repo.currentBranch(), BRANCH);
  const r = await commitAndPush(repo);
  assert.equal(r.fallback, false);
  const remote = (await readBranch(origin, BRANCH))!;
  assert.equal(remote.files['two.txt'], '2\n');
  assert.equal(remote.files['one.txt'], undefined, 'the detached worktree is what gets committed');
  assert.deepEqual(
    remote.log.map((c) => c.subject),
    ['Add health endpoint', 'agent committed', 'Initial commit'],
  );
});

test('cloneIfNeeded: an empty workspace is cloned without persisting credentials; a foreign one is refused', async () => {
  const origin = await createOrigin();
  const empty = await mkdtemp(join(tmpdir(), 'bda-empty-'));
  const { repo } = await open(origin, empty);
  assert.equal(await readFile(join(empty, 'README.md'), 'utf8'), '# demo\n');
  assert.ok(!(await readFile(join(empty, '.git/config'), 'utf8')).toLowerCase().includes('extraheader'));
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  assert.equal(await repo.currentBranch(), BRANCH);

  const missing = join(await mkdtemp(join(tmpdir(), 'bda-parent-')), 'ws');
  await open(origin, missing);
  assert.equal(await readFile(join(missing, 'README.md'), 'utf8'), '# demo\n');

  const full = await mkdtemp(join(tmpdir(), 'bda-full-'));
  await writeFile(join(full, 'stray.txt'), 'x');
  await assert.rejects(open(origin, full), (e) => e instanceof UserError && /not empty/.test(e.message));

  const other = await createOrigin();
  const foreign = await checkoutLikeActions(other, { token: TOKEN });
  await assert.rejects(open(origin, foreign), (e) => e instanceof UserError && /is a clone of/.test(e.message));
});

test('checkout v6 style: an includeIf to a credentials file and credential.* lines are taken out, then put back verbatim', async () => {
  const origin = await createOrigin();
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  await git(ws, ['config', '--local', '--unset-all', 'http.https://github.com/.extraheader']);
  const credFile = join(await mkdtemp(join(tmpdir(), 'bda-runner-temp-')), 'git-credentials-1234.config');
  await writeFile(credFile, `[http "https://github.com/"]\n\textraheader = ${checkoutExtraheader(TOKEN)}\n`);
  await git(ws, ['config', '--local', `includeIf.gitdir:${join(ws, '.git')}.path`, credFile]);
  await git(ws, ['config', '--local', 'credential.https://github.com.username', 'x-access-token']);
  assert.match(await git(ws, ['config', '--get', 'http.https://github.com/.extraheader']), /basic/);

  const { repo } = await open(origin, ws);
  await assert.rejects(
    git(ws, ['config', '--get', 'http.https://github.com/.extraheader']),
    'the included credentials no longer apply',
  );
  const text = await readFile(join(ws, '.git/config'), 'utf8');
  assert.ok(!text.includes(credFile) && !text.includes('x-access-token'));
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  await repo.restoreCredentials();
  assert.equal(
    (await git(ws, ['config', '--get', 'http.https://github.com/.extraheader'])).trim(),
    checkoutExtraheader(TOKEN),
  );
  assert.equal((await git(ws, ['config', '--get', 'credential.https://github.com.username'])).trim(), 'x-access-token');
});

test('formatConfigEntry round-trips through git for awkward subsections and values', async () => {
  const { formatConfigEntry } = await import('../../src/git/repository.ts');
  const file = join(await mkdtemp(join(tmpdir(), 'bda-cfg-')), 'config');
  const entries: Array<[string, string]> = [
    ['http.https://github.com/.extraheader', 'AUTHORIZATION: basic abc=='],
    ['includeif.gitdir:/a "b"\\c/.git.path', '/tmp/x y.config'],
    ['core.editor', 'say "hi" \\ and\ttab # not a comment ; nor this'],
  ];
  await writeFile(file, entries.map(([k, v]) => formatConfigEntry(k, v)).join(''));
  for (const [k, v] of entries)
    assert.equal((await git(tmpdir(), ['config', '--file', file, '--get', k])).replace(/\n$/, ''), v);
});
