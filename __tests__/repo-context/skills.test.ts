// Skills as Claude Code and Copilot keep them (.claude/skills/<name>/SKILL.md, .agents/skills/<name>/SKILL.md):
// discovery from the frontmatter, malformed ones as warnings, the list in the prompt, and the Skill tool.
import { offeredTools } from '../../src/agents/definition.ts';
import { TOOL_NAMES } from '../../src/constants.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSkills, parseSkill, MAX_SKILLS } from '../../src/repo-context/skills.ts';
import { skillTool } from '../../src/session/skill-tool.ts';
import { sessionTools } from '../../src/session/session-tools.ts';
import { skillAccess, skillsSection } from '../../src/session/project-prompt.ts';
import { createToolbox } from '../../src/tools/index.ts';
import { tempDir, writeFiles } from '../tools/helpers.ts';

const T = { timeout: 30_000 };

const skill = (name: string, description: string, body = 'Do the thing.'): string =>
  `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`;

/** A repository with skills of every shape people write, good and bad. */
function repo(): string {
  const ws = tempDir('skills-');
  writeFiles(ws, {
    '.claude/skills/pdf/SKILL.md': skill('pdf', 'Extract text and tables from PDF files.', 'Run `scripts/extract.py`.'),
    '.claude/skills/pdf/scripts/extract.py': 'print("hi")\n',
    // Not strict YAML (": " inside an unquoted value) but loaded by Claude Code: the key: value line form.
    '.claude/skills/api-review/SKILL.md': skill('api-review', 'Use when: reviewing an API change, e.g. "add /users"'),
    // CRLF, a BOM, a folded description, no name (the folder's name is used).
    '.agents/skills/migrations/SKILL.md':
      '\uFEFF---\r\ndescription: >\r\n  Write database\r\n  migrations safely.\r\n---\r\nAlways add a down step.\r\n',
    // No frontmatter at all: the folder's name, the first paragraph as its description.
    '.agents/skills/notes/SKILL.md': '# Notes\n\nKeep release notes short.\n\nMore text.\n',
    // Malformed: unclosed frontmatter, a bad name, nothing to describe it, no SKILL.md, a duplicate name.
    '.claude/skills/broken/SKILL.md': '---\nname: broken\ndescription: never closed\n',
    '.claude/skills/bad-name/SKILL.md': skill('has spaces in it', 'x'),
    '.claude/skills/empty/SKILL.md': '---\nname: empty\n---\n\n# Only a heading\n',
    '.claude/skills/no-file/README.md': 'not a skill',
    '.agents/skills/pdf/SKILL.md': skill('pdf', 'A second pdf skill.'),
    '.claude/skills/loose.md': 'a file directly under skills/ is not a skill',
  });
  return ws;
}

describe('findSkills', () => {
  it('lists the usable skills by name, and one warning for each that is not', T, async () => {
    const found = await findSkills(repo());
    assert.deepEqual(
      found.skills.map((s) => [s.name, s.description, s.file]),
      [
        ['api-review', 'Use when: reviewing an API change, e.g. "add /users"', '.claude/skills/api-review/SKILL.md'],
        ['migrations', 'Write database migrations safely.', '.agents/skills/migrations/SKILL.md'],
        ['notes', 'Keep release notes short.', '.agents/skills/notes/SKILL.md'],
        ['pdf', 'Extract text and tables from PDF files.', '.claude/skills/pdf/SKILL.md'],
      ],
    );
    assert.equal(found.skills.find((s) => s.name === 'pdf')!.dir, '.claude/skills/pdf');
    assert.deepEqual(found.warnings, [
      'Skill .claude/skills/bad-name/SKILL.md: the name is "has spaces in it"; use letters, digits, "-", "." and "_" (at most 64), e.g. "name: bad-name"; the skill is skipped.',
      'Skill .claude/skills/broken/SKILL.md: the frontmatter is not closed within 16 KB. Add a line "---" after the last field; the skill is skipped.',
      'Skill .claude/skills/empty/SKILL.md: it has no description. Add "description: <when to use this skill>"; the skill is skipped.',
      'Skill .claude/skills/no-file: no readable SKILL.md (a regular file, not a link); the skill is skipped.',
      'Skill .agents/skills/pdf/SKILL.md: the name "pdf" is taken by .claude/skills/pdf/SKILL.md; this one is skipped.',
    ]);
  });

  it('a repository without skills has none and no warnings', T, async () => {
    assert.deepEqual(await findSkills(tempDir('noskills-')), { skills: [], warnings: [] });
  });

  it('never reads through a link: a linked SKILL.md, a linked skill folder or skills folder', T, async () => {
    const ws = tempDir('skills-link-');
    const outside = tempDir('skills-outside-');
    writeFiles(outside, { 'SKILL.md': skill('evil', 'OUTSIDE'), 'evil/SKILL.md': skill('evil', 'OUTSIDE') });
    mkdirSync(join(ws, '.claude/skills/linked-file'), { recursive: true });
    symlinkSync(join(outside, 'SKILL.md'), join(ws, '.claude/skills/linked-file/SKILL.md'));
    symlinkSync(join(outside, 'evil'), join(ws, '.claude/skills/linked-folder'));
    mkdirSync(join(ws, '.agents'));
    symlinkSync(outside, join(ws, '.agents/skills'));
    const found = await findSkills(ws);
    assert.deepEqual(found.skills, []);
    assert.ok(!JSON.stringify(found).includes('OUTSIDE'));
  });

  it(`lists at most ${MAX_SKILLS}, and says which were left out`, T, async () => {
    const ws = tempDir('skills-many-');
    for (let i = 0; i < MAX_SKILLS + 2; i++) {
      const name = `s${String(i).padStart(2, '0')}`;
      writeFiles(ws, { [`.claude/skills/${name}/SKILL.md`]: skill(name, `Skill ${i}.`) });
    }
    const found = await findSkills(ws);
    assert.equal(found.skills.length, MAX_SKILLS);
    assert.match(found.warnings[0]!, /42 skills found; only the first 40 by name are offered \(s40, s41 are not\)/);
  });

  it('cuts a long description and keeps it to one line', () => {
    const parsed = parseSkill(`---\nname: x\ndescription: "${'word '.repeat(100)}"\n---\nbody`, 'x');
    assert.ok('description' in parsed && parsed.description.length <= 250 && parsed.description.endsWith('…'));
  });
});

describe('the Skill tool and the prompt', () => {
  it(
    'returns the body with its folder, substitutes $ARGUMENTS, refuses unknown names listing the skills',
    T,
    async () => {
      const ws = repo();
      writeFiles(ws, { '.claude/skills/args/SKILL.md': skill('args', 'Takes args.', 'Deploy to $ARGUMENTS now.') });
      const { skills } = await findSkills(ws);
      const tb = await createToolbox({ workspace: ws, tools: ['Skill'], extraTools: [skillTool(ws, skills)] });
      try {
        const pdf = await tb.run('Skill', { skill: 'pdf' });
        assert.equal(pdf.isError, false);
        assert.equal(
          pdf.content,
          'Base directory for this skill: .claude/skills/pdf (Read the files it mentions there).\n\nRun `scripts/extract.py`.',
        );
        const withArgs = await tb.run('Skill', { skill: '/notes', args: 'v2.1' });
        assert.match(withArgs.content, /# Notes\n\nKeep release notes short\.\n\nMore text\.\n\nARGUMENTS: v2\.1$/);
        assert.match((await tb.run('Skill', { skill: 'args', args: 'staging' })).content, /Deploy to staging now\./);
        const unknown = await tb.run('Skill', { skill: 'deploy' });
        assert.equal(unknown.isError, true);
        assert.equal(
          unknown.content,
          'Skill: no skill named "deploy". Available: api-review, args, migrations, notes, pdf.',
        );
        rmSync(join(ws, '.claude/skills/pdf/SKILL.md'));
        assert.match((await tb.run('Skill', { skill: 'pdf' })).content, /SKILL\.md cannot be read any more/);
        assert.match((await tb.run('Skill', {})).content, /'skill' is required/);
      } finally {
        await tb.close();
      }
    },
  );

  it('is offered only when the repository has skills and the tools line names Skill or is absent', T, async () => {
    const ws = repo();
    const warnings: string[] = [];
    const all = await sessionTools({ workspace: ws, onTodos: () => {}, warn: (m) => warnings.push(m) });
    assert.deepEqual(all.names, ['TodoWrite', 'Skill']);
    assert.equal(all.skills.length, 4);
    assert.equal(warnings.length, 5, 'each malformed skill is a warning, not a failure');
    const available = [...TOOL_NAMES, ...all.names];
    assert.ok(offeredTools({ tools: null }, available).offered.includes('Skill'), 'no tools line: every tool');
    assert.deepEqual(offeredTools({ tools: ['Read', 'Skill'] }, available).offered, ['Read', 'Skill']);
    const without = offeredTools({ tools: ['Read'] }, available);
    assert.deepEqual(without.offered, ['Read']);
    assert.equal(all.skills.length, 4, 'still listed for a Read: skills do not depend on the tool');
  });

  it('the prompt lists name, description and path, saying how to load them', T, async () => {
    const { skills } = await findSkills(repo());
    const viaTool = skillsSection(skills, 'Skill');
    assert.match(
      viaTool,
      /^# Skills\n\nSkills in this repository\. When a task matches one, load it with the Skill tool/,
    );
    assert.match(viaTool, /\n- pdf: Extract text and tables from PDF files\. \(\.claude\/skills\/pdf\/SKILL\.md\)/);
    assert.match(skillsSection(skills, 'Read'), /Read its SKILL\.md first/);
    assert.equal(skillsSection(skills, null), '');
    assert.equal(skillsSection([], 'Skill'), '');
    assert.equal(skillAccess(['Read', 'Skill']), 'Skill');
    assert.equal(skillAccess(['Bash']), 'Read');
    assert.equal(skillAccess(['Edit']), null);
  });
});

// A file at the root of skills/ or a README beside the skills is not a skill and is not worth a warning.
it('a plain file under skills/ is ignored', T, async () => {
  const ws = tempDir('skills-file-');
  mkdirSync(join(ws, '.claude/skills'), { recursive: true });
  writeFileSync(join(ws, '.claude/skills/README.md'), '# skills');
  assert.deepEqual(await findSkills(ws), { skills: [], warnings: [] });
});
