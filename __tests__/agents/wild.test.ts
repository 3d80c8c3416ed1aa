// Agent files in the shapes people write them (copied from public collections of Claude Code subagents, Copilot
// custom agents and Gemini CLI subagents): every one loads, and each load is asserted on the parsed name, tools and
// model. The files are in __tests__/fixtures/agents/wild/<format>/; the line-ending, BOM, tab and size variants are
// made from them here, so no editor or git setting can normalise them away.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, realpath, rm, writeFile, cp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  agentBudgets,
  findAgent,
  loadAgents,
  parseAgentFile,
  type AgentDefinition,
  type AgentFormat,
} from '../../src/agents/definition.ts';
import { resolveRunModel } from '../../src/model/models.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const wild = path.join(here, '../fixtures/agents/wild');
const builtinDir = path.resolve(here, '../../agents');

interface Expected {
  name: string;
  tools: readonly string[] | null;
  /** The model as written (undefined: the default); `runs` is the model id a run then uses. */
  model: string | undefined;
  runs: string;
  description?: string | RegExp;
  disallowed?: readonly string[];
  maxTurns?: number;
  timeoutMinutes?: number;
  /** Substrings of the warnings the file gets (none when absent). */
  warnings?: readonly RegExp[];
}

const SONNET = 'claude-sonnet-5-5';
const HAIKU = 'claude-haiku-5-5';
const OPUS = 'claude-opus-5-5';

const FILES: ReadonlyArray<[string, AgentFormat, Expected]> = [
  [
    'claude/data-analyst.md',
    'claude',
    {
      name: 'data-analyst',
      tools: ['Read', 'Write', 'WebSearch', 'mcp__meigen__generate_image'],
      model: 'opus',
      runs: OPUS,
      description: `Use when analyzing product data. Triggers on: 'analyze A/B test', 'cohort retention', "funnel drop-off"`,
    },
  ],
  [
    'claude/dotnet-framework-4.8-expert.md',
    'claude',
    {
      name: 'dotnet-framework-4.8-expert',
      tools: ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep', 'TodoWrite'],
      model: 'fable',
      runs: SONNET,
    },
  ],
  [
    'claude/powershell-5.1-expert.md',
    'claude',
    {
      name: 'powershell-5.1-expert',
      tools: ['Read', 'Edit', 'Bash', 'Agent', 'WebFetch'],
      model: undefined,
      runs: SONNET,
      description: 'PowerShell 5.1 expert for Windows automation (WMI, AD, DSC).',
    },
  ],
  [
    'claude/snake_case_agent.md',
    'claude',
    { name: 'snake_case_agent', tools: ['Read', 'Grep', 'Glob'], model: 'haiku', runs: HAIKU },
  ],
  ['claude/no-tools-line.md', 'claude', { name: 'no-tools-line', tools: null, model: undefined, runs: SONNET }],
  ['claude/tools-empty.md', 'claude', { name: 'tools-empty', tools: [], model: undefined, runs: SONNET }],
  ['claude/empty-string-tools.md', 'claude', { name: 'empty-string-tools', tools: [], model: undefined, runs: SONNET }],
  ['claude/star-tools.md', 'claude', { name: 'star-tools', tools: null, model: 'sonnet', runs: SONNET }],
  [
    'claude/bash-patterns.md',
    'claude',
    { name: 'bash-patterns', tools: ['Bash', 'Read', 'Grep'], model: undefined, runs: SONNET },
  ],
  [
    'claude/disallowed.md',
    'claude',
    { name: 'disallowed', tools: null, model: undefined, runs: SONNET, disallowed: ['Write', 'Edit', 'MultiEdit'] },
  ],
  [
    'claude/max-turns.md',
    'claude',
    { name: 'max-turns', tools: ['Read', 'Grep'], model: 'haiku', runs: HAIKU, maxTurns: 12 },
  ],
  [
    'claude/examples-description.md',
    'claude',
    {
      name: 'code-reviewer',
      tools: ['Glob', 'Grep', 'Read', 'WebFetch', 'TodoWrite', 'WebSearch', 'BashOutput', 'KillShell'],
      model: 'sonnet',
      runs: SONNET,
      description:
        /^Use this agent when you need a review.*Examples: <example>Context: The user has just .*<\/example>$/,
    },
  ],
  [
    'claude/folded-description.md',
    'claude',
    {
      name: 'folded-description',
      tools: ['Read', 'Write', 'Edit', 'Bash'],
      model: 'claude-sonnet-4-5-20250929',
      runs: 'claude-sonnet-4-5-20250929',
      description: 'Designs database schemas and writes migrations.',
    },
  ],
  ['claude/inherit-model.md', 'claude', { name: 'inherit-model', tools: ['Read'], model: undefined, runs: SONNET }],
  [
    'claude/sonnet-1m.md',
    'claude',
    { name: 'sonnet-1m', tools: ['Read', 'Glob', 'Grep'], model: 'sonnet[1m]', runs: SONNET },
  ],
  [
    'claude/quoted-values.md',
    'claude',
    {
      name: 'quoted-values',
      tools: ['Read', 'Edit'],
      model: 'haiku',
      runs: HAIKU,
      description: "It's quoted: every value, even the tools",
    },
  ],
  [
    'claude/hash-in-description.md',
    'claude',
    {
      name: 'csharp-pro',
      tools: ['Read', 'Write'],
      model: undefined,
      runs: SONNET,
      description: 'Writes idiomatic C# and F# code',
    },
  ],
  [
    'claude/lowercase-tools.md',
    'claude',
    { name: 'lowercase-tools', tools: ['Read', 'Grep', 'Glob', 'Bash', 'WebFetch'], model: undefined, runs: SONNET },
  ],
  [
    'claude/todo-task.md',
    'claude',
    {
      name: 'project-manager',
      tools: ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep', 'TodoWrite', 'Agent', 'WebFetch', 'WebSearch'],
      model: 'opus',
      runs: OPUS,
    },
  ],
  [
    'claude/mcp-tools.md',
    'claude',
    {
      name: 'mcp-tools',
      tools: ['Read', 'mcp__github', 'mcp__postgres__query', 'mcp__context7__*'],
      model: undefined,
      runs: SONNET,
    },
  ],
  [
    'claude/comments-and-blank-lines.md',
    'claude',
    { name: 'commented', tools: ['Read', 'Write'], model: undefined, runs: SONNET },
  ],
  ['claude/core/nested-agent.md', 'claude', { name: 'nested-agent', tools: ['Read'], model: undefined, runs: SONNET }],
  [
    'claude/json-ish-description.md',
    'claude',
    {
      name: 'api-designer',
      tools: ['Read', 'Write', 'Edit'],
      model: 'sonnet',
      runs: SONNET,
      description: 'Designs REST APIs {OpenAPI 3.1}, versioning & pagination; see @docs',
    },
  ],
  // Files that earlier versions refused: each now loads, with what was off said in a warning where it matters.
  ['claude/name-number.md', 'claude', { name: '42', tools: null, model: undefined, runs: SONNET }],
  [
    'claude/bad-yaml.md',
    'claude',
    { name: 'bad-yaml', tools: ['Read'], model: undefined, runs: SONNET, description: '"unterminated' },
  ],
  [
    'claude/description-list.md',
    'claude',
    { name: 'description-list', tools: null, model: undefined, runs: SONNET, description: 'one two' },
  ],
  ['claude/model-number.md', 'claude', { name: 'model-number', tools: null, model: '4.5', runs: SONNET }],
  [
    'claude/tool-number.md',
    'claude',
    {
      name: 'tool-number',
      tools: ['Read'],
      model: undefined,
      runs: SONNET,
      warnings: [/tool-number\.md:3: field "tools" has entries that are not tool names \(a number \(7\)\)/],
    },
  ],
  ['claude/tools-mapping.md', 'claude', { name: 'tools-mapping', tools: ['Read'], model: undefined, runs: SONNET }],
  [
    'claude/unknown-tool.md',
    'claude',
    { name: 'unknown-tool', tools: ['Read', 'WebFetch', 'Bash'], model: undefined, runs: SONNET },
  ],
  [
    'claude/missing-body.md',
    'claude',
    {
      name: 'missing-body',
      tools: null,
      model: undefined,
      runs: SONNET,
      warnings: [/missing-body\.md: has no instructions after the frontmatter; the agent runs with/],
    },
  ],
  // GitHub Copilot custom agents (.github/agents).
  [
    'copilot/reviewer.agent.md',
    'copilot',
    {
      name: 'reviewer',
      tools: ['Read', 'Grep', 'Glob', 'githubRepo'],
      model: 'Claude Sonnet 4',
      runs: SONNET,
      description: 'Reviews pull requests for security and correctness',
    },
  ],
  [
    'copilot/planner.agent.md',
    'copilot',
    { name: 'planner', tools: ['Grep', 'Glob', 'WebFetch', 'Edit', 'Write'], model: 'GPT-4.1', runs: SONNET },
  ],
  ['copilot/implementer.md', 'copilot', { name: 'implementer', tools: null, model: undefined, runs: SONNET }],
  [
    'copilot/terraform.agent.md',
    'copilot',
    {
      name: 'terraform-engineer',
      tools: ['Bash', 'Edit', 'Write', 'mcp__github', 'mcp__terraform__plan', 'TodoWrite', 'Agent'],
      model: undefined,
      runs: SONNET,
    },
  ],
  // Gemini CLI subagents (.gemini/agents).
  [
    'gemini/codebase-investigator.md',
    'gemini',
    {
      name: 'codebase-investigator',
      tools: ['Read', 'Glob', 'Grep'],
      model: 'gemini-2.5-pro',
      runs: SONNET,
      maxTurns: 20,
      timeoutMinutes: 5,
    },
  ],
  [
    'gemini/shell-runner.md',
    'gemini',
    {
      name: 'shell-runner',
      tools: ['Bash', 'Write', 'Edit', 'WebFetch', 'WebSearch', 'TodoWrite'],
      model: undefined,
      runs: SONNET,
      maxTurns: 8,
    },
  ],
  [
    'gemini/wildcard.md',
    'gemini',
    { name: 'gemini-wildcard', tools: ['Read', 'mcp__github__*'], model: undefined, runs: SONNET, timeoutMinutes: 0.5 },
  ],
];

function check(def: AgentDefinition, e: Expected, label: string): void {
  assert.equal(def.name, e.name, `${label}: name`);
  assert.deepEqual(def.tools, e.tools, `${label}: tools`);
  assert.equal(def.model, e.model, `${label}: model`);
  const { model, unknownFileModel } = resolveRunModel('', def.model, 'sonnet');
  assert.equal(model.id, e.runs, `${label}: the model a run uses`);
  assert.equal(unknownFileModel !== undefined, e.runs === SONNET && e.model !== undefined && !/^sonnet/.test(e.model));
  if (e.description !== undefined) {
    if (typeof e.description === 'string') assert.equal(def.description, e.description, `${label}: description`);
    else assert.match(def.description, e.description, `${label}: description`);
  }
  assert.deepEqual(def.disallowedTools, e.disallowed ?? [], `${label}: disallowedTools`);
  assert.equal(def.maxTurns, e.maxTurns, `${label}: maxTurns`);
  assert.equal(def.timeoutMinutes, e.timeoutMinutes, `${label}: timeoutMinutes`);
  assert.equal(def.warnings.length, e.warnings?.length ?? 0, `${label}: warnings ${def.warnings.join(' | ')}`);
  e.warnings?.forEach((re, i) => assert.match(def.warnings[i]!, re));
}

function parseWild(rel: string, format: AgentFormat, text?: string): AgentDefinition {
  const file = path.join(wild, rel);
  return parseAgentFile(file, text ?? readFileSync(file, 'utf8'), { format, confineTo: path.dirname(file) });
}

describe('agent files from the wild: every one loads', () => {
  assert.ok(FILES.length >= 38, `${FILES.length} files`);
  for (const [rel, format, expected] of FILES) {
    test(rel, { timeout: 10_000 }, () => {
      const def = parseWild(rel, format);
      check(def, expected, rel);
      assert.equal(def.format, format);
    });
  }
});

/** The same files as editors and tools on other systems save them. */
const VARIANTS: ReadonlyArray<[string, (text: string) => string]> = [
  ['CRLF line endings', (t) => t.replace(/\n/g, '\r\n')],
  ['a BOM', (t) => `\uFEFF${t}`],
  ['a BOM and CRLF', (t) => `\uFEFF${t.replace(/\n/g, '\r\n')}`],
  ['old Mac CR line endings', (t) => t.replace(/\n/g, '\r')],
  ['trailing spaces on every line', (t) => t.replace(/\n/g, '  \n')],
];

describe('the same files with other line endings, a BOM and trailing spaces', () => {
  const picks = [
    'claude/data-analyst.md',
    'claude/examples-description.md',
    'claude/snake_case_agent.md',
    'copilot/reviewer.agent.md',
    'gemini/codebase-investigator.md',
    'claude/comments-and-blank-lines.md',
  ];
  for (const [variant, transform] of VARIANTS) {
    for (const rel of picks) {
      test(`${rel} with ${variant}`, { timeout: 10_000 }, () => {
        const [, format, expected] = FILES.find(([r]) => r === rel)!;
        const text = transform(readFileSync(path.join(wild, rel), 'utf8'));
        check(parseWild(rel, format, text), expected, `${rel} (${variant})`);
      });
    }
  }
});

describe('shapes made here', () => {
  test('tabs for indentation (not YAML, but Claude Code reads it)', { timeout: 10_000 }, () => {
    const text =
      '---\nname: tabbed\ndescription:\tTabbed file\ntools:\n\t- Read\n\t- run_shell_command\nmodel:\thaiku\n---\nGo.\n';
    check(
      parseAgentFile('/tmp/tabbed.md', text),
      { name: 'tabbed', tools: ['Read', 'Bash'], model: 'haiku', runs: HAIKU, description: 'Tabbed file' },
      'tabs',
    );
  });

  test('a big body (900 KB) with a long description and a list of 40 tools', { timeout: 10_000 }, () => {
    const tools = Array.from({ length: 40 }, (_, i) => `mcp__server${i}__tool`);
    const body = '## Section\n\n' + 'Explain the architecture and keep the tests green. '.repeat(18_000);
    const text = `---\nname: big-one\ndescription: ${'Very long description: with colons, '.repeat(200)}\ntools: Read, ${tools.join(', ')}\nmodel: opus\n---\n${body}`;
    assert.ok(Buffer.byteLength(text) > 900_000 && Buffer.byteLength(text) < 1024 * 1024);
    const def = parseAgentFile('/tmp/big-one.md', text);
    check(def, { name: 'big-one', tools: ['Read', ...tools], model: 'opus', runs: OPUS }, 'big');
    assert.equal(def.body.length, body.trim().length);
  });

  test('a file over 1 MB is the one size refused (Claude Code skips it too)', { timeout: 10_000 }, () => {
    const text = `---\nname: huge\n---\n${'x'.repeat(1025 * 1024)}`;
    assert.throws(() => parseAgentFile('/tmp/huge.md', text), /huge\.md: is 1026 KB; keep agent files under 1024 KB/);
  });

  test('maxTurns spelled three ways; a bad value is a warning, not an error', { timeout: 10_000 }, () => {
    for (const [line, n] of [
      ['maxTurns: 5', 5],
      ['max_turns: 6', 6],
      ['max-turns: "7"', 7],
    ] as const) {
      assert.equal(parseAgentFile('/tmp/m.md', `---\nname: m\n${line}\n---\nx\n`).maxTurns, n);
    }
    const bad = parseAgentFile('/tmp/m.md', '---\nname: m\nmaxTurns: lots\ntimeout_mins: -1\n---\nx\n', {
      confineTo: '/tmp',
    });
    assert.equal(bad.maxTurns, undefined);
    assert.equal(bad.timeoutMinutes, undefined);
    assert.deepEqual(bad.warnings, [
      'Agent file m.md:3: field "maxTurns" is a string (lots); it must be a positive number, so it is ignored.',
      'Agent file m.md:4: field "timeout_mins" is a number (-1); it must be a positive number, so it is ignored.',
    ]);
  });

  test('a model that is a list is a warning and the default', { timeout: 10_000 }, () => {
    const def = parseAgentFile('/tmp/m.md', '---\nname: m\nmodel: [a, b]\n---\nx\n', { confineTo: '/tmp' });
    assert.equal(def.model, undefined);
    assert.match(
      def.warnings[0]!,
      /^Agent file m\.md:3: field "model" is a list, not a model name; the default model is used/,
    );
  });

  test('budgets: the smaller of the file and the inputs wins', { timeout: 10_000 }, () => {
    assert.deepEqual(agentBudgets({ maxTurns: 12, timeoutMinutes: 5 }, { maxTurns: 50, timeoutMs: 30 * 60_000 }), {
      maxTurns: 12,
      timeoutMs: 5 * 60_000,
    });
    assert.deepEqual(agentBudgets({ maxTurns: 80, timeoutMinutes: 90 }, { maxTurns: 50, timeoutMs: 30 * 60_000 }), {
      maxTurns: 50,
      timeoutMs: 30 * 60_000,
    });
    assert.deepEqual(agentBudgets({}, { maxTurns: 3, timeoutMs: 1000 }), { maxTurns: 3, timeoutMs: 1000 });
  });
});

describe('loadAgents over all three formats', () => {
  test(
    'every wild file loads from its folder; earlier sources shadow later ones by name',
    { timeout: 20_000 },
    async () => {
      const ws = await realpath(await mkdtemp(path.join(os.tmpdir(), 'wild-')));
      await cp(path.join(wild, 'claude'), path.join(ws, '.claude/agents'), { recursive: true });
      await cp(path.join(wild, 'copilot'), path.join(ws, '.github/agents'), { recursive: true });
      await cp(path.join(wild, 'gemini'), path.join(ws, '.gemini/agents'), { recursive: true });
      // Shadowing: the same name in Copilot's and Gemini's folders, and the built-in's name in Gemini's.
      await writeFile(path.join(ws, '.github/agents/data-analyst.agent.md'), '---\nname: data-analyst\n---\ncopilot\n');
      await writeFile(path.join(ws, '.gemini/agents/reviewer.md'), '---\nname: reviewer\n---\ngemini\n');
      await writeFile(
        path.join(ws, '.gemini/agents/backend-developer.md'),
        '---\nname: backend-developer\n---\ngemini\n',
      );
      // .agent.md before .md in Copilot's folder.
      await writeFile(path.join(ws, '.github/agents/implementer.agent.md'), '---\nname: implementer\n---\nfirst\n');
      await writeFile(path.join(ws, '.claude/agents/README.md'), '# Agents\n\nThis collection…\n');
      const warnings: string[] = [];
      const cat = await loadAgents({
        workspace: ws,
        builtinDir,
        log: { debug: () => {}, info: () => {}, warning: (m) => warnings.push(m) },
      });
      assert.deepEqual(cat.errors, []);
      assert.deepEqual(warnings, [], 'README.md and core/README.md are documentation, not broken agents');
      for (const [rel, format, expected] of FILES) {
        const def = findAgent(cat, expected.name);
        assert.equal(def.format, format, rel);
        check(def, expected, rel);
      }
      assert.equal(findAgent(cat, 'data-analyst').format, 'claude');
      assert.equal(findAgent(cat, 'reviewer').body, '# Reviewer\n\nReview the change and list the problems you find.');
      assert.equal(findAgent(cat, 'backend-developer').body, 'gemini', 'a repository file shadows the built-in');
      assert.equal(findAgent(cat, 'implementer').body, 'first');
      assert.equal(cat.agents.size, FILES.length + 2 /* backend-developer, context-manager */);
      await rm(ws, { recursive: true });
    },
  );

  test(
    'a file that cannot be a command: one warning with file, line and fix; the rest still load',
    { timeout: 20_000 },
    async () => {
      const ws = await realpath(await mkdtemp(path.join(os.tmpdir(), 'wild-')));
      await mkdir(path.join(ws, '.claude/agents'), { recursive: true });
      await writeFile(
        path.join(ws, '.claude/agents/good.md'),
        '---\nname: good\ndescription: Triggers on: x\n---\nok\n',
      );
      await writeFile(path.join(ws, '.claude/agents/spaced.md'), '---\ndescription: d\nname: My Agent\n---\nx\n');
      await writeFile(path.join(ws, '.claude/agents/nameless.md'), '---\ndescription: Triggers on: x\n---\nx\n');
      const warnings: string[] = [];
      const cat = await loadAgents({
        workspace: ws,
        builtinDir,
        log: { debug: () => {}, info: () => {}, warning: (m) => warnings.push(m) },
      });
      assert.equal(findAgent(cat, 'good').description, 'Triggers on: x');
      assert.deepEqual(warnings, [
        'Agent file .claude/agents/nameless.md:1: field "name" is missing or empty. Add "name: nameless" to the frontmatter (letters, digits, "-", "_" and "."; it is the command /<name>).',
        'Agent file .claude/agents/spaced.md:3: field "name" is "My Agent"; a name may contain only letters, digits, "-", "_" and "." and must start with a letter or digit (it is the command /<name>). Use e.g. "name: my-agent".',
      ]);
      assert.deepEqual(cat.errors.map((e) => e.name).sort(), ['my-agent', 'nameless']);
      assert.ok(findAgent(cat, 'backend-developer').builtin);
      await rm(ws, { recursive: true });
    },
  );
});

test('the reference file loads unchanged', { timeout: 10_000 }, async () => {
  const file = '/work/shared/reference/backend-developer.agent.md';
  const def = parseAgentFile(file, await readFile(file, 'utf8'));
  assert.equal(def.name, 'backend-developer');
  assert.deepEqual(def.tools, ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep']);
  assert.equal(def.model, 'sonnet[1m]');
  assert.deepEqual(def.warnings, []);
});
