// The tools' side of "no tool can stop the clock", from the sources: Glob/Grep matching in a worker under a deadline
// (offload.ts), Read's byte-bounded line window (read.ts), and a cancelled run abandoning a stuck tool.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { requireTools } from '../../test-support/system-tools.ts';
import { createToolbox } from '../../src/tools/index.ts';
import { createMatcher, MatchTimeoutError } from '../../src/tools/offload.ts';
import { readLineWindow } from '../../src/tools/read.ts';
import { which } from '../../src/tools/search.ts';
import { tempDir, writeFiles } from './helpers.ts';

const EVIL_GLOB = '**/*a*a*a*a*a*a*a*a*a*a*a*a*{b,c}';
const LONG = `deep/${'a'.repeat(64)}.txt`;

describe('matching worker (offload.ts)', () => {
  it(
    'filters a listing like picomatch, and stops a pathological glob at the deadline without blocking the thread',
    { timeout: 30_000 },
    async () => {
      const m = createMatcher({ timeoutMs: 800 });
      try {
        assert.deepEqual(
          await m.run({ kind: 'filter', pattern: 'src/**/*.ts', listing: 'src/a.ts\nsrc/b/c.ts\nlib/d.ts\n' }),
          ['src/a.ts', 'src/b/c.ts'],
        );
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 20);
        const t0 = Date.now();
        await assert.rejects(
          m.run({ kind: 'filter', pattern: EVIL_GLOB, listing: LONG }),
          (e) => e instanceof MatchTimeoutError && e.timeoutMs === 800,
        );
        clearInterval(ticker);
        const took = Date.now() - t0;
        assert.ok(took >= 750 && took < 5000, `stopped after ${took} ms`);
        assert.ok(ticks >= 10, `the main thread kept running timers while the worker matched (${ticks} ticks)`);
        // The terminated worker is replaced: the next task answers.
        assert.deepEqual(await m.run({ kind: 'filter', pattern: '*.txt', listing: LONG }), [LONG]);
      } finally {
        await m.close();
      }
    },
  );

  it(
    'a cancelled run terminates the worker at once; a slow task does not hold up another',
    { timeout: 30_000 },
    async () => {
      const m = createMatcher({ timeoutMs: 20_000 });
      try {
        const ac = new AbortController();
        const slow = m.run({ kind: 'filter', pattern: EVIL_GLOB, listing: LONG }, ac.signal);
        const fast = await m.run({ kind: 'filter', pattern: '**/*.txt', listing: LONG });
        assert.deepEqual(fast, [LONG]);
        const t0 = Date.now();
        ac.abort(new Error('cancelled by the test'));
        await assert.rejects(slow, /cancelled by the test/);
        assert.ok(Date.now() - t0 < 1000);
        await assert.rejects(m.run({ kind: 'filter', pattern: '*', listing: 'x' }, ac.signal), /cancelled by the test/);
      } finally {
        await m.close();
      }
      await assert.rejects(m.run({ kind: 'filter', pattern: '*', listing: 'x' }), /closed/);
    },
  );
});

const rg = which('rg');
for (const engine of ['ripgrep', 'js'] as const) {
  describe(
    `Glob and Grep past the deadline (${engine})`,
    { skip: engine === 'ripgrep' ? requireTools('rg').skip : false },
    () => {
      it(
        'a pathological glob or regex is an error result saying what to do; ordinary calls still answer',
        { timeout: 60_000 },
        async () => {
          if (engine === 'ripgrep') assert.ok(rg, 'ripgrep must be installed for these tests');
          const ws = tempDir('clock-');
          writeFiles(ws, {
            [LONG]: 'x\n',
            'src/evil.txt': `${'a'.repeat(40)}!\n`,
            'src/ok.ts': 'export const ok = 1;\n',
          });
          const tb = await createToolbox({
            workspace: ws,
            tools: ['Glob', 'Grep'],
            ripgrep: engine === 'ripgrep' ? (rg as string) : false,
            matchTimeoutMs: 700,
          });
          try {
            const g = await tb.run('Glob', { pattern: EVIL_GLOB });
            assert.equal(g.isError, true);
            assert.match(
              g.content,
              /^Glob: The pattern ".*" is too expensive: the search was stopped after 0\.7 s\. Use a simpler pattern/,
            );
            assert.equal((await tb.run('Glob', { pattern: 'src/*.ts' })).content, 'src/ok.ts');
            // Grep's glob filter is model-controlled too (ripgrep matches it in Rust; the fallback in the worker).
            const gg = await tb.run('Grep', { pattern: 'x', glob: EVIL_GLOB });
            if (engine === 'js') assert.match(gg.content, /too expensive/);
            else assert.match(gg.content, /No matches/);
            const r = await tb.run('Grep', { pattern: '(a+)+$', output_mode: 'content' });
            if (engine === 'js') {
              assert.equal(r.isError, true);
              assert.match(r.content, /^Grep: The search for "\(a\+\)\+\$" is too expensive: .* Simplify the regex/);
            } else {
              // ripgrep's regex engine has no backtracking: it answers at once.
              assert.equal(r.isError, false, r.content);
            }
            assert.equal((await tb.run('Grep', { pattern: 'export const' })).content, 'src/ok.ts');
            assert.match((await tb.run('Grep', { pattern: '(' })).content, /invalid|regex/i);
          } finally {
            await tb.close();
          }
        },
      );
    },
  );
}

describe("Read's line window", () => {
  const file = (content: string | Buffer): string => {
    const p = path.join(tempDir('window-'), 'f.txt');
    fs.writeFileSync(p, content);
    return p;
  };
  const windowOf = async (p: string, o: Parameters<typeof readLineWindow>[1]) => {
    const fh = await fs.promises.open(p, 'r');
    try {
      return await readLineWindow(fh, o);
    } finally {
      await fh.close();
    }
  };

  it('keeps only the head of a long line, across chunks, and says how long it was', async () => {
    const p = file(`short\r\n${'b'.repeat(300_000)}\nlast`);
    const w = await windowOf(p, { offset: 1, limit: 10, maxLineChars: 50 });
    assert.deepEqual(w.out, ['     1\tshort', `     2\t${'b'.repeat(50)}… [line cut: 300000 bytes]`, '     3\tlast']);
    assert.equal(w.cutLines, 1);
    assert.equal(w.more, false);
    assert.equal(w.scanStopped, false);
  });

  it('counts characters, not bytes, for a multi-byte line it holds whole, and never splits a character', async () => {
    const w = await windowOf(file(`${'é'.repeat(60)}\n`), { offset: 1, limit: 1, maxLineChars: 50 });
    assert.deepEqual(w.out, [`     1\t${'é'.repeat(50)}… [line cut: 60 chars]`]);
  });

  it('stops at maxScanBytes: inside a line it shows the head; before the offset it reports how far it got', async () => {
    const p = file(`one\n${'c'.repeat(1_000_000)}\nthree\n`);
    const w = await windowOf(p, { offset: 1, limit: 5, maxLineChars: 10, maxScanBytes: 200_000 });
    assert.equal(w.scanStopped, true);
    assert.equal(w.partialLast, true);
    assert.deepEqual(w.out, ['     1\tone', `     2\t${'c'.repeat(10)}… [line cut: over 199996 bytes]`]);
    assert.equal(w.scanned, 200_000);
    const far = await windowOf(p, { offset: 3, limit: 5, maxScanBytes: 200_000 });
    assert.deepEqual(far.out, []);
    assert.equal(far.scanStopped, true);
  });

  it('through the tool: the note names the limit and the way on; offset and "more" behave as before', async () => {
    const ws = tempDir('window-tool-');
    writeFiles(ws, { 'lines.txt': 'a\nb\nc\n', 'one.txt': 'x'.repeat(5000) });
    const tb = await createToolbox({ workspace: ws, tools: ['Read'] });
    assert.equal(
      (await tb.run('Read', { file_path: 'lines.txt', limit: 2 })).content,
      '     1\ta\n     2\tb\n[Showing lines 1-2; the file has more. Continue with offset=3.]',
    );
    assert.equal((await tb.run('Read', { file_path: 'lines.txt', offset: 3 })).content, '     3\tc');
    assert.match(
      (await tb.run('Read', { file_path: 'lines.txt', offset: 4 })).content,
      /has 3 lines; offset 4 is past the end/,
    );
    assert.match(
      (await tb.run('Read', { file_path: 'one.txt' })).content,
      /^ {5}1\tx{2000}… \[line cut: 5000 chars\]\n\[1 long line\(s\) cut/,
    );
  });
});
