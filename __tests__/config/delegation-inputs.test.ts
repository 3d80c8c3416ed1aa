// max-delegation-depth, and the delegation tool in allowed-tools, read as the runner passes inputs (INPUT_<NAME>).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../../src/config/inputs.ts';
import { offeredTools } from '../../src/agents/definition.ts';
import { TOOL_NAMES } from '../../src/constants.ts';

const NAMES = ['INPUT_MAX-DELEGATION-DEPTH', 'INPUT_ALLOWED-TOOLS'];
afterEach(() => {
  for (const n of NAMES) delete process.env[n];
});
function config(inputs: { depth?: string; tools?: string }) {
  for (const n of NAMES) delete process.env[n];
  if (inputs.depth !== undefined) process.env['INPUT_MAX-DELEGATION-DEPTH'] = inputs.depth;
  if (inputs.tools !== undefined) process.env['INPUT_ALLOWED-TOOLS'] = inputs.tools;
  return readConfig();
}

test('max-delegation-depth: 1 by default, whole numbers from 0, anything else refused', () => {
  assert.equal(config({}).maxDelegationDepth, 1);
  assert.equal(config({ depth: '0' }).maxDelegationDepth, 0);
  assert.equal(config({ depth: '3' }).maxDelegationDepth, 3);
  assert.throws(
    () => config({ depth: '-1' }),
    /^UserError: Input 'max-delegation-depth' must be a number ≥ 0, got '-1'\./,
  );
  assert.throws(() => config({ depth: 'deep' }), /Input 'max-delegation-depth' must be a number ≥ 0, got 'deep'/);
});

test('allowed-tools: naming Agent (or Task) keeps delegation; leaving it out narrows it away', () => {
  const all = [...TOOL_NAMES, 'Agent'];
  const noLine = { tools: null, disallowedTools: [] };
  const on = config({ tools: 'Read, Task' });
  assert.deepEqual(on.allowedTools, ['Read', 'Agent']);
  assert.deepEqual(offeredTools(noLine, all, on.allowedTools).offered, ['Read', 'Agent']);
  const off = config({ tools: 'Read,Grep', depth: '2' });
  assert.equal(off.maxDelegationDepth, 2);
  assert.deepEqual(offeredTools(noLine, all, off.allowedTools).offered, ['Read', 'Grep'], 'no Agent: no delegation');
  assert.deepEqual(offeredTools(noLine, all, config({}).allowedTools).offered, all);
});
