// Bash's state across calls: the working directory carries over (confined to the workspace, reported when cd moved
// it), and run_in_background starts a command that BashOutput reads and KillShell stops, killed at the latest when
// the toolbox closes. Run unsandboxed (always) and in the bubblewrap sandbox (when it works here).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createToolbox, type Toolbox } from '../../src/tools/index.ts';
import { MAX_BACKGROUND } from '../../src/tools/shell.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import { tempDir, writeFiles } from './helpers.ts';

const T = { timeout: 120_000 };

/** PIDs on the host whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
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

async function until<T>(f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await f();
  }
  return v;
}

for (const mode of ['off', 'required'] as const) {
  const skip = mode === 'required' ? requireTools('bwrap').skip : false;
  describe(`Bash state across calls (sandbox ${mode})`, { skip }, () => {
    async function box(): Promise<{ ws: string; tb: Toolbox }> {
      const ws = tempDir('shell-');
      writeFiles(ws, { 'src/lib/a.ts': 'a\n', 'README.md': 'r\n' });
      fs.symlinkSync('/etc', path.join(ws, 'etc-link'));
      const tb = await createToolbox({
        workspace: ws,
        tools: ['Bash'],
        sandbox: mode,
        allowedDomains: ['none'],
        noSandboxSetup: true,
      });
      return { ws, tb };
    }

    it('cd carries over to the next call and is reported; cd out of the workspace is undone', T, async () => {
      const { ws, tb } = await box();
      try {
        const cd = await tb.run('Bash', { command: 'cd src && ls' });
        assert.equal(cd.content, 'lib\n[cwd now: src; later Bash commands start there]');
        assert.equal((await tb.run('Bash', { command: 'pwd' })).content, path.join(ws, 'src'));
        assert.equal((await tb.run('Bash', { command: 'ls' })).content, 'lib');
        // A failing command still moves the directory it reached (as in an interactive shell).
        const fail = await tb.run('Bash', { command: 'cd lib; exit 3' });
        assert.equal(fail.isError, true);
        assert.equal(fail.content, '[exit code 3]\n[cwd now: src/lib; later Bash commands start there]');
        const back = await tb.run('Bash', { command: 'cd ../..' });
        assert.equal(back.content, '(no output)\n[cwd now: the workspace root; later Bash commands start there]');
        const out = await tb.run('Bash', { command: 'cd /' });
        assert.equal(out.content, `(no output)\n[Shell cwd was reset to ${ws}: / is outside the workspace]`);
        assert.equal((await tb.run('Bash', { command: 'pwd' })).content, ws);
        // Through a symlink that leads out: also undone.
        const link = await tb.run('Bash', { command: 'cd etc-link' });
        assert.match(link.content, /\[Shell cwd was reset to .*: \/etc is outside the workspace\]$/);
        // A subshell's cd does not move it; neither does an unchanged cwd produce a note.
        assert.equal((await tb.run('Bash', { command: '(cd src) && echo ok' })).content, 'ok');
      } finally {
        await tb.close();
      }
    });

    it('a cwd that disappeared is reset to the root with a note', T, async () => {
      const { ws, tb } = await box();
      try {
        await tb.run('Bash', { command: 'mkdir -p tmpdir && cd tmpdir' });
        fs.rmSync(path.join(ws, 'tmpdir'), { recursive: true });
        const r = await tb.run('Bash', { command: 'pwd' });
        assert.equal(r.content, `${ws}\n[Shell cwd was reset to ${ws}: tmpdir no longer exists in the workspace]`);
      } finally {
        await tb.close();
      }
    });

    it(
      'run_in_background returns an id; BashOutput reads new output and the state; KillShell stops it',
      T,
      async () => {
        const { tb } = await box();
        try {
          await tb.run('Bash', { command: 'cd src' });
          const started = await tb.run('Bash', {
            command: 'pwd; for i in 1 2 3; do echo "tick $i"; sleep 0.2; done; echo err >&2; exit 4',
            run_in_background: true,
            description: 'Print three ticks',
          });
          assert.equal(started.isError, false, started.content);
          assert.match(started.content, /^Command running in background with ID: bash_1 \(in src\)\. /);
          // Each read shows only what is new since the last: read until it has ended, and every line shows once.
          const reads: string[] = [];
          await until(
            async () => {
              reads.push((await tb.run('BashOutput', { bash_id: 'bash_1' })).content);
              return reads.at(-1)!;
            },
            (c) => c.startsWith('<status>exited'),
          );
          assert.match(reads[0]!, /^<status>(running|exited with code 4)<\/status>\n/);
          assert.match(reads.at(-1)!, /^<status>exited with code 4<\/status>\n/);
          const shown = reads.flatMap((c) => c.split('\n').slice(1)).filter((l) => l !== '(no new output)');
          assert.deepEqual(
            shown.map((l) => l.replace(/^\/.*\/src$/, 'PWD')),
            ['PWD', 'tick 1', 'tick 2', 'tick 3', 'err'],
          );
          assert.equal(
            (await tb.run('BashOutput', { bash_id: 'bash_1' })).content,
            '<status>exited with code 4</status>\n(no new output)',
          );

          const marker = `bg-forever-${process.pid}-${mode}`;
          await tb.run('Bash', {
            command: `while :; do echo ${marker}-line; sleep 0.1; done`,
            run_in_background: true,
          });
          const some = await until(
            () => tb.run('BashOutput', { bash_id: 'bash_2', filter: 'line$' }),
            (r) => r.content.includes('-line'),
          );
          assert.match(some.content, new RegExp(`^<status>running</status>\\n(${marker}-line\\n?)+$`));
          assert.equal(
            (await tb.run('BashOutput', { bash_id: 'bash_2', filter: 'no-such' })).content.split('\n')[1],
            '(no new output matching the filter)',
          );
          assert.match((await tb.run('KillShell', { shell_id: 'bash_2' })).content, /^Killed bash_2 \(while/);
          assert.equal(
            (await tb.run('BashOutput', { bash_id: 'bash_2' })).content.split('\n')[0],
            '<status>killed</status>',
          );
          assert.deepEqual(
            await until(
              () => pidsWith(marker),
              (p) => p.length === 0,
            ),
            [],
          );
          assert.equal(
            (await tb.run('KillShell', { shell_id: 'bash_1' })).content,
            'bash_1 is not running: it exited with code 4.',
          );
          const unknown = await tb.run('BashOutput', { bash_id: 'bash_9' });
          assert.equal(unknown.isError, true);
          assert.equal(
            unknown.content,
            'BashOutput: no background command with id "bash_9". Known ids: bash_1, bash_2.',
          );
          assert.match((await tb.run('BashOutput', { bash_id: 'bash_1', filter: '(' })).content, /not a valid regular/);
        } finally {
          await tb.close();
        }
      },
    );

    it('a background command that never ends is killed when the toolbox closes', T, async () => {
      const { tb } = await box();
      const marker = `bg-never-${process.pid}-${mode}`;
      await tb.run('Bash', { command: `sleep 1000 # ${marker}`, run_in_background: true });
      await tb.run('Bash', { command: `sh -c 'sleep 1000' ${marker}-child &  wait`, run_in_background: true });
      assert.ok(
        (
          await until(
            () => pidsWith(marker),
            (p) => p.length >= 2,
          )
        ).length >= 2,
        'both started',
      );
      await tb.close();
      assert.deepEqual(
        await until(
          () => pidsWith(marker),
          (p) => p.length === 0,
        ),
        [],
      );
    });

    it(`at most ${MAX_BACKGROUND} background commands at once`, T, async () => {
      const { tb } = await box();
      try {
        for (let i = 0; i < MAX_BACKGROUND; i++) {
          assert.equal((await tb.run('Bash', { command: 'sleep 1000', run_in_background: true })).isError, false);
        }
        const over = await tb.run('Bash', { command: 'sleep 1000', run_in_background: true });
        assert.equal(over.isError, true);
        assert.match(over.content, /8 background commands are already running .* Stop one with KillShell first/);
      } finally {
        await tb.close();
      }
    });
  });
}

describe('BashOutput and KillShell come with Bash', () => {
  it('are offered right after Bash, and only with it', T, async () => {
    const ws = tempDir('shell-defs-');
    const withBash = await createToolbox({ workspace: ws, tools: ['Read', 'Bash'], sandbox: 'off' });
    const without = await createToolbox({ workspace: ws, tools: ['Read', 'Grep'], sandbox: 'off' });
    try {
      assert.deepEqual(
        withBash.definitions.map((d) => d.name),
        ['Read', 'Bash', 'BashOutput', 'KillShell'],
      );
      assert.deepEqual(
        without.definitions.map((d) => d.name),
        ['Read', 'Grep'],
      );
    } finally {
      await withBash.close();
      await without.close();
    }
  });
});
