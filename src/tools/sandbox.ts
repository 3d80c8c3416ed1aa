/**
 * How Bash (and the action's verify-command) run: an allowlisted environment, a detached process group killed
 * whole on timeout or abort, and on Linux a bubblewrap sandbox — a deny-by-default filesystem view (view.ts: system
 * folders read-only, writable workspace with its .git read-only, fresh /tmp and HOME, toolchains through their bin
 * and cache folders only, runner folders and credential files hidden), process and file-size limits (limits.ts),
 * own PID namespace, network off or through the domain proxy.
 *
 * Why bwrap directly rather than @anthropic-ai/sandbox-runtime: the package is 0.0.x (its config format still
 * moves), brings a proxy stack and seccomp helper binaries into our bundle, and does not know about the runner's
 * folders or the workspace's .git; the mounts we need are a dozen bwrap arguments we can test here.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { MAX_TMPFS_BYTES, prepareLimits } from './limits.ts';
import { DEFAULT_ALLOWED_DOMAINS, startDomainProxy, type DomainProxy } from './proxy.ts';
import { MAX_RESULT_CHARS } from './result.ts';
import { which } from './search.ts';
import { viewArgs } from './view.ts';

export type SandboxMode = 'auto' | 'required' | 'off';
export type NetworkMode = 'off' | 'proxy' | 'full';

export const DEFAULT_TIMEOUT_MS = 120_000;
export const MAX_TIMEOUT_MS = 600_000;
/** Grace between SIGTERM and SIGKILL of a timed-out process group. */
const KILL_GRACE_MS = 2_000;
/** Loopback port inside the sandbox where socat forwards to the domain proxy. */
const PROXY_PORT = 3128;
const PROXY_SOCKET_IN_SANDBOX = '/tmp/.sandbox-proxy.sock';

// ---------------------------------------------------------------------------------------------------- environment

const ENV_EXACT = new Set([
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TZ',
  'CI',
  'USER',
  'LOGNAME',
  'SHELL',
  'GITHUB_ACTIONS',
  'RUNNER_OS',
  'RUNNER_ARCH',
  'GOROOT',
  'GOPATH',
  'GOMODCACHE',
  'GOCACHE',
  'GOFLAGS',
  'GOTOOLCHAIN',
  'CARGO_HOME',
  'RUSTUP_HOME',
  'RUSTUP_TOOLCHAIN',
  'npm_config_cache',
  'NPM_CONFIG_CACHE',
  'PIP_CACHE_DIR',
  'YARN_CACHE_FOLDER',
  'PNPM_HOME',
  'VIRTUAL_ENV',
  'pythonLocation',
  'Python_ROOT_DIR',
  'Python2_ROOT_DIR',
  'Python3_ROOT_DIR',
  'PKG_CONFIG_PATH',
  'LD_LIBRARY_PATH',
  'DOTNET_ROOT',
  'ANDROID_HOME',
  'ANDROID_SDK_ROOT',
  'GRADLE_HOME',
  'MAVEN_HOME',
  'M2_HOME',
  'NVM_DIR',
  'CONDA',
  'BUNDLE_PATH',
  'ImageOS',
  'ImageVersion',
]);
const ENV_PREFIXES = ['LC_', 'JAVA_HOME', 'GOROOT_'];
/** Never passed, whatever the allowlist says. */
const ENV_DENY =
  /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|^ANTHROPIC_|^ACTIONS_|^INPUT_|^GITHUB_TOKEN$/i;

/** The environment Bash gets: allowlisted names only, never a secret-looking one. */
export function allowedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || ENV_DENY.test(k)) continue;
    if (ENV_EXACT.has(k) || ENV_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  out.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  out.CI ??= 'true';
  return out;
}

// ------------------------------------------------------------------------------------------------------- sandbox

export interface Sandbox {
  readonly kind: 'bwrap' | 'off';
  readonly network: NetworkMode;
  /** e.g. 'bwrap (network via proxy to 14 domain(s); at most 1024 processes (pids cgroup), files up to 1 GiB)' or 'off'. */
  readonly info: string;
  /** Builds the argv to run `command` (file + args), and the env to spawn it with. */
  wrap(
    command: string,
    workspace: string,
    env: Record<string, string>,
  ): { file: string; args: string[]; env: Record<string, string> };
  close(): Promise<void>;
}

export interface SandboxOptions {
  readonly mode: SandboxMode;
  /** Empty/undefined → the default registries; ['*'] → full network; ['none'] → no network. */
  readonly allowedDomains?: readonly string[];
  /** The action's environment (for PATH, HOME and RUNNER_TEMP). */
  readonly env?: NodeJS.ProcessEnv;
  /** For tests and odd hosts: no attempt to install bubblewrap with sudo. */
  readonly noSetup?: boolean;
  /** Absolute paths (files or folders) no command may see: credential files the run knows of. Each is covered. */
  readonly hiddenPaths?: readonly string[];
  readonly log?: (message: string) => void;
}

const probes = new Map<string, Promise<string | null>>();

/** `bwrap … true` with the features the sandbox uses: whether bwrap works here (tests gate on the same probe). */
export const PROBE_ARGS: readonly string[] = [
  '--cap-drop',
  'ALL',
  '--ro-bind',
  '/',
  '/',
  '--dev',
  '/dev',
  '--proc',
  '/proc',
  '--tmpfs',
  '/tmp',
  '--unshare-pid',
  '--unshare-net',
  '--die-with-parent',
  '--new-session',
  '--',
  'true',
];

/** Runs `bwrap … true` with the features we use; null when it works, else the error text. */
function probeBwrap(bwrap: string): Promise<string | null> {
  let p = probes.get(bwrap);
  if (!p) {
    p = new Promise((resolve) => {
      const child = spawn(bwrap, PROBE_ARGS, {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => resolve(e.message));
      child.on('close', (code) => resolve(code === 0 ? null : err.trim() || `exit code ${code}`));
    });
    probes.set(bwrap, p);
  }
  return p;
}

/** On a hosted runner: install bubblewrap/socat and allow unprivileged user namespaces, with passwordless sudo. */
function trySetup(log: (m: string) => void, missing: string[]): boolean {
  const sudo = which('sudo');
  if (!sudo || spawnSync(sudo, ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return false;
  const run = (args: string[]): boolean => {
    log(`sandbox setup: sudo -n ${args.join(' ')}`);
    return (
      spawnSync(sudo, ['-n', ...args], {
        stdio: 'ignore',
        timeout: 300_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0
    );
  };
  if (missing.length) {
    if (!run(['apt-get', 'install', '-y', '-q', ...missing])) {
      run(['apt-get', 'update', '-q']);
      run(['apt-get', 'install', '-y', '-q', ...missing]);
    }
  }
  if (existsSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')) {
    run(['sysctl', '-w', 'kernel.apparmor_restrict_unprivileged_userns=0']);
  }
  probes.clear();
  return true;
}

/** Sets up the sandbox for this run. Throws an Error naming the fix when the mode cannot be honoured. */
export async function prepareSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const domains = opts.allowedDomains?.filter((d) => d.trim()) ?? [];
  let network: NetworkMode = domains.includes('*')
    ? 'full'
    : domains.length === 1 && domains[0] === 'none'
      ? 'off'
      : 'proxy';
  const allowList = domains.length ? domains : DEFAULT_ALLOWED_DOMAINS;

  if (opts.mode === 'off') return unsandboxed();
  if (process.platform !== 'linux') {
    if (opts.mode === 'required')
      throw new Error(
        `sandbox: required, but the bubblewrap sandbox only exists on Linux (this is ${process.platform}). Run on a Linux runner, or set sandbox: off (Bash then runs unconfined).`,
      );
    log(`The Bash sandbox needs Linux; running unsandboxed on ${process.platform} (environment allowlist only).`);
    return unsandboxed();
  }

  let bwrap = which('bwrap', env);
  let socat = which('socat', env);
  let problem = bwrap ? await probeBwrap(bwrap) : 'bwrap is not installed';
  if ((problem || (network === 'proxy' && !socat)) && !opts.noSetup) {
    const missing = [...(bwrap ? [] : ['bubblewrap']), ...(network === 'proxy' && !socat ? ['socat'] : [])];
    if (trySetup(log, missing)) {
      bwrap = which('bwrap', env);
      socat = which('socat', env);
      problem = bwrap ? await probeBwrap(bwrap) : 'bwrap is not installed';
    }
  }
  if (problem || !bwrap) {
    throw new Error(
      `The Bash sandbox (bubblewrap) is not usable: ${problem}. Install it (sudo apt-get install -y bubblewrap socat; on ` +
        `Ubuntu 24.04 also sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0), or set sandbox: off to run Bash unconfined.`,
    );
  }
  let proxy: DomainProxy | null = null;
  if (network === 'proxy') {
    if (!socat) {
      log('socat is missing, so the domain proxy cannot be bridged into the sandbox: network is off.');
      network = 'off';
    } else {
      proxy = await startDomainProxy(allowList);
    }
  }
  const limits = prepareLimits();
  if (limits.processes.kind === 'none')
    log(`The Bash sandbox cannot limit its process count: ${limits.processes.why}.`);
  const tmpfsBytes = bwrapSupportsSize(bwrap) ? MAX_TMPFS_BYTES : null;
  if (!tmpfsBytes)
    log('This bwrap cannot cap the size of /tmp and HOME in the sandbox (--size needs bubblewrap 0.7+).');
  const net = network === 'proxy' ? `via proxy to ${allowList.length} domain(s)` : network;
  const info = `bwrap (network ${net}; ${limits.info}${tmpfsBytes ? '' : ', tmpfs size NOT capped'})`;
  const bwrapPath = bwrap;
  const socatPath = socat;
  const hiddenPaths = opts.hiddenPaths ?? [];
  let noted = false;
  return {
    kind: 'bwrap',
    network,
    info,
    wrap(command, workspace, baseEnv) {
      const inner: Record<string, string> = { ...baseEnv, TMPDIR: '/tmp' };
      const proxySocket = proxy?.socketPath ?? null;
      const { args, notes } = bwrapArgs({ workspace, env, inner, network, proxySocket, hiddenPaths, tmpfsBytes });
      if (!noted) for (const n of notes) log(n);
      noted = true;
      // The limits are set inside the sandbox, where the user namespace already exists (see limits.ts).
      const lines = [...limits.scriptLines];
      if (network === 'proxy' && socatPath) {
        const url = `http://127.0.0.1:${PROXY_PORT}`;
        Object.assign(inner, {
          HTTP_PROXY: url,
          HTTPS_PROXY: url,
          http_proxy: url,
          https_proxy: url,
          NO_PROXY: 'localhost,127.0.0.1,::1',
          no_proxy: 'localhost,127.0.0.1,::1',
        });
        // socat bridges the sandbox's loopback to the proxy socket; wait until it listens, then run the command.
        lines.push(
          `${socatPath} TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${PROXY_SOCKET_IN_SANDBOX} 2>/dev/null &`,
          `for _ in $(seq 200); do (: </dev/tcp/127.0.0.1/${PROXY_PORT}) 2>/dev/null && break; sleep 0.01; done`,
        );
      }
      lines.push('exec /bin/bash --noprofile --norc -c "$1"');
      for (const [k, v] of Object.entries(inner)) args.push('--setenv', k, v);
      args.push('--', '/bin/bash', '--noprofile', '--norc', '-c', lines.join('\n'), 'bash', command);
      return { ...limits.wrap(bwrapPath, args), env: baseEnv };
    },
    async close() {
      await proxy?.close();
      await limits.close();
    },
  };
}

const sizeSupport = new Map<string, boolean>();
/** bwrap 0.7 added `--size` for tmpfs; Ubuntu 22.04 ships 0.6. */
function bwrapSupportsSize(bwrap: string): boolean {
  let ok = sizeSupport.get(bwrap);
  if (ok === undefined) {
    const r = spawnSync(bwrap, ['--help'], { encoding: 'utf8', timeout: 10_000 });
    ok = /--size\b/.test(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    sizeSupport.set(bwrap, ok);
  }
  return ok;
}

function unsandboxed(): Sandbox {
  return {
    kind: 'off',
    network: 'full',
    info: 'off',
    wrap(command, _workspace, env) {
      return { file: '/bin/bash', args: ['--noprofile', '--norc', '-c', command], env };
    },
    async close() {},
  };
}

export interface BwrapPlan {
  workspace: string;
  /** The action's environment. */
  env: NodeJS.ProcessEnv;
  /** The environment inside (HOME may be replaced). */
  inner: Record<string, string>;
  network: NetworkMode;
  proxySocket: string | null;
  /** Files or folders covered last (see SandboxOptions.hiddenPaths). */
  hiddenPaths?: readonly string[];
  /** Size cap of the writable tmpfs; null when this bwrap cannot cap them. */
  tmpfsBytes?: number | null;
  /** Tests only: the system folders bound read-only (default view.ts SYSTEM_DIRS). */
  systemDirs?: readonly string[];
}

/** The bwrap arguments up to the command, and notes on what the view left out. Order matters: later mounts cover earlier ones. */
export function bwrapArgs(plan: BwrapPlan): { args: string[]; notes: string[] } {
  // --cap-drop ALL: run as root (container jobs, self-hosted runners), bwrap otherwise keeps every capability, and
  // the command could unmount the tmpfs hiding HOME or the runner, remount read-write or nsenter. bwrap also sets
  // no_new_privs, so a setuid binary cannot take them back.
  const a = [
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
  ];
  if (plan.network !== 'full') a.push('--unshare-net');
  const view = viewArgs({
    workspace: plan.workspace,
    env: plan.env,
    hiddenPaths: plan.hiddenPaths,
    fullNetwork: plan.network === 'full',
    tmpfsBytes: plan.tmpfsBytes,
    systemDirs: plan.systemDirs,
  });
  a.push(...view.args);
  if (plan.proxySocket) a.push('--ro-bind', plan.proxySocket, PROXY_SOCKET_IN_SANDBOX);
  // bwrap's own root is a tmpfs that root could fill; once every mount point exists it is made read-only.
  a.push('--remount-ro', '/', '--chdir', plan.workspace, '--clearenv');
  return { args: a, notes: view.notes };
}

// --------------------------------------------------------------------------------------------------- run command

export interface CommandResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  /** Set when cancelled through the signal. */
  aborted?: boolean;
  signal?: string | null;
  durationMs?: number;
}

export interface ExecOptions {
  readonly workspace: string;
  readonly sandbox: Sandbox;
  /** The action's environment; only the allowlisted part is passed. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly maxOutputChars?: number;
  /** Registers the running process group, so a toolbox can kill it on close. */
  readonly track?: (kill: () => void) => () => void;
}

/** Runs one shell command in the sandbox: stdin closed, own process group, whole group killed on timeout/abort. */
export function execCommand(command: string, opts: ExecOptions): Promise<CommandResult> {
  const timeoutMs = Math.min(Math.max(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1), MAX_TIMEOUT_MS);
  const max = opts.maxOutputChars ?? MAX_RESULT_CHARS;
  const env = allowedEnv(opts.env ?? process.env);
  const { file, args, env: spawnEnv } = opts.sandbox.wrap(command, opts.workspace, env);
  const started = Date.now();
  return new Promise((resolve) => {
    const out = new OutputCollector(max);
    if (opts.signal?.aborted) {
      resolve({ exitCode: null, output: '', timedOut: false, aborted: true, durationMs: 0 });
      return;
    }
    const child = spawn(file, args, {
      cwd: opts.workspace,
      env: spawnEnv,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    const { killGroup, stop, cancelKill } = groupKiller(child.pid);
    const untrack = opts.track?.(() => {
      aborted = true;
      stop();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const dOut = new StringDecoder('utf8');
    const dErr = new StringDecoder('utf8');
    child.stdout.on('data', (d: Buffer) => out.add(dOut.write(d)));
    child.stderr.on('data', (d: Buffer) => out.add(dErr.write(d)));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let done = false;
    const finish = (errorText?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancelKill();
      clearTimeout(closeTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      untrack?.();
      // Leftover background jobs of the command die with it.
      killGroup('SIGKILL');
      if (errorText) out.add(errorText);
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        output: out.text(),
        timedOut,
        aborted,
        durationMs: Date.now() - started,
      });
    };
    let closeTimer: NodeJS.Timeout | undefined;
    child.on('error', (e) => finish(`\n[failed to start: ${e.message}]`));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      killGroup('SIGKILL');
      // Output still buffered in the pipes arrives before 'close'; a grandchild that escaped the group and holds
      // the pipe open must not hold the result.
      closeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 1_000);
    });
    child.on('close', () => {
      out.add(dOut.end() + dErr.end());
      finish();
    });
  });
}

/**
 * Kills a detached child's whole process group: `stop` sends SIGTERM, then SIGKILL after a grace (an unref'd timer:
 * it never holds the process open); `cancelKill` drops that timer once the group has ended.
 */
function groupKiller(pid: number | undefined): {
  killGroup: (sig: NodeJS.Signals) => void;
  stop: () => void;
  cancelKill: () => void;
} {
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    killGroup,
    stop() {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    },
    cancelKill: () => clearTimeout(killTimer),
  };
}

/** A word for `bash -c`: single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts a long-lived program (an MCP server) in the sandbox, the way Bash runs a command — same jail, same network
 * rule, limits and environment handling — but with stdin, stdout and stderr piped to the caller, and in a process
 * group of its own so that the caller can kill it whole. `env` is the whole environment it gets (the caller picks it;
 * nothing from the action is added). The caller owns the process: nothing here times it out.
 */
export function spawnInSandbox(
  sandbox: Sandbox,
  argv: readonly [string, ...string[]],
  workspace: string,
  env: Record<string, string>,
): ChildProcessWithoutNullStreams {
  const { file, args, env: spawnEnv } = sandbox.wrap(`exec ${argv.map(shellQuote).join(' ')}`, workspace, env);
  return spawn(file, args, { cwd: workspace, env: spawnEnv, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Keeps the head and the tail of a long output, and counts what fell between. */
class OutputCollector {
  readonly #max: number;
  #head = '';
  #tail = '';
  #total = 0;
  constructor(max: number) {
    this.#max = max;
  }
  add(s: string): void {
    if (!s) return;
    this.#total += s.length;
    const half = Math.floor(this.#max / 2);
    if (this.#head.length < half) {
      const take = half - this.#head.length;
      this.#head += s.slice(0, take);
      s = s.slice(take);
    }
    if (s) this.#tail = (this.#tail + s).slice(-half);
  }
  text(): string {
    const shown = this.#head.length + this.#tail.length;
    if (this.#total <= shown) return this.#head + this.#tail;
    const cut = this.#total - shown;
    return `${this.#head}\n[… ${cut} characters of output cut from the middle; redirect to a file and Read or Grep it to see all …]\n${this.#tail}`;
  }
}

// ------------------------------------------------------------------------------------------ background command

export interface BackgroundOptions {
  readonly workspace: string;
  readonly sandbox: Sandbox;
  /** The action's environment; only the allowlisted part is passed. */
  readonly env?: NodeJS.ProcessEnv;
  /** Each decoded piece of stdout or stderr, as it arrives. */
  readonly onOutput: (text: string) => void;
  /** Registers the process group, so a toolbox can kill it on close. */
  readonly track?: (kill: () => void) => () => void;
}

export interface BackgroundCommand {
  /** Settles when the command has ended and its output is read (never rejects). */
  readonly done: Promise<{ exitCode: number | null; signal: string | null; error?: string }>;
  /** Kills the whole process group: SIGTERM, then SIGKILL after a grace. */
  kill(): void;
}

/**
 * Starts one shell command like execCommand (same sandbox, allowlisted env, own process group, stdin closed) but
 * without a timeout and without waiting: Bash's run_in_background. Whatever it leaves running dies with its group
 * when it ends, and the toolbox kills the group when the run ends.
 */
export function spawnCommand(command: string, opts: BackgroundOptions): BackgroundCommand {
  const env = allowedEnv(opts.env ?? process.env);
  const { file, args, env: spawnEnv } = opts.sandbox.wrap(command, opts.workspace, env);
  const child = spawn(file, args, {
    cwd: opts.workspace,
    env: spawnEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { killGroup, stop: kill, cancelKill } = groupKiller(child.pid);
  const untrack = opts.track?.(kill);
  const dOut = new StringDecoder('utf8');
  const dErr = new StringDecoder('utf8');
  child.stdout.on('data', (d: Buffer) => opts.onOutput(dOut.write(d)));
  child.stderr.on('data', (d: Buffer) => opts.onOutput(dErr.write(d)));
  const done = new Promise<{ exitCode: number | null; signal: string | null; error?: string }>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let closeTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(closeTimer);
      cancelKill();
      untrack?.();
      killGroup('SIGKILL');
      opts.onOutput(dOut.end() + dErr.end());
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, ...(error ? { error } : {}) });
    };
    child.on('error', (e) => finish(`failed to start: ${e.message}`));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      killGroup('SIGKILL');
      // As in execCommand: a grandchild that escaped the group and holds the pipes must not keep it "running".
      closeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 1_000);
    });
    child.on('close', () => finish());
  });
  return { done, kill };
}
