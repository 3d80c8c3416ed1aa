import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createToolbox } from '../../src/tools/index.ts';
import { tempDir, writeFiles } from './helpers.ts';

async function box(files: Record<string, string> = {}) {
  const ws = tempDir('files-');
  writeFiles(ws, files);
  const tb = await createToolbox({ workspace: ws, tools: ['Read', 'Write', 'Edit'] });
  return { ws, tb };
}

describe('Read', () => {
  it('numbers lines like cat -n, honours offset/limit and says how to read further', async () => {
    const { tb } = await box({ 'a.txt': Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n' });
    const all = await tb.run('Read', { file_path: 'a.txt' });
    assert.equal(all.isError, false);
    assert.equal(all.content.split('\n')[0], '     1\tline 1');
    assert.equal(all.content.split('\n').length, 10);
    const part = await tb.run('Read', { file_path: 'a.txt', offset: 3, limit: 2 });
    assert.equal(
      part.content,
      '     3\tline 3\n     4\tline 4\n[Showing lines 3-4; the file has more. Continue with offset=5.]',
    );
    const past = await tb.run('Read', { file_path: 'a.txt', offset: 50 });
    assert.match(past.content, /has 10 lines; offset 50 is past the end/);
  });

  it('cuts long lines, refuses binaries, reports empty, missing and folders', async () => {
    const { tb, ws } = await box({ 'long.txt': 'x'.repeat(5000) + '\nshort\n', 'empty.txt': '', 'd/f': 'f' });
    fs.writeFileSync(path.join(ws, 'bin.dat'), Buffer.from([1, 2, 0, 3]));
    const long = await tb.run('Read', { file_path: 'long.txt' });
    assert.match(long.content, /line cut: 5000 chars/);
    assert.ok(long.content.length < 2300);
    const bin = await tb.run('Read', { file_path: 'bin.dat' });
    assert.equal(bin.isError, true);
    assert.match(bin.content, /binary/);
    assert.match((await tb.run('Read', { file_path: 'empty.txt' })).content, /is empty/);
    const missing = await tb.run('Read', { file_path: 'nope.txt' });
    assert.equal(missing.isError, true);
    assert.match(missing.content, /does not exist/);
    assert.match((await tb.run('Read', { file_path: 'd' })).content, /is a folder/);
  });

  it('reads a slice of a huge file without loading it (a 20 GB sparse file)', async () => {
    const { tb, ws } = await box();
    const p = path.join(ws, 'huge.log');
    fs.writeFileSync(p, Array.from({ length: 1000 }, (_, i) => `entry ${i + 1}`).join('\n') + '\n');
    fs.truncateSync(p, 20 * 1024 ** 3); // sparse: reading it all would take minutes and 20 GB
    const started = Date.now();
    const r = await tb.run('Read', { file_path: 'huge.log', offset: 500, limit: 3 });
    assert.equal(r.isError, false, r.content);
    assert.equal(
      r.content.split('\n').slice(0, 3).join('\n'),
      '   500\tentry 500\n   501\tentry 501\n   502\tentry 502',
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('stops at the character cap with the offset to continue from', async () => {
    const { tb } = await box({ 'big.txt': Array.from({ length: 2000 }, () => 'y'.repeat(100)).join('\n') });
    const r = await tb.run('Read', { file_path: 'big.txt' });
    assert.ok(r.content.length <= 30_200);
    assert.match(r.content, /output cap of 30000 characters reached\. Continue with offset=\d+/);
  });
});

describe('Write', () => {
  it('creates files and parent folders', async () => {
    const { tb, ws } = await box();
    const r = await tb.run('Write', { file_path: 'src/deep/new.ts', content: 'export {};\n' });
    assert.equal(r.isError, false, r.content);
    assert.match(r.content, /Created src\/deep\/new\.ts/);
    assert.equal(fs.readFileSync(path.join(ws, 'src/deep/new.ts'), 'utf8'), 'export {};\n');
    // Its own file may be rewritten without a Read.
    assert.equal((await tb.run('Write', { file_path: 'src/deep/new.ts', content: 'v2' })).isError, false);
  });

  it('refuses to overwrite a file not Read in this run, and one changed since', async () => {
    const { tb, ws } = await box({ 'keep.txt': 'original\n' });
    const r = await tb.run('Write', { file_path: 'keep.txt', content: 'clobber' });
    assert.equal(r.isError, true);
    assert.match(r.content, /have not Read it/);
    assert.equal(fs.readFileSync(path.join(ws, 'keep.txt'), 'utf8'), 'original\n');
    await tb.run('Read', { file_path: 'keep.txt' });
    fs.writeFileSync(path.join(ws, 'keep.txt'), 'changed by someone else, longer\n');
    const stale = await tb.run('Write', { file_path: 'keep.txt', content: 'clobber' });
    assert.equal(stale.isError, true);
    assert.match(stale.content, /changed since you last Read it/);
    await tb.run('Read', { file_path: 'keep.txt' });
    const ok = await tb.run('Write', { file_path: 'keep.txt', content: 'new\n' });
    assert.equal(ok.isError, false, ok.content);
    assert.equal(fs.readFileSync(path.join(ws, 'keep.txt'), 'utf8'), 'new\n');
  });
});

describe('Edit', () => {
  it('replaces a unique exact match', async () => {
    const { tb, ws } = await box({ 'a.js': 'const a = 1;\nconst b = 2;\n' });
    await tb.run('Read', { file_path: 'a.js' });
    const r = await tb.run('Edit', { file_path: 'a.js', old_string: 'const b = 2;', new_string: 'const b = 3;' });
    assert.equal(r.isError, false, r.content);
    assert.match(r.content, /line 2/);
    assert.equal(fs.readFileSync(path.join(ws, 'a.js'), 'utf8'), 'const a = 1;\nconst b = 3;\n');
  });

  it('errors on not found, several matches (with the count), identical strings; replace_all replaces all', async () => {
    const { tb, ws } = await box({ 'a.txt': 'x x x\n' });
    await tb.run('Read', { file_path: 'a.txt' });
    assert.match((await tb.run('Edit', { file_path: 'a.txt', old_string: 'y', new_string: 'z' })).content, /not found/);
    const many = await tb.run('Edit', { file_path: 'a.txt', old_string: 'x', new_string: 'z' });
    assert.equal(many.isError, true);
    assert.match(many.content, /occurs 3 times/);
    assert.match((await tb.run('Edit', { file_path: 'a.txt', old_string: 'x', new_string: 'x' })).content, /identical/);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'x x x\n');
    const all = await tb.run('Edit', { file_path: 'a.txt', old_string: 'x', new_string: '$&z', replace_all: true });
    assert.equal(all.isError, false);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), '$&z $&z $&z\n');
    assert.match(
      (await tb.run('Edit', { file_path: 'none.txt', old_string: 'a', new_string: 'b' })).content,
      /use Write/,
    );
  });
});

describe('Toolbox.run input handling', () => {
  it('never throws: unknown or not offered tools and invalid input are error results', async () => {
    const { tb } = await box();
    const unknown = await tb.run('Delete', {});
    assert.equal(unknown.isError, true);
    assert.match(unknown.content, /Available tools: Read, Write, Edit/);
    assert.match((await tb.run('Bash', { command: 'ls' })).content, /no such tool in this run/);
    const missing = await tb.run('Read', {});
    assert.match(missing.content, /'file_path' is required/);
    const wrong = await tb.run('Read', { file_path: 1, offset: 'x', extra: true });
    assert.match(wrong.content, /'file_path' must be a string; 'offset' must be an integer; unknown parameter 'extra'/);
    assert.match((await tb.run('Read', 'a.txt')).content, /must be a JSON object/);
    assert.equal(tb.isReadOnly('Read'), true);
    assert.equal(tb.isReadOnly('Write'), false);
    assert.equal(tb.isReadOnly('Nope'), false);
  });
});
