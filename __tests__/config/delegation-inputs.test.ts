// max-delegation-depth and the delegation tool in allowed-tools, read as the runner passes inputs (INPUT_<NAME>).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../../src/config/inputs.ts';

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

test('allowed-tools: Agent or Task keeps delegation on and is not a built-in; without them it is off', () => {
  const on = config({ tools: 'Read, Agent' });
  assert.deepEqual([on.allowedTools, on.maxDelegationDepth], [['Read'], 1]);
  const task = config({ tools: 'Grep,Task', depth: '2' });
  assert.deepEqual([task.allowedTools, task.maxDelegationDepth], [['Grep'], 2]);
  const off = config({ tools: 'Read,Grep', depth: '2' });
  assert.deepEqual([off.allowedTools, off.maxDelegationDepth], [['Read', 'Grep'], 0]);
  const only = config({ tools: 'Agent' });
  assert.deepEqual([only.allowedTools, only.maxDelegationDepth], [[], 1], 'delegation only, no built-in tool');
  assert.equal(config({}).allowedTools, null);
  assert.throws(
    () => config({ tools: 'Read,Teleport' }),
    /names an unknown tool 'Teleport'\. Known tools: Read, Write, Edit, Bash, Glob, Grep, Agent\./,
  );
});
