// Delegation end to end through dist/index.js: /backend-developer asks the built-in context-manager where the router
// is (a sub-loop on haiku with Read/Glob/Grep), then edits. The stand-in answers both loops in order and checks each
// request is from the agent expected (system prompt and model).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createScenario, type Scenario, type Turn } from '../../test-support/scenario.ts';
import type { MessagesRequest } from '../../test-support/anthropic-server.ts';
import { readBranch } from '../../test-support/git.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import { costUsd, resolveModel } from '../../src/model/models.ts';

// backend-developer offers Bash, so the action sets up its sandbox (once: context-manager works in a view of it).
const { test, after, before } = requireTools('bwrap');

const ANSWER =
  "The router is the `routes` object in src/server.js:\n```\n  'GET /todos': (_req, res) => send(res, 200, todos),\n```";
const EDIT = {
  file_path: 'src/server.js',
  old_string: "  'GET /todos': (_req, res) => send(res, 200, todos),\n",
  new_string:
    "  'GET /todos': (_req, res) => send(res, 200, todos),\n  'GET /health': (_req, res) => send(res, 200, { status: 'ok' }),\n",
};
const STATUS = 'Added GET /health.\n\nSTATUS: COMPLETE\nSUMMARY: Added a GET /health endpoint\nFILES: src/server.js';

const system = (req: MessagesRequest): string => JSON.stringify(req.system);
const toolNames = (req: MessagesRequest): unknown[] => (req.tools ?? []).map((t) => t['name']);
/** The request is backend-developer's (sonnet, its body, the Agent tool). */
function parent(req: MessagesRequest): void {
  assert.match(system(req), /senior backend engineer/);
  assert.match(req.model, /sonnet/);
  assert.ok(toolNames(req).includes('Agent'));
}
/** The request is context-manager's (haiku, its body, read-only tools). */
function sub(req: MessagesRequest): void {
  assert.match(system(req), /You answer questions about this repository/);
  assert.match(req.model, /haiku/);
  assert.deepEqual(toolNames(req), ['Read', 'Glob', 'Grep']);
}

const script: Turn[] = [
  {
    content: [
      {
        type: 'tool_use',
        name: 'Agent',
        input: {
          description: 'Find the router',
          prompt: 'Where are the HTTP routes defined? Give the file and the lines.',
          subagent_type: 'context-manager',
        },
      },
    ],
    expect: (req) => {
      parent(req);
      const agentTool = req.tools!.find((t) => t['name'] === 'Agent')!;
      assert.match(String(agentTool['description']), /- context-manager: Read-only repository guide/);
    },
  },
  {
    // The sub-agent Reads the file: the run's tools share what was Read, so the parent may Edit it without a Read.
    content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'src/server.js' } }],
    expect: (req) => {
      sub(req);
      assert.match(JSON.stringify(req.messages[0]), /Where are the HTTP routes defined\?/);
      assert.match(JSON.stringify(req.messages[0]), /Repository context \(computed by the action\)/);
    },
  },
  {
    content: [{ type: 'text', text: ANSWER }],
    expect: (req) => {
      sub(req);
      assert.match(JSON.stringify(req.messages.at(-1)), /GET \/todos/, 'its Read found the route');
    },
  },
  {
    content: [{ type: 'tool_use', name: 'Edit', input: EDIT }],
    expect: (req) => {
      parent(req);
      const result = (req.messages.at(-1)!.content as { type: string; content: unknown }[]).find(
        (b) => b.type === 'tool_result',
      )!;
      assert.equal(result.content, ANSWER, "only the sub-agent's final text");
    },
  },
  { content: [{ type: 'text', text: STATUS }], expect: parent },
];

let s: Scenario;
before(async () => {
  s = await createScenario({ script });
});
after(() => s.close());

test(
  '/backend-developer delegates to context-manager, then edits; the footer shows it and the run pays for it',
  { timeout: 180_000 },
  async () => {
    const run = await s.run(s.comment({ body: '/backend-developer add a /health endpoint' }));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    s.anthropic.assertNoViolations();
    s.gh.assertNoViolations();
    assert.equal(s.anthropic.remaining(), 0, 'both loops used their turns');

    const pushed = await readBranch(s.origin, run.outputs['branch']!);
    assert.ok(pushed, run.stdout);
    assert.match(pushed.files['src/server.js']!, /'GET \/health'/);

    // The run's figures include the sub-loop's: 3 turns of backend-developer + 2 of context-manager, every cost.
    assert.equal(run.outputs['turns'], '5');
    const spent = s.anthropic.requests.reduce((sum, r) => sum + costUsd(resolveModel(r.model, 'sonnet'), r.usage!), 0);
    assert.equal(run.outputs['cost-usd'], spent.toFixed(6));
    const subCost = s.anthropic.requests
      .filter((r) => /haiku/.test(r.model!))
      .reduce((sum, r) => sum + costUsd(resolveModel(r.model, 'sonnet'), r.usage!), 0);
    assert.ok(subCost > 0 && subCost < spent);

    // The STATUS comment's footer and the job summary show the delegation with its own turns and cost.
    const line = `delegated: context-manager (2 turns, $${subCost.toFixed(4)})`;
    const pr = s.gh.state.pulls[0]!;
    const statusComment = s.gh.state.comments.find(
      (c) => c.issueNumber === pr.number && /^STATUS: COMPLETE/m.test(c.body),
    );
    assert.ok(statusComment);
    assert.ok(statusComment.body.includes(`<sub>${line}</sub>`), statusComment.body);
    assert.ok(run.summary.includes(line), run.summary);

    // The transcript and the log carry the sub-loop, tagged with the sub-agent.
    const transcript = (await readFile(run.outputs['transcript']!, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; agent?: string; name?: string });
    assert.ok(transcript.some((e) => e.type === 'delegate' && e.agent === 'context-manager'));
    assert.ok(transcript.some((e) => e.type === 'tool' && e.name === 'Read' && e.agent === 'context-manager'));
    assert.match(run.stdout, /delegating to context-manager \(claude-haiku[^)]*\): Find the router/);
    assert.match(run.stdout, /context-manager: turn 2: end_turn/);
  },
);
