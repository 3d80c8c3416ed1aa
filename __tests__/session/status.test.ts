import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus, parseStatus, type StatusBlock } from '../../src/session/status.ts';

const fence = '```';

const variants: Array<[string, string, StatusBlock]> = [
  [
    'canonical five lines',
    'STATUS: COMPLETE\nSUMMARY: Added GET /orders\nFILES: src/orders.ts, test/orders.test.ts\nNEXT: Deploy\nBLOCKER: none',
    {
      status: 'COMPLETE',
      summary: 'Added GET /orders',
      files: ['src/orders.ts', 'test/orders.test.ts'],
      next: 'Deploy',
    },
  ],
  [
    'inside a code fence after prose',
    `Done, here is my report.\n\n${fence}\nSTATUS: COMPLETE\nSUMMARY: Did it\nFILES: a.ts\n${fence}\n`,
    { status: 'COMPLETE', summary: 'Did it', files: ['a.ts'] },
  ],
  [
    'fence with a language tag',
    `${fence}text\nSTATUS: BLOCKED\nSUMMARY: Could not run tests\nFILES: none\nBLOCKER: database unreachable\n${fence}`,
    { status: 'BLOCKED', summary: 'Could not run tests', files: [], blocker: 'database unreachable' },
  ],
  [
    'bold keys with the colon inside',
    '**STATUS:** COMPLETE\n**SUMMARY:** Fixed the bug\n**FILES:** src/x.ts',
    { status: 'COMPLETE', summary: 'Fixed the bug', files: ['src/x.ts'] },
  ],
  [
    'bold keys with the colon outside',
    '**STATUS**: WAITING\n**SUMMARY**: Need a decision\n**FILES**: none\n**BLOCKER**: Postgres or MySQL?',
    { status: 'WAITING', summary: 'Need a decision', files: [], blocker: 'Postgres or MySQL?' },
  ],
  [
    'whole line bold and italic value',
    '**STATUS: ERROR**\n*SUMMARY: the build failed*\nFILES: -',
    { status: 'ERROR', summary: 'the build failed', files: [] },
  ],
  [
    'lower case keys and value',
    'status: complete\nsummary: all good\nfiles: a.go',
    { status: 'COMPLETE', summary: 'all good', files: ['a.go'] },
  ],
  [
    'mixed case and extra spaces',
    '   Status  :    Blocked   \n  Summary:   waiting on creds  \n Files :  ',
    { status: 'BLOCKED', summary: 'waiting on creds', files: [] },
  ],
  [
    'bulleted lines',
    '- STATUS: COMPLETE\n- SUMMARY: Added pagination\n- FILES: api.py, tests/test_api.py',
    { status: 'COMPLETE', summary: 'Added pagination', files: ['api.py', 'tests/test_api.py'] },
  ],
  [
    'FILES as a markdown list on following lines',
    'STATUS: COMPLETE\nSUMMARY: Added a migration\nFILES:\n- db/migrations/001_init.sql\n- `src/db.ts`\n* src/routes.ts (new)\nNEXT: run the migration',
    {
      status: 'COMPLETE',
      summary: 'Added a migration',
      files: ['db/migrations/001_init.sql', 'src/db.ts', 'src/routes.ts'],
      next: 'run the migration',
    },
  ],
  [
    'FILES list after a blank line, numbered',
    'STATUS: COMPLETE\nSUMMARY: x\nFILES:\n\n1. a.ts\n2. b.ts\n\nThanks!',
    { status: 'COMPLETE', summary: 'x', files: ['a.ts', 'b.ts'] },
  ],
  [
    'FILES none',
    'STATUS: COMPLETE\nSUMMARY: Nothing to change\nFILES: none',
    { status: 'COMPLETE', summary: 'Nothing to change', files: [] },
  ],
  [
    'FILES N/A and NEXT dash',
    'STATUS: COMPLETE\nSUMMARY: Reviewed\nFILES: N/A\nNEXT: -',
    { status: 'COMPLETE', summary: 'Reviewed', files: [] },
  ],
  [
    'FILES with backticks, quotes, duplicates and descriptions',
    'STATUS: COMPLETE\nSUMMARY: s\nFILES: `a.ts`, "b.ts", a.ts, c.ts — the handler; d.ts',
    { status: 'COMPLETE', summary: 's', files: ['a.ts', 'b.ts', 'c.ts', 'd.ts'] },
  ],
  [
    'the last block wins',
    'STATUS: BLOCKED\nSUMMARY: first try\nFILES: none\n\nRetried.\n\nSTATUS: COMPLETE\nSUMMARY: second try\nFILES: x.ts',
    { status: 'COMPLETE', summary: 'second try', files: ['x.ts'] },
  ],
  [
    'the template earlier, a real block last',
    `Format:\n${fence}\nSTATUS: COMPLETE | BLOCKED | WAITING | ERROR\nSUMMARY: ...\n${fence}\nSTATUS: WAITING\nSUMMARY: Need input\nFILES: none\nNEXT: Answer the question\nBLOCKER: Which currency?`,
    { status: 'WAITING', summary: 'Need input', files: [], next: 'Answer the question', blocker: 'Which currency?' },
  ],
  [
    'fields in another order',
    'STATUS: ERROR\nBLOCKER: npm install failed\nFILES: package.json\nSUMMARY: Dependency install broke',
    { status: 'ERROR', summary: 'Dependency install broke', files: ['package.json'], blocker: 'npm install failed' },
  ],
  [
    'multi-line summary joined, prose after a blank line ignored',
    'STATUS: COMPLETE\nSUMMARY: Added the endpoint\nand its tests.\nFILES: a.ts\n\nLet me know if you need anything else.',
    { status: 'COMPLETE', summary: 'Added the endpoint and its tests.', files: ['a.ts'] },
  ],
  [
    'headings',
    '## STATUS: COMPLETE\n### SUMMARY: Done\nFILES: a.rb',
    { status: 'COMPLETE', summary: 'Done', files: ['a.rb'] },
  ],
  [
    'blockquote',
    '> STATUS: BLOCKED\n> SUMMARY: no access\n> BLOCKER: repo is archived',
    { status: 'BLOCKED', summary: 'no access', files: [], blocker: 'repo is archived' },
  ],
  [
    'emoji and punctuation around the word',
    'STATUS: ✅ Complete.\nSUMMARY: ok',
    { status: 'COMPLETE', summary: 'ok', files: [] },
  ],
  [
    'markdown table',
    '| Field | Value |\n|---|---|\n| **STATUS** | COMPLETE |\n| SUMMARY | Table report |\n| FILES | a.ts, b.ts |',
    { status: 'COMPLETE', summary: 'Table report', files: ['a.ts', 'b.ts'] },
  ],
  [
    'dash separator and "Files changed" / "Next steps" keys',
    'Status - complete\nSummary - did it\nFiles changed: x.py\nNext steps: review',
    { status: 'COMPLETE', summary: 'did it', files: ['x.py'], next: 'review' },
  ],
  [
    'CRLF line endings',
    'STATUS: COMPLETE\r\nSUMMARY: windows\r\nFILES: a.cs\r\n',
    { status: 'COMPLETE', summary: 'windows', files: ['a.cs'] },
  ],
  [
    'semicolon separated files and italics keys',
    '_STATUS_: COMPLETE\n_SUMMARY_: s\n_FILES_: a.ts; b.ts',
    { status: 'COMPLETE', summary: 's', files: ['a.ts', 'b.ts'] },
  ],
  [
    'a sentence right after FILES is not a file; bare paths on following lines are',
    'STATUS: COMPLETE\nSUMMARY: s\nFILES:\nsrc/a.ts\nsrc/b.ts\nHope this helps!',
    { status: 'COMPLETE', summary: 's', files: ['src/a.ts', 'src/b.ts'] },
  ],
  [
    'backticked status value',
    'STATUS: `BLOCKED`\nSUMMARY: `x`\nBLOCKER: missing secret',
    { status: 'BLOCKED', summary: 'x', files: [], blocker: 'missing secret' },
  ],
];

describe('parseStatus: variants', () => {
  assert.ok(variants.length >= 20);
  for (const [name, text, expected] of variants) {
    test(name, () => assert.deepEqual(parseStatus(text), expected));
  }
});

describe('parseStatus: malformed → null', () => {
  const bad: Array<[string, string]> = [
    ['empty text', ''],
    ['no block at all', 'I made the changes to src/a.ts and ran the tests.'],
    ['unknown status word', 'STATUS: DONE\nSUMMARY: finished\nFILES: a.ts'],
    ['"completed" is not a status', 'STATUS: COMPLETED\nSUMMARY: finished'],
    ['the unfilled template', 'STATUS: COMPLETE | BLOCKED | WAITING | ERROR\nSUMMARY: Brief description\nFILES: list'],
    ['missing summary', 'STATUS: COMPLETE\nFILES: a.ts'],
    ['empty summary', 'STATUS: COMPLETE\nSUMMARY:   \nFILES: a.ts'],
    ['empty status', 'STATUS:\nSUMMARY: x'],
    ['the last block is malformed', 'STATUS: COMPLETE\nSUMMARY: ok\n\nSTATUS: FINISHED\nSUMMARY: ok'],
    ['status only mentioned mid-sentence', 'The STATUS: COMPLETE line follows.\nSUMMARY: x'],
    ['no separator', 'STATUS COMPLETE\nSUMMARY: x'],
  ];
  for (const [name, text] of bad) test(name, () => assert.equal(parseStatus(text), null));
});

describe('formatStatus', () => {
  test('canonical block with optional lines only when present', () => {
    assert.equal(
      formatStatus({ status: 'COMPLETE', summary: 'Did it', files: ['a.ts', 'b.ts'] }),
      'STATUS: COMPLETE\nSUMMARY: Did it\nFILES: a.ts, b.ts',
    );
    assert.equal(
      formatStatus({ status: 'WAITING', summary: 'Need\ninput', files: [], next: 'answer', blocker: 'Which DB?' }),
      'STATUS: WAITING\nSUMMARY: Need input\nFILES: none\nNEXT: answer\nBLOCKER: Which DB?',
    );
  });

  test('round-trips through parseStatus', () => {
    for (const [, text] of variants) {
      const block = parseStatus(text)!;
      assert.deepEqual(parseStatus(formatStatus(block)), block);
    }
  });
});
