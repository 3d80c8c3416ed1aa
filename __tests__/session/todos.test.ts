// TodoWrite as Claude Code defines it (schema read from @anthropic-ai/claude-code 2.1.197: a strict object with
// `todos`, items {content, status, activeForm} with non-empty strings), the offer rule, and the plan as the progress
// comment and the job summary show it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createToolbox, TOOL_NAMES } from '../../src/tools/index.ts';
import { todoWriteTool, type Todo } from '../../src/session/todos.ts';
import { sessionTools } from '../../src/session/session-tools.ts';
import { offeredTools } from '../../src/agents/definition.ts';
import { Progress, renderPlan } from '../../src/report/progress.ts';
import { tempDir } from '../tools/helpers.ts';

const T = { timeout: 60_000 };
const PLAN: Todo[] = [
  { content: 'Read the router', status: 'completed', activeForm: 'Reading the router' },
  { content: 'Add GET /health', status: 'in_progress', activeForm: 'Adding GET /health' },
  { content: 'Write a test', status: 'pending', activeForm: 'Writing a test' },
];

describe('TodoWrite', () => {
  it("sends Claude Code's input schema", () => {
    const def = todoWriteTool(() => {}).definition;
    assert.equal(def.name, 'TodoWrite');
    assert.deepEqual(def.input_schema, {
      type: 'object',
      properties: {
        todos: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              content: { type: 'string', minLength: 1 },
              status: { type: 'string', enum: ['pending', 'in_progress', 'completed'] },
              activeForm: { type: 'string', minLength: 1 },
            },
            required: ['content', 'status', 'activeForm'],
          },
          description: 'The updated todo list',
        },
      },
      required: ['todos'],
      additionalProperties: false,
    });
    assert.ok(JSON.stringify(def).length < 900, `TodoWrite's definition is ${JSON.stringify(def).length} bytes`);
  });

  it('hands each whole list on, answers shortly, and refuses malformed lists naming the item', T, async () => {
    const seen: (readonly Todo[])[] = [];
    const tb = await createToolbox({
      workspace: tempDir('todo-'),
      tools: ['Read', 'TodoWrite'],
      extraTools: [todoWriteTool((t) => seen.push(t))],
      sandbox: 'off',
    });
    try {
      assert.deepEqual(
        tb.definitions.map((d) => d.name),
        ['Read', 'TodoWrite'],
      );
      // An older Claude Code item carried id and priority: dropped, not refused.
      const first = await tb.run('TodoWrite', { todos: [{ ...PLAN[0], id: '1', priority: 'high' }, PLAN[1]] });
      assert.deepEqual(first, { content: 'Todos updated', isError: false });
      assert.deepEqual(seen, [[PLAN[0], PLAN[1]]]);
      assert.deepEqual((await tb.run('TodoWrite', { todos: [] })).isError, false, 'an empty list clears the plan');
      assert.deepEqual(seen.at(-1), []);

      const bad = await tb.run('TodoWrite', {
        todos: [
          { content: '', status: 'done', activeForm: 'x' },
          { content: 'y', status: 'pending' },
        ],
      });
      assert.equal(bad.isError, true);
      assert.equal(
        bad.content,
        "TodoWrite: invalid input: 'todos[0].content' must not be empty; " +
          "'todos[0].status' must be one of pending, in_progress, completed; 'todos[1].activeForm' is required. " +
          'Expected parameters: todos: array of {content: string, status: pending|in_progress|completed, ' +
          'activeForm: string}.',
      );
      assert.match((await tb.run('TodoWrite', { todos: 'buy milk' })).content, /'todos' must be an array/);
      assert.match((await tb.run('TodoWrite', {})).content, /'todos' is required/);
      assert.equal(seen.length, 2, 'a refused call changes nothing');
    } finally {
      await tb.close();
    }
  });
});

describe('which session tools an agent gets', () => {
  it('a tools line that names the tool (any case, or Claude Code alias), or no tools line at all', () => {
    const available = [...TOOL_NAMES, 'TodoWrite', 'Skill'];
    assert.ok(offeredTools({ tools: null }, available).offered.includes('TodoWrite'));
    assert.ok(offeredTools({ tools: ['Read', 'TodoWrite'] }, available).offered.includes('TodoWrite'));
    assert.ok(!offeredTools({ tools: ['Read', 'Edit'] }, available).offered.includes('TodoWrite'));
    assert.deepEqual(offeredTools({ tools: [] }, available).offered, []);
  });

  it('TodoWrite always available; Skill only when the repository has skills', T, async () => {
    const ws = tempDir('st-');
    const none = await sessionTools({ workspace: ws, onTodos: () => {}, warn: () => {} });
    assert.deepEqual(none.names, ['TodoWrite']);
    assert.deepEqual(none.skills, []);
  });
});

describe('the plan in the progress comment and the job summary', () => {
  it('renders a checklist: done ticked, the current item bold in its activeForm, text kept to one line', () => {
    assert.equal(
      renderPlan(PLAN),
      [
        '**Plan** (1/3 done)',
        '',
        '- [x] Read the router',
        '- [ ] **Adding GET /health** ⏳',
        '- [ ] Write a test',
      ].join('\n'),
    );
    const odd = renderPlan([
      { content: 'two\nlines <img src=x onerror=alert(1)> **bold**', status: 'pending', activeForm: 'x' },
    ]);
    assert.match(odd, /^- \[ \] two lines &lt;img src=x onerror=alert\(1\)&gt; \\\*\\\*bold\\\*\\\*$/m);
    const long = renderPlan(
      Array.from({ length: 60 }, (_, i) => ({ content: `step ${i}`, status: 'pending' as const, activeForm: 's' })),
    );
    assert.match(long, /- \[ \] step 49\n- … and 10 more$/);
  });

  it('the plan replaces the tool log, changes as the plan does, and stays throttled', T, async () => {
    const published: string[] = [];
    const p = new Progress(
      'head',
      (b) => {
        published.push(b);
        return Promise.resolve();
      },
      60_000,
    );
    await p.flush();
    p.phase('Working');
    p.tool('Read', 'src/x.ts');
    p.plan(PLAN);
    p.tool('TodoWrite', '');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(published.length, 1, 'a new plan inside the interval is held back like any update');
    await p.flush();
    assert.match(published[1]!, /- \[ \] Working\n\n\*\*Plan\*\* \(1\/3 done\)/);
    assert.ok(!published[1]!.includes('Tools used'), published[1]);
    p.plan(PLAN.map((t) => ({ ...t, status: 'completed' })));
    await p.flush();
    assert.match(published[2]!, /\*\*Plan\*\* \(3\/3 done\)\n\n- \[x\] Read the router\n- \[x\] Add GET \/health/);
    assert.equal(p.latestPlan.length, 3);
  });

  it('without a plan the tool log stays', T, async () => {
    const published: string[] = [];
    const p = new Progress(
      'head',
      (b) => {
        published.push(b);
        return Promise.resolve();
      },
      60_000,
    );
    p.tool('Read', 'a.ts');
    await p.flush();
    assert.match(published[0]!, /Tools used: Read ×1/);
    assert.deepEqual(p.latestPlan, []);
  });
});
