// No tool can stop the clock: through dist/index.js, a tool input built to take forever (a 200 MB one-line file, a
// glob or a regex that backtracks for hours) or a fault inside a tool (a rejection nobody awaits, a throw in a callback
// that leaves the tool hanging) must leave the run able to end: a bounded or error result and the run goes on, or an
// ERROR STATUS with the work pushed and the checkout's credentials restored, within the budgets and the cancel grace.
import { requireTools } from '../../test-support/system-tools.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { appendFile, mkdir, open, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import {
  explain,
  runFault,
  type FaultContext,
  type FaultOutcome,
  type FaultSpec,
} from '../../test-support/fault-run.ts';
import { git } from '../../test-support/git.ts';
import type { Turn } from '../../test-support/scenario.ts';
import { assertNoLeak, resultOf, statusTurn, toolUse } from './assertions.ts';

const { after, describe, test } = requireTools('bwrap', 'socat', 'rg');

/** The worker's deadline in the action (src/tools/offload.ts MATCH_TIMEOUT_MS). */
const MATCH_DEADLINE_MS = 10_000;
const EVIL_GLOB = '**/*a*a*a*a*a*a*a*a*a*a*a*a*{b,c}';
const NO_BASH = { 'allowed-tools': 'Read,Write,Edit,Glob,Grep' };

/** The agent's own work, so every case has something that must reach the origin. */
const writeNotes = (): Turn => ({
  content: [toolUse('Write', { file_path: 'NOTES.md', content: '# Notes\n\nProbing the clock.\n' })],
});

/** Files the workspace holds for the attack but git must not see (the action would commit and push them). */
async function plant(ws: string, files: Record<string, string | (() => Promise<void>)>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(ws, rel, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(join(ws, rel), content);
    else await content();
    await appendFile(join(ws, '.git', 'info', 'exclude'), `/${rel}\n`);
  }
}

/** actions/checkout's credentials in the workspace's git config. */
async function credentials(ws: string): Promise<string> {
  return git(ws, ['config', '--local', '--get-regexp', 'extraheader']).catch(() => '');
}

/** Runs the case, checks every invariant (STATUS, no work lost, exit code, wall time) and no leak, always closes. */
async function clockCase(
  spec: FaultSpec,
  more: (o: FaultOutcome, creds: { before: string; after: string }) => void | Promise<void>,
): Promise<void> {
  let before = '';
  const o = await runFault({
    ...spec,
    async setup(ctx) {
      await spec.setup?.(ctx);
      before = await credentials(ctx.s.workspace);
    },
  });
  try {
    assert.deepEqual(o.verdict.problems, [], explain(o));
    assert.ok(o.verdict.savedOn, `the agent's NOTES.md is on a branch of the origin\n${explain(o)}`);
    assert.ok(o.verdict.changed.includes('NOTES.md'), `changed: ${o.verdict.changed.join(', ')}`);
    assert.match(before, /extraheader/, 'the checkout had credentials to begin with');
    await more(o, { before, after: await credentials(o.ctx.s.workspace) });
    await assertNoLeak(o.run, o.ctx.s);
  } catch (e) {
    if (e instanceof assert.AssertionError && !e.message.includes('--- log tail')) e.message += `\n${explain(o)}`;
    throw e;
  } finally {
    await o.close();
  }
}

/** A tree whose long names make EVIL_GLOB backtrack for hours (picomatch compiles it to nested lazy [^/]*?). */
function longNames(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) files[`deep/${'a'.repeat(64)}${i}.txt`] = 'x\n';
  return files;
}

/** PATH with every folder holding `rg` replaced by a folder of links to all its other programs: no ripgrep. */
const shadows: string[] = [];
function pathWithoutRipgrep(): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    const real = realpathSync(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    if (!existsSync(join(real, 'rg'))) {
      out.push(real);
      continue;
    }
    const shadow = mkdtempSync('/var/tmp/bda-clock-path-');
    shadows.push(shadow);
    for (const name of readdirSync(real)) if (name !== 'rg') symlinkSync(join(real, name), join(shadow, name));
    out.push(shadow);
  }
  return out.join(delimiter);
}
after(() => {
  for (const d of shadows) rmSync(d, { recursive: true, force: true });
});

/** Preloaded into the action (NODE_OPTIONS=--import): opening a file named FAULT-* plants a fault in the Read tool. */
const PLANT = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const open = fs.promises.open;
fs.promises.open = function (p, ...rest) {
  const name = String(p);
  if (name.endsWith('FAULT-REJECT')) Promise.reject(new Error('planted fault: a rejection nobody awaits'));
  if (name.endsWith('FAULT-HANG')) {
    // Thrown from a callback, twice: the tool's promise never settles, and the second fault must not start over.
    setImmediate(() => { throw new Error('planted fault: thrown in a stream callback'); });
    setTimeout(() => { throw new Error('planted fault: thrown again'); }, 300);
    return new Promise(() => {});
  }
  return open.call(this, p, ...rest);
};
syncBuiltinESMExports();
`;

describe('no tool can stop the clock (dist)', { concurrency: 1 }, () => {
  test(
    'Read of a 200 MB one-line file: a bounded result, the run ends COMPLETE, work pushed',
    { timeout: 120_000 },
    async () => {
      const read = toolUse('Read', { file_path: 'big.txt' });
      await clockCase(
        {
          turns: () => [writeNotes(), { content: [read] }, statusTurn('COMPLETE', 'Read the big file.')],
          inputs: NO_BASH,
          async setup(ctx) {
            const file = join(ctx.s.workspace, 'big.txt');
            // Written in 1 MiB chunks: the test never holds the line either.
            await plant(ctx.s.workspace, {
              'big.txt': async () => {
                const fh = await open(file, 'w');
                const chunk = Buffer.alloc(1024 * 1024, 'a');
                for (let i = 0; i < 200; i++) await fh.write(chunk);
                await fh.close();
              },
            });
          },
          maxWallMs: 90_000,
        },
        (o) => {
          assert.equal(o.verdict.status, 'COMPLETE');
          const r = resultOf(o.ctx.s.anthropic.requests, read.id);
          assert.equal(r.isError, false, r.text);
          assert.ok(r.text.length < 3000, `the result is ${r.text.length} characters`);
          assert.match(r.text, /^ {5}1\ta{2000}… \[line cut: over \d+ bytes\]/);
          assert.match(r.text, /Stopped after reading 128 MiB of 200 MiB: line 1 goes on past that\. Use Bash/);
        },
      );
    },
  );

  test(
    'a pathological Glob over long names: an error result within the deadline, then the run goes on',
    { timeout: 120_000 },
    async () => {
      const glob = toolUse('Glob', { pattern: EVIL_GLOB });
      const ordinary = toolUse('Glob', { pattern: 'deep/*0.txt' });
      let served = 0;
      let answered = 0;
      await clockCase(
        {
          turns: () => [
            writeNotes(),
            { content: [glob], expect: () => void (served = Date.now()) },
            { content: [ordinary], expect: () => void (answered = Date.now()) },
            statusTurn('COMPLETE', 'Looked around.'),
          ],
          files: longNames(),
          inputs: NO_BASH,
          maxWallMs: 90_000,
        },
        (o) => {
          assert.equal(o.verdict.status, 'COMPLETE');
          const r = resultOf(o.ctx.s.anthropic.requests, glob.id);
          assert.equal(r.isError, true, r.text);
          assert.match(
            r.text,
            /^Glob: The pattern .* is too expensive: the search was stopped after 10 s\. Use a simpler pattern/,
          );
          const took = answered - served;
          assert.ok(took >= MATCH_DEADLINE_MS - 500 && took < MATCH_DEADLINE_MS + 8_000, `the Glob took ${took} ms`);
          // The next Glob runs in a fresh worker and answers normally.
          assert.equal(resultOf(o.ctx.s.anthropic.requests, ordinary.id).text, `deep/${'a'.repeat(64)}0.txt`);
        },
      );
    },
  );

  test(
    'SIGTERM during a pathological Glob: ERROR STATUS, work pushed, credentials restored, exit within the grace',
    { timeout: 120_000 },
    async () => {
      let signalled = 0;
      await clockCase(
        {
          turns: (ctx: FaultContext) => [
            writeNotes(),
            {
              content: [toolUse('Glob', { pattern: EVIL_GLOB })],
              expect: () =>
                void setTimeout(() => {
                  signalled = Date.now();
                  ctx.child?.kill('SIGTERM');
                }, 1500),
            },
            statusTurn('COMPLETE', 'never reached'),
          ],
          files: longNames(),
          inputs: NO_BASH,
          maxWallMs: 60_000,
        },
        (o, creds) => {
          assert.equal(o.verdict.status, 'ERROR');
          assert.match(o.verdict.report, /cancel/i);
          assert.ok(o.run.stdout.includes('Received SIGTERM'), 'the handler ran while the Glob was matching');
          assert.equal(o.ctx.s.anthropic.remaining(), 1, 'no model request after the cancel');
          assert.equal(o.run.code, 1);
          assert.equal(creds.after, creds.before, "the checkout's credentials are back");
          assert.ok(signalled > 0);
        },
      );
    },
  );

  test(
    'a small timeout-minutes during a pathological Glob: the budget still ends the run, ERROR, work pushed',
    { timeout: 120_000 },
    async () => {
      await clockCase(
        {
          // 0.1 min = 6 s, less than the Glob's own 10 s deadline: the run's clock is what stops it.
          turns: () => [
            writeNotes(),
            { content: [toolUse('Glob', { pattern: EVIL_GLOB })] },
            statusTurn('COMPLETE', 'never reached'),
          ],
          files: longNames(),
          inputs: { ...NO_BASH, 'timeout-minutes': '0.1' },
          maxWallMs: 60_000,
        },
        (o, creds) => {
          assert.equal(o.verdict.status, 'ERROR');
          assert.match(o.verdict.report, /timeout-minutes \(0\.1 min\) reached/);
          assert.equal(o.ctx.s.anthropic.remaining(), 1, 'no model request after the budget ran out');
          assert.equal(creds.after, creds.before);
        },
      );
    },
  );

  test(
    'a catastrophic Grep regex without ripgrep (pure-JS fallback): an error result at the deadline, the run goes on',
    { timeout: 120_000 },
    async () => {
      const grep = toolUse('Grep', { pattern: '(a+)+$', output_mode: 'content' });
      const ordinary = toolUse('Grep', { pattern: 'GET /todos' });
      await clockCase(
        {
          turns: () => [
            writeNotes(),
            { content: [grep] },
            { content: [ordinary] },
            statusTurn('COMPLETE', 'Searched.'),
          ],
          files: {
            'src/server.js': "export const routes = { 'GET /todos': 1 };\n",
            'src/evil.txt': `${'a'.repeat(48)}!\n`,
          },
          inputs: NO_BASH,
          env: { PATH: pathWithoutRipgrep() },
          maxWallMs: 90_000,
        },
        (o) => {
          assert.equal(o.verdict.status, 'COMPLETE');
          const r = resultOf(o.ctx.s.anthropic.requests, grep.id);
          assert.equal(r.isError, true, r.text);
          assert.match(
            r.text,
            /^Grep: The search for "\(a\+\)\+\$" is too expensive: the search was stopped after 10 s\. Simplify the regex/,
          );
          assert.equal(resultOf(o.ctx.s.anthropic.requests, ordinary.id).text, 'src/server.js');
        },
      );
    },
  );

  test(
    'a rejection nobody awaits inside a tool: ERROR STATUS, work pushed, credentials restored',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync('/var/tmp/bda-clock-plant-');
      shadows.push(dir);
      await writeFile(join(dir, 'plant.mjs'), PLANT);
      await clockCase(
        {
          turns: () => [
            writeNotes(),
            { content: [toolUse('Read', { file_path: 'FAULT-REJECT' })] },
            statusTurn('COMPLETE', 'never reached'),
          ],
          inputs: NO_BASH,
          env: { NODE_OPTIONS: `--import=${join(dir, 'plant.mjs')}` },
          setup: (ctx) => plant(ctx.s.workspace, { 'FAULT-REJECT': 'x\n' }),
          maxWallMs: 60_000,
        },
        (o, creds) => {
          assert.equal(o.verdict.status, 'ERROR');
          assert.match(o.verdict.report, /internal error stopped the run: planted fault: a rejection nobody awaits/);
          assert.ok(o.run.stdout.includes('Internal error: planted fault'), 'the fault was logged');
          assert.equal(o.run.code, 1);
          assert.equal(creds.after, creds.before, "the checkout's credentials are back");
        },
      );
    },
  );

  test(
    'a throw in a callback that leaves the tool hanging, then a second fault: ERROR STATUS within the grace',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync('/var/tmp/bda-clock-plant-');
      shadows.push(dir);
      await writeFile(join(dir, 'plant.mjs'), PLANT);
      await clockCase(
        {
          turns: () => [
            writeNotes(),
            { content: [toolUse('Read', { file_path: 'FAULT-HANG' })] },
            statusTurn('COMPLETE', 'never reached'),
          ],
          inputs: NO_BASH,
          env: { NODE_OPTIONS: `--import=${join(dir, 'plant.mjs')}` },
          setup: (ctx) => plant(ctx.s.workspace, { 'FAULT-HANG': 'x\n' }),
          maxWallMs: 45_000,
        },
        (o, creds) => {
          assert.equal(o.verdict.status, 'ERROR');
          assert.match(o.verdict.report, /internal error stopped the run: planted fault: thrown in a stream callback/);
          assert.ok(
            o.run.stdout.includes('Another internal error while stopping: planted fault: thrown again'),
            'the second fault was only logged',
          );
          assert.equal(o.run.code, 1);
          assert.equal(o.ctx.s.anthropic.remaining(), 1);
          assert.equal(creds.after, creds.before, "the checkout's credentials are back");
        },
      );
    },
  );
});
