// The repository context the agent gets in its first message, so it need not explore to learn the stack, where the
// API and the schema live, and how tests run. Computed from the file list (git ls-files when it can) plus a few
// manifests; it reads no other file contents, so it stays fast on large repositories.
import { execFile } from 'node:child_process';
import { constants as fsConstants, existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export interface RepoContextOptions {
  /** Upper bound on the text's length; default 8000 (about 2k tokens). */
  maxChars?: number;
}

export interface RepoContext {
  /** Markdown, at most maxChars long. */
  text: string;
  /** Time spent computing it. */
  ms: number;
  /** Files considered (after .gitignore and the skipped directories). */
  files: number;
}

export const DEFAULT_CONTEXT_CHARS = 8000;
/** Directories that never say anything about the project's own code. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', 'vendor', 'dist', 'build', 'out', 'target', 'coverage', '.next', '.nuxt', '.svelte-kit',
  '.turbo', '.cache', '.parcel-cache', '__pycache__', '.venv', 'venv', '.tox', '.nox', '.mypy_cache', '.pytest_cache',
  '.ruff_cache', '.gradle', '.idea', 'bower_components', 'jspm_packages', '.terraform', '.serverless', '.yarn',
  '.pnpm-store', 'site-packages',
]);

const WALK_MAX_DEPTH = 12;
const WALK_MAX_FILES = 50_000;
const MANIFEST_MAX_BYTES = 64 * 1024;
const MANIFEST_MAX_DEPTH = 2;
const MANIFEST_MAX_COUNT = 12;
const DOC_MAX_CHARS = 1500;
const GIT_TIMEOUT_MS = 10_000;

/** Computes the repository context of `workspace`. Never throws for an unreadable repo: it reports what it found. */
export async function repoContext(workspace: string, opts: RepoContextOptions = {}): Promise<RepoContext> {
  const started = performance.now();
  const maxChars = Math.max(200, opts.maxChars ?? DEFAULT_CONTEXT_CHARS);
  const listing = await listFiles(workspace);
  const facts = analyse(listing.files);
  const manifests = await readManifests(workspace, facts.manifestPaths);
  const docs = await readDocs(workspace, facts.docPaths);
  const text = render(listing, facts, manifests, docs, maxChars);
  return { text, ms: Math.round(performance.now() - started), files: listing.files.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Listing

export interface FileListing {
  files: string[];
  source: 'git' | 'walk';
  /** The walk stopped at its caps. */
  truncated: boolean;
}

/** The workspace's files, relative POSIX paths, .gitignore honoured, skipped directories left out. */
export async function listFiles(workspace: string): Promise<FileListing> {
  if (existsSync(join(workspace, '.git'))) {
    const fromGit = await gitLsFiles(workspace);
    if (fromGit && fromGit.length > 0) {
      const split = dirCache();
      return { files: fromGit.filter((f) => !split(f).info.skipped), source: 'git', truncated: false };
    }
  }
  return walk(workspace);
}

const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: '/nonexistent', LC_ALL: 'C' };

/** Tracked files (what a fresh checkout holds); null when git cannot tell (not a repo, dubious ownership, no git). */
function gitLsFiles(cwd: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.quotepath=off', '-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', 'ls-files', '-z'],
      // No user or system config and none of the action's secrets: only what git needs to list the index.
      { cwd, env: GIT_ENV, maxBuffer: 256 * 1024 * 1024, timeout: GIT_TIMEOUT_MS, encoding: 'utf8', windowsHide: true },
      (err, stdout) => {
        if (err) return resolve(null);
        const files: string[] = [];
        // Entries are sorted; an unmerged path is listed once per stage, next to each other.
        for (const f of stdout.split('\0')) if (f && f !== files[files.length - 1]) files.push(f);
        resolve(files);
      },
    );
  });
}

interface IgnoreScope {
  /** Directory the .gitignore is in, '' or ending in '/'. */
  base: string;
  ig: Ignore;
}

/** Breadth-first walk with depth and file caps, honouring every .gitignore on the way. */
async function walk(workspace: string): Promise<FileListing> {
  const files: string[] = [];
  let truncated = false;
  let level: { dir: string; scopes: IgnoreScope[] }[] = [{ dir: '', scopes: [] }];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > WALK_MAX_DEPTH) {
      truncated = true;
      break;
    }
    const entries = await Promise.all(
      level.map(async ({ dir, scopes }) => {
        const list = await readdir(join(workspace, dir), { withFileTypes: true }).catch(() => []);
        let own = scopes;
        if (list.some((e) => e.name === '.gitignore' && e.isFile())) {
          const rules = await readHead(join(workspace, dir, '.gitignore'), MANIFEST_MAX_BYTES);
          if (rules) own = [...scopes, { base: dir, ig: ignore().add(rules) }];
        }
        return { dir, scopes: own, list };
      }),
    );
    const next: typeof level = [];
    for (const { dir, scopes, list } of entries) {
      for (const e of list) {
        const rel = dir + e.name;
        const isDir = e.isDirectory();
        if (isDir && SKIPPED_DIRS.has(e.name)) continue;
        if (!isDir && !e.isFile()) continue; // symlinks, sockets: not followed
        if (isIgnored(scopes, rel, isDir)) continue;
        if (isDir) next.push({ dir: `${rel}/`, scopes });
        else if (files.length < WALK_MAX_FILES) files.push(rel);
        else truncated = true;
      }
    }
    if (files.length >= WALK_MAX_FILES) {
      truncated = truncated || next.length > 0;
      break;
    }
    level = next;
  }
  return { files, source: 'walk', truncated };
}

function isIgnored(scopes: readonly IgnoreScope[], rel: string, isDir: boolean): boolean {
  for (const { base, ig } of scopes) {
    const sub = rel.slice(base.length);
    if (sub && ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}

async function readHead(path: string, maxBytes: number): Promise<string | null> {
  try {
    // Never through a symlink, nor from anything but a regular file: this runs in the action's process, outside the
    // sandbox, and a link planted by an earlier run (CLAUDE.md -> /proc/self/environ) must not reach the model.
    const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    try {
      if (!(await fh.stat()).isFile()) return null;
      const buf = Buffer.alloc(maxBytes);
      const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Analysis of the file list (no file contents)

const LANGUAGES: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', go: 'Go', rb: 'Ruby', java: 'Java', kt: 'Kotlin', kts: 'Kotlin', scala: 'Scala', rs: 'Rust',
  php: 'PHP', cs: 'C#', fs: 'F#', ex: 'Elixir', exs: 'Elixir', erl: 'Erlang', swift: 'Swift', dart: 'Dart',
  c: 'C', h: 'C', cc: 'C++', cpp: 'C++', hpp: 'C++', clj: 'Clojure', hs: 'Haskell', lua: 'Lua', sql: 'SQL',
  sh: 'Shell', prisma: 'Prisma', graphql: 'GraphQL', gql: 'GraphQL', proto: 'Protobuf', vue: 'Vue', svelte: 'Svelte',
};
const CODE_EXTS = new Set(Object.keys(LANGUAGES).filter((e) => !['sql', 'sh', 'prisma', 'graphql', 'gql', 'proto'].includes(e)));

const ROUTE_DIRS = new Set(['routes', 'route', 'routers', 'router', 'controllers', 'controller', 'handlers', 'handler', 'api', 'apis', 'endpoints', 'endpoint', 'views', 'resolvers', 'rest', 'http']);
const ROUTE_FILE = /^(routes?|routers?|urls|views|endpoints?|handlers?|controllers?|api)\.[a-z]+$|[._-](routes?|router|controller|handler|resolver|endpoints?)\.[a-z]+$/i;
const MODEL_DIRS = new Set(['models', 'model', 'entities', 'entity', 'schemas', 'schema', 'repositories', 'repository', 'store', 'db', 'database', 'dal']);
const MODEL_FILE = /^(models?|entities|schema|db|tables)\.[a-z]+$|[._-](model|entity|schema|repository|repo)\.[a-z]+$/i;
const MIGRATION_DIR = /^(migrations?|migrate|versions)$/i;
const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs', 'e2e', 'testdata', 'fixtures', '__fixtures__', '__mocks__', 'testing']);
const TEST_FILE = /(^test_.*\.py$|_test\.(py|go)$|\.(test|spec)\.[cm]?[jt]sx?$|_spec\.rb$|Tests?\.(java|kt|cs)$)/;
const OPENAPI_FILE = /(openapi|swagger)[^/]*\.(ya?ml|json)$|\.(graphql|gql|proto)$/i;
const MANIFEST_NAMES = new Set([
  'package.json', 'pyproject.toml', 'requirements.txt', 'requirements-dev.txt', 'Pipfile', 'setup.cfg', 'go.mod',
  'Gemfile', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'Cargo.toml', 'composer.json', 'mix.exs', 'Makefile',
  'pytest.ini', 'tox.ini',
]);
const DOC_NAMES = ['CLAUDE.md', 'AGENTS.md', '.claude/CLAUDE.md'];
const ENTRY_FILE = /^(main\.(go|py|rs|ts|js)|app\.(py|ts|js|mjs)|server\.(ts|js|mjs|py|go)|index\.(ts|js)|manage\.py|asgi\.py|wsgi\.py|Program\.cs|Application\.(java|kt))$/;

interface Facts {
  languages: [string, number][];
  topLevel: [string, number][];
  manifestPaths: string[];
  docPaths: string[];
  lockfiles: Set<string>;
  apiSpecs: string[];
  routes: Map<string, string[]>;
  entryPoints: string[];
  schemaFiles: string[];
  migrations: Map<string, Set<string>>;
  models: Map<string, string[]>;
  dbConfig: string[];
  docker: string[];
  ci: string[];
  testDirs: Map<string, number>;
  testFiles: number;
  /** Test files outside test directories (`*_test.go`, `*.spec.ts` next to the code). */
  testsBesideCode: number;
  hasConftest: boolean;
  hasGradlew: boolean;
}

/** What a directory says by its path alone; computed once per directory, not per file. */
interface DirInfo {
  /** '' or ending in '/'. */
  dir: string;
  depth: number;
  top: string;
  skipped: boolean;
  /** `tests/`-like ancestor, '' if none. */
  testDir: string;
  /** Migration directory ancestor ('' if none) and the path segment after it, if the file is deeper. */
  migrationDir: string;
  migrationEntry: string;
  route: boolean;
  model: boolean;
  workflows: boolean;
}

function dirInfo(dir: string): DirInfo {
  const segs = dir ? dir.slice(0, -1).split('/') : [];
  const t = segs.findIndex((d) => TEST_DIRS.has(d));
  const m = segs.findIndex((d, i) => MIGRATION_DIR.test(d) && (d.toLowerCase() !== 'versions' || segs[i - 1] === 'alembic'));
  return {
    dir,
    depth: segs.length,
    top: segs.length ? `${segs[0]}/` : '',
    skipped: segs.some((d) => SKIPPED_DIRS.has(d)),
    testDir: t >= 0 ? `${segs.slice(0, t + 1).join('/')}/` : '',
    migrationDir: m >= 0 ? `${segs.slice(0, m + 1).join('/')}/` : '',
    migrationEntry: m >= 0 ? (segs[m + 1] ?? '') : '',
    route: segs.some((d) => ROUTE_DIRS.has(d.toLowerCase())),
    model: segs.some((d) => MODEL_DIRS.has(d.toLowerCase())),
    workflows: dir === '.github/workflows/',
  };
}

/** Splits paths into a cached directory part and a name. */
function dirCache(): (path: string) => { info: DirInfo; name: string } {
  const cache = new Map<string, DirInfo>();
  return (path) => {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash + 1);
    let info = cache.get(dir);
    if (!info) cache.set(dir, (info = dirInfo(dir)));
    return { info, name: path.slice(slash + 1) };
  };
}

const LOCKFILE = /^(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|poetry\.lock|uv\.lock|Pipfile\.lock)$/;
const ROOT_CI = /^(\.gitlab-ci\.yml|Jenkinsfile|azure-pipelines\.yml|bitbucket-pipelines\.yml|\.travis\.yml)$/;
const DOCKER_FILE = /^(Dockerfile.*|.*\.Dockerfile|Containerfile|(docker-)?compose([.-][\w.-]+)?\.ya?ml)$/;
const DB_CONFIG = /^(alembic\.ini|knexfile\.[jt]s|ormconfig\.(json|[jt]s|ya?ml)|drizzle\.config\.[jt]s|sqlc\.ya?ml|database\.yml|flyway\.conf|liquibase\.properties|data-source\.[jt]s)$/;
const NOT_A_MIGRATION = /^(__init__\.py|README.*|\.gitkeep|migration_lock\.toml|env\.py|script\.py\.mako)$/;

function analyse(files: readonly string[]): Facts {
  const f: Facts = {
    languages: [], topLevel: [], manifestPaths: [], docPaths: [], lockfiles: new Set(), apiSpecs: [],
    routes: new Map(), entryPoints: [], schemaFiles: [], migrations: new Map(), models: new Map(), dbConfig: [],
    docker: [], ci: [], testDirs: new Map(), testFiles: 0, testsBesideCode: 0, hasConftest: false, hasGradlew: false,
  };
  const langs = new Map<string, number>();
  const top = new Map<string, number>();
  const split = dirCache();
  for (const path of files) {
    const { info, name } = split(path);
    const depth = info.depth;
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
    const lang = LANGUAGES[ext];
    if (lang) langs.set(lang, (langs.get(lang) ?? 0) + 1);
    if (info.top) top.set(info.top, (top.get(info.top) ?? 0) + 1);

    if (depth <= MANIFEST_MAX_DEPTH && MANIFEST_NAMES.has(name)) f.manifestPaths.push(path);
    if (depth === 0) {
      if (LOCKFILE.test(name)) f.lockfiles.add(name);
      if (name === 'gradlew') f.hasGradlew = true;
      if (ROOT_CI.test(name)) f.ci.push(path);
    }
    if (depth <= 1 && DOC_NAMES.includes(path)) f.docPaths.push(path);
    if (name === 'conftest.py' && depth <= 2) f.hasConftest = true;
    if ((info.workflows && /\.ya?ml$/.test(name)) || path === '.circleci/config.yml') f.ci.push(path);
    if (!info.testDir && DOCKER_FILE.test(name)) f.docker.push(path);

    if (info.testDir || TEST_FILE.test(name)) {
      f.testFiles++;
      if (info.testDir) f.testDirs.set(info.testDir, (f.testDirs.get(info.testDir) ?? 0) + 1);
      else f.testsBesideCode++;
      continue; // tests say nothing about where the API or the schema lives
    }

    if (OPENAPI_FILE.test(name)) f.apiSpecs.push(path);

    // Migrations: any directory named like one, grouped by it; a migration is a file or a directory (Prisma).
    if (info.migrationDir) {
      const entry = info.migrationEntry || name;
      if (!NOT_A_MIGRATION.test(entry)) {
        let set = f.migrations.get(info.migrationDir);
        if (!set) f.migrations.set(info.migrationDir, (set = new Set()));
        set.add(entry.replace(/\.(up|down)\.sql$/, '.sql'));
      }
      continue;
    }
    if (ext === 'prisma' || ext === 'sql' || name === 'schema.rb') {
      f.schemaFiles.push(path);
      continue;
    }
    if (DB_CONFIG.test(name)) {
      f.dbConfig.push(path);
      continue;
    }
    if (!CODE_EXTS.has(ext) || name.startsWith('__init__.')) continue;
    if (depth <= 2 && ENTRY_FILE.test(name) && (depth <= 1 || !name.startsWith('index.'))) f.entryPoints.push(path);
    if (info.route || ROUTE_FILE.test(name)) push(f.routes, info.dir, name);
    else if (info.model || MODEL_FILE.test(name)) push(f.models, info.dir, name);
  }
  f.languages = [...langs].sort((a, b) => b[1] - a[1]);
  f.topLevel = [...top].sort((a, b) => b[1] - a[1]);
  f.manifestPaths.sort(byDepthThenName);
  f.manifestPaths.splice(MANIFEST_MAX_COUNT);
  f.entryPoints.sort(byDepthThenName);
  f.docPaths.sort((a, b) => DOC_NAMES.indexOf(a) - DOC_NAMES.indexOf(b));
  return f;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function depth(path: string): number {
  let n = 0;
  for (const c of path) if (c === '/') n++;
  return n;
}

function byDepthThenName(a: string, b: string): number {
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Manifests: frameworks and test commands

interface Stack {
  /** Manifest path → what it declares. */
  frameworks: { manifest: string; names: string[] }[];
  /** Commands, most specific first, each with what it runs when known. */
  tests: { cmd: string; runs?: string }[];
}

const NPM_PACKAGES: [string, string][] = [
  ['express', 'Express'], ['fastify', 'Fastify'], ['@nestjs/core', 'NestJS'], ['koa', 'Koa'], ['next', 'Next.js'],
  ['hono', 'Hono'], ['@hapi/hapi', 'hapi'], ['@trpc/server', 'tRPC'], ['apollo-server', 'Apollo Server'],
  ['@apollo/server', 'Apollo Server'], ['graphql', 'GraphQL'], ['prisma', 'Prisma'], ['@prisma/client', 'Prisma'],
  ['typeorm', 'TypeORM'], ['sequelize', 'Sequelize'], ['knex', 'Knex'], ['drizzle-orm', 'Drizzle'],
  ['mongoose', 'Mongoose'], ['@mikro-orm/core', 'MikroORM'], ['pg', 'node-postgres'], ['mysql2', 'mysql2'],
  ['redis', 'Redis'], ['ioredis', 'Redis'], ['bullmq', 'BullMQ'], ['zod', 'zod'], ['joi', 'Joi'],
  ['jest', 'Jest'], ['vitest', 'Vitest'], ['mocha', 'Mocha'], ['ava', 'AVA'], ['supertest', 'supertest'],
  ['@playwright/test', 'Playwright'], ['typescript', 'TypeScript'],
];
const PY_PACKAGES: [string, string][] = [
  ['fastapi', 'FastAPI'], ['django', 'Django'], ['djangorestframework', 'Django REST framework'], ['flask', 'Flask'],
  ['starlette', 'Starlette'], ['aiohttp', 'aiohttp'], ['litestar', 'Litestar'], ['sqlalchemy', 'SQLAlchemy'],
  ['sqlmodel', 'SQLModel'], ['alembic', 'Alembic'], ['tortoise-orm', 'Tortoise ORM'], ['peewee', 'peewee'],
  ['pydantic', 'Pydantic'], ['celery', 'Celery'], ['psycopg', 'psycopg'], ['psycopg2', 'psycopg2'],
  ['psycopg2-binary', 'psycopg2'], ['asyncpg', 'asyncpg'], ['pymongo', 'PyMongo'], ['redis', 'Redis'],
  ['pytest', 'pytest'], ['uvicorn', 'Uvicorn'], ['gunicorn', 'Gunicorn'],
];
const GO_MODULES: [string, string][] = [
  ['github.com/gin-gonic/gin', 'Gin'], ['github.com/labstack/echo', 'Echo'], ['github.com/go-chi/chi', 'chi'],
  ['github.com/gofiber/fiber', 'Fiber'], ['github.com/gorilla/mux', 'gorilla/mux'], ['gorm.io/gorm', 'GORM'],
  ['github.com/jmoiron/sqlx', 'sqlx'], ['github.com/jackc/pgx', 'pgx'], ['github.com/lib/pq', 'lib/pq'],
  ['entgo.io/ent', 'ent'], ['github.com/golang-migrate/migrate', 'golang-migrate'], ['github.com/pressly/goose', 'goose'],
  ['google.golang.org/grpc', 'gRPC'], ['github.com/redis/go-redis', 'Redis'], ['github.com/stretchr/testify', 'testify'],
];
const CARGO_CRATES: [string, string][] = [
  ['axum', 'axum'], ['actix-web', 'Actix Web'], ['rocket', 'Rocket'], ['warp', 'warp'], ['diesel', 'Diesel'],
  ['sqlx', 'SQLx'], ['sea-orm', 'SeaORM'], ['tokio', 'Tokio'], ['tonic', 'tonic'],
];
const RUBY_GEMS: [string, string][] = [
  ['rails', 'Rails'], ['sinatra', 'Sinatra'], ['grape', 'Grape'], ['activerecord', 'ActiveRecord'],
  ['sequel', 'Sequel'], ['pg', 'pg'], ['sidekiq', 'Sidekiq'], ['rspec-rails', 'RSpec'], ['rspec', 'RSpec'],
  ['minitest', 'Minitest'],
];
const JVM_MARKERS: [RegExp, string][] = [
  [/spring-boot/, 'Spring Boot'], [/spring-webflux/, 'Spring WebFlux'], [/spring-data-jpa|spring-boot-starter-data-jpa/, 'Spring Data JPA'],
  [/hibernate/, 'Hibernate'], [/flyway/, 'Flyway'], [/liquibase/, 'Liquibase'], [/io\.ktor/, 'Ktor'],
  [/quarkus/, 'Quarkus'], [/micronaut/, 'Micronaut'], [/junit/, 'JUnit'], [/testcontainers/, 'Testcontainers'],
];
const PHP_PACKAGES: [string, string][] = [
  ['laravel/framework', 'Laravel'], ['symfony/framework-bundle', 'Symfony'], ['doctrine/orm', 'Doctrine'],
  ['phpunit/phpunit', 'PHPUnit'], ['pestphp/pest', 'Pest'],
];
const NPM_DEFAULT_TEST = /no test specified/;

async function readManifests(workspace: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const read = await Promise.all(paths.map((p) => readHead(join(workspace, p), MANIFEST_MAX_BYTES)));
  paths.forEach((p, i) => {
    const text = read[i];
    if (text != null) out.set(p, text);
  });
  return out;
}

function stackOf(manifests: ReadonlyMap<string, string>, facts: Facts): Stack {
  const frameworks: Stack['frameworks'] = [];
  const tests: Stack['tests'] = [];
  const addTest = (cmd: string, runs?: string, first = false) => {
    if (tests.some((t) => t.cmd === cmd)) return;
    const t = runs ? { cmd, runs } : { cmd };
    if (first) tests.unshift(t);
    else tests.push(t);
  };
  let pytestSeen = false;
  for (const [path, text] of manifests) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const dir = path.slice(0, path.length - name.length);
    const prefix = dir ? `cd ${dir.slice(0, -1)} && ` : '';
    const names: string[] = [];
    const found = (label: string) => {
      if (!names.includes(label)) names.push(label);
    };
    switch (name) {
      case 'package.json': {
        const pkg = parseJson(text);
        const deps = { ...obj(pkg?.['peerDependencies']), ...obj(pkg?.['devDependencies']), ...obj(pkg?.['dependencies']) };
        for (const [id, label] of NPM_PACKAGES) if (id in deps) found(label);
        const test = obj(pkg?.['scripts'])['test'];
        if (typeof test === 'string' && test.trim() && !NPM_DEFAULT_TEST.test(test)) {
          const pm = dir ? 'npm' : facts.lockfiles.has('pnpm-lock.yaml') ? 'pnpm' : facts.lockfiles.has('yarn.lock') ? 'yarn' : facts.lockfiles.has('bun.lockb') || facts.lockfiles.has('bun.lock') ? 'bun run' : 'npm';
          addTest(`${prefix}${pm} test`, test);
        }
        break;
      }
      case 'pyproject.toml':
      case 'requirements.txt':
      case 'requirements-dev.txt':
      case 'Pipfile':
      case 'setup.cfg':
      case 'tox.ini':
      case 'pytest.ini': {
        for (const [id, label] of PY_PACKAGES) if (pyDeclares(text, id)) found(label);
        if (name === 'pytest.ini' || /^\[(tool\.pytest[.\w]*|tool:pytest|pytest)\]/m.test(text) || pyDeclares(text, 'pytest')) pytestSeen = true;
        break;
      }
      case 'go.mod': {
        for (const [id, label] of GO_MODULES) if (text.includes(id)) found(label);
        addTest(`${prefix}go test ./...`);
        break;
      }
      case 'Cargo.toml': {
        for (const [id, label] of CARGO_CRATES) if (new RegExp(`^\\s*${escapeRegExp(id)}\\s*=`, 'm').test(text)) found(label);
        addTest(`${prefix}cargo test`);
        break;
      }
      case 'Gemfile': {
        for (const [id, label] of RUBY_GEMS) if (new RegExp(`^\\s*gem\\s+["']${escapeRegExp(id)}["']`, 'm').test(text)) found(label);
        if (names.includes('RSpec')) addTest(`${prefix}bundle exec rspec`);
        else if (names.includes('Rails')) addTest(`${prefix}bin/rails test`);
        break;
      }
      case 'pom.xml':
      case 'build.gradle':
      case 'build.gradle.kts': {
        for (const [re, label] of JVM_MARKERS) if (re.test(text)) found(label);
        addTest(name === 'pom.xml' ? `${prefix}mvn test` : `${prefix}${facts.hasGradlew ? './gradlew' : 'gradle'} test`);
        break;
      }
      case 'composer.json': {
        const pkg = parseJson(text);
        const deps = { ...obj(pkg?.['require-dev']), ...obj(pkg?.['require']) };
        for (const [id, label] of PHP_PACKAGES) if (id in deps) found(label);
        const test = obj(obj(pkg?.['scripts']))['test'];
        if (test) addTest(`${prefix}composer test`);
        break;
      }
      case 'mix.exs': {
        if (/:phoenix\b/.test(text)) found('Phoenix');
        if (/:ecto\b|:ecto_sql\b/.test(text)) found('Ecto');
        addTest(`${prefix}mix test`);
        break;
      }
      case 'Makefile': {
        if (/^test\s*:/m.test(text)) addTest(`${prefix}make test`, undefined, true); // the project's own entry point first
        break;
      }
    }
    if (names.length) frameworks.push({ manifest: path, names });
  }
  if (pytestSeen || facts.hasConftest) addTest('pytest');
  return { frameworks, tests };
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A Python requirement names `id` (PEP 503: case, `-`, `_` and `.` are equivalent) as a whole package name. */
function pyDeclares(text: string, id: string): boolean {
  const name = escapeRegExp(id).replace(/\\-|_|\\\./g, '[-_.]');
  return new RegExp(`(^|["'\\s,\\[])${name}(?=$|[\\s"'<>=~!\\[;,@)])`, 'im').test(text);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

async function readDocs(workspace: string, paths: readonly string[]): Promise<{ path: string; text: string }[]> {
  const docs = await Promise.all(
    paths.map(async (path) => ({ path, text: (await readHead(join(workspace, path), DOC_MAX_CHARS * 4)) ?? '' })),
  );
  return docs.filter((d) => d.text.trim());
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const MAX_LIST = 8;

function render(
  listing: FileListing,
  facts: Facts,
  manifests: ReadonlyMap<string, string>,
  docs: readonly { path: string; text: string }[],
  maxChars: number,
): string {
  const stack = stackOf(manifests, facts);
  const lines: string[] = [];
  const source = listing.source === 'git' ? 'git ls-files' : listing.truncated ? 'a directory walk, stopped at its limits' : 'a directory walk';
  // No heading of its own: the prompt puts it under one. Doc sections below are level 3.
  lines.push(`From ${listing.files.length} files (${source}); paths are relative to the workspace root.`);
  lines.push('');
  if (listing.files.length === 0) {
    lines.push('- The workspace has no files yet.');
    return bound(lines.join('\n'), maxChars);
  }
  if (facts.languages.length) lines.push(`- Languages: ${capList(facts.languages.map(([l, n]) => `${l} (${n})`), 6)}`);
  if (stack.frameworks.length) {
    const parts = stack.frameworks.map((f) => `${f.names.join(', ')} (${f.manifest})`);
    lines.push(`- Frameworks and libraries: ${capList(parts, 8, '; ')}`);
  }
  if (facts.topLevel.length) lines.push(`- Top-level directories: ${capList(facts.topLevel.map(([d, n]) => `${d} (${n})`), 12)}`);
  if (facts.entryPoints.length) lines.push(`- Entry points: ${capList(facts.entryPoints.map(code), 6)}`);
  if (facts.apiSpecs.length) lines.push(`- API specs: ${capList(facts.apiSpecs.map(code), MAX_LIST)}`);
  if (facts.routes.size) lines.push(`- Routes / handlers: ${groups(facts.routes)}`);
  const db: string[] = [];
  if (facts.schemaFiles.length) db.push(`schema ${capList(facts.schemaFiles.map(code), MAX_LIST)}`);
  if (facts.migrations.size) {
    const parts = [...facts.migrations].map(([dir, set]) => {
      const names = [...set].sort();
      const span = names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`;
      return `${code(dir)} (${names.length}: ${oneLine(span ?? '', 120)})`;
    });
    db.push(`migrations ${capList(parts, 4)}`);
  }
  if (facts.dbConfig.length) db.push(`config ${capList(facts.dbConfig.map(code), 4)}`);
  if (db.length) lines.push(`- Database: ${db.join('; ')}`);
  if (facts.models.size) lines.push(`- Models / data access: ${groups(facts.models)}`);
  if (stack.tests.length) {
    const cmds = stack.tests.map((t) => (t.runs ? `${code(t.cmd)} (runs ${code(t.runs)})` : code(t.cmd)));
    lines.push(`- Test command: ${capList(cmds, 4, '; ')}`);
  }
  if (facts.testFiles) {
    const where = [...facts.testDirs].sort((a, b) => b[1] - a[1]).map(([d, n]) => `${code(d)} (${n})`);
    if (facts.testsBesideCode) where.push(`${facts.testsBesideCode} beside the code`);
    lines.push(`- Tests: ${plural(facts.testFiles, 'file')}: ${capList(where, 5)}`);
  }
  if (facts.docker.length) lines.push(`- Docker: ${capList(facts.docker.map(code), 6)}`);
  if (facts.ci.length) lines.push(`- CI: ${capList(facts.ci.map(code), 6)}`);
  if (listing.truncated) lines.push(`- Note: the listing stopped at ${WALK_MAX_FILES} files or depth ${WALK_MAX_DEPTH}; there is more.`);
  const summary = lines.join('\n');

  // Project instructions get what the summary leaves, each at most DOC_MAX_CHARS.
  let text = summary;
  for (const doc of docs) {
    const room = maxChars - text.length - doc.path.length - 40;
    if (room < 200) break;
    const limit = Math.min(DOC_MAX_CHARS, room);
    const body = doc.text.replace(/\r\n?/g, '\n').trim();
    const shown = body.length > limit ? `${cut(body, limit)}\n[… ${doc.path} continues; read it for the rest]` : body;
    text += `\n\n### ${doc.path}\n${shown}`;
  }
  return bound(text, maxChars);
}

function groups(map: ReadonlyMap<string, readonly string[]>): string {
  const entries = [...map].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const parts = entries.map(([dir, names]) => {
    const sorted = [...names].sort();
    if (!dir) return capList(sorted.map(code), 5);
    return `${code(dir)} (${capList(sorted.map(plain), 5)})`;
  });
  return capList(parts, MAX_LIST, '; ');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function capList(items: readonly string[], max: number, sep = ', '): string {
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)}${sep}… and ${items.length - max} more`;
}

/** A path or command as inline code; control characters and backticks made harmless. */
function code(s: string): string {
  return `\`${oneLine(s, 160).replace(/`/g, "'")}\``;
}

/** A file name as plain text: one line, no backticks. */
function plain(s: string): string {
  return oneLine(s, 120).replace(/`/g, "'");
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return flat.length > max ? `${cut(flat, max - 1)}…` : flat;
}

/** Cuts at `max` characters without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  let end = Math.max(0, max);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}

function bound(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = '\n[… repository context truncated]';
  return cut(text, maxChars - note.length) + note;
}
