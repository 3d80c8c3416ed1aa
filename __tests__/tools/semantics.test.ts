// Claude Code's parameters and semantics, one test per row of issue 13's table (Bash's rows are in shell.test.ts):
// Read offset 0 and images, Edit's Read-first rule and its note on a file changed on disk, MultiEdit all-or-none,
// Glob and .gitignored files, Grep's context/-o/offset/head_limit. Glob and Grep run with ripgrep and without.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToolbox, type Toolbox } from '../../src/tools/index.ts';
import { MAX_IMAGE_FILE_BYTES } from '../../src/tools/image.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import { makeJpegHeader, makePng, tempDir, writeFiles } from './helpers.ts';

const T = { timeout: 60_000 };

async function box(files: Record<string, string> = {}, tools = ['Read', 'Write', 'Edit', 'MultiEdit']) {
  const ws = tempDir('sem-');
  writeFiles(ws, files);
  const tb = await createToolbox({ workspace: ws, tools, sandbox: 'off' });
  return { ws, tb };
}

describe('Read', () => {
  it('offset 0 reads from the start, like offset 1', T, async () => {
    const { tb } = await box({ 'a.txt': 'one\ntwo\nthree\n' });
    const zero = await tb.run('Read', { file_path: 'a.txt', offset: 0, limit: 2 });
    assert.equal(zero.isError, false, zero.content);
    assert.equal(
      zero.content,
      '     1\tone\n     2\ttwo\n[Showing lines 1-2; the file has more. Continue with offset=3.]',
    );
    assert.equal((await tb.run('Read', { file_path: 'a.txt', offset: 1, limit: 2 })).content, zero.content);
    assert.match((await tb.run('Read', { file_path: 'a.txt', offset: -1 })).content, /'offset' must be at least 0/);
  });

  it('a PNG or a JPEG comes back as an image block with its size in the text', T, async () => {
    const png = makePng(3, 2);
    const { ws, tb } = await box();
    fs.writeFileSync(path.join(ws, 'shot.png'), png);
    // Recognised by content, not by name.
    fs.writeFileSync(path.join(ws, 'photo.bin'), makeJpegHeader(640, 480));
    const p = await tb.run('Read', { file_path: path.join(ws, 'shot.png') });
    assert.equal(p.isError, false, p.content);
    assert.equal(p.content, `shot.png: PNG image, 3x2 pixels, ${png.length} bytes (shown below).`);
    assert.deepEqual(p.images, [{ mediaType: 'image/png', data: png.toString('base64') }]);
    const j = await tb.run('Read', { file_path: 'photo.bin' });
    assert.equal(j.isError, false, j.content);
    assert.match(j.content, /^photo\.bin: JPEG image, 640x480 pixels/);
    assert.equal(j.images?.[0]?.mediaType, 'image/jpeg');
    // A Read image counts as seen: it may be overwritten afterwards.
    assert.equal((await tb.run('Write', { file_path: 'shot.png', content: 'x' })).isError, false);
  });

  it('refuses an image over the API limits (bytes, or pixels a side) with a message naming the limit', T, async () => {
    const { ws, tb } = await box();
    fs.writeFileSync(path.join(ws, 'wide.png'), makePng(9000, 4));
    fs.writeFileSync(path.join(ws, 'heavy.png'), makePng(1200, 1100, true));
    assert.ok(fs.statSync(path.join(ws, 'heavy.png')).size > MAX_IMAGE_FILE_BYTES);
    const wide = await tb.run('Read', { file_path: 'wide.png' });
    assert.equal(wide.isError, true);
    assert.equal(wide.images, undefined);
    assert.match(
      wide.content,
      /^Read: wide\.png is an image the model cannot be sent: it is 9000x4 pixels, over the API's limit of 8000 pixels a side\. Make a smaller copy/,
    );
    const heavy = await tb.run('Read', { file_path: 'heavy.png' });
    assert.equal(heavy.isError, true);
    assert.match(heavy.content, /it is 3\.\d MiB, over the API's limit of 5\.0 MiB per image/);
  });

  it('says what to do with a PDF, and that pages applies to PDFs only', T, async () => {
    const { tb } = await box({ 'doc.pdf': '%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<<>>\nendobj\n', 'a.txt': 'x\n' });
    const pdf = await tb.run('Read', { file_path: 'doc.pdf', pages: '1-2' });
    assert.equal(pdf.isError, true);
    assert.match(
      pdf.content,
      /doc\.pdf is a PDF .* \(pages is ignored\)\. Use Bash to extract its text, e\.g\. `pdftotext/,
    );
    const notPdf = await tb.run('Read', { file_path: 'a.txt', pages: '1' });
    assert.match(notPdf.content, /pages applies to PDF files only; a\.txt is not a PDF/);
  });
});

describe('Edit and MultiEdit', () => {
  it(
    'refuse a file not Read in this run, saying to Read it first; a file the agent wrote counts as read',
    T,
    async () => {
      const { ws, tb } = await box({ 'a.txt': 'alpha\n' });
      const r = await tb.run('Edit', { file_path: 'a.txt', old_string: 'alpha', new_string: 'beta' });
      assert.equal(r.isError, true);
      assert.equal(
        r.content,
        'Edit: refusing to edit a.txt: you have not Read it in this run. Read it first (so you edit what is there), then Edit.',
      );
      const m = await tb.run('MultiEdit', { file_path: 'a.txt', edits: [{ old_string: 'alpha', new_string: 'b' }] });
      assert.match(m.content, /^MultiEdit: refusing to edit a\.txt: you have not Read it/);
      assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'alpha\n');
      await tb.run('Write', { file_path: 'new.txt', content: 'gamma\n' });
      const w = await tb.run('Edit', { file_path: 'new.txt', old_string: 'gamma', new_string: 'delta' });
      assert.equal(w.isError, false, w.content);
      assert.equal(fs.readFileSync(path.join(ws, 'new.txt'), 'utf8'), 'delta\n');
    },
  );

  it('apply after the file changed on disk since the Read, and say so', T, async () => {
    const { ws, tb } = await box({ 'a.txt': 'one\ntwo\n' });
    await tb.run('Read', { file_path: 'a.txt' });
    fs.writeFileSync(path.join(ws, 'a.txt'), 'zero\none\ntwo\n'); // a formatter or a Bash command
    const r = await tb.run('Edit', { file_path: 'a.txt', old_string: 'two', new_string: 'TWO' });
    assert.equal(r.isError, false, r.content);
    assert.equal(
      r.content,
      'Edited a.txt: replaced 1 occurrence(s) (first at line 3).\nNote: a.txt had changed on disk since you last Read ' +
        'it (perhaps by a Bash command); the edit was applied to its current content. Read it again if you need to see ' +
        'the rest of the change.',
    );
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'zero\none\nTWO\n');
    // The Edit's own write is now the version seen: no note the next time.
    const again = await tb.run('Edit', { file_path: 'a.txt', old_string: 'one', new_string: 'ONE' });
    assert.doesNotMatch(again.content, /Note/);
  });

  it('MultiEdit applies its edits in order, all or none', T, async () => {
    const { ws, tb } = await box({ 'a.ts': 'let a = 1;\nlet b = 2;\nlet b2 = 2;\n' });
    await tb.run('Read', { file_path: 'a.ts' });
    const bad = await tb.run('MultiEdit', {
      file_path: 'a.ts',
      edits: [
        { old_string: 'let a = 1;', new_string: 'const a = 1;' },
        { old_string: 'let a = 1;', new_string: 'never' }, // gone after the first edit
      ],
    });
    assert.equal(bad.isError, true);
    assert.equal(
      bad.content,
      'MultiEdit: edit 2: old_string was not found in a.ts (after the edits before it). Read the file and copy the ' +
        'text exactly (whitespace and indentation included). Nothing was written.',
    );
    assert.equal(fs.readFileSync(path.join(ws, 'a.ts'), 'utf8'), 'let a = 1;\nlet b = 2;\nlet b2 = 2;\n');
    const good = await tb.run('MultiEdit', {
      file_path: 'a.ts',
      edits: [
        { old_string: 'let a = 1;', new_string: 'const a = 1;' },
        { old_string: '= 2;', new_string: '= 3;', replace_all: true },
      ],
    });
    assert.equal(good.isError, false, good.content);
    assert.equal(good.content, 'Edited a.ts: applied 2 edits (1 occurrence(s) at line 1; 2 occurrence(s) at line 2).');
    assert.equal(fs.readFileSync(path.join(ws, 'a.ts'), 'utf8'), 'const a = 1;\nlet b = 3;\nlet b2 = 3;\n');
  });

  it('MultiEdit names a malformed edit by its place, with the accepted shape', T, async () => {
    const { tb } = await box({ 'a.ts': 'x\n' });
    const r = await tb.run('MultiEdit', {
      file_path: 'a.ts',
      edits: [{ old_string: 'x' }, { old_string: 'x', new_string: 'y', why: 1 }],
    });
    assert.equal(
      r.content,
      "MultiEdit: invalid input: 'edits[0].new_string' is required; unknown parameter 'edits[1].why'. Expected " +
        'parameters: file_path: string, edits: array of {old_string: string, new_string: string, replace_all?: boolean}.',
    );
    assert.match(
      (await tb.run('MultiEdit', { file_path: 'a.ts', edits: [] })).content,
      /'edits' must have at least 1 item/,
    );
    assert.match((await tb.run('MultiEdit', { file_path: 'a.ts', edits: 'x' })).content, /'edits' must be an array/);
  });
});

for (const engine of ['rg', 'js'] as const) {
  const gate = engine === 'rg' ? requireTools('rg').skip : false;
  describe(`Glob and Grep, Claude Code's parameters (${engine})`, { skip: gate }, () => {
    let tb: Toolbox;
    before(async () => {
      const ws = tempDir(`sem-${engine}-`);
      writeFiles(ws, {
        '.gitignore': 'dist/\n*.log\n',
        'src/app.ts':
          'import x from "y";\nconst port = 3000;\nconst host = "h";\nconst other = 1;\nlisten(port, host);\n',
        'src/lib.ts': 'export const a = 1;\nexport const b = 2;\n',
        'dist/app.js': 'compiled\n',
        'dist/app.js.map': '{}\n',
        'debug.log': 'log\n',
        'many.txt': Array.from({ length: 300 }, (_, i) => `hit ${i}`).join('\n'),
      });
      tb = await createToolbox({
        workspace: ws,
        tools: ['Glob', 'Grep'],
        ripgrep: engine === 'rg' ? undefined : false,
      });
    });
    after(() => tb.close());

    it('Glob lists .gitignored files when only they match, saying so; leaves them out otherwise', T, async () => {
      const only = await tb.run('Glob', { pattern: 'dist/**/*.js' });
      assert.equal(only.isError, false);
      assert.equal(
        only.content,
        'No files match dist/**/*.js in . outside .gitignored paths; these 1 .gitignored file(s) do:\ndist/app.js',
      );
      const logs = await tb.run('Glob', { pattern: '*.log' });
      assert.match(logs.content, /\.gitignored file\(s\) do:\ndebug\.log$/);
      // A folder given as path is searched even when it is ignored itself (ripgrep's rule for a path it is given).
      const inDir = await tb.run('Glob', { pattern: '**/*', path: 'dist' });
      assert.deepEqual(inDir.content.split('\n').sort(), ['dist/app.js', 'dist/app.js.map']);
      const mixed = await tb.run('Glob', { pattern: '**/app.*' });
      assert.equal(mixed.content, 'src/app.ts');
      assert.equal((await tb.run('Glob', { pattern: '**/*.rb' })).content, 'No files match **/*.rb in ..');
    });

    it('Grep context (alias of -C), -A/-B, and -o', T, async () => {
      const ctx = await tb.run('Grep', { pattern: 'other', output_mode: 'content', context: 1, '-n': true });
      assert.equal(
        ctx.content,
        'src/app.ts-3-const host = "h";\nsrc/app.ts:4:const other = 1;\nsrc/app.ts-5-listen(port, host);',
      );
      const c = await tb.run('Grep', { pattern: 'other', output_mode: 'content', '-C': 1 });
      assert.equal(c.content, ctx.content);
      const o = await tb.run('Grep', { pattern: 'const \\w+', output_mode: 'content', '-o': true, path: 'src/lib.ts' });
      assert.equal(o.content, 'src/lib.ts:1:const a\nsrc/lib.ts:2:const b');
    });

    it('Grep head_limit defaults to 250, 0 is unlimited, offset paginates', T, async () => {
      const first = await tb.run('Grep', { pattern: '^hit', output_mode: 'content', path: 'many.txt' });
      const lines = first.content.split('\n');
      assert.equal(lines.length, 251);
      assert.equal(lines[249], 'many.txt:250:hit 249');
      assert.equal(
        lines[250],
        '[Showing lines/entries 1-250 of 300. Continue with offset=250, or head_limit=0 for all.]',
      );
      const all = await tb.run('Grep', { pattern: '^hit', output_mode: 'content', path: 'many.txt', head_limit: 0 });
      assert.equal(all.content.split('\n').length, 300);
      const page = await tb.run('Grep', {
        pattern: '^hit',
        output_mode: 'content',
        path: 'many.txt',
        offset: 250,
        head_limit: 20,
      });
      const p = page.content.split('\n');
      assert.equal(p[0], 'many.txt:251:hit 250');
      assert.equal(
        p.at(-1),
        '[Showing lines/entries 251-270 of 300. Continue with offset=270, or head_limit=0 for all.]',
      );
      const tail = await tb.run('Grep', { pattern: '^hit', output_mode: 'content', path: 'many.txt', offset: 290 });
      assert.equal(tail.content.split('\n').at(-1), '[Lines/entries 291-300 of 300.]');
      const past = await tb.run('Grep', { pattern: '^hit', output_mode: 'content', path: 'many.txt', offset: 400 });
      assert.equal(past.content, '[offset 400 is past the end: there are 300 lines/entries. Use a smaller offset.]');
      const files = await tb.run('Grep', { pattern: 'const', head_limit: 1, offset: 1 });
      assert.equal(files.content, 'src/lib.ts\n[Lines/entries 2-2 of 2.]');
    });
  });
}
