/**
 * The embedded default scenario used by `npm run demo` and the end-to-end tests: a tiny Node HTTP service, and a
 * scripted model that adds a /health endpoint with a test in six turns (Glob, Read, Edit, Write, Bash, STATUS).
 */

export const SERVICE_FILES: Record<string, string> = {
  'package.json':
    JSON.stringify({ name: 'todo-api', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2) +
    '\n',
  'src/server.js': `import { createServer } from 'node:http';

const todos = [{ id: 1, title: 'write the README', done: false }];

export const routes = {
  'GET /todos': (_req, res) => send(res, 200, todos),
};

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export const server = createServer((req, res) => {
  const handler = routes[\`\${req.method} \${req.url}\`];
  if (!handler) return send(res, 404, { error: 'not found' });
  handler(req, res);
});

if (process.argv[1] === new URL(import.meta.url).pathname) server.listen(process.env.PORT ?? 3000);
`,
  'test/todos.test.js': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routes } from '../__tests__/src/server.js';

test('GET /todos answers 200', () => {
  let status;
  routes['GET /todos']({}, { writeHead: (s) => (status = s), end: () => {} });
  assert.equal(status, 200);
});
`,
  'README.md': '# todo-api\n\nA small JSON API. Run `npm test`.\n',
};

export const HEALTH_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routes } from '../__tests__/src/server.js';

test('GET /health answers 200 with status ok', () => {
  let status;
  let body;
  routes['GET /health']({}, { writeHead: (s) => (status = s), end: (b) => (body = JSON.parse(b)) });
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
});
`;

export const STATUS_COMPLETE = `Added GET /health and a test; the suite passes.

STATUS: COMPLETE
SUMMARY: Added a GET /health endpoint returning {"status":"ok"} with a test
FILES: src/server.js, test/health.test.js
NEXT: Wire /health into the deployment's readiness probe`;

type Block = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };

/** The six scripted model turns. */
export function healthTurns(): Array<{ content: Block[] }> {
  return [
    {
      content: [
        { type: 'text', text: 'Looking at the layout first.' },
        { type: 'tool_use', name: 'Glob', input: { pattern: '**/*.js' } },
      ],
    },
    { content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'src/server.js' } }] },
    {
      content: [
        {
          type: 'tool_use',
          name: 'Edit',
          input: {
            file_path: 'src/server.js',
            old_string: "  'GET /todos': (_req, res) => send(res, 200, todos),\n",
            new_string:
              "  'GET /todos': (_req, res) => send(res, 200, todos),\n  'GET /health': (_req, res) => send(res, 200, { status: 'ok' }),\n",
          },
        },
      ],
    },
    {
      content: [{ type: 'tool_use', name: 'Write', input: { file_path: 'test/health.test.js', content: HEALTH_TEST } }],
    },
    {
      content: [
        {
          type: 'tool_use',
          name: 'Bash',
          input: { command: 'node --test 2>&1 | tail -n 8', description: 'Run the tests' },
        },
      ],
    },
    { content: [{ type: 'text', text: STATUS_COMPLETE }] },
  ];
}
