import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, realpath, writeFile, symlink, rm } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentFileError, findAgent, loadAgents, parseAgentFile } from '../../src/agents/definition.ts';
import { UserError } from '../../src/errors.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixtures = path.join(here, '../fixtures/agents');
const builtinDir = path.join(root, 'agents');

function parseFixture(rel: string) {
  const file = path.join(fixtures, rel);
  return parseAgentFile(file, readFileSync(file, 'utf8'), { confineTo: path.dirname(file) });
}

function badFixture(rel: string): AgentFileError {
  try {
    parseFixture(`bad/${rel}`);
  } catch (e) {
    assert.ok(e instanceof AgentFileError, `expected AgentFileError, got ${String(e)}`);
    assert.ok(e instanceof UserError);
    assert.match(e.message, new RegExp(`^Agent file ${rel.replace('.', '\\.')}:\\d+: `), 'names the file and the line');
    return e;
  }
  assert.fail(`${rel} parsed but should not`);
}

describe('parseAgentFile: valid files', () => {
  test('the real user file loads unchanged, keeping sonnet[1m]', () => {
    const copy = path.join(fixtures, 'valid/backend-developer.agent.md');
    assert.equal(readFileSync(copy, 'utf8'), readFileSync('/work/shared/reference/backend-developer.agent.md', 'utf8'));
    const def = parseFixture('valid/backend-developer.agent.md');
    assert.equal(def.name, 'backend-developer');
    assert.match(def.description, /^Senior backend engineer/);
    assert.deepEqual(def.tools, ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep']);
    assert.equal(def.model, 'sonnet[1m]');
    assert.match(def.body, /^You are a senior backend developer/);
    assert.match(def.body, /BLOCKER: Reason if BLOCKED \(optional\)\n```$/);
    assert.equal(def.builtin, false);
    assert.equal(def.file, copy);
    // Its links point to files that do not exist beside the fixture: no roots.
    assert.deepEqual(def.referenceRoots, []);
  });

  test('the original reference path parses directly too', () => {
    const file = '/work/shared/reference/backend-developer.agent.md';
    const def = parseAgentFile(file, readFileSync(file, 'utf8'));
    assert.equal(def.model, 'sonnet[1m]');
  });

  test('tools as a YAML list, case-insensitive; inherit → undefined; unknown fields ignored', () => {
    const def = parseFixture('valid/reviewer.md');
    assert.equal(def.name, 'reviewer');
    assert.equal(def.description, 'Reviews code: read-only');
    assert.deepEqual(def.tools, ['Read', 'Grep', 'Glob']);
    assert.equal(def.model, undefined);
    assert.equal('model' in def, false);
  });

  test('reference roots: existing relative links only, resolved to the agent file, confined', () => {
    const def = parseFixture('valid/reviewer.md');
    // docs/guide.md is linked twice (once as <…> with a title); missing, http, #anchor and ../ escapes are dropped.
    assert.deepEqual(def.referenceRoots, [path.join(fixtures, 'valid/docs/guide.md')]);
  });

  test('minimal file: no description, no tools → null (every tool the run has), mixed-case name allowed', () => {
    const def = parseFixture('valid/minimal.md');
    assert.equal(def.name, 'Minimal-1');
    assert.equal(def.description, '');
    assert.equal(def.tools, null);
    assert.equal(def.body, 'Just do the task.');
  });

  test('tools as a comma string with spaces, empties and duplicates; CRLF and BOM tolerated', () => {
    const text = '\uFEFF---\r\nname: x\r\ntools: " Bash ,read,, Bash "\r\nmodel: opus\r\n---\r\nBody line\r\n';
    const def = parseAgentFile('/tmp/x.md', text);
    assert.deepEqual(def.tools, ['Bash', 'Read']);
    assert.equal(def.model, 'opus');
    assert.equal(def.body, 'Body line');
  });

  test('tools: (null) counts as absent', () => {
    const def = parseAgentFile('/tmp/y.md', '---\nname: y\ntools:\n---\nGo.\n');
    assert.equal(def.tools, null);
  });
});

describe('parseAgentFile: malformed files (message names file, field and fix)', () => {
  // Only a file that cannot be a command is refused; the files earlier versions refused for other reasons load now
  // (see wild.test.ts).
  const cases: Array<[string, string, RegExp]> = [
    ['no-frontmatter.md', 'no-frontmatter', /:1: does not start with YAML frontmatter\. Put a line "---" first/],
    ['missing-name.md', 'missing-name', /:1: field "name" is missing or empty\. Add "name: missing-name"/],
    ['empty-name.md', 'empty-name', /:2: field "name" is missing or empty\. Add "name: empty-name"/],
    [
      'name-with-spaces.md',
      'backend-developer',
      /:2: field "name" is "Backend Developer"; a name may contain only letters, digits, "-", "_" and "\.".*Use e\.g\. "name: backend-developer"/,
    ],
    ['name-leading-dash.md', 'dash', /:2: field "name" is "-dash";.*must start with a letter or digit/],
    ['unclosed.md', 'unclosed', /:5: the frontmatter is not closed\. Add a line "---" after the last field/],
    [
      'js-frontmatter.md',
      'js-frontmatter',
      /:1: the first line must be exactly "---" \(got "---js"\); only YAML frontmatter is supported/,
    ],
    [
      'scalar-frontmatter.md',
      'scalar-frontmatter',
      /:2: the frontmatter must be YAML fields \("name: …"\), not a list or a single value/,
    ],
  ];
  assert.ok(cases.length >= 8);
  for (const [file, name, message] of cases) {
    test(file, () => {
      const e = badFixture(file);
      assert.match(e.message, message);
      assert.equal(e.agentName, name, 'keyed by the name it would have');
      assert.equal(e.file, path.join(fixtures, 'bad', file));
    });
  }
});

describe('built-in context-manager agent', () => {
  const file = path.join(builtinDir, 'context-manager.md');
  const def = parseAgentFile(file, readFileSync(file, 'utf8'), { confineTo: builtinDir, builtin: true });
  test('is read-only, cheap and cannot delegate', () => {
    assert.equal(def.name, 'context-manager');
    assert.deepEqual(def.tools, ['Read', 'Glob', 'Grep'], 'no Agent: it cannot delegate');
    assert.equal(def.model, 'haiku');
    assert.match(def.body, /file path/);
  });
});

describe('built-in backend-developer agent', () => {
  const file = path.join(builtinDir, 'backend-developer.md');
  const def = parseAgentFile(file, readFileSync(file, 'utf8'), { confineTo: builtinDir, builtin: true });

  test('parses with the expected frontmatter', () => {
    assert.equal(def.name, 'backend-developer');
    assert.deepEqual(def.tools, ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep', 'Agent'], 'it delegates');
    assert.match(def.body, /ask the `context-manager` agent \(Agent tool\)/);
    assert.equal(def.model, 'sonnet');
    assert.ok(def.description.length > 20);
    assert.equal(def.builtin, true);
  });

  test('body ≤ 4 KB and links resolve to both reference docs', () => {
    assert.ok(Buffer.byteLength(def.body) <= 4096, `body is ${Buffer.byteLength(def.body)} bytes`);
    const docs = ['API-STANDARDS.md', 'PATTERNS.md'].map((f) => path.join(builtinDir, 'backend-developer', f));
    assert.deepEqual(def.referenceRoots, docs);
    for (const d of docs) assert.ok(statSync(d).size > 5000, `${d} is substantive`);
  });

  test('ends with the STATUS contract, WAITING question in BLOCKER', () => {
    for (const line of ['STATUS: COMPLETE | BLOCKED | WAITING | ERROR', 'SUMMARY:', 'FILES:', 'NEXT:', 'BLOCKER:']) {
      assert.ok(def.body.includes(line), line);
    }
    assert.match(def.body, /WAITING \(you need an answer — put the question in BLOCKER\)/);
  });

  test('does not copy sentences from the user file', async () => {
    const ref = await readFile('/work/shared/reference/backend-developer.agent.md', 'utf8');
    const sentences = ref
      .split(/[.\n]/)
      .map((s) => s.replace(/^[-#\d.\s]+/, '').trim())
      .filter((s) => s.split(/\s+/).length >= 5 && !s.startsWith('STATUS') && !s.startsWith('['));
    assert.ok(sentences.length > 10);
    const ours = [
      def.body,
      readFileSync(path.join(builtinDir, 'backend-developer/API-STANDARDS.md'), 'utf8'),
      readFileSync(path.join(builtinDir, 'backend-developer/PATTERNS.md'), 'utf8'),
    ].join('\n');
    for (const s of sentences) assert.ok(!ours.includes(s), `copied: ${s}`);
  });
});

describe('loadAgents', () => {
  async function repo(files: Record<string, string>): Promise<string> {
    const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'agents-')));
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    return dir;
  }
  const agent = (name: string, body = `I am ${name}.`) => `---\nname: ${name}\ndescription: d\n---\n${body}\n`;

  test('no repo agents: the built-in is found with its reference roots', async () => {
    const ws = await repo({ 'README.md': '# x' });
    const cat = await loadAgents({ workspace: ws, builtinDir });
    const def = findAgent(cat, 'backend-developer');
    assert.equal(def.builtin, true);
    assert.equal(def.referenceRoots.length, 2);
    assert.deepEqual(cat.errors, []);
    await rm(ws, { recursive: true });
  });

  test('lookup order: agentsDir, then .github/agents, then built-ins; a repo file overrides the built-in', async () => {
    const ws = await repo({
      'custom/agents/backend-developer.md': agent('backend-developer', 'repo version'),
      'custom/agents/shared.md': agent('shared', 'from agents-dir'),
      '.github/agents/shared.md': agent('shared', 'from .github'),
      '.github/agents/only-github.md': agent('only-github'),
      '.claude/agents/ignored.md': agent('ignored'),
    });
    const cat = await loadAgents({ workspace: ws, agentsDir: 'custom/agents', builtinDir });
    assert.equal(findAgent(cat, 'backend-developer').body, 'repo version');
    assert.equal(findAgent(cat, 'backend-developer').builtin, false);
    assert.equal(findAgent(cat, 'shared').body, 'from agents-dir');
    assert.equal(findAgent(cat, 'only-github').file, path.join(ws, '.github/agents/only-github.md'));
    assert.equal(cat.agents.has('ignored'), false, 'the default dir is not read when agents-dir is set');
    await rm(ws, { recursive: true });
  });

  test('default agentsDir is .claude/agents; the reference docs folder is not read as agents', async () => {
    const ws = await repo({ '.claude/agents/helper.md': agent('helper') });
    const cat = await loadAgents({ workspace: ws, builtinDir });
    assert.deepEqual([...cat.agents.keys()].sort(), ['backend-developer', 'context-manager', 'helper']);
    await rm(ws, { recursive: true });
  });

  test('a file that cannot be a command does not break others and shadows the built-in of its name', async () => {
    const ws = await repo({
      '.claude/agents/good.md': agent('good'),
      // Unknown tools and a model that is a list no longer stop a file: it loads with a warning for the run.
      '.claude/agents/teleporter.md': '---\nname: teleporter\ntools: Read, Teleport\nmodel: [a]\n---\nx\n',
      '.claude/agents/backend-developer.md': '---\nname: Backend Developer\n---\nx\n',
      '.claude/agents/Bad Name.md': '---\nname: Bad Name\n---\nx\n',
    });
    const cat = await loadAgents({ workspace: ws, builtinDir });
    assert.equal(findAgent(cat, 'good').name, 'good');
    assert.deepEqual(findAgent(cat, 'teleporter').tools, ['Read', 'Teleport']);
    assert.deepEqual(findAgent(cat, 'teleporter').warnings, [
      'Agent file .claude/agents/teleporter.md:4: field "model" is a list, not a model name; the default model is used. Use an alias (sonnet, opus, haiku), a full model id, or "inherit".',
    ]);
    assert.deepEqual(cat.errors.map((e) => e.name).sort(), ['backend-developer', 'bad-name']);
    assert.throws(
      () => findAgent(cat, 'backend-developer'),
      (e: unknown) =>
        e instanceof UserError &&
        /^Agent file \.claude\/agents\/backend-developer\.md:2: field "name" is "Backend Developer"/.test(e.message),
      'the broken file shadows the built-in rather than letting it run in its place',
    );
    assert.throws(() => findAgent(cat, 'bad-name'), /field "name" is "Bad Name"/);
    await rm(ws, { recursive: true });
  });

  test('an unknown name lists the available agents', async () => {
    const ws = await repo({ '.github/agents/helper.md': agent('helper') });
    const cat = await loadAgents({ workspace: ws, builtinDir });
    assert.throws(
      () => findAgent(cat, 'frontend'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          'No agent named "frontend". Available: /backend-developer, /context-manager, /helper. Add .claude/agents/frontend.md to the repository to define it.',
    );
    assert.equal(findAgent(cat, 'HELPER').name, 'helper', 'case-insensitive');
    await rm(ws, { recursive: true });
  });

  test('agents-dir outside the workspace is refused', async () => {
    const ws = await repo({});
    await assert.rejects(
      loadAgents({ workspace: ws, agentsDir: '../elsewhere', builtinDir }),
      /agents-dir "\.\.\/elsewhere" is outside the repository/,
    );
    await rm(ws, { recursive: true });
  });

  test('repo agent links: confined to the workspace, symlinks out and .git are dropped', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'no');
    const ws = await repo({
      'docs/api.md': '# api',
      '.git/config': '[core]',
      '.claude/agents/linker.md': agent(
        'linker',
        '[a](../../docs/api.md) [b](../../docs) [c](../../.git/config) [d](../../link/secret.txt) [e](../../../' +
          path.basename(outside) +
          '/secret.txt)',
      ),
    });
    await symlink(outside, path.join(ws, 'link'));
    const cat = await loadAgents({ workspace: ws, builtinDir });
    const def = findAgent(cat, 'linker');
    assert.deepEqual(def.referenceRoots, [path.join(ws, 'docs/api.md'), path.join(ws, 'docs')]);
    assert.ok(existsSync(path.join(ws, 'link/secret.txt')), 'the symlinked file exists but is not a root');
    await rm(ws, { recursive: true });
    await rm(outside, { recursive: true });
  });
});
