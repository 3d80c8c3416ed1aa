/**
 * Resource limits for the Bash sandbox: how many processes it may run, how large a file it may write, how much
 * memory its tmpfs may take.
 *
 * Processes. The kernel does not apply RLIMIT_NPROC to uid 0, so:
 *   - as a normal user (GitHub-hosted runners): `ulimit -u` inside the sandbox. bwrap runs unprivileged there and so
 *     creates a user namespace, and since Linux 5.14 the count is per user namespace: the limit counts the
 *     sandbox's own tasks, not the runner's (measured: 62 sleeps started under `ulimit -u 64` while the same uid had
 *     100 processes outside; set before bwrap instead, the sandbox could not even start).
 *   - as root (self-hosted runners, containers): a pids cgroup made for the sandbox, when the host lets us make one
 *     (cgroup v2 with the pids controller delegated to children of the root, or a v1 pids hierarchy); bwrap starts
 *     inside it, so every task in the sandbox counts.
 *   - otherwise: not limited, and the sandbox's info says so.
 * Files: RLIMIT_FSIZE (`ulimit -f`), which the kernel applies to every uid; a write past it fails with EFBIG.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

/**
 * Tasks (threads count) the sandbox may run at once. A parallel build needs a few hundred (a Gradle or Kotlin JVM
 * runs ~100 threads, rustc and go spawn one per core and more); a fork bomb stops here instead of exhausting the
 * runner's PID space and memory — 1024 sleeping shells are ~100 MB.
 */
export const MAX_PROCESSES = 1024;
/** Largest file a command may write: above any source file or build artifact we expect, far below the disk. */
export const MAX_FILE_BYTES = 1024 ** 3;
/** Each writable tmpfs (/tmp, /var/tmp, HOME) lives in memory; capped so a runaway write cannot exhaust RAM. */
export const MAX_TMPFS_BYTES = 2 * 1024 ** 3;

export type ProcessLimitKind = 'cgroup' | 'rlimit' | 'none';

export interface Limits {
  readonly processes: { readonly kind: ProcessLimitKind; readonly max: number; readonly why?: string };
  readonly maxFileBytes: number;
  /** Shell lines the in-sandbox script runs before the command (after the user namespace exists). */
  readonly scriptLines: readonly string[];
  /** Wraps the bwrap command so that it starts inside the cgroup (unchanged without one). */
  wrap(file: string, args: string[]): { file: string; args: string[] };
  /** e.g. 'at most 1024 processes (pids cgroup), files up to 1 GiB'. */
  readonly info: string;
  /** Removes the cgroup; call when no command runs any more. */
  close(): Promise<void>;
}

export interface LimitOptions {
  /** The uid the sandbox runs as (default: this process's). */
  uid?: number;
  maxProcesses?: number;
  maxFileBytes?: number;
  /** Where cgroups are mounted (tests). */
  cgroupRoot?: string;
}

function bytes(n: number): string {
  return n % 1024 ** 3 === 0 ? `${n / 1024 ** 3} GiB` : n % 1024 ** 2 === 0 ? `${n / 1024 ** 2} MiB` : `${n} bytes`;
}

/** Makes a pids cgroup capped at `max`; its folder, or why not. */
export function createPidsCgroup(root: string, max: number): { dir: string } | { error: string } {
  const v2 = existsSync(path.join(root, 'cgroup.controllers'));
  const base = v2 ? root : path.join(root, 'pids');
  try {
    if (v2 && !readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('pids')) {
      return { error: `the pids controller is not enabled for child cgroups of ${root}` };
    }
    if (!v2 && !existsSync(path.join(base, 'cgroup.procs'))) return { error: `no pids cgroup hierarchy at ${base}` };
    const dir = path.join(base, `backend-developer-sandbox-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    try {
      writeFileSync(path.join(dir, 'pids.max'), String(max));
    } catch (e) {
      rmdirSync(dir);
      throw e;
    }
    return { dir };
  } catch (e) {
    return { error: `cannot make a pids cgroup under ${base}: ${(e as Error).message}` };
  }
}

function killAll(dir: string): void {
  try {
    for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // the cgroup is gone
  }
}

export function prepareLimits(opts: LimitOptions = {}): Limits {
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const max = opts.maxProcesses ?? MAX_PROCESSES;
  const maxFile = opts.maxFileBytes ?? MAX_FILE_BYTES;
  // `ulimit -f` counts 1024-byte blocks. Both soft and hard are set, so the command cannot raise them again; when a
  // stricter limit is already in place the call fails and that limit stays.
  const lines = [`ulimit -f ${Math.floor(maxFile / 1024)} 2>/dev/null`];
  let kind: ProcessLimitKind;
  let why: string | undefined;
  let cgroup: string | null = null;
  if (uid !== 0) {
    kind = 'rlimit';
    lines.push(`ulimit -u ${max} 2>/dev/null`);
  } else {
    const made = createPidsCgroup(opts.cgroupRoot ?? '/sys/fs/cgroup', max);
    if ('dir' in made) {
      kind = 'cgroup';
      cgroup = made.dir;
    } else {
      kind = 'none';
      why = `running as root, where RLIMIT_NPROC does not apply, and ${made.error}`;
    }
  }
  const cgroupDir = cgroup;
  const how = kind === 'cgroup' ? 'pids cgroup' : 'RLIMIT_NPROC';
  const procInfo = kind === 'none' ? 'process count NOT limited' : `at most ${max} processes (${how})`;
  return {
    processes: { kind, max, ...(why ? { why } : {}) },
    maxFileBytes: maxFile,
    scriptLines: lines,
    info: `${procInfo}, files up to ${bytes(maxFile)}`,
    wrap(file, args) {
      if (!cgroupDir) return { file, args };
      // Enter the cgroup, then become bwrap (same pid, so the caller's process-group kill still reaches it). Not
      // entering it is fatal: the command would run without the limit the info promises.
      const enter =
        'echo $$ > "$0" || { echo "sandbox: cannot enter the process-limit cgroup $0" >&2; exit 126; }; exec "$@"';
      return { file: '/bin/sh', args: ['-c', enter, path.join(cgroupDir, 'cgroup.procs'), file, ...args] };
    },
    async close() {
      // Whatever is still in the cgroup escaped its command's kill (bwrap's --die-with-parent cannot act when the
      // command is killed before bwrap set it up): it dies with the sandbox.
      // Killed tasks take a moment to leave the cgroup (a thousand of them, seconds); an empty cgroup left behind
      // after that is harmless.
      for (let i = 0; cgroup && i < 100; i++) {
        killAll(cgroup);
        try {
          rmdirSync(cgroup);
          cgroup = null;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
  };
}
