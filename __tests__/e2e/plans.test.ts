// Plans, project instructions and skills end to end through dist/index.js: an agent file with no tools line (so
// TodoWrite and Skill are offered) in a repository with a CLAUDE.md and a skill. The scripted model loads the skill
// and writes its plan twice; the stand-in GitHub's comment history shows the checklist and then the changed one, and
// the job summary holds the final list.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, type Scenario, type Turn } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import type { MessagesRequest } from '../../test-support/anthropic-server.ts';

const scenarios: Scenario[] = [];
after(() => Promise.all(scenarios.map((s) => s.close())));

// Progress comment updates are throttled to one per 10 s: each plan stays long enough to be published by itself.
const OUTLAST_THROTTLE_MS = 11_500;

const PLANNER = `---
name: planner
description: Plans its work with a todo list.
---
You plan with TodoWrite, then work through the plan.
`;

const SKILL = `---
name: health-checks
description: How this team writes health endpoints.
---
Health endpoints answer 200 with {"ok": true}. See template.js beside this file.
`;

const todos = (statuses: string[]): Turn['content'] => [
  {
    type: 'tool_use',
    name: 'TodoWrite',
    input: {
      todos: [
        { content: 'Read the skill', status: statuses[0], activeForm: 'Reading the skill' },
        { content: 'Add GET /health', status: statuses[1], activeForm: 'Adding GET /health' },
      ],
    },
  },
];

/** The text of every tool_result in the request's last message. */
function results(req: MessagesRequest): string[] {
  const last = req.messages.at(-1)!;
  if (typeof last.content === 'string') return [];
  return last.content
    .filter((b) => (b as { type?: string }).type === 'tool_result')
    .map((b) => JSON.stringify((b as { content?: unknown }).content));
}

test(
  'the TodoWrite plan is the progress checklist and changes with the plan; the summary holds the final list',
  { timeout: 180_000 },
  async () => {
    const s = await createScenario({
      files: {
        ...SERVICE_FILES,
        '.claude/agents/planner.md': PLANNER,
        'CLAUDE.md': '# House rules\nEvery route gets a test.\n',
        '.claude/skills/health-checks/SKILL.md': SKILL,
        '.claude/skills/health-checks/template.js': 'export const ok = { ok: true };\n',
        '.claude/skills/broken/SKILL.md': '---\nname: broken\n',
      },
      script: [
        {
          content: [
            ...todos(['in_progress', 'pending'])!,
            { type: 'tool_use', name: 'Skill', input: { skill: 'health-checks' } },
          ],
          expect: (req) => {
            const names = (req.tools ?? []).map((t) => (t as { name: string }).name);
            // No tools line: every tool the run has, the session's TodoWrite and Skill among them.
            for (const t of ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep', 'TodoWrite', 'Skill']) {
              assert.ok(names.includes(t), `${t} offered: ${names.join(', ')}`);
            }
            const system = JSON.stringify(req.system);
            assert.match(system, /Contents of CLAUDE\.md \(project instructions at the repository root\)/);
            assert.match(system, /Every route gets a test\./);
            assert.match(system, /- health-checks: How this team writes health endpoints\. \(\.claude\/skills/);
            assert.ok(!system.includes('broken'), 'a malformed skill is not listed');
          },
        },
        {
          delayMs: OUTLAST_THROTTLE_MS,
          content: [
            ...todos(['completed', 'in_progress'])!,
            { type: 'tool_use', name: 'Write', input: { file_path: 'health.txt', content: 'ok\n' } },
          ],
          expect: (req) => {
            const [todo, skill] = results(req);
            assert.equal(todo, JSON.stringify('Todos updated'));
            assert.match(skill!, /Base directory for this skill: \.claude\/skills\/health-checks/);
            assert.match(skill!, /Health endpoints answer 200/);
          },
        },
        {
          delayMs: OUTLAST_THROTTLE_MS,
          content: [{ type: 'text', text: 'Done.\n\nSTATUS: COMPLETE\nSUMMARY: Added health\nFILES: health.txt\n' }],
        },
      ],
    });
    scenarios.push(s);
    const run = await s.run(s.comment({ body: '/planner add a health check' }), { sandbox: 'off' });
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs['status'], 'COMPLETE');
    assert.equal(s.anthropic.remaining(), 0);
    s.anthropic.assertNoViolations();
    s.gh.assertNoViolations();

    // The progress comment as GitHub saw it, write by write.
    const bodies = s.gh.requests
      .filter((r) => r.operationId === 'issues/create-comment' || r.operationId === 'issues/update-comment')
      .map((r) => (r.body as { body: string }).body);
    const first = bodies.findIndex((b) => b.includes('**Plan** (0/2 done)'));
    const second = bodies.findIndex((b) => b.includes('**Plan** (1/2 done)'));
    assert.ok(first >= 0, `the first plan was published:\n${bodies.join('\n----\n')}`);
    assert.ok(second > first, 'then the changed plan');
    assert.match(bodies[first]!, /- \[ \] \*\*Reading the skill\*\* ⏳\n- \[ \] Add GET \/health/);
    assert.match(bodies[second]!, /- \[x\] Read the skill\n- \[ \] \*\*Adding GET \/health\*\* ⏳/);
    assert.ok(!bodies[second]!.includes('Tools used'), 'the plan replaces the tool log');
    assert.match(bodies.at(-1)!, /^STATUS: COMPLETE/m, 'the comment ends as the report');

    assert.match(
      run.summary,
      /\*\*Plan\*\* \(1\/2 done\)\n\n- \[x\] Read the skill\n- \[ \] \*\*Adding GET \/health\*\* ⏳/,
    );
    assert.match(run.stdout, /Skill \.claude\/skills\/broken\/SKILL\.md: the frontmatter is not closed/);
  },
);
