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
      ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep', 'WebFetch', 'WebSearch'],
    );
  });

  it('stay small: the built-in agent’s six under 4.5 KB as sent, WebFetch and WebSearch under 1.2 KB', async () => {
    const six = ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep'];
    const tb = await createToolbox({ workspace: tempDir('defs-'), tools: [...TOOL_NAMES], sandbox: 'off' });
    const size = (names: string[]) =>
      Buffer.byteLength(JSON.stringify(tb.definitions.filter((d) => names.includes(d.name))));
    assert.ok(size(six) < 4500, `the six tool definitions are ${size(six)} bytes`);
    assert.ok(
      size(['WebFetch', 'WebSearch']) < 1200,
      `WebFetch and WebSearch are ${size(['WebFetch', 'WebSearch'])} bytes`,
    );
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
