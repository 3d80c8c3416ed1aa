import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authHeader,
  createCommandManager,
  gitEnvironment,
  GitCommandError,
  openRepository,
  type GitSettings,
} from '../../src/git/index.ts';
import { checkoutLikeActions, createOrigin, git, readBranch } from '../../test-support/git.ts';

const TOKEN = 'ghs_commandToken0123456789';
const B64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const settings: GitSettings = {
  workTree: '/work/ws',
  token: TOKEN,
  serverUrl: 'https://github.com/',
  protocols: ['https'],
};

function configOf(env: Record<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < Number(env.GIT_CONFIG_COUNT); i++)
    m.set(env[`GIT_CONFIG_KEY_${i}`]!, env[`GIT_CONFIG_VALUE_${i}`]!);
  return m;
}

test('the environment: token only as a scoped extraheader value on auth commands; nothing inherited but PATH and proxies', () => {
  const base = {
    PATH: '/usr/bin',
    HTTPS_PROXY: 'http://proxy:3128',
    GITHUB_TOKEN: TOKEN,
    INPUT_GITHUB_TOKEN: TOKEN,
    GIT_DIR: '/evil',
    GIT_CONFIG_PARAMETERS: "'core.fsmonitor=/evil'",
    HOME: '/root',
  };
  const plain = gitEnvironment(settings, {}, base);
  assert.ok(!JSON.stringify(plain).includes(TOKEN) && !JSON.stringify(plain).includes(B64), 'no token without auth');
  assert.equal(plain.PATH, '/usr/bin');
  assert.equal(plain.HTTPS_PROXY, 'http://proxy:3128');
  assert.equal(plain.GITHUB_TOKEN, undefined);
  assert.equal(plain.INPUT_GITHUB_TOKEN, undefined);
  assert.equal(plain.GIT_CONFIG_PARAMETERS, undefined);
  assert.equal(plain.GIT_DIR, '/work/ws/.git');
  assert.equal(plain.GIT_WORK_TREE, '/work/ws');
  assert.notEqual(plain.HOME, '/root');
  assert.equal(plain.GIT_CONFIG_NOSYSTEM, '1');
  assert.equal(plain.GIT_CONFIG_GLOBAL, '/dev/null');
  assert.equal(plain.GIT_ATTR_NOSYSTEM, '1');
  assert.equal(plain.GIT_TERMINAL_PROMPT, '0');
  const cfg = configOf(plain);
  assert.equal(cfg.get('core.hooksPath'), '/dev/null');
  assert.equal(cfg.get('core.fsmonitor'), 'false');
  assert.equal(cfg.get('credential.helper'), '');
  assert.equal(cfg.get('protocol.allow'), 'never');
  assert.equal(cfg.get('protocol.https.allow'), 'always');
  assert.equal(cfg.get('protocol.file.allow'), undefined);

  const auth = gitEnvironment(settings, { auth: true }, base);
  assert.equal(configOf(auth).get('http.https://github.com/.extraheader'), `AUTHORIZATION: basic ${B64}`);
  assert.equal(authHeader(TOKEN), `AUTHORIZATION: basic ${B64}`);
  const holders = Object.entries(auth)
    .filter(([, v]) => v.includes(B64))
    .map(([k]) => k);
  assert.equal(holders.length, 1);
  assert.match(holders[0]!, /^GIT_CONFIG_VALUE_\d+$/);
  assert.equal(gitEnvironment(settings, { noRepo: true }, base).GIT_DIR, undefined);
});

test('a non-zero exit rejects with GitCommandError carrying exit code and both streams, even with an empty stderr', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bda-cmd-'));
  execFileSync('git', ['init', '-q', dir]);
  const g = createCommandManager({ workTree: dir, token: '', serverUrl: 'https://github.com', protocols: ['file'] });
  assert.match(await g.exec(['rev-parse', '--git-dir']), /\.git/);
  await assert.rejects(
    g.exec(['config', '--get', 'no.such']),
    (e) => e instanceof GitCommandError && e.exitCode === 1 && e.stderr === '',
  );
  await assert.rejects(
    g.exec(['rev-parse', '--verify', 'nope']),
    (e) => e instanceof GitCommandError && e.exitCode === 128 && /nope|Needed/.test(e.stderr),
  );
});

test('a whole run never puts the token in any git command line (argv is visible in ps)', async () => {
  const bin = await mkdtemp(join(tmpdir(), 'bda-bin-'));
  const log = join(bin, 'argv.log');
  const real = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  await writeFile(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\nexec "${real}" "$@"\n`);
  await chmod(join(bin, 'git'), 0o755);
  const origin = await createOrigin();
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  try {
    const repo = await openRepository(ws, {
      token: TOKEN,
      serverUrl: 'https://github.com',
      repoFullName: 'acme/api',
      remoteUrl: origin.url,
    });
    await repo.prepareBranch({ branch: 'agent/1-x', base: 'main', mode: 'issue' });
    const restore = await repo.hideCredentials();
    await writeFile(join(ws, 'f.txt'), 'f\n');
    await restore();
    await repo.commitAll({ message: 'f', authorName: 'bot', authorEmail: 'bot@example.com', coAuthors: [] });
    await repo.push('agent/1-x');
    await repo.restoreCredentials();
  } finally {
    process.env.PATH = savedPath;
  }
  const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  assert.ok(
    lines.some((l) => l.startsWith('push ')) && lines.some((l) => l.startsWith('ls-remote ')),
    'the wrapper saw the commands',
  );
  for (const l of lines) {
    assert.ok(!l.includes(TOKEN) && !l.includes(B64), `token on a command line: ${l}`);
  }
  assert.ok((await readBranch(origin, 'agent/1-x'))?.files['f.txt']);
  assert.equal(
    (await git(ws, ['config', 'http.https://github.com/.extraheader'])).trim(),
    `AUTHORIZATION: basic ${B64}`,
  );
});

test('a workspace owned by another user (container jobs) still works: safe.directory is supplied per command', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to chown');
  const dir = await mkdtemp(join(tmpdir(), 'bda-owned-'));
  execFileSync('git', ['init', '-q', dir]);
  execFileSync('chown', ['-R', '65534', dir]);
  const g = createCommandManager({ workTree: dir, token: '', serverUrl: 'https://github.com', protocols: ['file'] });
  assert.match(await g.exec(['status', '--porcelain=v1', '--branch']), /^## /);
});
