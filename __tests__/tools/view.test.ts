// The sandbox's filesystem view, deny by default: bwrapArgs' mounts run through a real bwrap over a fake runner
// layout — a self-hosted runner inside a system folder (a stand-in for /opt), a HOME with toolchains and their
// credential files, hiddenPaths — and the resource limits, measured with bounded process counts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTools } from '../../test-support/system-tools.ts';
import { bwrapArgs, type BwrapPlan } from '../../src/tools/sandbox.ts';
import { prepareLimits, type Limits } from '../../src/tools/limits.ts';
import { runnerPaths, SYSTEM_DIRS } from '../../src/tools/view.ts';
import { writeFiles } from './helpers.ts';

const { before, describe, it } = requireTools('bwrap');

const SECRET = `view-secret-${process.pid}`;
/** In the workspace, where only hiddenPaths keeps it from Bash. */
const WS_SECRET = `ws-only-${process.pid}`;
const bwrap = spawnSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).stdout.trim();

/**
 * Fixtures live outside /tmp and /var/tmp: the view covers both with a fresh tmpfs after binding the system folders,
 * which would hide a fake system folder placed there.
 */
function fixtureRoot(): string {
  const base = path.join(os.homedir(), '.cache');
  fs.mkdirSync(base, { recursive: true });
  const d = fs.realpathSync(fs.mkdtempSync(path.join(base, 'bda-view-')));
  process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Layout {
  root: string;
  /** Stands in for /opt: a system folder, bound read-only. */
  opt: string;
  runner: string;
  home: string;
  ws: string;
  env: Record<string, string>;
}

function makeLayout(): Layout {
  const root = fixtureRoot();
  const opt = path.join(root, 'opt');
  const runner = path.join(opt, 'actions-runner');
  const home = path.join(root, 'home', 'runner');
  const ws = path.join(runner, '_work', 'repo', 'repo');
  writeFiles(root, {
    'opt/some-tool/bin/tool': '#!/bin/sh\necho some-tool-ok\n',
    'opt/actions-runner/.credentials': SECRET,
    'opt/actions-runner/.credentials_rsaparams': SECRET,
    'opt/actions-runner/.runner': SECRET,
    'opt/actions-runner/bin/Runner.Listener': SECRET,
    'opt/actions-runner/_diag/Runner_1.log': SECRET,
    'opt/actions-runner/_work/_temp/_runner_file_commands/set_env_1': SECRET,
    'opt/actions-runner/_work/_temp/mytool/bin/tmptool': '#!/bin/sh\necho tmptool-ok\n',
    'opt/actions-runner/_work/_actions/o/a/v1/x.js': SECRET,
    'opt/actions-runner/_work/_tool/node/20/x64/bin/tc': '#!/bin/sh\necho toolcache-ok\n',
    'opt/actions-runner/_work/other/other/secret.txt': SECRET,
    'opt/actions-runner/_work/repo/repo/src/a.txt': 'workspace file\n',
    'opt/actions-runner/_work/repo/repo/.env': WS_SECRET,
    'opt/actions-runner/_work/repo/repo/private/key.pem': WS_SECRET,
    'opt/actions-runner/_work/repo/repo/.git/config': '[core]\n',
    'home/runner/.cargo/credentials.toml': `[registry]\ntoken = "${SECRET}"\n`,
    'home/runner/.cargo/config.toml': `[registries.x]\ntoken = "${SECRET}"\n`,
    'home/runner/.cargo/bin/cargo-x': '#!/bin/sh\necho cargo-bin-ok\n',
    'home/runner/.cargo/registry/cache/crate.txt': 'crate-cache-ok\n',
    'home/runner/.npmrc': `//registry.npmjs.org/:_authToken=${SECRET}\n`,
    'home/runner/go/pkg/mod/cache/mod.txt': 'gomod-ok\n',
    'home/runner/go/src/private/secret.go': SECRET,
    'home/runner/.nvm/versions/node/v20.0.0/bin/nodex': '#!/bin/sh\necho nvm-ok\n',
    'home/runner/.nvm/versions/node/v20.0.0/etc/npmrc': `//r/:_authToken=${SECRET}\n`,
    'home/runner/.nvm/nvm.sh': `# ${SECRET}\n`,
    'home/runner/.local/bin/localtool': '#!/bin/sh\necho local-bin-ok\n',
    'home/runner/.local/share/secret.txt': SECRET,
    'home/runner/venv/bin/vtool': '#!/bin/sh\necho venv-ok\n',
    'home/runner/venv/pyvenv.cfg': 'home = /usr/bin\n',
    'home/runner/venv/secret.txt': SECRET,
  });
  for (const f of [
    'opt/some-tool/bin/tool',
    'opt/actions-runner/_work/_temp/mytool/bin/tmptool',
    'opt/actions-runner/_work/_tool/node/20/x64/bin/tc',
    'home/runner/.cargo/bin/cargo-x',
    'home/runner/.nvm/versions/node/v20.0.0/bin/nodex',
    'home/runner/.local/bin/localtool',
    'home/runner/venv/bin/vtool',
  ]) {
    fs.chmodSync(path.join(root, f), 0o755);
  }
  const env = {
    HOME: home,
    PATH: [
      `${home}/.cargo/bin`,
      `${home}/.nvm/versions/node/v20.0.0/bin`,
      `${home}/.local/bin`,
      `${home}/venv/bin`,
      `${runner}/_work/_temp/mytool/bin`,
      `${runner}/_work/_tool/node/20/x64/bin`,
      `${runner}/bin`,
      home,
      `${opt}/some-tool/bin`,
      '/usr/bin',
      '/bin',
    ].join(':'),
    CARGO_HOME: `${home}/.cargo`,
    GOPATH: `${home}/go`,
    NVM_DIR: `${home}/.nvm`,
    VIRTUAL_ENV: `${home}/venv`,
    RUNNER_TEMP: `${runner}/_work/_temp`,
    RUNNER_TOOL_CACHE: `${runner}/_work/_tool`,
  };
  return { root, opt, runner, home, ws, env };
}

function plan(l: Layout, extra: Partial<BwrapPlan> = {}): BwrapPlan {
  return {
    workspace: l.ws,
    env: l.env,
    inner: {},
    network: 'off',
    proxySocket: null,
    systemDirs: [...SYSTEM_DIRS, l.opt],
    tmpfsBytes: null,
    ...extra,
  };
}

/** Runs a script in the view of `p` (real bwrap), as an attacker's command would. */
function inView(p: BwrapPlan, script: string): { out: string; code: number | null } {
  const { args } = bwrapArgs(p);
  args.push(
    '--setenv',
    'PATH',
    String(p.env.PATH),
    '--setenv',
    'HOME',
    String(p.env.HOME),
    '--',
    '/bin/bash',
    '--noprofile',
    '--norc',
    '-c',
    script,
  );
  const r = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 30_000 });
  return { out: `${r.stdout}${r.stderr}`, code: r.status };
}

describe('runnerPaths', () => {
  it('derives a self-hosted runner root from RUNNER_TEMP or RUNNER_TOOL_CACHE', () => {
    assert.deepEqual(runnerPaths({ RUNNER_TEMP: '/opt/actions-runner/_work/_temp' }), {
      root: '/opt/actions-runner',
      work: '/opt/actions-runner/_work',
      temp: '/opt/actions-runner/_work/_temp',
      toolCache: null,
    });
    assert.equal(runnerPaths({ RUNNER_TOOL_CACHE: '/srv/r/_work/_tool', RUNNER_TEMP: '/elsewhere/t' }).root, '/srv/r');
    // Hosted: the install is under HOME; only the work folder is known.
    assert.deepEqual(
      runnerPaths({ RUNNER_TEMP: '/home/runner/work/_temp', RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' }),
      {
        root: null,
        work: '/home/runner/work',
        temp: '/home/runner/work/_temp',
        toolCache: '/opt/hostedtoolcache',
      },
    );
    // A RUNNER_TEMP not named _temp is hidden alone; relative values are ignored.
    assert.deepEqual(runnerPaths({ RUNNER_TEMP: '/opt/tmp-x', RUNNER_TOOL_CACHE: 'rel/_work/_tool' }), {
      root: null,
      work: null,
      temp: '/opt/tmp-x',
      toolCache: null,
    });
  });
});

describe('the sandbox view through a real bwrap', { skip: !bwrap && 'bwrap is not installed' }, () => {
  let l: Layout;
  before(() => {
    l = makeLayout();
  });

  it('plans the mounts in order: runner root covered, tool cache and toolchain bins bound back, workspace last', () => {
    const { args, notes } = bwrapArgs(plan(l));
    const at = (...xs: string[]): number => args.findIndex((_, i) => xs.every((x, j) => args[i + j] === x));
    assert.ok(at('--ro-bind', l.opt, l.opt) >= 0, 'the fake /opt is a system folder');
    assert.ok(at('--tmpfs', l.runner) > at('--ro-bind', l.opt, l.opt), 'the runner root is covered after /opt');
    assert.ok(at('--tmpfs', l.home) >= 0, 'HOME is an empty tmpfs');
    for (const d of [
      `${l.runner}/_work/_tool`,
      `${l.home}/.cargo/bin`,
      `${l.home}/.cargo/registry`,
      `${l.home}/go/pkg/mod`,
      `${l.home}/.nvm/versions`,
      `${l.home}/.local/bin`,
      `${l.home}/venv/bin`,
      `${l.home}/venv/pyvenv.cfg`,
      `${l.runner}/_work/_temp/mytool/bin`,
    ]) {
      assert.ok(at('--ro-bind', d, d) > at('--tmpfs', l.runner), `${d} bound back read-only`);
    }
    for (const d of [
      `${l.home}/.cargo`,
      `${l.home}/go`,
      `${l.home}/.nvm`,
      `${l.home}/venv`,
      l.home,
      `${l.runner}/bin`,
    ]) {
      assert.equal(at('--ro-bind', d, d), -1, `${d} is never bound whole`);
    }
    assert.ok(at('--bind', l.ws, l.ws) > at('--ro-bind', `${l.home}/.cargo/bin`, `${l.home}/.cargo/bin`));
    assert.ok(at('--ro-bind', `${l.ws}/.git`, `${l.ws}/.git`) > at('--bind', l.ws, l.ws));
    assert.equal(args.at(-5), '--remount-ro');
    assert.ok(
      notes.some((n) => n.includes(`PATH entry ${l.home} `) && /holds/.test(n)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((n) =>
        n.includes(`PATH entry ${l.runner}/bin is not visible to Bash: it is inside the runner's folder`),
      ),
      notes.join('\n'),
    );
  });

  it('an attacker sees no secret: runner root, work folder, HOME, toolchain roots, mountinfo paths', () => {
    const r = inView(
      plan(l),
      [
        `cat ${l.runner}/.credentials ${l.runner}/.credentials_rsaparams ${l.runner}/.runner ${l.runner}/_diag/* 2>&1`,
        `ls -la ${l.runner} ${l.runner}/_work 2>&1`,
        `cat ${l.runner}/_work/_temp/_runner_file_commands/* ${l.runner}/_work/_actions/o/a/v1/x.js ${l.runner}/_work/other/other/secret.txt 2>&1`,
        `cat "$HOME/.cargo/credentials.toml" "$HOME/.cargo/config.toml" ~/.npmrc ~/go/src/private/secret.go ~/.nvm/nvm.sh 2>&1`,
        `cat ~/.nvm/versions/node/v20.0.0/etc/npmrc ~/.local/share/secret.txt ~/venv/secret.txt 2>&1`,
        `find / -xdev -name '*secret*' -o -name '.credentials*' 2>/dev/null | head -50`,
        `grep -r "${SECRET.slice(0, 12)}" ${l.root} 2>/dev/null | head`,
        // Every path mountinfo names, read or listed.
        `for p in $(awk '{print $4; print $5}' /proc/self/mountinfo | grep -v -e '^/dev' -e '^/proc' -e '^/sys' | sort -u); do ` +
          `ls -la "$p"; for f in "$p" "$p"/* "$p"/.*; do [ -f "$f" ] && cat "$f"; done; done 2>/dev/null | grep -a "${SECRET.slice(0, 12)}"`,
        'echo END',
      ].join('\n'),
    );
    assert.match(r.out, /END$/m, r.out);
    assert.ok(!r.out.includes(SECRET), r.out.slice(0, 3000));
    assert.doesNotMatch(r.out, /\.credentials_rsaparams\s*$/m, 'the runner root lists empty');
  });

  it('toolchain bins, package caches, the tool cache and system tools still work; the workspace is writable', () => {
    const r = inView(
      plan(l),
      'cargo-x; nodex; localtool; vtool; tmptool; tc; tool; cat ~/.cargo/registry/cache/crate.txt ~/go/pkg/mod/cache/mod.txt; ' +
        'cat src/a.txt; echo made > src/b.txt && echo wrote; touch .git/x 2>&1 | grep -o "Read-only file system"; touch ~/.cargo/bin/y 2>&1 | grep -o "Read-only file system"; ' +
        `touch ${l.runner}/x 2>&1 | grep -o "Read-only file system"; echo home > ~/f && cat ~/f; pwd`,
    );
    assert.equal(
      r.out,
      [
        'cargo-bin-ok',
        'nvm-ok',
        'local-bin-ok',
        'venv-ok',
        'tmptool-ok',
        'toolcache-ok',
        'some-tool-ok',
        'crate-cache-ok',
        'gomod-ok',
        'workspace file',
        'wrote',
        'Read-only file system',
        'Read-only file system',
        'Read-only file system',
        'home',
        l.ws,
        '',
      ].join('\n'),
    );
    assert.equal(fs.readFileSync(path.join(l.ws, 'src/b.txt'), 'utf8'), 'made\n');
  });

  it('hiddenPaths covers files and folders, also inside the workspace and a system folder; names outside the view stay unnamed', () => {
    const sysFile = path.join(l.opt, 'some-tool', 'token.txt');
    fs.writeFileSync(sysFile, WS_SECRET);
    const hiddenPaths = [
      path.join(l.ws, '.env'),
      path.join(l.ws, 'private'),
      sysFile,
      path.join(l.home, '.npmrc'),
      '/nonexistent/x',
      'relative/x',
      path.dirname(l.ws),
    ];
    const p = plan(l, { hiddenPaths });
    const { args, notes } = bwrapArgs(p);
    const at = (...xs: string[]): number => args.findIndex((_, i) => xs.every((x, j) => args[i + j] === x));
    assert.ok(
      at('--ro-bind', '/dev/null', path.join(l.ws, '.env')) > at('--bind', l.ws, l.ws),
      'a file: /dev/null, after the workspace bind',
    );
    assert.ok(at('--tmpfs', path.join(l.ws, 'private')) > at('--bind', l.ws, l.ws), 'a folder: an empty tmpfs');
    assert.ok(at('--remount-ro', path.join(l.ws, 'private')) > 0, '… made read-only');
    assert.ok(at('--ro-bind', '/dev/null', sysFile) > 0);
    assert.equal(
      args.indexOf(path.join(l.home, '.npmrc')),
      -1,
      'under the empty HOME: nothing to cover, no name to leak',
    );
    assert.equal(args.indexOf('/nonexistent/x'), -1);
    assert.ok(
      notes.some((n) => /relative\/x is ignored: it must be absolute/.test(n)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((n) => n === `hidden path ${path.dirname(l.ws)} is ignored: it holds the workspace.`),
      notes.join('\n'),
    );
    const r = inView(
      p,
      `cat .env private/key.pem ${sysFile} 2>&1; echo "[$(cat .env)]"; ls -A private; echo x > private/y 2>&1; echo x > .env 2>&1; cat src/a.txt`,
    );
    assert.ok(!r.out.includes(WS_SECRET), r.out);
    assert.match(r.out, /^\[\]$/m);
    assert.match(r.out, /Read-only file system/);
    assert.match(r.out, /workspace file/);
    assert.equal(fs.readFileSync(path.join(l.ws, '.env'), 'utf8'), WS_SECRET, 'the host file is untouched');
  });

  it('a workspace inside HOME (the hosted layout) is bound back over the empty HOME', () => {
    const home = path.join(l.root, 'hosted', 'home', 'runner');
    const ws = path.join(home, 'work', 'r', 'r');
    writeFiles(home, {
      'work/r/r/x.txt': 'hosted-ws\n',
      'work/_temp/_runner_file_commands/e': SECRET,
      'runners/2.0/.credentials': SECRET,
      '.git-credentials': SECRET,
    });
    const env = {
      HOME: home,
      PATH: '/usr/bin:/bin',
      RUNNER_TEMP: path.join(home, 'work/_temp'),
      RUNNER_TOOL_CACHE: path.join(l.opt, 'hostedtoolcache'),
    };
    const r = inView(
      { ...plan(l), workspace: ws, env },
      `cat x.txt; cat ~/.git-credentials ~/runners/2.0/.credentials ~/work/_temp/_runner_file_commands/e 2>&1; ls -A ~ ~/work`,
    );
    assert.match(r.out, /^hosted-ws\n/);
    assert.ok(!r.out.includes(SECRET), r.out);
  });
});

/** Host PIDs whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

describe('resource limits, measured', { skip: !bwrap && 'bwrap is not installed' }, () => {
  let ws: string;
  before(() => {
    // Readable by the unprivileged user the RLIMIT case runs as (a root-owned HOME is not).
    ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bda-limits-')));
    fs.chmodSync(ws, 0o755);
    process.on('exit', () => fs.rmSync(ws, { recursive: true, force: true }));
  });

  /**
   * Starts at most `tries` sleeping children in the sandbox under a limit and counts how many ran. Bounded either
   * way: even with no limit at all, `tries` sleeps are all that start, and they are killed after.
   */
  async function countStarted(limits: Limits, asUser: number | null, tries: number): Promise<number> {
    const marker = `${6000 + (process.pid % 1000)}.${Math.floor(Math.random() * 9000) + 1000}`;
    const { args } = bwrapArgs({
      workspace: ws,
      env: { PATH: '/usr/bin:/bin' },
      inner: {},
      network: 'off',
      proxySocket: null,
    });
    const script = [
      ...limits.scriptLines,
      `for i in $(seq ${tries}); do sleep ${marker} & done 2>/dev/null; wait`,
    ].join('\n');
    args.push('--', '/bin/bash', '--noprofile', '--norc', '-c', script);
    let { file, args: argv } = limits.wrap(bwrap, args);
    if (asUser !== null)
      [file, argv] = ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', file, ...argv]];
    const child = spawn(file, argv, { detached: true, stdio: 'ignore' });
    const sleeping = (): number => pidsWith(`sleep\u0000${marker}`).length;
    let started = 0;
    try {
      // Until the count has not grown for a second (the loop hit the limit, or all are up), at most 15 s.
      for (let last = -1, still = 0, i = 0; i < 60 && still < 4; i++) {
        await new Promise((r) => setTimeout(r, 250));
        started = sleeping();
        still = started === last && started > 0 ? still + 1 : 0;
        last = started;
      }
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await limits.close();
    }
    return started;
  }

  const root = process.getuid?.() === 0;
  it(
    'as root: a pids cgroup holds 200 children to the limit of 64',
    { timeout: 60_000, skip: !root && 'needs root' },
    async (t) => {
      const limits = prepareLimits({ uid: 0, maxProcesses: 64 });
      if (limits.processes.kind === 'none') {
        assert.match(limits.info, /process count NOT limited/, 'an unenforceable limit is reported, not claimed');
        t.skip(`no pids cgroup here: ${limits.processes.why}`);
        return;
      }
      assert.equal(limits.info, 'at most 64 processes (pids cgroup), files up to 1 GiB');
      const n = await countStarted(limits, null, 200);
      t.diagnostic(`started ${n} of 200 under a limit of 64`);
      assert.ok(n > 10 && n <= 64, `started ${n}`);
    },
  );

  it(
    'as a normal user: RLIMIT_NPROC, set inside the user namespace, holds 200 children to 64',
    { timeout: 60_000 },
    async (t) => {
      const uid = root ? 65534 : process.getuid!();
      const limits = prepareLimits({ uid, maxProcesses: 64 });
      assert.equal(limits.processes.kind, 'rlimit');
      assert.equal(limits.info, 'at most 64 processes (RLIMIT_NPROC), files up to 1 GiB');
      const n = await countStarted(limits, root ? uid : null, 200);
      t.diagnostic(`started ${n} of 200 under a limit of 64`);
      assert.ok(n > 10 && n <= 64, `started ${n}`);
      // The same count with no limit starts them all: the measure can tell a limit from none.
      assert.equal(await countStarted(prepareLimits({ uid, maxProcesses: 100_000 }), root ? uid : null, 200), 200);
    },
  );

  it('as root without a cgroup, the process limit is reported as not enforced', () => {
    const limits = prepareLimits({ uid: 0, cgroupRoot: path.join(ws, 'no-cgroups') });
    assert.equal(limits.processes.kind, 'none');
    assert.match(limits.processes.why ?? '', /RLIMIT_NPROC does not apply/);
    assert.match(limits.info, /^process count NOT limited, files up to 1 GiB$/);
    assert.deepEqual(limits.wrap('/bin/x', ['a']), { file: '/bin/x', args: ['a'] });
  });

  it('RLIMIT_FSIZE stops a write past the limit, and the command cannot raise it', { timeout: 30_000 }, () => {
    const limits = prepareLimits({ uid: 1000, maxFileBytes: 1024 * 1024 });
    assert.match(limits.info, /files up to 1 MiB/);
    const r = inView(
      {
        workspace: ws,
        env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
        inner: {},
        network: 'off',
        proxySocket: null,
      },
      [
        ...limits.scriptLines,
        'head -c 3000000 /dev/zero > big; echo "rc=$?"; stat -c %s big',
        'ulimit -f unlimited 2>&1; truncate -s 2G sparse 2>&1; echo "trunc=$?"',
        'rm -f big sparse',
      ].join('\n'),
    );
    assert.match(r.out, /rc=(153|1)\n1048576\n/, r.out);
    assert.match(r.out, /ulimit: file size: cannot modify limit/, r.out);
    assert.match(r.out, /trunc=1/, r.out);
  });
});
