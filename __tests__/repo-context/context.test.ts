import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoContext, listFiles, DEFAULT_CONTEXT_CHARS } from '../../src/repo-context/index.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'repos');
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'repo-context-'));
  temps.push(d);
  return d;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'ignore' });
}

/** A copy of a fixture repo, as a git repository (files added, not committed) or as plain files. */
function fixture(name: string, withGit: boolean): string {
  const dir = tempDir();
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  if (withGit) {
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
  }
  return dir;
}

function write(root: string, rel: string, content = ''): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

interface Expectation {
  files: number;
  mentions: string[];
  /** The instruction file found and a phrase of it (quoted in the system prompt, not in this context). */
  instructions?: [string, string];
}

const EXPECTED: Record<string, Expectation> = {
  'express-prisma': {
    files: 19,
    mentions: [
      'Express',
      'Prisma',
      'Jest',
      '`src/routes/` (orders.js, users.js)',
      '`src/controllers/` (userController.js)',
      '`docs/openapi.yaml`',
      '`prisma/schema.prisma`',
      '`prisma/migrations/` (2: 20240105120000_init … 20240220093000_add_orders)',
      '`npm test` (runs `jest --runInBand`)',
      '`Dockerfile`',
      '`docker-compose.yml`',
      '`.github/workflows/ci.yml`',
    ],
    instructions: ['CLAUDE.md', 'Money is stored as integer cents.'],
  },
  'fastapi-alembic': {
    files: 25,
    mentions: [
      'FastAPI',
      'SQLAlchemy',
      'Alembic',
      'pytest',
      '`app/api/v1/endpoints/` (items.py, users.py)',
      '`app/api/v1/` (router.py)',
      '`alembic/versions/` (2: 0001_create_users.py … 0002_create_items.py)',
      '`alembic.ini`',
      '`app/models/` (item.py, user.py)',
      'Test command: `pytest`',
      '`app/main.py`',
    ],
    instructions: ['AGENTS.md', 'Every schema change needs an Alembic revision'],
  },
  'go-sql': {
    files: 16,
    mentions: [
      'chi',
      'sqlx',
      'golang-migrate',
      'Go (6)',
      '`internal/handlers/` (health.go, orders.go)',
      '`api/openapi.yaml`',
      '`migrations/` (2: 000001_create_orders.sql … 000002_add_order_status.sql)',
      '`internal/models/` (order.go)',
      '`cmd/server/main.go`',
      '`make test`; `go test ./...`',
      '`.github/workflows/test.yml`',
    ],
  },
};

describe('repoContext on the fixture repositories', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    for (const withGit of [true, false]) {
      test(`${name} (${withGit ? 'git ls-files' : 'directory walk'})`, async (t) => {
        const dir = fixture(name, withGit);
        const ctx = await repoContext(dir);
        t.diagnostic(`${name}: ${ctx.files} files, ${ctx.ms} ms, ${ctx.text.length} chars`);
        assert.equal(ctx.files, want.files);
        assert.ok(ctx.text.includes(withGit ? '(git ls-files)' : '(a directory walk)'), ctx.text);
        for (const m of want.mentions) assert.ok(ctx.text.includes(m), `missing ${JSON.stringify(m)} in:\n${ctx.text}`);
        const [path, phrase] = want.instructions ?? [];
        assert.deepEqual(
          ctx.instructions.files.map((f) => f.path),
          path ? [path] : [],
        );
        if (phrase) assert.ok(ctx.instructions.files[0]!.text.includes(phrase));
        if (phrase) assert.ok(!ctx.text.includes(phrase), 'the instructions are not repeated in the context');
        assert.ok(ctx.text.length <= DEFAULT_CONTEXT_CHARS);
        assert.ok(ctx.ms >= 0 && ctx.ms < 5000);
      });
    }
  }

  test('tests, fixtures and helper files are not mistaken for routes or migrations', async () => {
    const ctx = await repoContext(fixture('express-prisma', true));
    assert.ok(!/Routes[^\n]*users\.test\.js/.test(ctx.text), ctx.text);
    assert.ok(!ctx.text.includes('migration_lock.toml'), ctx.text);
    assert.match(ctx.text, /Tests: 1 file: `tests\/` \(1\)/);
    const py = await repoContext(fixture('fastapi-alembic', false));
    assert.ok(!py.text.includes('env.py'), 'alembic/env.py is not a migration');
    assert.ok(!py.text.includes('__init__.py'), py.text);
  });
});

describe('listing', () => {
  test('a git repository: ignored files are not listed; tracked files in vendor/dist are skipped', async () => {
    const dir = fixture('express-prisma', false);
    write(dir, 'node_modules/express/index.js', 'module.exports = {}');
    write(dir, 'coverage/lcov.info');
    write(dir, '.env', 'SECRET=1');
    write(dir, 'dist/bundle.js');
    write(dir, 'vendor/lib/routes.js');
    write(dir, 'untracked-notes.md');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'add', '-f', 'dist/bundle.js', 'vendor/lib/routes.js');
    git(dir, 'rm', '-q', '--cached', 'untracked-notes.md');
    const { files, source } = await listFiles(dir);
    assert.equal(source, 'git');
    assert.equal(files.length, 19);
    for (const f of files) assert.ok(!/^(node_modules|coverage|dist|vendor)\/|^\.env$|untracked/.test(f), f);
    assert.ok(files.includes('src/routes/users.js'));
    assert.ok(files.includes('.github/workflows/ci.yml'));
  });

  test('no git: the walk honours .gitignore files, nested ones too, and skips vendored directories', async () => {
    const dir = fixture('fastapi-alembic', false);
    write(dir, 'app/__pycache__/main.cpython-312.pyc');
    write(dir, '.venv/lib/python3.12/site-packages/fastapi/routing.py');
    write(dir, 'node_modules/x/index.js');
    write(dir, 'app/generated/.gitignore', '*.py\n!keep.py\n');
    write(dir, 'app/generated/client.py');
    write(dir, 'app/generated/keep.py');
    write(dir, 'local.pyc');
    const { files, source, truncated } = await listFiles(dir);
    assert.equal(source, 'walk');
    assert.equal(truncated, false);
    assert.ok(!files.some((f) => /__pycache__|\.venv|node_modules|client\.py|\.pyc$/.test(f)), files.join('\n'));
    assert.ok(files.includes('app/generated/keep.py'));
    assert.ok(files.includes('app/generated/.gitignore'));
    assert.ok(files.includes('alembic/versions/0001_create_users.py'));
  });

  test('the walk stops at its depth limit and says so', async () => {
    const dir = tempDir();
    write(dir, 'README.md', '# x');
    write(dir, `${Array.from({ length: 15 }, (_, i) => `d${i}`).join('/')}/deep.py`);
    const { files, truncated } = await listFiles(dir);
    assert.deepEqual(files, ['README.md']);
    assert.equal(truncated, true);
    const ctx = await repoContext(dir);
    assert.match(ctx.text, /listing stopped/);
  });

  test('an empty workspace, and an empty git repository, say there are no files', async () => {
    const empty = tempDir();
    assert.match((await repoContext(empty)).text, /no files yet/);
    const repo = tempDir();
    git(repo, 'init', '-q');
    const ctx = await repoContext(repo);
    assert.equal(ctx.files, 0);
    assert.match(ctx.text, /no files yet/);
  });
});

describe('manifests', () => {
  test('frameworks from each ecosystem, with the manifest named', async () => {
    const dir = tempDir();
    write(
      dir,
      'requirements.txt',
      'Django==5.0.4\ndjangorestframework>=3.15\nflask-sqlalchemy==3.1\npsycopg2-binary\n',
    );
    write(
      dir,
      'Gemfile',
      "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem \"pg\"\ngroup :test do\n  gem 'rspec-rails'\nend\n",
    );
    write(
      dir,
      'Cargo.toml',
      '[package]\nname = "svc"\n\n[dependencies]\naxum = "0.7"\nsqlx = { version = "0.7", features = ["postgres"] }\n',
    );
    write(
      dir,
      'pom.xml',
      '<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent><dependency><artifactId>flyway-core</artifactId></dependency></project>',
    );
    write(
      dir,
      'services/api/package.json',
      JSON.stringify({
        dependencies: { fastify: '^4', typeorm: '^0.3' },
        devDependencies: { vitest: '^1' },
        scripts: { test: 'vitest run' },
      }),
    );
    write(
      dir,
      'services/worker/package.json',
      JSON.stringify({
        dependencies: { '@nestjs/core': '^10', knex: '^3', sequelize: '^6', koa: '^2' },
        devDependencies: { mocha: '^10' },
      }),
    );
    write(dir, 'db/schema.rb', 'ActiveRecord::Schema.define');
    write(dir, 'db/migrate/20240101000000_create_users.rb');
    write(dir, 'app/controllers/users_controller.rb');
    write(dir, 'app/models/user.rb');
    const { text } = await repoContext(dir);
    for (const m of [
      'Django',
      'Django REST framework',
      'psycopg2',
      'Rails',
      'RSpec',
      'axum',
      'SQLx',
      'Spring Boot',
      'Flyway',
      'Fastify, TypeORM, Vitest (services/api/package.json)',
      'NestJS, Koa, Sequelize, Knex, Mocha (services/worker/package.json)',
      '`cd services/api && npm test` (runs `vitest run`)',
      '`bundle exec rspec`',
      '`cargo test`',
      '`mvn test`',
      '`db/schema.rb`',
      '`db/migrate/` (1: 20240101000000_create_users.rb)',
      '`app/controllers/` (users_controller.rb)',
      '`app/models/` (user.rb)',
    ]) {
      assert.ok(text.includes(m), `missing ${JSON.stringify(m)} in:\n${text}`);
    }
    assert.ok(!/\bFlask\b/.test(text), 'flask-sqlalchemy is not Flask');
    assert.ok(!text.includes('SQLAlchemy'), 'flask-sqlalchemy is not SQLAlchemy');
  });

  test('the npm placeholder test script is not a test command; the lock file picks the package manager', async () => {
    const dir = tempDir();
    write(
      dir,
      'package.json',
      JSON.stringify({
        dependencies: { express: '4' },
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
      }),
    );
    assert.ok(!(await repoContext(dir)).text.includes('Test command'));
    write(dir, 'package.json', JSON.stringify({ dependencies: { express: '4' }, scripts: { test: 'vitest' } }));
    write(dir, 'pnpm-lock.yaml', 'lockfileVersion: 9');
    assert.match((await repoContext(dir)).text, /Test command: `pnpm test` \(runs `vitest`\)/);
  });

  test('a broken manifest is skipped, not fatal', async () => {
    const dir = tempDir();
    write(dir, 'package.json', '{ "dependencies": { "express": ');
    write(dir, 'src/routes/a.js');
    const { text } = await repoContext(dir);
    assert.ok(!text.includes('Frameworks'));
    assert.ok(text.includes('`src/routes/` (a.js)'));
  });
});

describe('bounds', () => {
  test('long lists end with "… and N more"', async () => {
    const dir = tempDir();
    for (let i = 0; i < 30; i++) write(dir, `api/v${i}/routes.py`);
    for (let i = 0; i < 12; i++) write(dir, `migrations/${String(i).padStart(4, '0')}_m.sql`);
    const { text } = await repoContext(dir);
    assert.match(text, /Routes \/ handlers: .*… and 22 more/);
    assert.match(text, /`migrations\/` \(12: 0000_m\.sql … 0011_m\.sql\)/);
  });

  test('maxChars bounds the whole text', async () => {
    const dir = fixture('express-prisma', false);
    for (let i = 0; i < 50; i++) write(dir, `src/handlers/h${i}/a-rather-long-handler-file-name-${i}.ts`);
    for (const max of [300, 700, 2000]) {
      const { text } = await repoContext(dir, { maxChars: max });
      assert.ok(text.length <= max, `${text.length} > ${max}`);
    }
    assert.match((await repoContext(dir, { maxChars: 300 })).text, /repository context truncated\]$/);
  });

  test('odd file names cannot break out of inline code', async () => {
    const dir = tempDir();
    write(dir, 'src/routes/we`ird.js');
    write(dir, 'src/routes/new\nline.js');
    const { text } = await repoContext(dir);
    const line = text.split('\n').find((l) => l.startsWith('- Routes')) ?? '';
    assert.ok(line.includes("we'ird.js"), text);
    assert.ok(line.includes('new line.js'), text);
  });
});

test('a 50k-file git repository: the fixture is still found among them (timing is measured in the bench)', async (t) => {
  const dir = fixture('express-prisma', true);
  // 50k index entries for the empty blob: what git ls-files reads, without creating 50k files (slow on a busy disk).
  const started = performance.now();
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: '' }).toString().trim();
  const lines: string[] = [];
  for (let a = 0; a < 50; a++) {
    for (let b = 0; b < 20; b++) {
      for (let c = 0; c < 50; c++) lines.push(`100644 ${blob}\tpackages/pkg${a}/src/mod${b}/file${c}.ts`);
    }
  }
  for (let i = 0; i < 200; i++) lines.push(`100644 ${blob}\tnode_modules/dep${i}/index.js`); // tracked by mistake: skipped
  execFileSync('git', ['update-index', '--add', '--index-info'], { cwd: dir, input: `${lines.join('\n')}\n` });
  t.diagnostic(`indexed 50,219 entries in ${Math.round(performance.now() - started)} ms`);
  const runs: number[] = [];
  let ctx = await repoContext(dir);
  runs.push(ctx.ms);
  for (let i = 0; i < 2; i++) {
    ctx = await repoContext(dir);
    runs.push(ctx.ms);
  }
  t.diagnostic(`repoContext on 50k files: ${runs.join(' / ')} ms (first / warm)`);
  assert.equal(ctx.files, 50_000 + 19);
  for (const m of [
    'Express',
    'Prisma',
    '`src/routes/` (orders.js, users.js)',
    '`prisma/schema.prisma`',
    'TypeScript (50000)',
    'packages/ (50000)',
  ]) {
    assert.ok(ctx.text.includes(m), `missing ${m} in:\n${ctx.text}`);
  }
  assert.ok(!ctx.text.includes('node_modules'));
});

describe('links', () => {
  test('CLAUDE.md or a manifest that is a symlink out of the workspace is never read (the action runs unsandboxed)', async () => {
    const { symlinkSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'bda-ctx-link-'));
    const outside = mkdtempSync(join(tmpdir(), 'bda-ctx-outside-'));
    try {
      writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET-VALUE-123\n');
      symlinkSync(join(outside, 'secret.txt'), join(dir, 'CLAUDE.md'));
      symlinkSync('/proc/self/environ', join(dir, 'AGENTS.md'));
      symlinkSync(join(outside, 'secret.txt'), join(dir, 'package.json'));
      writeFileSync(join(dir, 'README.md'), '# x\n');
      // Tracked, as a link committed by an earlier run would be.
      execFileSync('git', ['init', '-q'], { cwd: dir });
      execFileSync('git', ['add', '-A'], { cwd: dir });
      const ctx = await repoContext(dir);
      const all = JSON.stringify(ctx);
      assert.ok(!all.includes('TOP-SECRET-VALUE-123'), all);
      assert.ok(!/PATH=|HOME=/.test(all), 'no environment from /proc');
      assert.deepEqual(ctx.instructions.files, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
