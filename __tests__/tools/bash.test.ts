import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allowedEnv, createToolbox, runCommand, type Toolbox } from '../../src/tools/index.ts';
import { tempDir, writeFiles } from './helpers.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// Skipped with the package to install when missing (failed under CI=true).
const sandboxed = requireTools('bwrap');
const proxied = requireTools('bwrap', 'socat');

// Secrets in the test process's own environment (what the action's process would hold) and in the env option.
const PROC_SECRET = `proc-secret-${process.pid}-x7`;
process.env.GITHUB_TOKEN = PROC_SECRET;
process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = PROC_SECRET;
process.env.INPUT_ANTHROPIC_API_KEY = PROC_SECRET;
const OPT_SECRET = `opt-secret-${process.pid}-y9`;

/** PIDs on the host whose command line contains `marker`. */
function hostPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

async function waitGone(marker: string, ms = 5000): Promise<number[]> {
  const end = Date.now() + ms;
  let pids = hostPidsWith(marker);
  while (pids.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    pids = hostPidsWith(marker);
  }
  return pids;
}

describe('Bash in the bubblewrap sandbox (network off)', { skip: sandboxed.skip }, () => {
  let ws: string;
  let tb: Toolbox;
  let server: http.Server;
  let port: number;
  const hostTmp = path.join(os.tmpdir(), `host-tmp-${process.pid}.txt`);

  before(async () => {
    ws = tempDir('bash-');
    writeFiles(ws, { 'README.md': 'hi\n', '.git/config': '[core]\n', '.git/HEAD': 'ref: refs/heads/main\n' });
    fs.writeFileSync(hostTmp, 'host tmp\n');
    server = http.createServer((_q, s) => s.end('LOOPBACK-REACHED')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    tb = await createToolbox({
      workspace: ws,
      tools: ['Bash'],
      sandbox: 'required',
      allowedDomains: ['none'],
      noSandboxSetup: true,
      env: {
        ...process.env,
        MY_API_KEY: OPT_SECRET,
        DEPLOY_PASSWORD: OPT_SECRET,
        ANTHROPIC_API_KEY: OPT_SECRET,
        HARMLESS_LOOKING: OPT_SECRET,
      },
    });
  });
  after(async () => {
    await tb.close();
    server.close();
    fs.rmSync(hostTmp, { force: true });
  });

  const bash = (command: string, timeout?: number) => tb.run('Bash', timeout ? { command, timeout } : { command });

  it('is really sandboxed with the network off', () => {
    assert.match(
      tb.sandboxInfo,
      /^bwrap \(network off; (at most 1024 processes \((pids cgroup|RLIMIT_NPROC)\)|process count NOT limited), files up to 1 GiB\)$/,
    );
  });

  it('runs in the workspace and can write there', async () => {
    const r = await bash('pwd && echo made > new.txt && cat README.md');
    assert.equal(r.isError, false, r.content);
    assert.equal(r.content, `${ws}\nhi`);
    assert.equal(fs.readFileSync(path.join(ws, 'new.txt'), 'utf8'), 'made\n');
  });

  for (const [name, cmd] of [
    ['env', 'env'],
    ['/proc/$PPID/environ', 'cat /proc/$PPID/environ | tr "\\0" "\\n"; cat /proc/1/environ | tr "\\0" "\\n"'],
    ['/proc/*/environ', 'for f in /proc/*/environ; do tr "\\0" "\\n" < $f; done 2>/dev/null; true'],
    ['ps eww', 'ps eww -A 2>&1 || ps aux'],
    ['the parent process command lines', 'cat /proc/*/cmdline 2>/dev/null | tr "\\0" " "; true'],
  ] as const) {
    it(`cannot print a secret through ${name}`, async () => {
      const r = await bash(cmd);
      assert.ok(r.content.length > 20, `the command printed something: ${r.content}`);
      assert.ok(!r.content.includes(PROC_SECRET), `process secret leaked via ${name}`);
      assert.ok(!r.content.includes(OPT_SECRET), `env-option secret leaked via ${name}`);
    });
  }

  it('sees only its own processes (own PID namespace)', async () => {
    const r = await bash('ls /proc | grep -c "^[0-9]"');
    assert.ok(Number(r.content) < 10, r.content);
    assert.ok(hostPidsWith('node').length > 0);
  });

  it('cannot write outside the workspace: /etc, the action HOME, host /tmp, .git', async () => {
    const home = process.env.HOME ?? '/root';
    const r = await bash(
      `touch /etc/sandbox-probe; echo x > ${home}/.sandbox-probe; echo pwned > ${hostTmp}; echo hook > .git/hooks-probe; ` +
        `echo '[core] hooksPath=/tmp' >> .git/config; ls ${home} | wc -l; true`,
    );
    assert.equal(fs.existsSync('/etc/sandbox-probe'), false);
    assert.equal(fs.existsSync(path.join(home, '.sandbox-probe')), false);
    assert.equal(fs.readFileSync(hostTmp, 'utf8'), 'host tmp\n');
    assert.equal(fs.existsSync(path.join(ws, '.git/hooks-probe')), false);
    assert.equal(fs.readFileSync(path.join(ws, '.git/config'), 'utf8'), '[core]\n');
    assert.match(r.content, /Read-only file system/);
  });

  it('has a fresh HOME: the action HOME files are invisible', async () => {
    const home = process.env.HOME ?? '/root';
    const probe = path.join(home, `.fake-credentials-${process.pid}`);
    fs.writeFileSync(probe, 'https://x:token@github.com\n');
    try {
      const r = await bash(`cat ${probe}; ls -A ~`);
      assert.ok(!r.content.includes('token@github.com'), r.content);
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });

  it('cannot reach a loopback server started by the test', async () => {
    const r = await bash(
      `curl -sS --max-time 3 http://127.0.0.1:${port}/ || (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>&1 || echo unreachable`,
    );
    assert.ok(!r.content.includes('LOOPBACK-REACHED'), r.content);
    assert.match(r.content, /unreachable/);
  });

  it('a command sleeping past its timeout is killed with its children', async () => {
    const marker = `${3000 + (process.pid % 1000)}.4321`;
    const started = Date.now();
    const r = await bash(`sleep ${marker} & sleep ${marker}; echo never`, 1000);
    assert.equal(r.isError, true);
    assert.match(r.content, /timed out after 1000 ms/);
    assert.ok(!r.content.includes('never'));
    assert.ok(Date.now() - started < 6000);
    assert.deepEqual(await waitGone(marker), []);
  });

  it('background jobs do not outlive the command', async () => {
    const marker = `${4000 + (process.pid % 1000)}.5432`;
    const r = await bash(`(sleep ${marker} &) ; echo started`);
    assert.equal(r.content, 'started');
    assert.deepEqual(await waitGone(marker), []);
  });

  it('stdin is closed and a non-zero exit is an error result with the code', async () => {
    const r = await bash('cat; echo "read:$?"; exit 3');
    assert.equal(r.isError, true);
    assert.equal(r.content, 'read:0\n[exit code 3]');
  });

  it('caps long output, keeping head and tail', async () => {
    const r = await bash('seq 1 100000');
    assert.ok(r.content.length < 31_000, String(r.content.length));
    assert.ok(r.content.startsWith('1\n2\n'));
    assert.ok(r.content.endsWith('100000'));
    assert.match(r.content, /characters of output cut/);
  });

  it('an abort kills the running command', async () => {
    const marker = `${5000 + (process.pid % 1000)}.6543`;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await tb.run('Bash', { command: `sleep ${marker}` }, ac.signal);
    assert.equal(r.isError, true);
    assert.match(r.content, /cancelled/);
    assert.deepEqual(await waitGone(marker), []);
  });

  it('rejects a timeout above the maximum as invalid input', async () => {
    const r = await bash('true', 700_000);
    assert.equal(r.isError, true);
    assert.match(r.content, /timeout' must be at most 600000/);
  });
});

describe('Bash network through the domain proxy', { skip: proxied.skip }, () => {
  it('reaches an allowed host through the proxy and is refused others', async () => {
    const ws = tempDir('bash-net-');
    const server = http.createServer((q, s) => s.end(`HOST-SERVER ${q.url}`)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const tb = await createToolbox({
      workspace: ws,
      tools: ['Bash'],
      sandbox: 'required',
      allowedDomains: [`127.0.0.1:${port}`],
      noSandboxSetup: true,
    });
    try {
      assert.match(tb.sandboxInfo, /proxy/);
      // --noproxy '' makes curl use the proxy even for 127.0.0.1 (which NO_PROXY exempts for in-sandbox servers).
      const ok = await tb.run('Bash', {
        command: `curl -sS --max-time 5 --noproxy '' http://127.0.0.1:${port}/a; echo; curl -sS -p --max-time 5 --noproxy '' http://127.0.0.1:${port}/b`,
      });
      assert.equal(ok.content, 'HOST-SERVER /a\nHOST-SERVER /b', ok.content);
      const denied = await tb.run('Bash', {
        command: `curl -sS --max-time 5 --noproxy '' http://127.0.0.2:${port}/c; curl -sS --max-time 5 --noproxy '' http://127.0.0.1:1/d`,
      });
      assert.match(denied.content, /127\.0\.0\.2:\d+ is not in allowed-domains/);
      assert.match(denied.content, /127\.0\.0\.1:1 is not in allowed-domains/);
      assert.ok(!denied.content.includes('HOST-SERVER'));
    } finally {
      await tb.close();
      server.close();
    }
  });
});

describe('environment allowlist and unsandboxed mode', () => {
  it('allowedEnv keeps tool variables and drops every secret-looking name', () => {
    const e = allowedEnv({
      PATH: '/bin',
      HOME: '/h',
      LC_ALL: 'C',
      JAVA_HOME_17_X64: '/j',
      GOPATH: '/g',
      npm_config_cache: '/c',
      GITHUB_TOKEN: 's',
      NPM_TOKEN: 's',
      AWS_SECRET_ACCESS_KEY: 's',
      ANTHROPIC_BASE_URL: 'u',
      ACTIONS_RUNTIME_URL: 'u',
      INPUT_GITHUB_TOKEN: 's',
      DB_PASSWORD: 's',
      RANDOM_VAR: 'r',
      SSH_AUTH_SOCK: '/s',
    });
    assert.deepEqual(Object.keys(e).sort(), [
      'CI',
      'GOPATH',
      'HOME',
      'JAVA_HOME_17_X64',
      'LC_ALL',
      'PATH',
      'npm_config_cache',
    ]);
  });

  it("sandbox 'off' still passes only the allowlist", async () => {
    const ws = tempDir('bash-off-');
    const tb = await createToolbox({
      workspace: ws,
      tools: ['Bash'],
      sandbox: 'off',
      env: { ...process.env, SOME_SECRET: OPT_SECRET },
    });
    assert.equal(tb.sandboxInfo, 'off');
    const r = await tb.run('Bash', { command: 'env' });
    assert.ok(!r.content.includes(PROC_SECRET) && !r.content.includes(OPT_SECRET));
    assert.match(r.content, /^PATH=/m);
    await tb.close();
  });

  it('runCommand runs like Bash (sandboxed, timeout) for the verify-command', { skip: sandboxed.skip }, async () => {
    const ws = tempDir('verify-');
    const r = await runCommand('echo ok; ls /proc | grep -c "^[0-9]"; exit 2', {
      workspace: ws,
      sandbox: 'required',
      allowedDomains: ['none'],
      timeoutMs: 10_000,
    });
    assert.equal(r.exitCode, 2);
    assert.equal(r.timedOut, false);
    assert.ok(Number(r.output.split('\n')[1]) < 10, r.output);
    const t = await runCommand('sleep 30', { workspace: ws, sandbox: 'off', timeoutMs: 300 });
    assert.equal(t.timedOut, true);
  });

  it("a missing bwrap fails with a message naming the fix (sandbox 'required')", async () => {
    const ws = tempDir('nobwrap-');
    await assert.rejects(
      createToolbox({
        workspace: ws,
        tools: ['Bash'],
        sandbox: 'required',
        noSandboxSetup: true,
        env: { PATH: '/nonexistent' },
      }),
      (e: unknown) => e instanceof Error && /install/i.test(e.message) && /sandbox: off/.test(e.message),
    );
  });
});

describe('runner layout: workspace inside HOME, RUNNER_TEMP and _actions hidden', { skip: sandboxed.skip }, () => {
  it('binds the workspace back over the hidden HOME and hides the runner folders', async () => {
    const home = tempDir('runner-home-');
    const ws = path.join(home, 'work/repo/repo');
    writeFiles(home, {
      'work/repo/repo/src/a.txt': 'workspace file\n',
      'work/_temp/_runner_file_commands/set_env': 'RUNNER-TEMP-SECRET\n',
      'work/_actions/owner/action/token.txt': 'ACTIONS-DIR-SECRET\n',
      '.git-credentials': 'https://x:CRED-SECRET@github.com\n',
      '.cargo/bin/mytool': '#!/bin/sh\necho toolchain-ok\n',
    });
    fs.chmodSync(path.join(home, '.cargo/bin/mytool'), 0o755);
    const env = { PATH: `${home}/.cargo/bin:/usr/bin:/bin`, HOME: home, RUNNER_TEMP: path.join(home, 'work/_temp') };
    const tb = await createToolbox({
      workspace: ws,
      tools: ['Bash'],
      sandbox: 'required',
      allowedDomains: ['none'],
      env,
      noSandboxSetup: true,
    });
    try {
      const r = await tb.run('Bash', {
        command: `cat src/a.txt; mytool; cat ~/.git-credentials ${home}/work/_temp/_runner_file_commands/set_env ${home}/work/_actions/owner/action/token.txt 2>&1; ls -A ~ ${home}/work; echo new > src/b.txt`,
      });
      assert.match(r.content, /^workspace file\ntoolchain-ok\n/);
      assert.ok(!/SECRET/.test(r.content), r.content);
      assert.equal(fs.readFileSync(path.join(ws, 'src/b.txt'), 'utf8'), 'new\n');
    } finally {
      await tb.close();
    }
  });
});
