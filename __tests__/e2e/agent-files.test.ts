// Agent files as people write them, end to end through dist/index.js: a file that names tools this run does not have
// (a web tool, an MCP server's tool with no server configured, an invented one) and a model nobody knows still runs,
// with the rest of its tools and the default model; the STATUS footer says what was left out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';

const scenarios: Scenario[] = [];
after(() => Promise.all(scenarios.map((s) => s.close())));

const say = (text: string): Turn => ({ content: [{ type: 'text', text }] });
const read = (file_path: string, expect?: Turn['expect']): Turn => ({
  content: [{ type: 'tool_use', name: 'Read', input: { file_path } }],
  ...(expect ? { expect } : {}),
});

/** Not strict YAML (an unquoted ": " in the description), as many public files are. */
const IMAGE_AGENT = `---
name: image-maker
description: Makes images for the docs. Triggers on: 'draw', 'illustrate'
tools: NotebookEdit, mcp__meigen__generate_image, Read, Teleport
model: fable
---

You make images for the documentation. Read the docs first.
`;

const toolNames = (tools: unknown[] | undefined): string[] => (tools ?? []).map((t) => (t as { name: string }).name);

test(
  'tools not available here are left out with one warning and a footer line; the file still runs',
  { timeout: 120_000 },
  async () => {
    const s = await createScenario({
      files: { ...SERVICE_FILES, '.claude/agents/image-maker.md': IMAGE_AGENT },
      script: [
        read('src/server.js', (req) => {
          assert.deepEqual(toolNames(req.tools), ['Read'], 'only the tool the run has is offered');
          assert.equal(req.model, 'claude-sonnet-5-5', 'an unknown model in the file falls back to the default');
        }),
        say('Read it.\n\nSTATUS: COMPLETE\nSUMMARY: Looked at the server; no image needed\nFILES: none'),
      ],
    });
    scenarios.push(s);
    const run = await s.run(s.comment({ body: '/image-maker draw the architecture' }));
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs['status'], 'COMPLETE');

    const left = 'NotebookEdit, mcp__meigen__generate_image, Teleport';
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
    assert.equal(warnings.filter((w) => w.includes('not available here')).length, 1, 'one warning for the tools');
    assert.ok(
      warnings.includes(
        `::warning::Agent file .claude/agents/image-maker.md: not available here, left out: ${left}. The agent runs with Read.`,
      ),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) =>
        w.startsWith(
          '::warning::Agent file .claude/agents/image-maker.md: model "fable" is not a model this action knows; using sonnet (claude-sonnet-5-5).',
        ),
      ),
      warnings.join('\n'),
    );
    const report = s.gh.state.comments.find((c) => /^STATUS: COMPLETE/m.test(c.body));
    assert.ok(report, 'a STATUS comment');
    assert.match(report.body, new RegExp(`<sub>not available here: ${left}</sub>`));
    assert.equal(s.anthropic.remaining(), 0);
    s.anthropic.assertNoViolations();
    s.gh.assertNoViolations();
  },
);

test("the file's maxTurns caps the run below the max-turns input", { timeout: 120_000 }, async () => {
  const s = await createScenario({
    files: {
      ...SERVICE_FILES,
      '.github/agents/quick-look.agent.md': `---\ndescription: A quick look\ntools: ['read']\nmaxTurns: 1\n---\nLook quickly.\n`,
    },
    script: [read('src/server.js'), read('package.json')],
  });
  scenarios.push(s);
  const run = await s.run(s.comment({ body: '/quick-look at the server' }), { 'max-turns': '50' });
  assert.match(run.outputs['blocker'] ?? '', /budget: max-turns \(1\) reached/);
  assert.equal(run.outputs['turns'], '1');
  s.gh.assertNoViolations();
});
