import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createToolbox, type Toolbox } from '../../src/tools/index.ts';
import { ToolError } from '../../src/tools/result.ts';
import { Workspace } from '../../src/tools/workspace.ts';
import { which } from '../../src/tools/search.ts';
import { tempDir, writeFiles } from './helpers.ts';
import { requireTools } from '../../test-support/system-tools.ts';

const SECRET = 'TOP-SECRET-CONTENT';

/** Glob and Grep run through ripgrep when it is installed, through a pure-JS walk otherwise: both are attacked. */
const ripgrep = requireTools('rg');

for (const engine of ['ripgrep', 'js'] as const) {
  describe(
    `confinement: escape attempts (Glob/Grep by ${engine})`,
    { skip: engine === 'ripgrep' && ripgrep.skip },
    () => {
      let ws: string;
      let outside: string;
      let refs: string;
      let tb: Toolbox;
      const hostTmpFile = path.join('/tmp', `escape-${process.pid}-${engine}-${Date.now()}.txt`);

      before(async () => {
        const base = tempDir();
        ws = path.join(base, 'ws');
        outside = path.join(base, 'outside');
        refs = path.join(base, 'refs');
        writeFiles(ws, {
          'a.txt': 'inside\n',
          'sub/b.txt': 'b\n',
          '.git/config': '[core]\n',
          '.git/hooks/README': 'hooks\n',
          'sub/.git/config': 'nested\n',
        });
        writeFiles(outside, { 'secret.txt': `${SECRET}\n` });
        writeFiles(refs, { 'guide.md': 'reference doc\n' });
        fs.symlinkSync('/', path.join(ws, 'link_root'));
        fs.symlinkSync(outside, path.join(ws, 'link_out'));
        fs.symlinkSync(path.join(ws, 'chain2'), path.join(ws, 'chain1'));
        fs.symlinkSync(outside, path.join(ws, 'chain2'));
        fs.linkSync(path.join(outside, 'secret.txt'), path.join(ws, 'hl'));
        fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'lf'));
        fs.symlinkSync(path.join(outside, 'created-through-dangling.txt'), path.join(ws, 'dang'));
        fs.symlinkSync('.git', path.join(ws, 'gitlink'));
        fs.symlinkSync('sub/b.txt', path.join(ws, 'inner_link'));
        const rg = engine === 'ripgrep' ? which('rg') : false;
        assert.ok(rg !== null, 'ripgrep is on PATH (else the suite is skipped)');
        tb = await createToolbox({
          workspace: ws,
          tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep'],
          readOnlyRoots: [refs],
          ripgrep: rg,
        });
      });

      const attempts: [string, string, Record<string, unknown>][] = [
        ['.. to a sibling', 'Read', { file_path: '../outside/secret.txt' }],
        ['.. in the middle', 'Read', { file_path: 'sub/../../outside/secret.txt' }],
        ['.. that stays inside', 'Write', { file_path: 'sub/../x.txt', content: 'x' }],
        ['absolute system file', 'Read', { file_path: '/etc/passwd' }],
        ['absolute path elsewhere', 'Read', { file_path: '@OUT/secret.txt' }],
        ['~ home', 'Read', { file_path: '~/.bashrc' }],
        ['~user home', 'Read', { file_path: '~root/.bashrc' }],
        ['symlink to /', 'Read', { file_path: 'link_root/etc/passwd' }],
        ['symlink dir out', 'Read', { file_path: 'link_out/secret.txt' }],
        ['absolute through symlink dir', 'Read', { file_path: '@WS/link_out/secret.txt' }],
        ['symlink chain', 'Read', { file_path: 'chain1/secret.txt' }],
        ['hard link read', 'Read', { file_path: 'hl' }],
        ['hard link write', 'Write', { file_path: 'hl', content: 'pwned' }],
        ['hard link edit', 'Edit', { file_path: 'hl', old_string: 'TOP', new_string: 'pwned' }],
        ['file symlink read', 'Read', { file_path: 'lf' }],
        ['file symlink write', 'Write', { file_path: 'lf', content: 'pwned' }],
        ['dangling symlink write', 'Write', { file_path: 'dang', content: 'pwned' }],
        ['write through symlink dir', 'Write', { file_path: 'link_out/new.txt', content: 'pwned' }],
        [
          'edit through symlink dir',
          'Edit',
          { file_path: 'link_out/secret.txt', old_string: 'TOP', new_string: 'pwned' },
        ],
        ['absolute write elsewhere', 'Write', { file_path: '@HOSTTMP', content: 'pwned' }],
        ['.git/config read', 'Read', { file_path: '.git/config' }],
        [
          '.git/hooks/pre-commit write',
          'Write',
          { file_path: '.git/hooks/pre-commit', content: '#!/bin/sh\ncurl evil' },
        ],
        ['.GIT case variant', 'Write', { file_path: '.GIT/hooks/pre-commit', content: 'x' }],
        ['.git with trailing dot', 'Write', { file_path: '.git./hooks/pre-commit', content: 'x' }],
        ['nested .git', 'Write', { file_path: 'sub/.git/config', content: 'x' }],
        ['symlink to .git', 'Write', { file_path: 'gitlink/hooks/pre-commit', content: 'x' }],
        ['absolute .git', 'Read', { file_path: '@WS/.git/config' }],
        ['.git folder itself', 'Glob', { pattern: '*', path: '.git' }],
        ['NUL in path', 'Read', { file_path: 'a.txt\u0000../../etc/passwd' }],
        ['one-dot-leader look-alike', 'Read', { file_path: '\u2024\u2024/outside/secret.txt' }],
        ['fullwidth look-alikes', 'Read', { file_path: '\uFF0E\uFF0E\uFF0Foutside\uFF0Fsecret.txt' }],
        ['division slash look-alike', 'Read', { file_path: '..\u2215outside\u2215secret.txt' }],
        ['bidi override', 'Read', { file_path: 'sub/\u202Etxt.b' }],
        ['zero-width space in .git', 'Write', { file_path: '.g\u200Bit/config', content: 'x' }],
        ['workflow write', 'Write', { file_path: '.github/workflows/evil.yml', content: 'on: push' }],
        ['workflow write, case variant', 'Write', { file_path: '.GitHub/Workflows/evil.yml', content: 'on: push' }],
        ['write to read-only reference docs', 'Write', { file_path: '@REFS/guide.md', content: 'x' }],
        ['Glob outside', 'Glob', { pattern: '*', path: '../outside' }],
        ['Glob through symlink dir', 'Glob', { pattern: '*', path: 'link_out' }],
        ['Grep /etc', 'Grep', { pattern: 'root', path: '/etc' }],
        ['Grep through symlink to /', 'Grep', { pattern: 'root', path: 'link_root/etc' }],
        ['Grep a file symlink', 'Grep', { pattern: 'TOP', path: 'lf' }],
        ['empty path', 'Read', { file_path: '' }],
      ];

      for (const [name, tool, raw] of attempts) {
        it(`refuses: ${name}`, async () => {
          const input = JSON.parse(
            JSON.stringify(raw)
              .replaceAll('@OUT', outside)
              .replaceAll('@WS', ws)
              .replaceAll('@REFS', refs)
              .replaceAll('@HOSTTMP', hostTmpFile),
          ) as Record<string, unknown>;
          const r = await tb.run(tool, input);
          assert.equal(r.isError, true, `${name} was not refused: ${r.content}`);
          assert.ok(r.content.startsWith(`${tool}: `), r.content);
          assert.ok(!r.content.includes(SECRET), 'secret leaked');
          assert.ok(!r.content.includes('root:x:0'), '/etc/passwd leaked');
        });
      }

      it('left everything outside and in .git untouched (checked after the table)', () => {
        assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), `${SECRET}\n`);
        assert.deepEqual(fs.readdirSync(outside).sort(), ['secret.txt']);
        assert.equal(fs.existsSync(path.join(ws, '.git/hooks/pre-commit')), false);
        assert.equal(fs.existsSync(hostTmpFile), false);
        assert.equal(fs.existsSync(path.join(ws, '.github')), false);
        assert.equal(fs.readFileSync(path.join(refs, 'guide.md'), 'utf8'), 'reference doc\n');
        assert.equal(fs.existsSync(path.join(ws, 'x.txt')), false);
      });

      it('still allows what is inside: a symlink within the workspace, reference docs read-only', async () => {
        const r = await tb.run('Read', { file_path: 'inner_link' });
        assert.equal(r.isError, false, r.content);
        assert.match(r.content, /1\tb/);
        const g = await tb.run('Read', { file_path: path.join(refs, 'guide.md') });
        assert.equal(g.isError, false, g.content);
        assert.match(g.content, /reference doc/);
      });

      it('Glob and Grep over the workspace never list .git or follow symlinks out', async () => {
        const g = await tb.run('Glob', { pattern: '**/*' });
        assert.equal(g.isError, false);
        assert.ok(!g.content.includes('.git/'), g.content);
        assert.ok(!g.content.includes('secret.txt'), g.content);
        const s = await tb.run('Grep', { pattern: 'TOP-SECRET|nested|core|inside', output_mode: 'content' });
        assert.equal(
          s.content,
          'a.txt:1:inside',
          'only the plain file matches: not .git, not the hard link, not via symlinks',
        );
      });
    },
  );
}

describe('confinement: a file swapped between check and use', () => {
  it('a file replaced by a symlink after resolve is not followed on open', async () => {
    const base = tempDir();
    writeFiles(base, { 'ws/victim.txt': 'ok\n', 'out/secret.txt': `${SECRET}\n` });
    const ws = await Workspace.create({ root: path.join(base, 'ws') });
    const r = await ws.resolve('victim.txt', 'read');
    fs.rmSync(path.join(base, 'ws/victim.txt'));
    fs.symlinkSync(path.join(base, 'out/secret.txt'), path.join(base, 'ws/victim.txt'));
    await assert.rejects(ws.openRead(r), (e: unknown) => e instanceof ToolError && /symlink/.test(e.message));
    await assert.rejects(ws.openWrite(r), ToolError);
    assert.equal(fs.readFileSync(path.join(base, 'out/secret.txt'), 'utf8'), `${SECRET}\n`);
  });

  it('a folder replaced by a symlink after resolve is caught after open (read and create)', async () => {
    const base = tempDir();
    writeFiles(base, { 'ws/d/f.txt': 'ok\n', 'ws/e/keep': '', 'out/f.txt': `${SECRET}\n` });
    const ws = await Workspace.create({ root: path.join(base, 'ws') });
    const r = await ws.resolve('d/f.txt', 'read');
    const w = await ws.resolve('e/new.txt', 'write');
    fs.renameSync(path.join(base, 'ws/d'), path.join(base, 'ws/d_old'));
    fs.symlinkSync(path.join(base, 'out'), path.join(base, 'ws/d'));
    fs.renameSync(path.join(base, 'ws/e'), path.join(base, 'ws/e_old'));
    fs.symlinkSync(path.join(base, 'out'), path.join(base, 'ws/e'));
    await assert.rejects(
      ws.openRead(r),
      (e: unknown) => e instanceof ToolError && /changed while being opened/.test(e.message),
    );
    await assert.rejects(ws.openWrite(w), ToolError);
    assert.deepEqual(fs.readdirSync(path.join(base, 'out')), ['f.txt'], 'no file left behind outside');
  });

  it('a file turned into a hard link after resolve is refused on open', async () => {
    const base = tempDir();
    writeFiles(base, { 'ws/v.txt': 'ok\n' });
    const ws = await Workspace.create({ root: path.join(base, 'ws') });
    const r = await ws.resolve('v.txt', 'write');
    fs.linkSync(path.join(base, 'ws/v.txt'), path.join(base, 'elsewhere.txt'));
    await assert.rejects(ws.openWrite(r), (e: unknown) => e instanceof ToolError && /hard link/.test(e.message));
  });
});

describe('confinement: workflow changes', () => {
  it('writes under .github/workflows/ are allowed only with allowWorkflowChanges', async () => {
    const ws = tempDir();
    const tb = await createToolbox({ workspace: ws, tools: ['Write'], allowWorkflowChanges: true });
    const r = await tb.run('Write', { file_path: '.github/workflows/ci.yml', content: 'on: push\n' });
    assert.equal(r.isError, false, r.content);
    assert.equal(fs.readFileSync(path.join(ws, '.github/workflows/ci.yml'), 'utf8'), 'on: push\n');
    const off = await createToolbox({ workspace: ws, tools: ['Write'] });
    const r2 = await off.run('Write', { file_path: '.github/workflows/other.yml', content: 'x' });
    assert.equal(r2.isError, true);
    assert.match(r2.content, /allow-workflow-changes/);
    // Other .github files are fine.
    assert.equal((await off.run('Write', { file_path: '.github/CODEOWNERS', content: '* @me\n' })).isError, false);
  });
});
