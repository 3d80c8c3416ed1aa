/**
 * The filesystem Bash sees inside bubblewrap, deny by default. bwrap starts from an empty root; we add:
 *   - the system folders read-only (programs, libraries, system configuration; none holds a user's or a run's data),
 *   - fresh, size-capped tmpfs for /tmp, /var/tmp and HOME,
 *   - the runner's own folders (its install root with `.credentials`, `_diag`, `_work/_temp`, `_work/_actions`)
 *     covered by an empty tmpfs wherever a system folder would show them (a self-hosted runner in /opt),
 *   - the tool cache read-only, and each toolchain only through its `bin/` and package-cache folders — never the
 *     toolchain root, where `credentials.toml`, `config.toml`, `.condarc` and the like live,
 *   - PATH entries that nothing above shows, each bound as that folder only,
 *   - the workspace read-write, its .git read-only,
 *   - last, covers over known credential files and the caller's `hiddenPaths`, even inside the workspace.
 * Order matters: a later mount covers an earlier one, so the plan is a list of mounts we can also query ("would
 * this path be visible?") to cover only what would show, and to never bind a folder twice.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Bound read-only from the host. /usr, /bin, /sbin and /lib*: programs and their libraries. /etc: users, DNS, TLS
 * roots, alternatives (its few secret files are covered below). /opt: tools installed for every user (the hosted
 * tool cache, browsers, cloud CLIs); a runner installed there is covered. /sys: runtimes (JVM, Go, .NET) read CPU and
 * memory limits from /sys/fs/cgroup. Not bound: /home, /root, /var, /srv, /mnt, /media, /boot and anything else —
 * user data, other runners' work folders, service state (/var/lib), caches and disks that may hold anything.
 */
export const SYSTEM_DIRS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/opt',
  '/sys',
];

/** System files no build reads, holding password hashes and the host's SSH identity (readable when run as root). */
const SYSTEM_SECRET_FILES = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/sudoers.d',
];

/** The runner's own folders under `_temp`, written by the runner and holding tokens (file commands, event, HOME). */
const RUNNER_TEMP_PRIVATE = /^_/;

export interface ViewPlan {
  workspace: string;
  /** The action's environment: HOME, PATH, RUNNER_TEMP, RUNNER_TOOL_CACHE and the toolchain variables. */
  env: NodeJS.ProcessEnv;
  /** Files or folders no command may see (credential files the run knows of). */
  hiddenPaths?: readonly string[];
  /** Full network needs the host's DNS stub folder under /run. */
  fullNetwork?: boolean;
  /** Size cap for writable tmpfs (`--size`, bwrap >= 0.7); null when this bwrap cannot cap them. */
  tmpfsBytes?: number | null;
  /** Tests only: the system folders to bind (default SYSTEM_DIRS). */
  systemDirs?: readonly string[];
}

export interface RunnerPaths {
  /** The runner's install folder (holds .credentials, .runner, _diag, bin, externals, _work). */
  root: string | null;
  /** The runner's work folder (holds _temp, _actions, _tool and the checkouts). */
  work: string | null;
  temp: string | null;
  toolCache: string | null;
}

const abs = (p: string | undefined): string | null => (p && path.isAbsolute(p) ? path.resolve(p) : null);

/**
 * Where the runner lives, from RUNNER_TEMP (`<root>/_work/_temp`) and RUNNER_TOOL_CACHE (`<root>/_work/_tool`) — the
 * layout of a self-hosted runner. A hosted runner (`/home/runner/work/_temp`) gives the work folder only: its
 * install lives under HOME, which is hidden whole. A RUNNER_TEMP not named `_temp` is hidden alone.
 */
export function runnerPaths(env: NodeJS.ProcessEnv): RunnerPaths {
  const temp = abs(env.RUNNER_TEMP);
  const toolCache = abs(env.RUNNER_TOOL_CACHE);
  let root: string | null = null;
  for (const [p, name] of [
    [temp, '_temp'],
    [toolCache, '_tool'],
  ] as const) {
    const work = p ? path.dirname(p) : null;
    if (!root && p && work && path.basename(p) === name && path.basename(work) === '_work') root = path.dirname(work);
  }
  const work = root ? path.join(root, '_work') : temp && path.basename(temp) === '_temp' ? path.dirname(temp) : null;
  return { root, work, temp, toolCache };
}

/** p equals dir or is inside it. */
export function within(p: string, dir: string): boolean {
  return p === dir || dir === '/' || p.startsWith(dir + path.sep);
}

function statKind(p: string): 'dir' | 'file' | null {
  try {
    const s = statSync(p);
    return s.isDirectory() ? 'dir' : s.isFile() || s.isCharacterDevice() || s.isSocket() || s.isFIFO() ? 'file' : null;
  } catch {
    return null;
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

type Mount = { dest: string; shows: boolean };

/** Builds the bwrap mount arguments for a plan, and the notes worth a log line (what was left out, and why). */
export class ViewBuilder {
  readonly args: string[] = [];
  readonly notes: string[] = [];
  readonly #mounts: Mount[] = [];
  readonly #size: number | null;
  readonly #readOnlyLater: string[] = [];

  constructor(size: number | null) {
    this.#size = size;
  }

  /** Would `p` be visible with the mounts so far? The last mount at or above p decides; bwrap's own root is empty. */
  visible(p: string): boolean {
    let shows = false;
    for (const m of this.#mounts) if (within(p, m.dest)) shows = m.shows;
    return shows;
  }

  bind(p: string, mode: 'ro' | 'rw'): void {
    this.args.push(mode === 'ro' ? '--ro-bind' : '--bind', p, p);
    this.#mounts.push({ dest: p, shows: true });
  }

  symlink(target: string, p: string): void {
    this.args.push('--symlink', target, p);
    this.#mounts.push({ dest: p, shows: true });
  }

  /** A fresh writable tmpfs (size-capped when this bwrap can). */
  tmpfs(p: string): void {
    if (this.#size) this.args.push('--size', String(this.#size));
    this.args.push('--tmpfs', p);
    this.#mounts.push({ dest: p, shows: false });
  }

  /** An empty folder, read-only once every mount point inside it has been made. */
  emptyDir(p: string): void {
    if (this.#size) this.args.push('--size', '65536');
    this.args.push('--tmpfs', p);
    this.#mounts.push({ dest: p, shows: false });
    this.#readOnlyLater.push(p);
  }

  /** Covers a file with an empty read-only one. */
  emptyFile(p: string): void {
    this.args.push('--ro-bind', '/dev/null', p);
    this.#mounts.push({ dest: p, shows: false });
  }

  /** Covers a path that would show: a folder with an empty tmpfs, a file with /dev/null. */
  cover(p: string): void {
    for (const q of new Set([path.resolve(p), real(p)])) {
      const kind = statKind(q);
      if (!kind || !this.visible(q)) continue;
      if (kind === 'dir') this.emptyDir(q);
      else this.emptyFile(q);
    }
  }

  finish(): string[] {
    for (const p of this.#readOnlyLater) this.args.push('--remount-ro', p);
    return this.args;
  }
}

/** Installations (a JDK, a Go or Python build, the .NET SDK): exposed whole, as a system folder would be. */
const INSTALLATION_VARS = new RegExp(
  '^(GOROOT|JAVA_HOME.*|pythonLocation|Python[23]?_ROOT_DIR|DOTNET_ROOT|GRADLE_HOME|MAVEN_HOME|M2_HOME|' +
    'ANDROID_HOME|ANDROID_SDK_ROOT|CONDA|PNPM_HOME)$',
);

/** Toolchain folders to expose read-only: bin and package caches, never the root (credentials, config). */
export function toolchainDirs(env: NodeJS.ProcessEnv): { dirs: string[]; secrets: string[] } {
  const home = abs(env.HOME);
  const orHome = (v: string | undefined, rel: string): string | null => abs(v) ?? (home ? path.join(home, rel) : null);
  const dirs: string[] = [];
  const secrets: string[] = [];
  const cargo = orHome(env.CARGO_HOME, '.cargo');
  if (cargo) {
    dirs.push(...['bin', 'registry', 'git'].map((d) => path.join(cargo, d)));
    // Registry tokens: `cargo login` writes credentials.toml; config.toml may hold `[registries.x] token`.
    secrets.push(...['credentials', 'credentials.toml', 'config', 'config.toml'].map((f) => path.join(cargo, f)));
  }
  const rustup = orHome(env.RUSTUP_HOME, '.rustup');
  // settings.toml names the default toolchain, without which the cargo/rustc proxies in CARGO_HOME/bin cannot run.
  if (rustup) dirs.push(path.join(rustup, 'toolchains'), path.join(rustup, 'settings.toml'));
  for (const gp of (env.GOPATH || (home ? path.join(home, 'go') : '')).split(':')) {
    const g = abs(gp);
    if (g) dirs.push(path.join(g, 'bin'), path.join(g, 'pkg', 'mod'));
  }
  const nvm = orHome(env.NVM_DIR, '.nvm');
  if (nvm) {
    dirs.push(path.join(nvm, 'versions'));
    // npm's global config (`npm config set --global`) lives in each Node's prefix and can hold registry tokens.
    for (const kind of ['node', 'io.js']) {
      const base = path.join(nvm, 'versions', kind);
      if (statKind(base) === 'dir') for (const v of readdirSync(base)) secrets.push(path.join(base, v, 'etc', 'npmrc'));
    }
  }
  const venv = abs(env.VIRTUAL_ENV);
  // pyvenv.cfg is how the venv's python finds its site-packages; it holds paths only.
  if (venv) dirs.push(...['bin', 'lib', 'lib64', 'include', 'pyvenv.cfg'].map((d) => path.join(venv, d)));
  const gomodcache = abs(env.GOMODCACHE);
  if (gomodcache) dirs.push(gomodcache);
  for (const [k, v] of Object.entries(env)) {
    if (!INSTALLATION_VARS.test(k)) continue;
    const p = abs(v);
    if (p) dirs.push(p);
  }
  const conda = abs(env.CONDA);
  if (conda) secrets.push(path.join(conda, '.condarc'));
  return { dirs, secrets };
}

/** The mount arguments of the view (without namespaces, env or command), and notes on what was left out. */
export function viewArgs(plan: ViewPlan): { args: string[]; notes: string[] } {
  const v = new ViewBuilder(plan.tmpfsBytes ?? null);
  const ws = path.resolve(plan.workspace);
  for (const dir of plan.systemDirs ?? SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    // Merged-/usr systems: /bin -> usr/bin stays a link, so /bin/bash and /usr/bin/bash are the same file.
    if (st.isSymbolicLink()) v.symlink(readlinkSync(dir), dir);
    else if (st.isDirectory()) v.bind(dir, 'ro');
  }
  v.args.push('--dev', '/dev', '--proc', '/proc');
  v.tmpfs('/tmp');
  v.tmpfs('/var/tmp');
  // /run holds sockets (docker, dbus, systemd) a read-only mount does not stop; DNS for full network lives there.
  v.tmpfs('/run');
  if (plan.fullNetwork && statKind('/run/systemd/resolve') === 'dir') v.bind('/run/systemd/resolve', 'ro');

  const home = abs(plan.env.HOME);
  if (home && home !== '/') v.tmpfs(home);
  const runner = runnerPaths(plan.env);
  const zones = [runner.root, runner.work, runner.temp].filter((p): p is string => !!p && p !== '/');
  for (const z of zones) {
    for (const q of new Set([z, real(z)])) if (statKind(q) === 'dir' && v.visible(q)) v.emptyDir(q);
  }

  /** A folder may be bound back when it holds none of the hidden places and is not a runner folder of its own. */
  const guarded = [...(home ? [home] : []), ...zones];
  const exposable = (p: string): string | null => {
    if (guarded.some((g) => within(g, p))) return `it holds ${guarded.find((g) => within(g, p))}`;
    // A top-level folder (/tmp, /home, /var, /mnt…) holds other users' and other runs' files: never bound whole.
    if (path.dirname(p) === '/' && p !== runner.toolCache) return 'a top-level folder is never bound whole';
    const inRunner = [runner.root, runner.work].find((z) => z && within(p, z));
    const inTemp = runner.temp && within(p, runner.temp);
    const inToolCache = runner.toolCache && within(p, runner.toolCache);
    if (inTemp && RUNNER_TEMP_PRIVATE.test(path.relative(runner.temp!, p).split(path.sep)[0] ?? '')) {
      return "it is one of the runner's own folders";
    }
    if (inRunner && !inTemp && !inToolCache) return "it is inside the runner's folder";
    return null;
  };
  const exposed = new Set<string>();
  const expose = (p: string, why: string): void => {
    // Inside the workspace it shows once the workspace is bound (below), read-write as the rest of it.
    if (exposed.has(p) || !statKind(p) || v.visible(p) || within(p, ws)) return;
    const no = exposable(p);
    if (no) {
      v.notes.push(`${why} ${p} is not visible to Bash: ${no}.`);
      return;
    }
    exposed.add(p);
    v.bind(p, 'ro');
  };
  if (runner.toolCache) expose(runner.toolCache, 'The tool cache');
  const tc = toolchainDirs(plan.env);
  for (const d of [...new Set(tc.dirs)].sort()) expose(d, 'Toolchain folder');
  for (const d of (plan.env.PATH ?? '').split(':')) {
    const p = abs(d);
    if (p) expose(p, 'PATH entry');
  }

  v.bind(ws, 'rw');
  const git = path.join(ws, '.git');
  if (existsSync(git)) v.bind(git, 'ro');

  // Last, so nothing above (a toolchain folder, the workspace) can show them again.
  const sshKeys =
    statKind('/etc/ssh') === 'dir'
      ? readdirSync('/etc/ssh')
          .filter((f) => /^ssh_host_.*_key$/.test(f))
          .map((f) => `/etc/ssh/${f}`)
      : [];
  for (const p of [...SYSTEM_SECRET_FILES, ...sshKeys, ...tc.secrets, ...(plan.hiddenPaths ?? [])]) {
    if (!path.isAbsolute(p)) v.notes.push(`hidden path ${p} is ignored: it must be absolute.`);
    else if (within(ws, path.resolve(p))) v.notes.push(`hidden path ${p} is ignored: it holds the workspace.`);
    else v.cover(p);
  }
  return { args: v.finish(), notes: v.notes };
}
