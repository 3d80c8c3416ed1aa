// What a path says by itself: skipped directories, and directories named for tests, migrations, routes or models.

/** Directories that never say anything about the project's own code. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  'vendor',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.cache',
  '.parcel-cache',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.gradle',
  '.idea',
  'bower_components',
  'jspm_packages',
  '.terraform',
  '.serverless',
  '.yarn',
  '.pnpm-store',
  'site-packages',
]);

const ROUTE_DIRS = new Set([
  'routes',
  'route',
  'routers',
  'router',
  'controllers',
  'controller',
  'handlers',
  'handler',
  'api',
  'apis',
  'endpoints',
  'endpoint',
  'views',
  'resolvers',
  'rest',
  'http',
]);
const MODEL_DIRS = new Set([
  'models',
  'model',
  'entities',
  'entity',
  'schemas',
  'schema',
  'repositories',
  'repository',
  'store',
  'db',
  'database',
  'dal',
]);
const MIGRATION_DIR = /^(migrations?|migrate|versions)$/i;
const TEST_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'spec',
  'specs',
  'e2e',
  'testdata',
  'fixtures',
  '__fixtures__',
  '__mocks__',
  'testing',
]);

/** What a directory says by its path alone; computed once per directory, not per file. */
export interface DirInfo {
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
  const m = segs.findIndex(
    (d, i) => MIGRATION_DIR.test(d) && (d.toLowerCase() !== 'versions' || segs[i - 1] === 'alembic'),
  );
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
export function dirCache(): (path: string) => { info: DirInfo; name: string } {
  const cache = new Map<string, DirInfo>();
  return (path) => {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash + 1);
    let info = cache.get(dir);
    if (!info) cache.set(dir, (info = dirInfo(dir)));
    return { info, name: path.slice(slash + 1) };
  };
}
