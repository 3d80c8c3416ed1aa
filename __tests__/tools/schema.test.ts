import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod/mini';
import { createToolbox, ok } from '../../src/tools/index.ts';
import { defineTool, toInputSchema } from '../../src/tools/schema.ts';
import { tempDir, writeFiles } from './helpers.ts';

// The zod schema of each tool input is the one source of its type, its JSON schema and its validation: these check
// that a malformed call still comes back naming every problem in the model's terms, with the accepted parameters.
async function box() {
  const ws = tempDir('schema-');
  writeFiles(ws, { 'a.txt': 'one\ntwo\n' });
  return createToolbox({ workspace: ws, tools: ['Read', 'Edit', 'Grep'], sandbox: 'off' });
}

describe('tool input validation (zod)', () => {
  it('names every problem and lists the accepted parameters', { timeout: 60_000 }, async () => {
    const tb = await box();
    const r = await tb.run('Grep', {
      pattern: 7,
      output_mode: 'lines',
      '-i': 'yes',
      '-A': -1,
      head_limit: 2.5,
      bogus: 1,
      other: 'x',
    });
    assert.equal(r.isError, true);
    assert.equal(
      r.content,
      "Grep: invalid input: 'pattern' must be a string; " +
        "'output_mode' must be one of content, files_with_matches, count; '-i' must be true or false; " +
        "'-A' must be at least 0; 'head_limit' must be an integer; " +
        "unknown parameter 'bogus'; unknown parameter 'other'. Expected parameters: pattern: string, path?: string, " +
        'glob?: string, type?: string, output_mode?: content|files_with_matches|count, -i?: boolean, -n?: boolean, ' +
        '-A?: integer, -B?: integer, -C?: integer, multiline?: boolean, head_limit?: integer.',
    );
  });

  it('null is "not set" for an optional parameter, reported for a required one', { timeout: 60_000 }, async () => {
    const tb = await box();
    const ok = await tb.run('Read', { file_path: 'a.txt', offset: null, limit: null });
    assert.equal(ok.isError, false, ok.content);
    assert.match(ok.content, /1\tone/);
    const bad = await tb.run('Edit', { file_path: null, old_string: 'one' });
    assert.equal(
      bad.content,
      "Edit: invalid input: 'file_path' must not be null; 'new_string' is required. " +
        'Expected parameters: file_path: string, old_string: string, new_string: string, replace_all?: boolean.',
    );
    assert.match((await tb.run('Read', [])).content, /the input must be a JSON object\.$/);
  });

  it('derives the JSON schema sent: no $schema, no ±2^53 bounds, key order as before', () => {
    const s = toInputSchema(
      z.strictObject({
        n: z.optional(z.int().check(z.describe('N'))),
        m: z.int().check(z.minimum(1), z.maximum(9), z.describe('M')),
        e: z.optional(z.enum(['a', 'b'])),
      }),
    );
    assert.equal(
      JSON.stringify(s),
      JSON.stringify({
        type: 'object',
        properties: {
          n: { type: 'integer', description: 'N' },
          m: { type: 'integer', minimum: 1, maximum: 9, description: 'M' },
          e: { type: 'string', enum: ['a', 'b'] },
        },
        required: ['m'],
        additionalProperties: false,
      }),
    );
  });

  it('refuses, at definition time, a schema outside the subset the messages can describe', () => {
    const nested = z.strictObject({ o: z.union([z.string(), z.int()]) });
    assert.throws(() => toInputSchema(nested), /tool input 'o' uses anyOf, outside the supported subset/);
    const deep = z.strictObject({ list: z.array(z.object({ when: z.union([z.string(), z.boolean()]) })) });
    assert.throws(() => toInputSchema(deep), /tool input 'list\[\]\.when' has no type in the supported subset/);
    const run = (): Promise<never> => Promise.reject(new Error('not reached'));
    const define = (): unknown => defineTool({ name: 'Read', description: 'x', input: nested, readOnly: true, run });
    assert.throws(define, /outside the supported subset/);
  });
});

describe('arrays of objects (TodoWrite-shaped input)', () => {
  const input = z.strictObject({
    items: z
      .array(
        z.object({
          text: z.string().check(z.minLength(1)),
          state: z.enum(['open', 'done']),
          weight: z.optional(z.int().check(z.minimum(0))),
        }),
      )
      .check(z.describe('The items')),
    note: z.optional(z.string()),
  });
  const tool = defineTool({
    name: 'List',
    description: 'Takes a list.',
    input,
    readOnly: true,
    run: ({ items }) => Promise.resolve(ok(items.map((i) => `${i.text}:${i.state}`).join(','))),
  });

  it('derive a nested JSON schema: items with their own properties and required, key order kept', () => {
    assert.equal(
      JSON.stringify(tool.definition.input_schema),
      JSON.stringify({
        type: 'object',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                text: { type: 'string', minLength: 1 },
                state: { type: 'string', enum: ['open', 'done'] },
                weight: { type: 'integer', minimum: 0 },
              },
              required: ['text', 'state'],
            },
            description: 'The items',
          },
          note: { type: 'string' },
        },
        required: ['items'],
        additionalProperties: false,
      }),
    );
  });

  it('validate each item, naming the place of every problem as the model would write it', async () => {
    const good = await tool.call({ items: [{ text: 'a', state: 'open', extra: 1 }] }, {} as never);
    assert.deepEqual(good, { content: 'a:open', isError: false }, 'unknown keys inside an item are dropped');
    const bad = await tool.call(
      { items: [{ text: '', state: 'shut' }, { state: 'done', weight: -1 }, 'x'], other: 1 },
      {} as never,
    );
    assert.equal(bad.isError, true);
    assert.equal(
      bad.content,
      "List: invalid input: 'items[0].text' must not be empty; 'items[0].state' must be one of open, done; " +
        "'items[1].text' is required; 'items[1].weight' must be at least 0; 'items[2]' must be an object; " +
        "unknown parameter 'other'. Expected parameters: " +
        'items: array of {text: string, state: open|done, weight?: integer}, note?: string.',
    );
    const notArray = await tool.call({ items: 'a, b' }, {} as never);
    assert.match(notArray.content, /'items' must be an array\./);
    const missing = await tool.call({}, {} as never);
    assert.match(missing.content, /'items' is required\./);
  });
});

it('extraTools: offered only when named, after the built-ins, with the toolbox masking and fault handling', async () => {
  const echo = defineTool({
    name: 'Echo',
    description: 'Echoes.',
    input: z.strictObject({ say: z.string() }),
    readOnly: true,
    run: async ({ say }) => (say === 'boom' ? Promise.reject(new Error('kaput')) : ok(`echo ${say}`)),
  });
  const hidden = defineTool({
    ...echo.definition,
    name: 'Hidden',
    input: z.strictObject({}),
    readOnly: false,
    run: () => Promise.resolve(ok('')),
  });
  const tb = await createToolbox({
    workspace: tempDir('extra-'),
    tools: ['Read', 'Echo'],
    extraTools: [echo, hidden],
    env: { MY_TOKEN: 'supersecretvalue123' },
  });
  try {
    assert.deepEqual(
      tb.definitions.map((d) => d.name),
      ['Read', 'Echo'],
    );
    assert.equal(tb.isReadOnly('Echo'), true);
    assert.deepEqual(await tb.run('Echo', { say: 'supersecretvalue123' }), { content: 'echo ***', isError: false });
    const boom = await tb.run('Echo', { say: 'boom' });
    assert.equal(boom.isError, true);
    assert.match(boom.content, /kaput/);
    assert.match((await tb.run('Echo', { loud: true })).content, /unknown parameter 'loud'/);
    assert.match((await tb.run('Hidden', {})).content, /no such tool/);
  } finally {
    await tb.close();
  }
});
