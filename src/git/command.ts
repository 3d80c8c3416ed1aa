// The one way this action runs git: simple-git behind a small interface, every command hardened so that nothing the
// agent could have written into the repository (hooks, config, attributes) or the runner's home runs with the token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, simpleGit, type SimpleGitOptions } from 'simple-git';

export interface GitSettings {
  /** The working tree (the workspace). */
  readonly workTree: string;
  /** The repository's git dir, pinned so a `.git` file or symlink planted later cannot redirect commands. */
  readonly gitDir?: string;
  /** The token sent as `http.<serverUrl>/.extraheader` on commands run with `auth`. */
  readonly token: string;
  /** e.g. https://github.com; the header is scoped to it. */
  readonly serverUrl: string;
  /** Transport protocols git may use (`https`, `http`, `file`); everything else (ssh, ext, fd…) is refused. */
  readonly protocols: readonly string[];
}

export interface GitExecOptions {
  /** Supply the token (fetch, push, ls-remote, clone). */
  readonly auth?: boolean;
  /** Run outside any repository (clone). */
  readonly noRepo?: boolean;
  /** Extra environment entries (author/committer identity). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill git after this long without output. */
  readonly timeoutMs?: number;
}

/**
 * A git command that exited non-zero. Carries both streams: `push --porcelain` reports rejections on stdout.
 * Extends simple-git's GitError so simple-git passes it through instead of wrapping it in a string.
 */
export class GitCommandError extends GitError {
  override name = 'GitCommandError';
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number, stdout: string, stderr: string) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-6).join('\n');
    super(undefined, `git ${args[0] ?? ''} failed (exit ${exitCode}): ${tail}`);
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface GitCommandManager {
  readonly settings: GitSettings;
  /** Runs git; resolves stdout, rejects with GitCommandError on a non-zero exit. */
  exec(args: readonly string[], options?: GitExecOptions): Promise<string>;
}

const LOCAL_TIMEOUT_MS = 120_000;
const NETWORK_TIMEOUT_MS = 300_000;
/** Variables passed through from the action's environment; everything else (GIT_*, tokens, INPUT_*) is left out. */
const PASS_THROUGH = [
  'PATH',
  'TMPDIR',
  'SYSTEMROOT',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

let emptyHome: string | undefined;
/** A private empty HOME for git, so a planted ~/.gitconfig, ~/.config/git/* or ~/.git-credentials is never read. */
function gitHome(): string {
  if (!emptyHome) {
    const dir = mkdtempSync(join(tmpdir(), 'bda-git-home-'));
    emptyHome = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return emptyHome;
}

/** The extraheader value actions/checkout uses; GitHub accepts the token as the password of `x-access-token`. */
export function authHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/**
 * Command-line-scope config for every command. It outranks the repository's config, but it is not the whole defence:
 * keys with a driver name in them (filter.<x>.clean, merge.<x>.driver, diff.<x>.textconv) cannot be overridden
 * generically, so the repository layer also restores `.git/config` to its pre-agent snapshot before its own commands.
 */
export function hardenedConfig(s: GitSettings, auth: boolean): Array<[string, string]> {
  const cfg: Array<[string, string]> = [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.attributesFile', '/dev/null'],
    ['core.askPass', ''],
    ['core.sshCommand', 'false'],
    ['credential.helper', ''],
    ['protocol.allow', 'never'],
    ['protocol.ext.allow', 'never'],
    ...s.protocols.map((p): [string, string] => [`protocol.${p}.allow`, 'always']),
    ['commit.gpgSign', 'false'],
    ['tag.gpgSign', 'false'],
    ['push.gpgSign', 'false'],
    ['rebase.autoStash', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['advice.detachedHead', 'false'],
    // Submodules: never recursed into, summarised or fetched, whatever the repository's config or `.gitmodules` say.
    ['submodule.recurse', 'false'],
    ['status.submoduleSummary', 'false'],
    ['diff.submodule', 'short'],
    ['fetch.recurseSubmodules', 'false'],
    ['push.recurseSubmodules', 'no'],
    ['safe.directory', s.workTree],
  ];
  if (auth && s.token) cfg.push([`http.${s.serverUrl.replace(/\/+$/, '')}/.extraheader`, authHeader(s.token)]);
  return cfg;
}

/** The complete environment of a git child process. The token, if any, is in GIT_CONFIG_VALUE_n — never in argv. */
export function gitEnvironment(
  s: GitSettings,
  options: GitExecOptions = {},
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASS_THROUGH) if (base[k] !== undefined) env[k] = base[k];
  const home = gitHome();
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_SYSTEM: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    GIT_EDITOR: 'true',
    GIT_SEQUENCE_EDITOR: 'true',
    GIT_PAGER: 'cat',
    GIT_NO_REPLACE_OBJECTS: '1',
  });
  if (!options.noRepo) {
    env.GIT_DIR = s.gitDir ?? join(s.workTree, '.git');
    env.GIT_WORK_TREE = s.workTree;
  }
  const cfg = hardenedConfig(s, !!options.auth);
  env.GIT_CONFIG_COUNT = String(cfg.length);
  cfg.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  Object.assign(env, options.env ?? {});
  return env;
}

/** simple-git refuses these by default; every one is set here to a fixed, safe value by the action itself. */
const UNSAFE_ALLOWED: SimpleGitOptions['unsafe'] = {
  allowUnsafeHooksPath: true,
  allowUnsafeFsMonitor: true,
  allowUnsafeAskPass: true,
  allowUnsafeSshCommand: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeProtocolOverride: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  // Only to unset the includeIf lines actions/checkout v6 adds for its credentials file.
  allowUnsafeInclude: true,
};

/** stderr without the GIT_TRACE lines (`12:34:56.789012 git.c:455   trace: built-in: git …`). */
function withoutTrace(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^\d\d:\d\d:\d\d\.\d+ \S+:\d+ +trace: /.test(l))
    .join('\n');
}

/** The factory: a command manager over one workspace. Tests use it on real temp directories. */
export function createCommandManager(settings: GitSettings): GitCommandManager {
  return {
    settings,
    async exec(args, options = {}) {
      // simple-git waits a fixed 50 ms after a command that printed nothing (checkout -q, fetch -q, config
      // --unset, status of a clean tree…): about 0.3 s a run. Git's own trace on stderr (one line as each command
      // starts; argv only, never config values or headers) gives it output at once; the lines are dropped below.
      const env = { ...gitEnvironment(settings, options), GIT_TRACE: '2' };
      const git = simpleGit({
        baseDir: options.noRepo ? tmpdir() : settings.workTree,
        allowEnvironment: Object.keys(env),
        unsafe: UNSAFE_ALLOWED,
        timeout: { block: options.timeoutMs ?? (options.auth ? NETWORK_TIMEOUT_MS : LOCAL_TIMEOUT_MS) },
        // Any non-zero exit is an error (simple-git alone lets an exit code with an empty stderr pass).
        errors: (error, result) =>
          result.exitCode !== 0
            ? new GitCommandError(
                args,
                result.exitCode,
                Buffer.concat(result.stdOut).toString('utf8'),
                withoutTrace(Buffer.concat(result.stdErr).toString('utf8')),
              )
            : error,
      }).env(env);
      try {
        return await git.raw([...args]);
      } catch (e) {
        if (e instanceof GitCommandError) throw e;
        const inner = (e as { task?: unknown; message?: string }).message ?? String(e);
        throw new GitCommandError(args, -1, '', inner);
      }
    },
  };
}
