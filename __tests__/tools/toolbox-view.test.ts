// Toolbox.view: a restricted view of a toolbox (what a delegated agent works in) shares the owner's state and never
// offers a tool the owner does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod/mini';
import { createToolbox, defineTool, ok } from '../../src/tools/index.ts';
import { tempDir, writeFiles } from './helpers.ts';

const T = { timeout: 30_000 };
const names = (tb: { definitions: readonly { name: string }[] }) => tb.definitions.map((d) => d.name);
const extra = (name: string, answer: string) =>
  defineTool({
    name,
    description: name,
    input: z.strictObject({}),
    readOnly: false,
    run: () => Promise.resolve(ok(answer)),
  });

test('a view offers only what it names among the owner’s tools, plus its own extra tools', T, async () => {
  const ws = tempDir();
  writeFiles(ws, { 'a.txt': 'one\n' });
  const owner = await createToolbox({
    workspace: ws,
    tools: ['Read', 'Write', 'Edit', 'Grep', 'Mine'],
    extraTools: [extra('Mine', 'owner')],
    ripgrep: false,
  });
  try {
    const view = owner.view(['Read', 'Bash', 'Glob', 'Mine', 'Agent'], [extra('Agent', 'view agent')]);
    assert.deepEqual(names(view), ['Read', 'Mine', 'Agent'], 'Bash and Glob: the owner does not offer them');
    assert.equal(view.sandboxInfo, 'off (Bash not offered)');
    assert.equal((await view.run('Mine', {})).content, 'owner', "the owner's extra tool is carried over");
    assert.equal((await view.run('Agent', {})).content, 'view agent');
    const write = await view.run('Write', { file_path: 'b.txt', content: 'x' });
    assert.equal(write.isError, true);
    assert.match(write.content, /^Write: no such tool in this run\. Available tools: Read, Mine, Agent\./);
    assert.equal(fs.existsSync(path.join(ws, 'b.txt')), false);
    // A view's extra tool replaces the owner's of the same name; a view of a view narrows further.
    const replaced = owner.view(['Mine'], [extra('Mine', 'replaced')]);
    assert.equal((await replaced.run('Mine', {})).content, 'replaced');
    assert.deepEqual(names(view.view(['Read', 'Write'])), ['Read']);
  } finally {
    await owner.close();
  }
});

test(
  'a view shares the files Read so far (Write after a Read in the owner) and closing it closes nothing',
  T,
  async () => {
    const ws = tempDir();
    writeFiles(ws, { 'a.txt': 'one\n' });
    const owner = await createToolbox({ workspace: ws, tools: ['Read', 'Write', 'Grep'], ripgrep: false });
    try {
      const writer = owner.view(['Write']);
      const before = await writer.run('Write', { file_path: 'a.txt', content: 'two\n' });
      assert.equal(before.isError, true, 'overwriting needs a Read first');
      assert.match(before.content, /you have not Read it in this run/);
      assert.equal((await owner.run('Read', { file_path: 'a.txt' })).isError, false);
      const after = await writer.run('Write', { file_path: 'a.txt', content: 'two\n' });
      assert.equal(after.isError, false, after.content);
      assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'two\n');
      await writer.close();
      // The owner's Grep (its matcher worker) still works after the view was closed.
      const grep = await owner.run('Grep', { pattern: 'two', output_mode: 'files_with_matches' });
      assert.equal(grep.isError, false, grep.content);
      assert.match(grep.content, /a\.txt/);
    } finally {
      await owner.close();
    }
  },
);

test('a view masks secrets like its owner', T, async () => {
  const ws = tempDir();
  const secret = 'view-secret-value-0123456789';
  writeFiles(ws, { 'leak.txt': `key=${secret}\n` });
  const owner = await createToolbox({ workspace: ws, tools: ['Read'], secrets: [secret], ripgrep: false });
  try {
    const r = await owner.view(['Read']).run('Read', { file_path: 'leak.txt' });
    assert.equal(r.isError, false);
    assert.doesNotMatch(r.content, new RegExp(secret));
    assert.match(r.content, /key=/);
  } finally {
    await owner.close();
  }
});
