import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createToolbox, type Toolbox } from '../../src/tools/index.ts';
import { which } from '../../src/tools/search.ts';
import { tempDir, writeFiles } from './helpers.ts';
import { requireTools } from '../../test-support/system-tools.ts';

const rg = which('rg');
/** The ripgrep half skips (with the package to install) without ripgrep; the pure-JS half always runs. */
const ripgrep = requireTools('rg');

// The same expectations for ripgrep and the pure-JS fallback.
for (const engine of ['ripgrep', 'js'] as const) {
  describe(`Glob and Grep (${engine})`, { skip: engine === 'ripgrep' && ripgrep.skip }, () => {
    let ws: string;
    let tb: Toolbox;
    before(async () => {
      ws = tempDir('search-');
      writeFiles(ws, {
        '.gitignore': 'dist/\n*.log\n',
        'src/app.ts': 'export function handler() {\n  return "Hello";\n}\n',
        'src/util.js': 'const hello = 1;\nmodule.exports = { hello };\n',
        'src/nested/deep.ts': '// TODO fix\nexport const x = 1;\n',
        'dist/app.js': 'Hello built\n',
        'debug.log': 'Hello log\n',
        'README.md': '# Hello\n',
        '.github/ci.yml': 'name: hello\n',
        '.git/config': 'hello = git\n',
      });
      const old = new Date(Date.now() - 3600_000);
      for (const f of ['README.md', 'src/util.js', 'src/nested/deep.ts', '.gitignore', '.github/ci.yml'])
        fs.utimesSync(path.join(ws, f), old, old);
      tb = await createToolbox({
        workspace: ws,
        tools: ['Glob', 'Grep'],
        ripgrep: engine === 'ripgrep' ? (rg as string) : false,
      });
    });

    it('Glob matches, newest first, honours .gitignore and skips .git', async () => {
      const r = await tb.run('Glob', { pattern: '**/*.ts' });
      assert.equal(r.content, 'src/app.ts\nsrc/nested/deep.ts');
      const all = (await tb.run('Glob', { pattern: '**/*' })).content.split('\n');
      assert.ok(all.includes('.github/ci.yml'));
      assert.ok(!all.some((f) => f.startsWith('dist/') || f.endsWith('.log') || f.startsWith('.git/')), all.join(','));
      assert.equal((await tb.run('Glob', { pattern: '*.js' })).content, 'src/util.js');
      assert.equal((await tb.run('Glob', { pattern: '*.ts', path: 'src/nested' })).content, 'src/nested/deep.ts');
      assert.match((await tb.run('Glob', { pattern: '*.rb' })).content, /No files match/);
      assert.match((await tb.run('Glob', { pattern: '*', path: 'nope' })).content, /does not exist/);
    });

    it('Glob caps long lists with a note', async () => {
      const big = tempDir('glob-many-');
      writeFiles(big, Object.fromEntries(Array.from({ length: 520 }, (_, i) => [`f${i}.txt`, ''])));
      const t = await createToolbox({
        workspace: big,
        tools: ['Glob'],
        ripgrep: engine === 'ripgrep' ? (rg as string) : false,
      });
      const r = await t.run('Glob', { pattern: '*.txt' });
      const lines = r.content.split('\n');
      assert.equal(lines.length, 501);
      assert.match(lines[500] ?? '', /20 more of 520 files not shown/);
    });

    it('Grep modes: files_with_matches (default), content, count', async () => {
      assert.equal((await tb.run('Grep', { pattern: 'Hello' })).content, 'README.md\nsrc/app.ts');
      assert.equal(
        (await tb.run('Grep', { pattern: 'hello', '-i': true })).content,
        '.github/ci.yml\nREADME.md\nsrc/app.ts\nsrc/util.js',
      );
      assert.equal(
        (await tb.run('Grep', { pattern: 'hello', output_mode: 'count' })).content,
        '.github/ci.yml:1\nsrc/util.js:2',
      );
      const c = await tb.run('Grep', { pattern: 'return', output_mode: 'content', '-B': 1 });
      assert.equal(c.content, 'src/app.ts-1-export function handler() {\nsrc/app.ts:2:  return "Hello";');
      const noNum = await tb.run('Grep', { pattern: 'TODO', output_mode: 'content', '-n': false });
      assert.equal(noNum.content, 'src/nested/deep.ts:// TODO fix');
    });

    it('Grep filters by glob, type and path; head_limit; multiline', async () => {
      assert.equal((await tb.run('Grep', { pattern: 'hello', glob: '*.js' })).content, 'src/util.js');
      assert.equal((await tb.run('Grep', { pattern: 'export', type: 'ts' })).content, 'src/app.ts\nsrc/nested/deep.ts');
      assert.equal((await tb.run('Grep', { pattern: 'export', path: 'src/nested' })).content, 'src/nested/deep.ts');
      assert.equal(
        (await tb.run('Grep', { pattern: 'export', path: 'src/app.ts', output_mode: 'count' })).content,
        'src/app.ts:1',
      );
      const head = await tb.run('Grep', { pattern: 'e', head_limit: 2 });
      assert.equal(head.content.split('\n').length, 3);
      assert.match(
        head.content,
        /\[Showing lines\/entries 1-2 of \d+\. Continue with offset=2, or head_limit=0 for all\.\]$/,
      );
      const ml = await tb.run('Grep', { pattern: 'handler\\(\\) \\{.*Hello', multiline: true });
      assert.equal(ml.content, 'src/app.ts');
      assert.match((await tb.run('Grep', { pattern: 'zzz-nothing' })).content, /No matches/);
    });

    it('Grep returns regex errors and unknown types as results', async () => {
      const bad = await tb.run('Grep', { pattern: 'foo(' });
      assert.equal(bad.isError, true);
      assert.match(bad.content, /^Grep: invalid (regex|search)/);
      const t = await tb.run('Grep', { pattern: 'x', type: 'nosuchtype' });
      assert.equal(t.isError, true);
      assert.match(t.content, /unrecognized file type/i);
    });
  });
}

describe('Grep output cap', () => {
  it('caps content at about 30k characters with a note on narrowing', async () => {
    const ws = tempDir('grep-cap-');
    writeFiles(ws, { 'big.txt': Array.from({ length: 3000 }, (_, i) => `match ${i} ${'z'.repeat(30)}`).join('\n') });
    const tb = await createToolbox({ workspace: ws, tools: ['Grep'] });
    const r = await tb.run('Grep', { pattern: 'match', output_mode: 'content', head_limit: 0 });
    assert.ok(r.content.length < 30_500, String(r.content.length));
    assert.match(r.content, /Output cut at \d+ of \d+ characters .* Narrow the search/);
  });
});
