// The README, the docs/ pages and the examples against the code: generated tables current, every input and output documented, and
// every workflow we hand out valid YAML that passes only inputs action.yml declares.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ROOT,
  docPages,
  generatedSections,
  parseYaml,
  readContract,
  readDocs,
  syncDocs,
  updateReadme,
  type ActionContract,
} from '../../scripts/docs.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The README and every page under docs/, as one text. */
const DOCS = readDocs();
const ACTION_YML = readFileSync(join(ROOT, 'action.yml'), 'utf8');
const contract: ActionContract = readContract(ACTION_YML);
const INPUTS = new Set(contract.inputs.map((i) => i.name));
const OUTPUTS = new Set(contract.outputs.map((o) => o.name));
const WORKFLOWS_DIR = join(ROOT, 'examples', 'workflows');
const WORKFLOWS = readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
/** How the examples and the README refer to this action. */
const isThisAction = (uses: unknown): boolean =>
  typeof uses === 'string' && (/backend-developer-action@/.test(uses) || uses === './');

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} must be a mapping`);
  return v as Obj;
};

interface Step {
  id?: string;
  uses?: string;
  with?: Obj;
  if?: string;
}

function stepsOf(workflow: Obj, where: string): Array<{ job: string; step: Step; jobDef: Obj }> {
  const out: Array<{ job: string; step: Step; jobDef: Obj }> = [];
  for (const [job, def] of Object.entries(obj(workflow.jobs, `${where}: jobs`))) {
    const jobDef = obj(def, `${where}: job ${job}`);
    assert.ok(Array.isArray(jobDef.steps), `${where}: job ${job} has steps`);
    for (const s of jobDef.steps as unknown[]) out.push({ job, step: obj(s, `${where}: a step of ${job}`), jobDef });
  }
  return out;
}

/** Checks every use of this action in a parsed workflow; returns how many there were. */
function checkUsesOfAction(workflow: Obj, where: string, text: string): number {
  let uses = 0;
  for (const { step } of stepsOf(workflow, where)) {
    if (!isThisAction(step.uses)) continue;
    uses++;
    const given = Object.keys(step.with ?? {});
    const unknown = given.filter((k) => !INPUTS.has(k));
    assert.deepEqual(unknown, [], `${where}: passes inputs action.yml does not declare: ${unknown.join(', ')}`);
    // The Anthropic API needs the key; Bedrock and Vertex take their credentials from the auth actions.
    const viaProvider = ['bedrock', 'vertex'].includes(String(step.with?.provider));
    assert.ok(viaProvider || given.includes('anthropic-api-key'), `${where}: passes anthropic-api-key`);
    for (const [k, v] of Object.entries(step.with ?? {}))
      assert.equal(typeof v, 'string', `${where}: input ${k} is a string (quote numbers and booleans)`);
    if (step.id) {
      const re = new RegExp(`steps\\.${step.id.replace(/[-]/g, '\\-')}\\.outputs\\.([A-Za-z0-9_-]+)`, 'g');
      for (const m of text.matchAll(re))
        assert.ok(OUTPUTS.has(m[1]!), `${where}: reads output '${m[1]}', which action.yml does not declare`);
    }
  }
  return uses;
}

/** ```yaml blocks of the README. */
function readmeYamlBlocks(): string[] {
  return [...README.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe('generated sections of the docs', () => {
  test('are current (scripts/docs.ts --check)', () => {
    const { stale, pages } = syncDocs();
    assert.deepEqual(
      stale,
      [],
      `${pages.join(', ')} stale in: ${stale.join(', ')}. Run \`node scripts/docs.ts\` (npm run docs).`,
    );
  });

  test('regenerating is idempotent and leaves text outside the markers alone', () => {
    const sections = generatedSections(ACTION_YML);
    const once = updateReadme(DOCS, sections);
    assert.equal(updateReadme(once, sections), once);
    const strip = (s: string) => s.replace(/<!-- (\w+):start -->[\s\S]*?<!-- \1:end -->/g, '<!-- $1 -->');
    assert.equal(strip(once), strip(DOCS));
  });

  test('the check notices a stale table', () => {
    const sections = generatedSections(ACTION_YML);
    const tampered = DOCS.replace('| `max-turns` | `50` |', '| `max-turns` | `40` |');
    assert.notEqual(tampered, DOCS);
    assert.notEqual(updateReadme(tampered, sections), tampered);
  });

  test('a missing marker is an error, not a silent skip', () => {
    assert.throws(
      () => updateReadme(DOCS.replace('<!-- outputs:end -->', ''), generatedSections(ACTION_YML)),
      /outputs:start/,
    );
  });
});

describe('the docs cover the contract', () => {
  test('every input of action.yml is documented', () => {
    const missing = [...INPUTS].filter((n) => !DOCS.includes(`\`${n}\``));
    assert.deepEqual(missing, []);
  });

  test('every output of action.yml is documented', () => {
    const missing = [...OUTPUTS].filter((n) => !DOCS.includes(`\`${n}\``));
    assert.deepEqual(missing, []);
  });

  test('the workflow snippets are valid YAML and use only declared inputs; the first fits in 20 lines', () => {
    const blocks = readmeYamlBlocks().filter((b) => b.includes('backend-developer-action'));
    assert.ok(blocks.length >= 1, 'the README shows a workflow using the action');
    assert.ok(blocks[0]!.trimEnd().split('\n').length <= 20, 'the first workflow is at most 20 lines');
    for (const [i, block] of blocks.entries()) {
      const wf = obj(parseYaml(block), `README workflow ${i + 1}`);
      assert.equal(checkUsesOfAction(wf, `README workflow ${i + 1}`, block), 1);
    }
  });

  test('the README and the docs link only files that exist', () => {
    const missing: string[] = [];
    let count = 0;
    for (const page of docPages()) {
      const text = readFileSync(join(ROOT, page), 'utf8');
      const prose = text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
      for (const m of prose.matchAll(/\]\(((?!https?:|#)[^)\s]+)\)/g)) {
        count++;
        const target = join(ROOT, dirname(page), m[1]!.replace(/#.*$/, ''));
        try {
          readFileSync(target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EISDIR') missing.push(`${page}: ${m[1]}`);
        }
      }
    }
    assert.ok(count >= 20, 'the scan finds the relative links');
    assert.deepEqual(missing, []);
  });

  test('the README keeps the first screen short and links every docs page', () => {
    assert.ok(README.length < 8_000, `README.md is ${README.length} characters: move detail to docs/`);
    for (const page of docPages().slice(1)) assert.ok(README.includes(`](${page})`), `README.md links ${page}`);
    assert.ok(docPages().length >= 8, 'the docs pages exist');
  });
});

describe('examples/workflows', () => {
  test('there are the issue-command and the app-token workflows', () => {
    for (const f of ['agent.yml', 'app-token.yml']) assert.ok(WORKFLOWS.includes(f), `examples/workflows/${f} exists`);
  });

  for (const file of WORKFLOWS) {
    test(`${file}: valid YAML, an issue_comment workflow that passes only declared inputs`, () => {
      const text = readFileSync(join(WORKFLOWS_DIR, file), 'utf8');
      const wf = obj(parseYaml(text), file);
      // js-yaml reads the key `on` as a string (YAML 1.2), so `wf.on` is the trigger.
      const on = obj(wf.on, `${file}: on`);
      assert.deepEqual(obj(on.issue_comment, `${file}: on.issue_comment`).types, ['created']);
      assert.ok(checkUsesOfAction(wf, file, text) >= 1, `${file} uses the action`);
      for (const { job, jobDef } of stepsOf(wf, file)) {
        assert.equal(typeof jobDef['timeout-minutes'], 'number', `${file}: job ${job} sets timeout-minutes`);
        // A workflow's `if` is a string expression; anything else fails both matches.
        const condition = typeof jobDef.if === 'string' ? jobDef.if : '';
        assert.match(
          condition,
          /startsWith\(github\.event\.comment\.body, '\/'\)/,
          `${file}: job ${job} starts only for commands`,
        );
        assert.match(condition, /user\.type != 'Bot'/, `${file}: job ${job} ignores bots`);
        const c = obj(jobDef.concurrency, `${file}: job ${job} concurrency`);
        assert.match(String(c.group), /github\.event\.issue\.number/, `${file}: one group per issue`);
        assert.equal(c['cancel-in-progress'], false, `${file}: a new command never cancels the running one`);
      }
      // Every step of a job that uses the action: the action's timeout stays below the job's.
      for (const { step, jobDef } of stepsOf(wf, file)) {
        if (!isThisAction(step.uses)) continue;
        const actionMinutes = Number(
          step.with?.['timeout-minutes'] ?? contract.inputs.find((i) => i.name === 'timeout-minutes')!.default,
        );
        assert.ok(
          actionMinutes < Number(jobDef['timeout-minutes']),
          `${file}: the job's timeout leaves room after the agent loop`,
        );
      }
      assert.ok(
        stepsOf(wf, file).some(({ step }) => /^actions\/checkout@/.test(step.uses ?? '')),
        `${file}: checks out the repository`,
      );
    });
  }

  test('agent.yml asks for exactly the permissions the action needs', () => {
    const wf = obj(parseYaml(readFileSync(join(WORKFLOWS_DIR, 'agent.yml'), 'utf8')), 'agent.yml');
    assert.deepEqual(wf.permissions, { contents: 'write', issues: 'write', 'pull-requests': 'write', checks: 'write' });
  });

  test('app-token.yml hands the App token to github-token, with the permissions the action needs', () => {
    const text = readFileSync(join(WORKFLOWS_DIR, 'app-token.yml'), 'utf8');
    const wf = obj(parseYaml(text), 'app-token.yml');
    const steps = stepsOf(wf, 'app-token.yml').map((s) => s.step);
    const tokenStep = steps.find((s) => /^actions\/create-github-app-token@/.test(s.uses ?? ''));
    assert.ok(tokenStep?.id, 'a create-github-app-token step with an id');
    for (const p of ['contents', 'issues', 'pull-requests', 'checks'])
      assert.equal(tokenStep.with?.[`permission-${p}`], 'write');
    const action = steps.find((s) => isThisAction(s.uses));
    assert.equal(action?.with?.['github-token'], `\${{ steps.${tokenStep.id}.outputs.token }}`);
    assert.ok(steps.indexOf(tokenStep) < steps.indexOf(action), 'the token is made before the action runs');
  });
});

describe('examples/rulesets', () => {
  test('the ruleset requires the check named after the built-in agent', () => {
    const ruleset = JSON.parse(
      readFileSync(join(ROOT, 'examples', 'rulesets', 'require-agent-check.json'), 'utf8'),
    ) as {
      rules: Array<{ type: string; parameters: { required_status_checks: Array<{ context: string }> } }>;
    };
    const agentName = /^name:\s*(\S+)/m.exec(readFileSync(join(ROOT, 'agents', 'backend-developer.md'), 'utf8'))?.[1];
    const rule = ruleset.rules.find((r) => r.type === 'required_status_checks');
    assert.deepEqual(
      rule?.parameters.required_status_checks.map((c) => c.context),
      [agentName],
    );
  });
});
