import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { createToolbox, TOOL_NAMES } from '../../src/tools/index.ts';
import { tempDir } from './helpers.ts';

// What the model sees is reviewed like code: a change here must update the committed snapshot
// (UPDATE_SNAPSHOT=1 node --test __tests__/tools/definitions.test.ts) and show up in the diff.
const SNAPSHOT = new URL('./definitions.snapshot.json', import.meta.url);

describe('tool definitions', () => {
  it('match the committed snapshot, in a stable order', async () => {
    const tb = await createToolbox({ workspace: tempDir('defs-'), tools: [...TOOL_NAMES], sandbox: 'off' });
    const json = `${JSON.stringify(tb.definitions, null, 2)}\n`;
    if (process.env.UPDATE_SNAPSHOT) fs.writeFileSync(SNAPSHOT, json);
    assert.equal(json, fs.readFileSync(SNAPSHOT, 'utf8'));
    assert.deepEqual(
      tb.definitions.map((d) => d.name),
      [
        'Read',
        'Write',
        'Edit',
        'MultiEdit',
        'Bash',
        'BashOutput',
        'KillShell',
        'Glob',
        'Grep',
        'WebFetch',
        'WebSearch',
      ],
    );
  });

  it('stay small: the built-in agent’s six (Bash bringing BashOutput and KillShell) under 5.4 KB as sent', async () => {
    const six = ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep'];
    const tb = await createToolbox({ workspace: tempDir('defs-'), tools: six, sandbox: 'off' });
    const size = Buffer.byteLength(JSON.stringify(tb.definitions));
    assert.ok(size < 5400, `tool definitions are ${size} bytes`);
    const web = await createToolbox({ workspace: tempDir('defs-'), tools: ['WebFetch', 'WebSearch'], sandbox: 'off' });
    const webSize = Buffer.byteLength(JSON.stringify(web.definitions));
    assert.ok(webSize < 1200, `WebFetch and WebSearch are ${webSize} bytes`);
    await web.close();
    await tb.close();
  });

  it('offer only the requested tools, in the canonical order', async () => {
    const tb = await createToolbox({ workspace: tempDir('defs-'), tools: ['Grep', 'Read'] });
    assert.deepEqual(
      tb.definitions.map((d) => d.name),
      ['Read', 'Grep'],
    );
    assert.equal(tb.sandboxInfo, 'off (Bash not offered)');
  });
});
