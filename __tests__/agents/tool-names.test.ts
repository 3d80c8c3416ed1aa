// Tool names as files write them, and the set a run offers (offeredTools): what the file asks for, less
// disallowedTools, within the allowed-tools input, among what the run has; what it lacks is reported, never an error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalToolNames,
  isKnownToolName,
  offeredTools,
  toolMatches,
  CLAUDE_TOOL_NAMES,
} from '../../src/agents/tool-names.ts';
import { readConfig } from '../../src/config/inputs.ts';
import { UserError } from '../../src/errors.ts';

const BUILTINS = ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep'];
/** A run with session tools and one MCP server (github) connected. */
const RICH = [...BUILTINS, 'Agent', 'TodoWrite', 'mcp__github__list_issues', 'mcp__github__create_issue'];

describe('canonicalToolNames', () => {
  const cases: Array<[string, string[]]> = [
    ['Read', ['Read']],
    ['Edit', ['Edit']],
    ['bash', ['Bash']],
    ['WEBFETCH', ['WebFetch']],
    ['Task', ['Agent']],
    ['task', ['Agent']],
    ['KillBash', ['KillShell']],
    ['LS', ['Glob']],
    // Copilot's aliases.
    ['read', ['Read']],
    ['edit', ['Edit', 'Write']],
    ['search', ['Grep', 'Glob']],
    ['execute', ['Bash']],
    ['shell', ['Bash']],
    ['agent', ['Agent']],
    ['custom-agent', ['Agent']],
    ['web', ['WebFetch', 'WebSearch']],
    ['todo', ['TodoWrite']],
    ['github/*', ['mcp__github']],
    ['playwright/navigate', ['mcp__playwright__navigate']],
    ['search/codebase', ['Grep', 'Glob']],
    ['edit/editFiles', ['Edit', 'Write']],
    ['web/fetch', ['WebFetch']],
    ['runCommands', ['Bash']],
    // Gemini CLI.
    ['read_file', ['Read']],
    ['write_file', ['Write']],
    ['replace', ['Edit']],
    ['run_shell_command', ['Bash']],
    ['glob', ['Glob']],
    ['search_file_content', ['Grep']],
    ['grep', ['Grep']],
    ['list_directory', ['Glob']],
    ['web_fetch', ['WebFetch']],
    ['google_web_search', ['WebSearch']],
    ['write_todos', ['TodoWrite']],
    ['GoogleSearch', ['WebSearch']],
    // Passed through.
    ['mcp__meigen__generate_image', ['mcp__meigen__generate_image']],
    ['mcp__github', ['mcp__github']],
    ['mcp__github__*', ['mcp__github__*']],
    ['*', ['*']],
    ['Bash(git add:*)', ['Bash']],
    [' "Read" ', ['Read']],
    ['NotebookRead', ['Read']],
    ['ExitPlanMode', ['ExitPlanMode']],
    ['', []],
  ];
  for (const [entry, expected] of cases) {
    test(JSON.stringify(entry), () => assert.deepEqual(canonicalToolNames(entry), expected));
  }
});

describe('toolMatches', () => {
  test('exact, mcp__server prefix, wildcards', () => {
    assert.ok(toolMatches('Read', 'Read'));
    assert.ok(!toolMatches('Read', 'read'));
    assert.ok(toolMatches('mcp__github', 'mcp__github__list_issues'));
    assert.ok(!toolMatches('mcp__git', 'mcp__github__list_issues'), 'a server name is not a prefix of another');
    assert.ok(!toolMatches('mcp__github__list', 'mcp__github__list_issues'));
    assert.ok(toolMatches('mcp__github__*', 'mcp__github__create_issue'));
    assert.ok(toolMatches('*', 'Bash'));
    assert.ok(!toolMatches('mcp__*', 'Bash'));
  });
});

describe('offeredTools', () => {
  test('no tools line: every tool the run has, nothing unavailable', () => {
    assert.deepEqual(offeredTools({ tools: null }, RICH), { offered: RICH, unavailable: [] });
  });

  test('tools: [] offers nothing', () => {
    assert.deepEqual(offeredTools({ tools: [] }, RICH), { offered: [], unavailable: [] });
  });

  test('what the run lacks is reported in the file order; the rest is offered in the run order', () => {
    const r = offeredTools(
      { tools: ['WebSearch', 'mcp__meigen__generate_image', 'Read', 'Bash', 'Invented'] },
      BUILTINS,
    );
    assert.deepEqual(r.offered, ['Read', 'Bash']);
    assert.deepEqual(r.unavailable, ['WebSearch', 'mcp__meigen__generate_image', 'Invented']);
  });

  test('the run decides what exists: names another part adds become available without a change here', () => {
    const r = offeredTools({ tools: ['Read', 'Agent', 'TodoWrite', 'WebSearch'] }, RICH);
    assert.deepEqual(r.offered, ['Read', 'Agent', 'TodoWrite']);
    assert.deepEqual(r.unavailable, ['WebSearch']);
  });

  test('mcp__server offers all of its tools; a server with no tools here is unavailable', () => {
    const r = offeredTools({ tools: ['mcp__github', 'mcp__postgres', 'mcp__slack__*'] }, RICH);
    assert.deepEqual(r.offered, ['mcp__github__list_issues', 'mcp__github__create_issue']);
    assert.deepEqual(r.unavailable, ['mcp__postgres', 'mcp__slack__*']);
  });

  test('disallowedTools take tools away, and are not reported as unavailable', () => {
    const r = offeredTools({ tools: null, disallowedTools: ['Write', 'Edit', 'MultiEdit', 'mcp__github'] }, RICH);
    assert.deepEqual(r.offered, ['Read', 'Bash', 'Glob', 'Grep', 'Agent', 'TodoWrite']);
    assert.deepEqual(r.unavailable, []);
  });

  test('the allowed-tools input narrows, never widens; aliases in it count', () => {
    const agent = { tools: ['Read', 'Write', 'Bash', 'Agent', 'mcp__github__list_issues'] };
    assert.deepEqual(offeredTools(agent, RICH, ['Read', 'Task', 'Grep', 'mcp__github']).offered, [
      'Read',
      'Agent',
      'mcp__github__list_issues',
    ]);
    assert.deepEqual(offeredTools({ tools: null }, RICH, ['Read']).offered, ['Read']);
    assert.deepEqual(offeredTools(agent, RICH, ['Read']).unavailable, [], 'narrowed away is not "not available"');
  });

  test('duplicates in available are offered once', () => {
    assert.deepEqual(offeredTools({ tools: ['Read'] }, ['Read', 'Read']).offered, ['Read']);
  });
});

describe('the allowed-tools input', () => {
  const withInput = <T>(value: string, f: () => T): T => {
    const key = 'INPUT_ALLOWED-TOOLS';
    const before = process.env[key];
    process.env[key] = value;
    try {
      return f();
    } finally {
      if (before === undefined) delete process.env[key];
      else process.env[key] = before;
    }
  };

  test('accepts Claude Code names, aliases and mcp__ names, as canonical names', () => {
    const cfg = withInput('Read, Task\nWebSearch, mcp__github, mcp__db__query, run_shell_command', readConfig);
    assert.deepEqual(cfg.allowedTools, ['Read', 'Agent', 'WebSearch', 'mcp__github', 'mcp__db__query', 'Bash']);
    assert.equal(withInput('', readConfig).allowedTools, null);
  });

  test('a name nobody knows, typed by the workflow author, is still an error', () => {
    assert.throws(
      () => withInput('Read, Teleport', readConfig),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          `Input 'allowed-tools' names an unknown tool 'Teleport'. Known tools: ${CLAUDE_TOOL_NAMES.join(', ')}, and mcp__<server> or mcp__<server>__<tool> for MCP servers' tools.`,
    );
    assert.ok(isKnownToolName('mcp__a__b') && isKnownToolName('google_web_search') && !isKnownToolName('mcp__'));
  });
});
