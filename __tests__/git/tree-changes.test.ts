// What an API commit carries, read from git's objects: changed files with their modes and sizes, blob bytes as they
// are, and what the API cannot express (symlinks, executables, submodules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inexpressibleChange, openRepository, parseRawDiff, type TreeChange } from '../../src/git/index.ts';
import { checkoutLikeActions, createOrigin, git } from '../../test-support/git.ts';

const TOKEN = 'ghs_treeChangesToken0123456789';
const T = { timeout: 60_000 };

async function workspace() {
  const origin = await createOrigin({ files: { 'README.md': '# hi\n', 'old.txt': 'old\n', 'run.sh': 'echo\n' } });
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const repo = await openRepository(ws, {
    token: TOKEN,
    serverUrl: 'https://github.com',
    repoFullName: 'acme/api',
    remoteUrl: origin.url,
  });
  await repo.prepareBranch({ branch: 'agent/1-x', base: 'main', mode: 'issue' });
  return { ws, repo };
}

async function commit(repo: Awaited<ReturnType<typeof workspace>>['repo']) {
  await repo.commitAll({ message: 'm', authorName: 'bot', authorEmail: 'bot@example.com', coAuthors: [] });
}

test('plain files: added, modified and deleted, with sizes, and blobs read byte for byte', T, async () => {
  const { ws, repo } = await workspace();
  const binary = Buffer.from([0, 255, 10, 13, 0xc3, 0x28, 1, 2, 3]);
  await mkdir(join(ws, 'src'));
  await writeFile(join(ws, 'src', 'bin.dat'), binary);
  await writeFile(join(ws, 'README.md'), '# hello\n');
  await git(ws, ['rm', '-q', 'old.txt']);
  await commit(repo);
  const diff = await repo.treeDiff(repo.startSha());
  assert.equal(diff.inexpressible, null);
  const byPath = Object.fromEntries(diff.changes.map((c) => [c.path, c.status]));
  assert.deepEqual(byPath, { 'README.md': 'M', 'old.txt': 'D', 'src/bin.dat': 'A' });
  assert.equal(diff.bytes, binary.length + '# hello\n'.length);
  assert.deepEqual(diff.largest, { path: 'src/bin.dat', bytes: binary.length });
  const blob = diff.changes.find((c) => c.path === 'src/bin.dat')!.blob;
  const blobs = await repo.readBlobs([blob]);
  assert.ok(blobs.get(blob)!.equals(binary), 'binary contents survive');
});

test('a symlink and an executable bit are what the API cannot express', T, async () => {
  const { ws, repo } = await workspace();
  await symlink('README.md', join(ws, 'link'));
  await commit(repo);
  const link = await repo.treeDiff(repo.startSha());
  assert.match(link.inexpressible ?? '', /adds a symlink \(link\)/);

  const second = await workspace();
  await chmod(join(second.ws, 'run.sh'), 0o755);
  await commit(second.repo);
  const exec = await second.repo.treeDiff(second.repo.startSha());
  assert.match(exec.inexpressible ?? '', /changes an executable file \(run\.sh\)/);
});

test('parseRawDiff and inexpressibleChange on raw lines', { timeout: 5000 }, () => {
  const z = '0'.repeat(40);
  const a = 'a'.repeat(40);
  const raw = [`:000000 100644 ${z} ${a} A`, 'new file.txt', `:100755 000000 ${a} ${z} D`, 'tool.sh', ''].join('\0');
  const changes = parseRawDiff(raw);
  assert.deepEqual(
    changes.map((c) => [c.path, c.status]),
    [
      ['new file.txt', 'A'],
      ['tool.sh', 'D'],
    ],
  );
  assert.equal(inexpressibleChange(changes), null, 'deleting an executable is fine');
  const gitlink: TreeChange = { path: 'vendor/x', status: 'M', oldMode: '160000', newMode: '160000', blob: a };
  assert.match(inexpressibleChange([gitlink]) ?? '', /a submodule \(vendor\/x\)/);
});
