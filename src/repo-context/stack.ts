// The manifests (package.json, pyproject.toml, go.mod, …): the frameworks and libraries they declare, and the
// commands that run the tests.
import { join } from 'node:path';
import type { Facts } from './facts.ts';
import { readHead } from './read.ts';

/** A manifest is read up to this size. */
const MANIFEST_MAX_BYTES = 64 * 1024;

export interface Stack {
  /** Manifest path → what it declares. */
  frameworks: { manifest: string; names: string[] }[];
  /** Commands, most specific first, each with what it runs when known. */
  tests: { cmd: string; runs?: string }[];
}

const NPM_PACKAGES: [string, string][] = [
  ['express', 'Express'],
  ['fastify', 'Fastify'],
  ['@nestjs/core', 'NestJS'],
  ['koa', 'Koa'],
  ['next', 'Next.js'],
  ['hono', 'Hono'],
  ['@hapi/hapi', 'hapi'],
  ['@trpc/server', 'tRPC'],
  ['apollo-server', 'Apollo Server'],
  ['@apollo/server', 'Apollo Server'],
  ['graphql', 'GraphQL'],
  ['prisma', 'Prisma'],
  ['@prisma/client', 'Prisma'],
  ['typeorm', 'TypeORM'],
  ['sequelize', 'Sequelize'],
  ['knex', 'Knex'],
  ['drizzle-orm', 'Drizzle'],
  ['mongoose', 'Mongoose'],
  ['@mikro-orm/core', 'MikroORM'],
  ['pg', 'node-postgres'],
  ['mysql2', 'mysql2'],
  ['redis', 'Redis'],
  ['ioredis', 'Redis'],
  ['bullmq', 'BullMQ'],
  ['zod', 'zod'],
  ['joi', 'Joi'],
  ['jest', 'Jest'],
  ['vitest', 'Vitest'],
  ['mocha', 'Mocha'],
  ['ava', 'AVA'],
  ['supertest', 'supertest'],
  ['@playwright/test', 'Playwright'],
  ['typescript', 'TypeScript'],
];
const PY_PACKAGES: [string, string][] = [
  ['fastapi', 'FastAPI'],
  ['django', 'Django'],
  ['djangorestframework', 'Django REST framework'],
  ['flask', 'Flask'],
  ['starlette', 'Starlette'],
  ['aiohttp', 'aiohttp'],
  ['litestar', 'Litestar'],
  ['sqlalchemy', 'SQLAlchemy'],
  ['sqlmodel', 'SQLModel'],
  ['alembic', 'Alembic'],
  ['tortoise-orm', 'Tortoise ORM'],
  ['peewee', 'peewee'],
  ['pydantic', 'Pydantic'],
  ['celery', 'Celery'],
  ['psycopg', 'psycopg'],
  ['psycopg2', 'psycopg2'],
  ['psycopg2-binary', 'psycopg2'],
  ['asyncpg', 'asyncpg'],
  ['pymongo', 'PyMongo'],
  ['redis', 'Redis'],
  ['pytest', 'pytest'],
  ['uvicorn', 'Uvicorn'],
  ['gunicorn', 'Gunicorn'],
];
const GO_MODULES: [string, string][] = [
  ['github.com/gin-gonic/gin', 'Gin'],
  ['github.com/labstack/echo', 'Echo'],
  ['github.com/go-chi/chi', 'chi'],
  ['github.com/gofiber/fiber', 'Fiber'],
  ['github.com/gorilla/mux', 'gorilla/mux'],
  ['gorm.io/gorm', 'GORM'],
  ['github.com/jmoiron/sqlx', 'sqlx'],
  ['github.com/jackc/pgx', 'pgx'],
  ['github.com/lib/pq', 'lib/pq'],
  ['entgo.io/ent', 'ent'],
  ['github.com/golang-migrate/migrate', 'golang-migrate'],
  ['github.com/pressly/goose', 'goose'],
  ['google.golang.org/grpc', 'gRPC'],
  ['github.com/redis/go-redis', 'Redis'],
  ['github.com/stretchr/testify', 'testify'],
];
const CARGO_CRATES: [string, string][] = [
  ['axum', 'axum'],
  ['actix-web', 'Actix Web'],
  ['rocket', 'Rocket'],
  ['warp', 'warp'],
  ['diesel', 'Diesel'],
  ['sqlx', 'SQLx'],
  ['sea-orm', 'SeaORM'],
  ['tokio', 'Tokio'],
  ['tonic', 'tonic'],
];
const RUBY_GEMS: [string, string][] = [
  ['rails', 'Rails'],
  ['sinatra', 'Sinatra'],
  ['grape', 'Grape'],
  ['activerecord', 'ActiveRecord'],
  ['sequel', 'Sequel'],
  ['pg', 'pg'],
  ['sidekiq', 'Sidekiq'],
  ['rspec-rails', 'RSpec'],
  ['rspec', 'RSpec'],
  ['minitest', 'Minitest'],
];
const JVM_MARKERS: [RegExp, string][] = [
  [/spring-boot/, 'Spring Boot'],
  [/spring-webflux/, 'Spring WebFlux'],
  [/spring-data-jpa|spring-boot-starter-data-jpa/, 'Spring Data JPA'],
  [/hibernate/, 'Hibernate'],
  [/flyway/, 'Flyway'],
  [/liquibase/, 'Liquibase'],
  [/io\.ktor/, 'Ktor'],
  [/quarkus/, 'Quarkus'],
  [/micronaut/, 'Micronaut'],
  [/junit/, 'JUnit'],
  [/testcontainers/, 'Testcontainers'],
];
const PHP_PACKAGES: [string, string][] = [
  ['laravel/framework', 'Laravel'],
  ['symfony/framework-bundle', 'Symfony'],
  ['doctrine/orm', 'Doctrine'],
  ['phpunit/phpunit', 'PHPUnit'],
  ['pestphp/pest', 'Pest'],
];
const NPM_DEFAULT_TEST = /no test specified/;

export async function readManifests(workspace: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const read = await Promise.all(paths.map((p) => readHead(join(workspace, p), MANIFEST_MAX_BYTES)));
  paths.forEach((p, i) => {
    const text = read[i];
    if (text != null) out.set(p, text);
  });
  return out;
}

export function stackOf(manifests: ReadonlyMap<string, string>, facts: Facts): Stack {
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
        const deps = {
          ...obj(pkg?.['peerDependencies']),
          ...obj(pkg?.['devDependencies']),
          ...obj(pkg?.['dependencies']),
        };
        for (const [id, label] of NPM_PACKAGES) if (id in deps) found(label);
        const test = obj(pkg?.['scripts'])['test'];
        if (typeof test === 'string' && test.trim() && !NPM_DEFAULT_TEST.test(test)) {
          const pm = dir
            ? 'npm'
            : facts.lockfiles.has('pnpm-lock.yaml')
              ? 'pnpm'
              : facts.lockfiles.has('yarn.lock')
                ? 'yarn'
                : facts.lockfiles.has('bun.lockb') || facts.lockfiles.has('bun.lock')
                  ? 'bun run'
                  : 'npm';
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
        if (
          name === 'pytest.ini' ||
          /^\[(tool\.pytest[.\w]*|tool:pytest|pytest)\]/m.test(text) ||
          pyDeclares(text, 'pytest')
        )
          pytestSeen = true;
        break;
      }
      case 'go.mod': {
        for (const [id, label] of GO_MODULES) if (text.includes(id)) found(label);
        addTest(`${prefix}go test ./...`);
        break;
      }
      case 'Cargo.toml': {
        for (const [id, label] of CARGO_CRATES)
          if (new RegExp(`^\\s*${escapeRegExp(id)}\\s*=`, 'm').test(text)) found(label);
        addTest(`${prefix}cargo test`);
        break;
      }
      case 'Gemfile': {
        for (const [id, label] of RUBY_GEMS)
          if (new RegExp(`^\\s*gem\\s+["']${escapeRegExp(id)}["']`, 'm').test(text)) found(label);
        if (names.includes('RSpec')) addTest(`${prefix}bundle exec rspec`);
        else if (names.includes('Rails')) addTest(`${prefix}bin/rails test`);
        break;
      }
      case 'pom.xml':
      case 'build.gradle':
      case 'build.gradle.kts': {
        for (const [re, label] of JVM_MARKERS) if (re.test(text)) found(label);
        addTest(
          name === 'pom.xml' ? `${prefix}mvn test` : `${prefix}${facts.hasGradlew ? './gradlew' : 'gradle'} test`,
        );
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
