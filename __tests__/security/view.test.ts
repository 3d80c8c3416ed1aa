// What Bash can see and do to the runner, through dist with the sandbox on: a self-hosted runner outside HOME
// (credentials, _diag, _work/_temp, other checkouts) with the workspace inside it, and a HOME whose toolchains keep
// credential files beside their bin and cache folders. The scripted model reads, lists, searches, follows the paths
// /proc/self/mountinfo names, runs the toolchains, starts more processes than the limit allows and writes past the
// file-size limit; the run must still end with a STATUS and push.
import { requireTools } from '../../test-support/system-tools.ts';
import assert from 'node:assert/strict';
import { createScenario, type Scenario } from '../../test-support/scenario.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import {
  assertNoLeak,
  assertNoSecretIn,
  assertPushed,
  createSelfHostedRunner,
  PLANTED,
  resultOf,
  statusTurn,
  toolUse,
  type SelfHostedRunner,
} from './assertions.ts';

const { test, before, after } = requireTools('bwrap', 'socat');

/** The limits the action claims (src/tools/limits.ts), checked here from inside the sandbox. */
const MAX_PROCESSES = 1024;
const MAX_FILE_BYTES = 1024 ** 3;

let s: Scenario;
let sh: SelfHostedRunner;
let run: ActionRun;

interface Case {
  name: string;
  block: ReturnType<typeof toolUse>;
  check?: (text: string) => void;
}
let cases: Case[] = [];
const bash = (command: string, timeout = 30_000) => toolUse('Bash', { command, timeout });

before(async () => {
  sh = await createSelfHostedRunner();
  s = await createScenario({ script: [], workspaceDir: sh.workspace });
  const r = sh.runner;
  cases = [
    {
      name: "cargo's credentials.toml and config.toml through CARGO_HOME",
      block: bash(
        'cat "$CARGO_HOME/credentials.toml" "$CARGO_HOME/config.toml" ~/.cargo/credentials 2>&1; ls -la "$CARGO_HOME" 2>&1',
      ),
      check: (t) => {
        assert.match(t, /credentials\.toml: No such file/);
        assert.doesNotMatch(t, /config\.toml\s*$/m, 'the cargo root lists only what was bound back');
      },
    },
    {
      name: 'HOME dotfiles: .npmrc, .git-credentials',
      block: bash('cat ~/.npmrc ~/.git-credentials 2>&1; ls -la ~ 2>&1'),
      check: (t) => assert.match(t, /\.npmrc: No such file/),
    },
    {
      name: "GOPATH outside its bin and module cache, nvm's root and a Node prefix's global npmrc",
      block: bash(
        'cat "$GOPATH/src/private/main.go" "$NVM_DIR/nvm.sh" "$NVM_DIR"/versions/node/*/etc/npmrc 2>&1; ls -la "$GOPATH" "$NVM_DIR" 2>&1',
      ),
    },
    {
      name: "the runner's .credentials, .credentials_rsaparams, .runner and _diag",
      block: bash(
        `cat ${r}/.credentials ${r}/.credentials_rsaparams ${r}/.runner ${r}/_diag/* 2>&1; ls -la ${r} ${r}/_work 2>&1`,
      ),
      check: (t) => {
        assert.match(t, /\.credentials: No such file/);
        const listed = [...t.matchAll(/^[d-][rwxsStT-]{9}\S* .* (\S+)$/gm)].map((m) => m[1]).sort();
        assert.deepEqual(
          listed,
          ['.', '.', '..', '..', '_tool', '_work', 'todo-api'],
          'the runner root lists only the way to the workspace and tool cache',
        );
      },
    },
    {
      name: "the runner's _work: _temp file commands, _actions, another repository's checkout",
      block: bash(
        `cat ${r}/_work/_temp/_runner_file_commands/* ${r}/_work/_actions/actions/checkout/v4/x.js ${r}/_work/other-repo/other-repo/.env 2>&1; ls -laR ${r}/_work/_temp 2>&1 | head -20`,
      ),
    },
    {
      name: 'find and grep over the whole view',
      block: bash(
        // System folders (large, and the same as the host's) are skipped; everything else the view holds is searched.
        `find / \\( -path /proc -o -path /sys -o -path /usr -o -path /opt -o -path /dev \\) -prune -o \\( -name '.credentials*' -o -name 'credentials*' ` +
          `-o -name '.npmrc' -o -name 'npmrc' -o -name '*.log' -o -name '.git-credentials' -o -name '.runner' \\) -printf '%p %s %y\\n' 2>/dev/null | head -40; ` +
          `grep -rIl doNotLeak / --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr --exclude-dir=opt --exclude-dir=dev 2>/dev/null | head; echo searched`,
      ),
      check: (t) => {
        assert.match(t, /searched$/);
        assert.doesNotMatch(
          t,
          /actions-runner\/\.(credentials|runner)|_diag|\.cargo\/credentials|runner\/\.npmrc|\.git-credentials/,
        );
        // A Node prefix's global npmrc is covered, not removed: its name shows, as an empty character device.
        assert.match(t, /\/v20\.0\.0\/etc\/npmrc 0 c$/m);
      },
    },
    {
      name: '/proc/self/mountinfo, and every path it names followed',
      block: bash(
        // The host's system folders are shown by design; every other path, and its parent, is listed and read.
        `cat /proc/self/mountinfo; for p in $(awk '{print $4; print $5}' /proc/self/mountinfo | grep -Ev '^/(dev|proc|sys|usr|etc|opt)(/|$)' | sort -u); do ` +
          `for q in "$p" "$p/.." "$p/../.."; do ls -la "$q"; for f in "$q"/* "$q"/.*; do [ -f "$f" ] && cat "$f"; done; done; done 2>/dev/null | tail -c 20000`,
      ),
      check: (t) => assert.ok(t.includes(s.workspace), 'mountinfo names the workspace (the probe ran)'),
    },
    {
      name: 'the toolchain bins, their caches and the tool cache still work read-only; the runner bin does not',
      block: bash(
        'cargo-tool; go-tool; nvm-tool; toolcache-tool; cat ~/.cargo/registry/cache/index/*.crate ~/go/pkg/mod/cache/download/example.com/m/@v/list; ' +
          'touch ~/.cargo/bin/x 2>&1 | grep -c "Read-only"; Runner.Worker 2>&1 | grep -c "not found"',
      ),
      check: (t) =>
        assert.equal(
          t,
          'cargo-runs\ngo-runs\nnvm-runs\ntoolcache-runs\ncrate-cache-readable\nv1.0.0 gomod-cache-readable\n1\n1',
        ),
    },
    {
      name: 'the workspace inside the runner root is writable and its .git is not',
      block: bash(
        `pwd; echo '# notes' > NOTES.md && echo wrote; { echo x >> .git/config; } 2>&1 | grep -c "Read-only"`,
      ),
      check: (t) => assert.equal(t, `${s.workspace}\nwrote\n1`),
    },
    {
      name: 'more processes than the limit: 1500 children, bounded, then the sandbox still works',
      // perl's fork fails at once where bash's retries for 15 s per child; bounded, so a missing limit costs 1500 sleeps.
      block: bash(
        `perl -e '$n = 0; for (1..1500) { $p = fork; last unless defined $p; if (!$p) { sleep 120; exit 0 } $n++ } print "started=$n\\n"'; ` +
          'n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo "processes=$n"',
      ),
      check: (t) => {
        const started = Number(/started=(\d+)/.exec(t)?.[1]);
        const n = Number(/processes=(\d+)/.exec(t)?.[1]);
        assert.ok(
          started > MAX_PROCESSES / 2 && started < MAX_PROCESSES,
          `${started} children started (limit ${MAX_PROCESSES}):\n${t}`,
        );
        assert.ok(n <= MAX_PROCESSES, `${n} processes ran (limit ${MAX_PROCESSES}):\n${t}`);
      },
    },
    {
      name: 'the next command after the flood runs normally (the flood died with its command)',
      block: bash('n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo "processes=$n"; echo alive'),
      check: (t) => {
        assert.match(t, /alive$/);
        assert.ok(Number(/processes=(\d+)/.exec(t)?.[1]) < 20, t);
      },
    },
    {
      name: 'a write past the file-size limit stops at the limit, and the limit cannot be raised',
      block: bash(
        'ulimit -f; ulimit -f unlimited 2>&1; dd if=/dev/zero of=big.bin bs=1M seek=1020 count=64 2>&1 | tail -1; echo "dd=$?"; stat -c %s big.bin; ' +
          'truncate -s 5G sparse.bin 2>&1; echo "truncate=$?"; rm -f big.bin sparse.bin',
      ),
      check: (t) => {
        const lines = t.split('\n');
        assert.equal(lines[0], String(MAX_FILE_BYTES / 1024), t);
        assert.match(t, /cannot modify limit/);
        assert.ok(t.includes(`\n${MAX_FILE_BYTES}\n`), `big.bin stopped at ${MAX_FILE_BYTES} bytes:\n${t}`);
        assert.match(t, /truncate=1/);
      },
    },
  ];
  s.anthropic.push(
    { content: [{ type: 'text', text: 'Looking around.' }, ...cases.map((c) => c.block)] },
    statusTurn(),
  );
  run = await s.run(s.comment({ body: '/backend-developer look around' }), {}, { env: sh.env });
});

after(async () => {
  await s?.close();
  await sh?.close();
});

test(
  'the run ended with a STATUS and pushed the notes Bash wrote in the workspace inside the runner root',
  { timeout: 60_000 },
  async () => {
    assert.equal(run.code, 0, run.stdout.slice(-4000) + run.stderr);
    assert.equal(run.outputs['status'], 'COMPLETE');
    assert.equal(s.anthropic.remaining(), 0);
    await assertPushed(run, s);
    assert.ok(
      s.gh.state.comments.some((c) => /COMPLETE/.test(c.body)),
      'a STATUS comment was posted',
    );
  },
);

test('the limits are stated to the model, not silently claimed', () => {
  const system = JSON.stringify(s.anthropic.requests[0]?.body?.system ?? '');
  assert.match(system, /at most 1024 processes \((pids cgroup|RLIMIT_NPROC)\)|process count NOT limited/);
  assert.match(system, /files up to 1 GiB/);
});

test('no secret anywhere: model requests, comments, summary, outputs, logs, transcript', async () => {
  await assertNoLeak(run, s);
});

for (const name of [
  "cargo's credentials.toml and config.toml through CARGO_HOME",
  'HOME dotfiles: .npmrc, .git-credentials',
  "GOPATH outside its bin and module cache, nvm's root and a Node prefix's global npmrc",
  "the runner's .credentials, .credentials_rsaparams, .runner and _diag",
  "the runner's _work: _temp file commands, _actions, another repository's checkout",
  'find and grep over the whole view',
  '/proc/self/mountinfo, and every path it names followed',
  'the toolchain bins, their caches and the tool cache still work read-only; the runner bin does not',
  'the workspace inside the runner root is writable and its .git is not',
  'more processes than the limit: 1500 children, bounded, then the sandbox still works',
  'the next command after the flood runs normally (the flood died with its command)',
  'a write past the file-size limit stops at the limit, and the limit cannot be raised',
]) {
  test(`view: ${name}`, () => {
    const c = cases.find((x) => x.name === name);
    assert.ok(c, name);
    const r = resultOf(s.anthropic.requests, c.block.id);
    assertNoSecretIn(`the ${name} result`, r.text);
    assert.ok(!r.text.includes(PLANTED) && !r.text.includes('***'), 'kept out by the view, not merely masked');
    c.check?.(r.text.replace(/\n\[exit code \d+\]$/, ''));
  });
}
