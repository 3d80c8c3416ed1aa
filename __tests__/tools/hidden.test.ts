// The run's credential files (ToolboxOptions.hiddenPaths) are refused to Read/Write/Edit and never listed by
// Glob/Grep, with ripgrep and with the pure-JS fallback, even when .gitignore does not cover them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { requireTools } from '../../test-support/system-tools.ts';
import { createToolbox } from '../../src/tools/index.ts';
import { which } from '../../src/tools/search.ts';
import { tempDir, writeFiles } from './helpers.ts';

const SECRET = 'hidden-tool-secret-0123456789';

async function box(ripgrep: string | false) {
  const ws = tempDir('hidden-');
  writeFiles(ws, {
    'gha-creds-abc.json': `{"private_key": "${SECRET}"}\n`,
    'deploy/.npmrc': `//registry.npmjs.org/:_authToken=${SECRET}\n`,
    'web/.npmrc': 'registry=https://registry.npmjs.org/\n',
    'src/app.ts': `// mentions private_key and _authToken in ordinary code\n`,
  });
  const hiddenPaths = [path.join(ws, 'gha-creds-abc.json'), path.join(ws, 'deploy/.npmrc')];
  const tb = await createToolbox({
    workspace: ws,
    tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep'],
    hiddenPaths,
    ripgrep,
  });
  return { ws, tb };
}

const rg = which('rg');
for (const [name, engine] of [
  ['ripgrep', rg ?? false],
  ['JS fallback', false],
] as const) {
  describe(`hidden credential files (${name})`, { skip: name === 'ripgrep' ? requireTools('rg').skip : false }, () => {
    it('Read, Write and Edit refuse them by relative, absolute and symlinked path, saying why', async () => {
      const { ws, tb } = await box(engine);
      fs.symlinkSync('gha-creds-abc.json', path.join(ws, 'innocent.json'));
      const attempts: Array<[string, Record<string, unknown>]> = [
        ['Read', { file_path: 'gha-creds-abc.json' }],
        ['Read', { file_path: path.join(ws, 'gha-creds-abc.json') }],
        ['Read', { file_path: 'innocent.json' }],
        ['Read', { file_path: 'deploy/.npmrc' }],
        ['Write', { file_path: 'gha-creds-abc.json', content: 'x' }],
        ['Edit', { file_path: 'deploy/.npmrc', old_string: 'registry', new_string: 'x' }],
      ];
      for (const [tool, input] of attempts) {
        const r = await tb.run(tool, input);
        assert.equal(r.isError, true, `${tool} ${JSON.stringify(input)}: ${r.content}`);
        assert.match(r.content, /credential file of this run/);
        assert.ok(!r.content.includes(SECRET));
      }
      assert.equal(
        fs.readFileSync(path.join(ws, 'gha-creds-abc.json'), 'utf8'),
        `{"private_key": "${SECRET}"}\n`,
        'not overwritten',
      );
      const ordinary = await tb.run('Read', { file_path: 'web/.npmrc' });
      assert.equal(ordinary.isError, false, ordinary.content);
      assert.match(ordinary.content, /registry=/);
    });

    it('Glob and Grep never list them, not even when nothing ignores them; a Grep aimed at one is refused', async () => {
      const { tb } = await box(engine);
      const glob = await tb.run('Glob', { pattern: '**/*' });
      assert.equal(glob.isError, false, glob.content);
      assert.match(glob.content, /web\/\.npmrc/);
      assert.match(glob.content, /src\/app\.ts/);
      assert.doesNotMatch(glob.content, /gha-creds|deploy\/\.npmrc/);
      const named = await tb.run('Glob', { pattern: '**/gha-creds-*.json' });
      assert.match(named.content, /^No files match/);
      for (const output_mode of ['files_with_matches', 'content', 'count'] as const) {
        const g = await tb.run('Grep', { pattern: 'private_key|_authToken|hidden-tool', output_mode });
        assert.equal(g.isError, false, g.content);
        assert.match(g.content, /src\/app\.ts/, `${output_mode}: the ordinary file matches`);
        assert.doesNotMatch(g.content, /gha-creds|deploy\/\.npmrc/, output_mode);
        assert.ok(!g.content.includes(SECRET), output_mode);
      }
      const aimed = await tb.run('Grep', { pattern: '.', path: 'deploy/.npmrc', output_mode: 'content' });
      assert.equal(aimed.isError, true);
      assert.ok(!aimed.content.includes(SECRET));
      const inFolder = await tb.run('Grep', { pattern: '.', path: 'deploy', output_mode: 'content' });
      assert.ok(!inFolder.content.includes(SECRET), inFolder.content);
    });
  });
}
