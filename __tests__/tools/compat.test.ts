// Compatibility with the way Claude models call Claude Code's tools: a fixed list of calls, shaped as the models make
// them (absolute file_path inside the workspace, `-n: true`, `output_mode: "content"`, `head_limit: 0`,
// `cd x && ls`, a `description` on every Bash call, null for "not set"...), replayed in order against one fixture
// repository through one toolbox, each result asserted. The order matters: Read before Edit, cd carrying over.
// Run unsandboxed and, where bubblewrap works, in the sandbox; Glob and Grep use ripgrep when it is installed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createToolbox, type ToolResult } from '../../src/tools/index.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import { makePng, tempDir, writeFiles } from './helpers.ts';

const SERVER = `import { createServer } from 'node:http';
import { listTodos } from './todos.js';

const PORT = Number(process.env.PORT ?? 3000);

export function handler(req, res) {
  if (req.url === '/todos') return send(res, 200, listTodos());
  return send(res, 404, { error: 'not found' });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer(handler).listen(PORT);
`;

const TODOS = `// TODO: persist todos
const todos = [];

export function listTodos() {
  return todos;
}

export function addTodo(title) {
  // TODO: validate title
  todos.push({ id: todos.length + 1, title });
  return todos.at(-1);
}
`;

function fixture(): string {
  const ws = tempDir('compat-');
  writeFiles(ws, {
    '.gitignore': 'node_modules/\ndist/\n*.log\n',
    'package.json': '{\n  "name": "todo-api",\n  "type": "module",\n  "scripts": { "test": "node --test" }\n}\n',
    'README.md': '# todo-api\n\nA small API.\n',
    'src/server.js': SERVER,
    'src/todos.js': TODOS,
    'test/todos.test.js': "import { addTodo } from '../src/todos.js';\n// TODO: more tests\naddTodo('a');\n",
    'dist/server.min.js': 'minified();\n',
    'node_modules/left-pad/index.js': 'module.exports = leftPad;\n',
    'npm-debug.log': 'log\n',
    'docs/notes.md': Array.from({ length: 60 }, (_, i) => `note ${i + 1}`).join('\n') + '\n',
  });
  fs.writeFileSync(path.join(ws, 'docs/diagram.png'), makePng(4, 3));
  return ws;
}

type Expect = string | RegExp | ((r: ToolResult, ws: string) => void);
interface Call {
  tool: string;
  input: (ws: string) => Record<string, unknown>;
  expect: Expect;
  /** The result is an error (default false). */
  error?: boolean;
}

const abs = (ws: string, rel: string): string => path.join(ws, rel);

const CALLS: Call[] = [
  // Finding the way around.
  {
    tool: 'Glob',
    input: () => ({ pattern: '**/*.js' }),
    expect: (r) =>
      assert.deepEqual(r.content.split('\n').sort(), ['src/server.js', 'src/todos.js', 'test/todos.test.js']),
  },
  {
    tool: 'Glob',
    input: (ws) => ({ pattern: '*.js', path: abs(ws, 'src') }),
    expect: (r) => assert.deepEqual(r.content.split('\n').sort(), ['src/server.js', 'src/todos.js']),
  },
  {
    tool: 'Glob',
    input: () => ({ pattern: '**/*.md', path: null }),
    expect: (r) => assert.deepEqual(r.content.split('\n').sort(), ['README.md', 'docs/notes.md']),
  },
  {
    tool: 'Glob',
    input: () => ({ pattern: 'dist/**' }),
    expect: /outside \.gitignored paths; these 1 \.gitignored file\(s\) do:\ndist\/server\.min\.js$/,
  },
  { tool: 'Glob', input: () => ({ pattern: '**/*.{py,rb}' }), expect: 'No files match **/*.{py,rb} in ..' },
  { tool: 'Grep', input: () => ({ pattern: 'TODO' }), expect: 'src/todos.js\ntest/todos.test.js' },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'TODO', output_mode: 'content', '-n': true }),
    expect: (r) =>
      // Content mode keeps ripgrep's file order (it searches in parallel): compare as a set of lines.
      assert.deepEqual(r.content.split('\n').sort(), [
        'src/todos.js:1:// TODO: persist todos',
        'src/todos.js:9:  // TODO: validate title',
        'test/todos.test.js:2:// TODO: more tests',
      ]),
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'TODO', output_mode: 'count' }),
    expect: 'src/todos.js:2\ntest/todos.test.js:1',
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'function \\w+', output_mode: 'content', '-o': true, '-n': true, path: 'src/todos.js' }),
    expect: 'src/todos.js:4:function listTodos\nsrc/todos.js:8:function addTodo',
  },
  {
    tool: 'Grep',
    input: (ws) => ({
      pattern: 'listTodos',
      path: abs(ws, 'src/server.js'),
      output_mode: 'content',
      '-C': 1,
      '-n': true,
    }),
    expect:
      /^src\/server\.js-1-import .*\nsrc\/server\.js:2:import \{ listTodos \}.*\nsrc\/server\.js-3-\n--\nsrc\/server\.js-6-export function handler.*\nsrc\/server\.js:7: {2}if .*listTodos.*\nsrc\/server\.js-8- {2}return send\(res, 404/,
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'send\\(', output_mode: 'content', context: 0, '-n': true, glob: '*.js' }),
    expect: /^src\/server\.js:7:.*\nsrc\/server\.js:8:.*\nsrc\/server\.js:11:function send/,
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'note \\d+', output_mode: 'content', head_limit: 0, path: 'docs' }),
    expect: (r) => assert.equal(r.content.split('\n').length, 60),
  },
  {
    tool: 'Grep',
    input: () => ({
      pattern: 'note \\d+',
      output_mode: 'content',
      head_limit: 5,
      offset: 10,
      path: 'docs/notes.md',
      '-n': true,
    }),
    expect: /^docs\/notes\.md:11:note 11\n(.*\n){4}\[Showing lines\/entries 11-15 of 60\. Continue with offset=15/,
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'todos', type: 'js', '-i': true, output_mode: 'files_with_matches' }),
    expect: 'src/server.js\nsrc/todos.js\ntest/todos.test.js',
  },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'handler\\(req, res\\) \\{\\n  if', multiline: true }),
    expect: 'src/server.js',
  },
  { tool: 'Grep', input: () => ({ pattern: 'leftPad' }), expect: /^No matches for "leftPad" in \./ },
  {
    tool: 'Grep',
    input: () => ({ pattern: 'x', include: '*.js' }),
    error: true,
    expect:
      /unknown parameter 'include'\. Expected parameters: pattern: string, .*head_limit\?: integer, offset\?: integer\.$/,
  },

  // Reading.
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'src/todos.js') }),
    expect: /^ {5}1\t\/\/ TODO: persist todos\n {5}2\tconst todos = \[\];\n/,
  },
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'docs/notes.md'), offset: 0, limit: 3 }),
    expect:
      '     1\tnote 1\n     2\tnote 2\n     3\tnote 3\n[Showing lines 1-3; the file has more. Continue with offset=4.]',
  },
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'docs/notes.md'), offset: 59, limit: 100 }),
    expect: '    59\tnote 59\n    60\tnote 60',
  },
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'docs/diagram.png') }),
    expect: (r) => {
      assert.match(r.content, /^docs\/diagram\.png: PNG image, 4x3 pixels/);
      assert.equal(r.images?.length, 1);
    },
  },
  { tool: 'Read', input: (ws) => ({ file_path: abs(ws, 'src') }), error: true, expect: /src is a folder, not a file/ },
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'src/missing.js') }),
    error: true,
    expect: /does not exist\. Use Glob/,
  },
  { tool: 'Read', input: () => ({ file_path: '/etc/passwd' }), error: true, expect: /outside the workspace/ },

  // Editing.
  {
    tool: 'Edit',
    input: (ws) => ({ file_path: abs(ws, 'src/server.js'), old_string: 'const PORT', new_string: 'export const PORT' }),
    error: true,
    expect: /you have not Read it in this run\. Read it first/,
  },
  {
    tool: 'Read',
    input: (ws) => ({ file_path: abs(ws, 'src/server.js') }),
    expect: /^ {5}1\timport \{ createServer \}/,
  },
  {
    tool: 'Edit',
    input: (ws) => ({ file_path: abs(ws, 'src/server.js'), old_string: 'const PORT', new_string: 'export const PORT' }),
    expect: 'Edited src/server.js: replaced 1 occurrence(s) (first at line 4).',
  },
  {
    tool: 'Edit',
    input: (ws) => ({
      file_path: abs(ws, 'src/todos.js'),
      old_string: 'todos',
      new_string: 'items',
      replace_all: false,
    }),
    error: true,
    expect: /old_string occurs \d+ times in src\/todos\.js/,
  },
  {
    tool: 'Edit',
    input: (ws) => ({
      file_path: abs(ws, 'src/todos.js'),
      old_string: '  // TODO: validate title\n',
      new_string: "  if (!title) throw new Error('title is required');\n",
    }),
    expect: /^Edited src\/todos\.js: replaced 1 occurrence\(s\) \(first at line 9\)\.$/,
  },
  {
    tool: 'MultiEdit',
    input: (ws) => ({
      file_path: abs(ws, 'src/todos.js'),
      edits: [
        { old_string: 'const todos = [];', new_string: 'const todos = new Array();' },
        { old_string: 'no such text', new_string: 'x' },
      ],
    }),
    error: true,
    expect: /edit 2: old_string was not found .* Nothing was written\.$/,
  },
  {
    tool: 'MultiEdit',
    input: (ws) => ({
      file_path: abs(ws, 'src/todos.js'),
      edits: [
        { old_string: '// TODO: persist todos\n', new_string: '' },
        { old_string: 'todos.length + 1', new_string: 'nextId++' },
        { old_string: 'const todos = [];', new_string: 'const todos = [];\nlet nextId = 1;' },
      ],
    }),
    expect: /^Edited src\/todos\.js: applied 3 edits/,
  },
  {
    tool: 'Write',
    input: (ws) => ({ file_path: abs(ws, 'src/health.js'), content: 'export const health = () => ({ ok: true });\n' }),
    expect: 'Created src/health.js (44 bytes, 1 lines).',
  },
  {
    tool: 'Edit',
    input: (ws) => ({
      file_path: abs(ws, 'src/health.js'),
      old_string: 'ok: true',
      new_string: 'ok: true, uptime: process.uptime()',
    }),
    expect: /^Edited src\/health\.js/,
  },
  {
    tool: 'Write',
    input: (ws) => ({ file_path: abs(ws, 'README.md'), content: '# x\n' }),
    error: true,
    expect: /refusing to overwrite README\.md: you have not Read it/,
  },

  // The shell.
  {
    tool: 'Bash',
    input: () => ({
      command: 'git status 2>/dev/null || echo "not a git repo"',
      description: 'Show working tree status',
    }),
    expect: 'not a git repo',
  },
  {
    tool: 'Bash',
    input: () => ({ command: 'cd src && ls', description: 'List files in src' }),
    expect: 'health.js\nserver.js\ntodos.js\n[cwd now: src; later Bash commands start there]',
  },
  {
    tool: 'Bash',
    input: () => ({ command: 'pwd', description: 'Print working directory' }),
    expect: (r, ws) => assert.equal(r.content, abs(ws, 'src')),
  },
  {
    tool: 'Bash',
    input: () => ({ command: 'grep -c TODO todos.js', description: 'Count TODOs' }),
    error: true,
    expect: '0\n[exit code 1]',
  },
  {
    tool: 'Bash',
    input: () => ({
      command: 'cd .. && node -e "console.log(require(\'./package.json\').name)"',
      description: 'Print package name',
      timeout: 60000,
    }),
    expect: 'todo-api\n[cwd now: the workspace root; later Bash commands start there]',
  },
  { tool: 'Bash', input: () => ({ command: 'echo "$SECRET_TOKEN" | wc -c', description: 'Check env' }), expect: '1' },
  {
    tool: 'Bash',
    input: () => ({ command: 'cd /tmp && ls', description: 'List tmp' }),
    expect: (r, ws) =>
      assert.match(r.content, new RegExp(`\\[Shell cwd was reset to ${ws}: /tmp is outside the workspace\\]$`)),
  },
  {
    tool: 'Bash',
    input: () => ({ command: 'ls', description: 'List files', dangerouslyDisableSandbox: true }),
    error: true,
    expect:
      /unknown parameter 'dangerouslyDisableSandbox'\. Expected parameters: command: string, timeout\?: integer, description\?: string, run_in_background\?: boolean\.$/,
  },
  {
    tool: 'Bash',
    input: () => ({
      command: 'sleep 0.3; echo server ready; sleep 1000',
      description: 'Start dev server',
      run_in_background: true,
    }),
    expect: /^Command running in background with ID: bash_1 \(in the workspace root\)\./,
  },
  { tool: 'BashOutput', input: () => ({ bash_id: 'bash_1' }), expect: /^<status>running<\/status>\n/ },
  {
    tool: 'Bash',
    input: () => ({ command: 'sleep 1.5; echo waited', description: 'Wait for the server', timeout: 30000 }),
    expect: 'waited',
  },
  {
    tool: 'BashOutput',
    input: () => ({ bash_id: 'bash_1', filter: 'ready' }),
    expect: (r) =>
      assert.match(r.content, /^<status>running<\/status>\n(server ready|\(no new output matching the filter\))$/),
  },
  {
    tool: 'KillShell',
    input: () => ({ shell_id: 'bash_1' }),
    expect: /^Killed bash_1 \(sleep 0\.3; echo server ready/,
  },
  { tool: 'BashOutput', input: () => ({ bash_id: 'bash_1' }), expect: /^<status>killed<\/status>/ },
  {
    tool: 'Bash',
    input: () => ({
      command: 'node --test test/*.test.js 2>&1 | tail -3',
      description: 'Run the tests',
      timeout: 120000,
    }),
    expect: /duration_ms/,
  },
  { tool: 'Bash', input: () => ({ command: 'exit 2', description: 'Fail' }), error: true, expect: '[exit code 2]' },
];

for (const mode of ['off', 'required'] as const) {
  const skip = mode === 'required' ? requireTools('bwrap').skip : false;
  describe(`Claude-shaped tool calls replayed (sandbox ${mode})`, { skip }, () => {
    it(`${CALLS.length} calls, each result as expected`, { timeout: 240_000 }, async () => {
      assert.ok(CALLS.length >= 40);
      const ws = fixture();
      const tb = await createToolbox({
        workspace: ws,
        tools: ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep'],
        sandbox: mode,
        allowedDomains: ['none'],
        noSandboxSetup: true,
        env: { ...process.env, SECRET_TOKEN: 'compat-secret-value-1234' },
      });
      try {
        for (const [i, call] of CALLS.entries()) {
          const input = call.input(ws);
          const r = await tb.run(call.tool, input);
          const what = `call ${i + 1}: ${call.tool} ${JSON.stringify(input)} → ${JSON.stringify(r.content)}`;
          assert.equal(r.isError, call.error ?? false, what);
          if (typeof call.expect === 'string') assert.equal(r.content, call.expect, what);
          else if (call.expect instanceof RegExp) assert.match(r.content, call.expect, what);
          else call.expect(r, ws);
        }
      } finally {
        await tb.close();
      }
      // The edits landed as the calls said.
      const todos = fs.readFileSync(path.join(ws, 'src/todos.js'), 'utf8');
      assert.equal(todos.startsWith('const todos = [];\nlet nextId = 1;\n'), true, todos);
      assert.match(todos, /id: nextId\+\+/);
      assert.match(fs.readFileSync(path.join(ws, 'src/server.js'), 'utf8'), /^export const PORT/m);
    });
  });
}
