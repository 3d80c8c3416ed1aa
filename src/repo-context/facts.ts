// What the file list says, from paths alone (no file contents): languages, entry points, API specs and route
// handlers, schemas and migrations, data models, tests, Docker and CI files, and which manifests and instruction
// files to read.
import { dirCache } from './paths.ts';

/** Manifests are looked for this many directories deep at most, and at most this many are read. */
const MANIFEST_MAX_DEPTH = 2;
const MANIFEST_MAX_COUNT = 12;

const LANGUAGES: Record<string, string> = {
  ts: 'TypeScript',
  tsx: 'TypeScript',
  mts: 'TypeScript',
  cts: 'TypeScript',
  js: 'JavaScript',
  jsx: 'JavaScript',
  mjs: 'JavaScript',
  cjs: 'JavaScript',
  py: 'Python',
  go: 'Go',
  rb: 'Ruby',
  java: 'Java',
  kt: 'Kotlin',
  kts: 'Kotlin',
  scala: 'Scala',
  rs: 'Rust',
  php: 'PHP',
  cs: 'C#',
  fs: 'F#',
  ex: 'Elixir',
  exs: 'Elixir',
  erl: 'Erlang',
  swift: 'Swift',
  dart: 'Dart',
  c: 'C',
  h: 'C',
  cc: 'C++',
  cpp: 'C++',
  hpp: 'C++',
  clj: 'Clojure',
  hs: 'Haskell',
  lua: 'Lua',
  sql: 'SQL',
  sh: 'Shell',
  prisma: 'Prisma',
  graphql: 'GraphQL',
  gql: 'GraphQL',
  proto: 'Protobuf',
  vue: 'Vue',
  svelte: 'Svelte',
};
const CODE_EXTS = new Set(
  Object.keys(LANGUAGES).filter((e) => !['sql', 'sh', 'prisma', 'graphql', 'gql', 'proto'].includes(e)),
);
const ROUTE_FILE =
  /^(routes?|routers?|urls|views|endpoints?|handlers?|controllers?|api)\.[a-z]+$|[._-](routes?|router|controller|handler|resolver|endpoints?)\.[a-z]+$/i;
const MODEL_FILE = /^(models?|entities|schema|db|tables)\.[a-z]+$|[._-](model|entity|schema|repository|repo)\.[a-z]+$/i;
const TEST_FILE = /(^test_.*\.py$|_test\.(py|go)$|\.(test|spec)\.[cm]?[jt]sx?$|_spec\.rb$|Tests?\.(java|kt|cs)$)/;
const OPENAPI_FILE = /(openapi|swagger)[^/]*\.(ya?ml|json)$|\.(graphql|gql|proto)$/i;
const MANIFEST_NAMES = new Set([
  'package.json',
  'pyproject.toml',
  'requirements.txt',
  'requirements-dev.txt',
  'Pipfile',
  'setup.cfg',
  'go.mod',
  'Gemfile',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Cargo.toml',
  'composer.json',
  'mix.exs',
  'Makefile',
  'pytest.ini',
  'tox.ini',
]);
const ENTRY_FILE =
  /^(main\.(go|py|rs|ts|js)|app\.(py|ts|js|mjs)|server\.(ts|js|mjs|py|go)|index\.(ts|js)|manage\.py|asgi\.py|wsgi\.py|Program\.cs|Application\.(java|kt))$/;

export interface Facts {
  languages: [string, number][];
  topLevel: [string, number][];
  manifestPaths: string[];
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

const LOCKFILE = /^(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|poetry\.lock|uv\.lock|Pipfile\.lock)$/;
const ROOT_CI = /^(\.gitlab-ci\.yml|Jenkinsfile|azure-pipelines\.yml|bitbucket-pipelines\.yml|\.travis\.yml)$/;
const DOCKER_FILE = /^(Dockerfile.*|.*\.Dockerfile|Containerfile|(docker-)?compose([.-][\w.-]+)?\.ya?ml)$/;
const DB_CONFIG =
  /^(alembic\.ini|knexfile\.[jt]s|ormconfig\.(json|[jt]s|ya?ml)|drizzle\.config\.[jt]s|sqlc\.ya?ml|database\.yml|flyway\.conf|liquibase\.properties|data-source\.[jt]s)$/;
const NOT_A_MIGRATION = /^(__init__\.py|README.*|\.gitkeep|migration_lock\.toml|env\.py|script\.py\.mako)$/;

export function analyse(files: readonly string[]): Facts {
  const f: Facts = {
    languages: [],
    topLevel: [],
    manifestPaths: [],
    lockfiles: new Set(),
    apiSpecs: [],
    routes: new Map(),
    entryPoints: [],
    schemaFiles: [],
    migrations: new Map(),
    models: new Map(),
    dbConfig: [],
    docker: [],
    ci: [],
    testDirs: new Map(),
    testFiles: 0,
    testsBesideCode: 0,
    hasConftest: false,
    hasGradlew: false,
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
