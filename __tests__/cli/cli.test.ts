import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startAnthropic, type AnthropicStandIn } from '../../test-support/anthropic-server.ts';
import { SERVICE_FILES, healthTurns, HEALTH_TEST } from '../../test-support/health-scenario.ts';
import { git } from '../../test-support/git.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// The CLI runs Bash in bubblewrap like the action (sandbox auto); its usage errors need nothing.
const sandboxed = requireTools('bwrap');

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const KEY = 'sk-ant-cli-test-key-0123456789';
const cleanup: Array<() => Promise<unknown>> = [];
after(() => Promise.all(cleanup.map((f) => f())));

async function repo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bda-cli-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  for (const [p, c] of Object.entries(SERVICE_FILES)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), c);
  }
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'init']);
  await git(dir, ['config', 'user.name', 'Dev']);
  await git(dir, ['config', 'user.email', 'dev@example.com']);
  return dir;
}

function cli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

test('without ANTHROPIC_API_KEY: a clear message and exit 2', async () => {
  const dir = await repo();
  const r = await cli(dir, ['run', 'add a /health endpoint']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ANTHROPIC_API_KEY is not set.*--replay/);
});

test('bad usage prints the usage and exits 2', async () => {
  const r = await cli(await repo(), ['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /Usage:/);
});

test(
  'run: the agent works on the local checkout, commits to a local branch, prints STATUS; the replay reproduces the diff byte for byte',
  { skip: sandboxed.skip },
  async () => {
    const dir = await repo();
    const start = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    const server: AnthropicStandIn = await startAnthropic({ script: healthTurns(), apiKey: KEY });
    cleanup.push(() => server.close());
    const r = await cli(dir, ['run', 'add a /health endpoint with tests'], {
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: server.url,
    });
    assert.equal(r.code, 0, r.stderr);
    server.assertNoViolations();
    assert.equal(server.remaining(), 0);
    assert.match(
      r.stdout,
      /^STATUS: COMPLETE\nSUMMARY: Added a GET \/health endpoint.*\nFILES: src\/server\.js, test\/health\.test\.js/m,
    );
    const branch = (await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    assert.match(branch, /^backend-developer\/local-add-a-health-endpoint-with-tests-/);
    assert.equal(await git(dir, ['show', `${branch}:test/health.test.js`]), HEALTH_TEST);
    assert.match(await git(dir, ['log', '-1', '--format=%an <%ae>']), /Dev <dev@example\.com>/);
    const transcript = /Transcript: (\S+)/.exec(r.stderr)![1]!;

    // Replay offline (no key, no server) from the same starting commit.
    await git(dir, ['checkout', '-q', start]);
    const again = await cli(dir, ['run', '--replay', transcript]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Replay reproduced the recorded diff byte for byte/);
    const replayBranch = (await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    assert.notEqual(replayBranch, branch);
    const d1 = await git(dir, ['diff', '--binary', start, branch]);
    const d2 = await git(dir, ['diff', '--binary', start, replayBranch]);
    assert.ok(d1.length > 0);
    assert.equal(d2, d1);

    // From another commit the replay refuses, saying which commit to check out.
    const wrong = await cli(dir, ['run', '--replay', transcript]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, new RegExp(`git checkout ${start}`));
  },
);
