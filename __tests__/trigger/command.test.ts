import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, commandName, isCommandLike } from '../../src/trigger/command.ts';

const AGENTS = ['backend-developer', 'reviewer'] as const;

describe('parseCommand: what is a command', () => {
  const cases: [string, string, { agent: string; task: string } | null][] = [
    [
      'simple',
      '/backend-developer add a /health endpoint',
      { agent: 'backend-developer', task: 'add a /health endpoint' },
    ],
    [
      'multi-line task',
      '/backend-developer add pagination\n\n- to GET /users\n- limit ≤ 100',
      { agent: 'backend-developer', task: 'add pagination\n\n- to GET /users\n- limit ≤ 100' },
    ],
    [
      'task on the next lines only',
      '/backend-developer\nfix the N+1 query in orders',
      { agent: 'backend-developer', task: 'fix the N+1 query in orders' },
    ],
    [
      'CRLF line endings',
      '/backend-developer first line\r\nsecond line\r\n',
      { agent: 'backend-developer', task: 'first line\nsecond line' },
    ],
    ['old Mac CR line endings', '/backend-developer a\rb', { agent: 'backend-developer', task: 'a\nb' }],
    ['leading blank lines', '\n\n   \n/backend-developer do it', { agent: 'backend-developer', task: 'do it' }],
    ['leading blank CRLF lines', '\r\n\r\n/backend-developer do it', { agent: 'backend-developer', task: 'do it' }],
    ['up to three spaces of indentation', '   /backend-developer do it', { agent: 'backend-developer', task: 'do it' }],
    ['uppercase', '/BACKEND-Developer Do It', { agent: 'backend-developer', task: 'Do It' }],
    ['no task', '/backend-developer', { agent: 'backend-developer', task: '' }],
    ['no task, trailing spaces and lines', '/backend-developer   \n\n  \n', { agent: 'backend-developer', task: '' }],
    ['colon after the name', '/backend-developer: add tests', { agent: 'backend-developer', task: 'add tests' }],
    [
      'comma after the name',
      '/backend-developer, please add tests',
      { agent: 'backend-developer', task: 'please add tests' },
    ],
    ['tab after the name', '/backend-developer\tadd tests', { agent: 'backend-developer', task: 'add tests' }],
    ['another agent', '/reviewer look at #12', { agent: 'reviewer', task: 'look at #12' }],
    ['leading BOM', '\uFEFF/backend-developer x', { agent: 'backend-developer', task: 'x' }],
    [
      'a later command does not matter',
      '/reviewer first\n/backend-developer second',
      { agent: 'reviewer', task: 'first\n/backend-developer second' },
    ],
    ['longer name with digit suffix', '/backend-developer2 do it', null],
    ['longer name with dash suffix', '/backend-developer-x do it', null],
    ['longer name with underscore suffix', '/backend-developer_x do it', null],
    ['longer name with dot suffix', '/backend-developer.v2 do it', null],
    ['punctuation glued to the name', '/backend-developer! do it', null],
    ['slash glued to the name', '/backend-developer/sub do it', null],
    ['shorter prefix', '/backend do it', null],
    ['no slash', 'backend-developer do it', null],
    ['double slash', '//backend-developer do it', null],
    ['space after the slash', '/ backend-developer do it', null],
    ['not on the first non-blank line', 'hey\n/backend-developer do it', null],
    ['in the middle of a line', 'please /backend-developer do it', null],
    ['inline code', '`/backend-developer do it`', null],
    ['quote', '> /backend-developer do it', null],
    ['indented quote', '  > /backend-developer do it', null],
    ['fenced code block', '```\n/backend-developer do it\n```', null],
    ['tilde fence', '~~~\n/backend-developer do it\n~~~', null],
    ['indented code block (4 spaces)', '    /backend-developer do it', null],
    ['indented code block (tab)', '\t/backend-developer do it', null],
    ['list item', '- /backend-developer do it', null],
    ['HTML comment first', '<!-- /backend-developer do it -->', null],
    ['empty body', '', null],
    ['blank body', ' \n\t\n', null],
    ['unknown agent', '/deploy now', null],
  ];
  for (const [name, body, want] of cases) {
    test(name, () => assert.deepEqual(parseCommand(body, AGENTS), want));
  }
});

describe('parseCommand: agent names', () => {
  test("the agent is returned as spelled in the list, whatever the comment's case", () => {
    assert.deepEqual(parseCommand('/api-dev go', ['API-Dev']), { agent: 'API-Dev', task: 'go' });
  });

  test('names with regex metacharacters are compared literally', () => {
    const names = ['c++.dev', 'a.b', 'x(y)', 'q?', 'star*', 'dollar$'];
    assert.deepEqual(parseCommand('/c++.dev go', names), { agent: 'c++.dev', task: 'go' });
    assert.equal(parseCommand('/cc.dev go', names), null);
    assert.equal(parseCommand('/c+++.dev go', names), null);
    assert.deepEqual(parseCommand('/a.b go', names), { agent: 'a.b', task: 'go' });
    assert.equal(parseCommand('/axb go', names), null, '. is not a wildcard');
    assert.deepEqual(parseCommand('/x(y) go', names), { agent: 'x(y)', task: 'go' });
    assert.equal(parseCommand('/xy go', names), null);
    assert.deepEqual(parseCommand('/q? go', names), { agent: 'q?', task: 'go' });
    assert.equal(parseCommand('/ go', names), null);
    assert.deepEqual(parseCommand('/star* go', names), { agent: 'star*', task: 'go' });
    assert.equal(parseCommand('/starrr go', names), null);
    assert.deepEqual(parseCommand('/dollar$', names), { agent: 'dollar$', task: '' });
  });

  test('the longest matching name wins', () => {
    const names = ['backend', 'backend-developer'];
    assert.deepEqual(parseCommand('/backend-developer go', names), { agent: 'backend-developer', task: 'go' });
    assert.deepEqual(parseCommand('/backend go', names), { agent: 'backend', task: 'go' });
    assert.deepEqual(parseCommand('/backend-developer go', [...names].reverse()), {
      agent: 'backend-developer',
      task: 'go',
    });
  });

  test('empty names are ignored; no names means no command', () => {
    assert.equal(parseCommand('/ go', ['']), null);
    assert.equal(parseCommand('/backend-developer go', []), null);
  });

  test('non-ASCII names work, and a letter after the name makes another word', () => {
    assert.deepEqual(parseCommand('/développeur go', ['développeur']), { agent: 'développeur', task: 'go' });
    assert.equal(parseCommand('/développeuré go', ['développeur']), null);
  });
});

describe('parseCommand: only', () => {
  test('with only set, only that agent answers', () => {
    assert.deepEqual(parseCommand('/reviewer go', AGENTS, 'reviewer'), { agent: 'reviewer', task: 'go' });
    assert.equal(parseCommand('/backend-developer go', AGENTS, 'reviewer'), null);
  });

  test('only is matched case-insensitively and need not be in the list', () => {
    assert.deepEqual(parseCommand('/Custom go', [], 'custom'), { agent: 'custom', task: 'go' });
  });

  test('only does not let a longer word through', () => {
    assert.equal(parseCommand('/reviewer2 go', AGENTS, 'reviewer'), null);
  });
});

describe('commandName / isCommandLike', () => {
  test('the /word at the start, whatever the agents', () => {
    assert.equal(commandName('/Deploy now'), 'deploy');
    assert.equal(commandName('\n\n  /lgtm'), 'lgtm');
    assert.equal(commandName('/backend-developer-x go'), 'backend-developer-x');
    assert.equal(isCommandLike('/cc @octocat'), true);
  });

  test('nothing for prose, quotes, code and bare slashes', () => {
    for (const body of ['hello', '> /deploy', '```\n/deploy\n```', '    /deploy', '/', '/ deploy', '//deploy', '']) {
      assert.equal(commandName(body), null, JSON.stringify(body));
      assert.equal(isCommandLike(body), false, JSON.stringify(body));
    }
  });
});
