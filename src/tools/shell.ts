/**
 * Bash's state across calls, as Claude Code keeps it: a working directory that `cd` moves (confined to the workspace:
 * a cd out of it is undone, with a note), and commands started with run_in_background, read with BashOutput and
 * stopped with KillShell. Each command still runs in its own sandbox instance (sandbox.ts); only the directory
 * carries over, not shell variables or functions. Background commands end with the run: the toolbox kills them.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MAX_RESULT_CHARS, ToolError } from './result.ts';
import { shellQuote, type BackgroundCommand, type CommandResult } from './sandbox.ts';
import { inside } from './workspace.ts';

/** Background commands that may run at once. */
export const MAX_BACKGROUND = 8;
/** Unread output kept per background command; older output is dropped (and counted) past this. */
export const MAX_BACKGROUND_BUFFER = 1024 * 1024;

export interface ShellOptions {
  /** The workspace root (real path): where the shell starts, and the bound of where it may stay. */
  readonly root: string;
  /** Runs a script in the foreground like Bash always did (sandbox, env, timeout, kill). */
  exec(script: string, timeoutMs: number, signal?: AbortSignal): Promise<CommandResult>;
  /** Starts a script in the background in the same kind of sandbox. */
  spawn(script: string, onOutput: (text: string) => void): BackgroundCommand;
}

export interface ShellRun {
  result: CommandResult;
  /** Notes for the model: the cwd moved, or was reset. */
  notes: string[];
}

interface Job {
  readonly id: string;
  readonly command: string;
  readonly proc: BackgroundCommand;
  /** Output not yet read, and how much was dropped unread past MAX_BACKGROUND_BUFFER. */
  readonly out: { unread: string; dropped: number };
  state: 'running' | 'ended' | 'killed';
  exit?: { exitCode: number | null; signal: string | null; error?: string };
}

export class Shell {
  readonly #o: ShellOptions;
  #cwd: string;
  readonly #jobs = new Map<string, Job>();
  #seq = 0;

  constructor(opts: ShellOptions) {
    this.#o = opts;
    this.#cwd = opts.root;
  }

  /** The current directory, absolute. */
  get cwd(): string {
    return this.#cwd;
  }

  /** The current directory as the model sees it: workspace-relative, '.' for the root. */
  get cwdDisplay(): string {
    return path.relative(this.#o.root, this.#cwd) || 'the workspace root';
  }

  /**
   * Runs a command in the current directory. The shell prints its final directory after a per-call marker on exit
   * (an EXIT trap, so `exit` and `set -e` still report it); the marker line is taken out of the output. When the
   * command dies without it (timeout, kill, `exec`), the directory stays where it was.
   */
  async run(command: string, timeoutMs: number, signal?: AbortSignal): Promise<ShellRun> {
    const notes: string[] = [];
    const start = await this.#checkCwd(notes);
    const marker = `__bda_cwd_${randomBytes(8).toString('hex')}__`;
    // One line, so that bash's error messages number the command's own lines from 1.
    const script =
      `cd -- ${shellQuote(start)} || exit 1; ` +
      `trap 'printf "\\n%s%s\\n" ${marker} "$(pwd -P)"' EXIT; ` +
      `eval ${shellQuote(command)}`;
    const result = await this.#o.exec(script, timeoutMs, signal);
    const at = result.output.lastIndexOf(`\n${marker}`);
    if (at === -1) return { result, notes };
    const end = result.output.indexOf('\n', at + 1 + marker.length);
    const reported = result.output.slice(at + 1 + marker.length, end === -1 ? undefined : end);
    const output = result.output.slice(0, at) + (end === -1 ? '' : result.output.slice(end + 1));
    const before = this.#cwd;
    const real = await fsp.realpath(reported).catch(() => null);
    if (real && inside(real, this.#o.root)) {
      this.#cwd = real;
      if (real !== before) notes.push(`[cwd now: ${this.cwdDisplay}; later Bash commands start there]`);
    } else {
      this.#cwd = this.#o.root;
      notes.push(`[Shell cwd was reset to ${this.#o.root}: ${reported} is outside the workspace]`);
    }
    return { result: { ...result, output }, notes };
  }

  /** The directory to start in: the current one while it still exists inside the workspace, else the root. */
  async #checkCwd(notes: string[]): Promise<string> {
    if (this.#cwd === this.#o.root) return this.#cwd;
    const real = await fsp.realpath(this.#cwd).catch(() => null);
    const ok = real !== null && inside(real, this.#o.root) && (await fsp.stat(real).catch(() => null))?.isDirectory();
    if (!ok) {
      notes.push(`[Shell cwd was reset to ${this.#o.root}: ${this.cwdDisplay} no longer exists in the workspace]`);
      this.#cwd = this.#o.root;
    }
    return this.#cwd;
  }

  /** Starts a command in the background in the current directory; returns its id. */
  async start(command: string): Promise<{ id: string; notes: string[] }> {
    const running = [...this.#jobs.values()].filter((j) => j.state === 'running');
    if (running.length >= MAX_BACKGROUND) {
      throw new ToolError(
        `${running.length} background commands are already running (${running.map((j) => j.id).join(', ')}), the ` +
          `most at once. Stop one with KillShell first, or run this one in the foreground.`,
      );
    }
    const notes: string[] = [];
    const start = await this.#checkCwd(notes);
    const id = `bash_${++this.#seq}`;
    const script = `cd -- ${shellQuote(start)} || exit 1; eval ${shellQuote(command)}`;
    const out = { unread: '', dropped: 0 };
    const proc = this.#o.spawn(script, (text) => {
      if (!text) return;
      out.unread += text;
      if (out.unread.length > MAX_BACKGROUND_BUFFER) {
        const cut = out.unread.length - MAX_BACKGROUND_BUFFER;
        out.dropped += cut;
        out.unread = out.unread.slice(cut);
      }
    });
    const job: Job = { id, command, proc, out, state: 'running' };
    this.#jobs.set(id, job);
    void proc.done.then((exit) => {
      job.exit = exit;
      if (job.state === 'running') job.state = 'ended';
    });
    return { id, notes };
  }

  /**
   * The output of a background command since the last read, and its state. With `filter` (a regex), only the lines
   * that match are shown; the others are consumed all the same, as in Claude Code.
   */
  read(id: string, filter?: string): string {
    const job = this.#job(id);
    let re: RegExp | null = null;
    if (filter !== undefined && filter !== '') {
      try {
        re = new RegExp(filter);
      } catch (e) {
        throw new ToolError(`filter is not a valid regular expression: ${(e as Error).message}`);
      }
    }
    const out = job.out;
    let text = out.unread;
    out.unread = '';
    if (re)
      text = text
        .split('\n')
        .filter((l) => l !== '' && re.test(l))
        .join('\n');
    const lines = [`<status>${describeState(job)}</status>`];
    if (out.dropped) {
      lines.push(
        `[${out.dropped} characters of older output were dropped unread (buffer of ${MAX_BACKGROUND_BUFFER}).]`,
      );
      out.dropped = 0;
    }
    text = text.replace(/\s+$/, '');
    if (text.length > MAX_RESULT_CHARS) {
      const cut = text.length - MAX_RESULT_CHARS;
      text = `[${cut} earlier characters of new output not shown; use filter to pick lines.]\n${text.slice(cut)}`;
    }
    lines.push(text === '' ? `(no new output${re ? ' matching the filter' : ''})` : text);
    return lines.join('\n');
  }

  /** Kills a background command; says what state it was in. */
  async kill(id: string): Promise<string> {
    const job = this.#job(id);
    if (job.state !== 'running') return `${id} is not running: it ${describeState(job)}.`;
    job.state = 'killed';
    job.proc.kill();
    // The group gets SIGTERM, then SIGKILL after a grace: wait for that, boundedly.
    await Promise.race([job.proc.done, new Promise((r) => setTimeout(r, 5_000).unref())]);
    return `Killed ${id} (${job.command.length > 80 ? `${job.command.slice(0, 77)}...` : job.command}).`;
  }

  /** Kills every background command still running (the toolbox's close also kills their process groups). */
  close(): void {
    for (const job of this.#jobs.values()) {
      if (job.state !== 'running') continue;
      job.state = 'killed';
      job.proc.kill();
    }
  }

  #job(id: string): Job {
    const job = this.#jobs.get(id.trim());
    if (job) return job;
    const known = [...this.#jobs.keys()];
    throw new ToolError(
      `no background command with id "${id}". ${known.length ? `Known ids: ${known.join(', ')}.` : 'None was started in this run (Bash with run_in_background: true starts one).'}`,
    );
  }
}

function describeState(job: Job): string {
  if (job.state === 'running') return 'running';
  if (job.state === 'killed') return 'killed';
  const e = job.exit;
  if (e?.error) return `failed (${e.error})`;
  if (e?.exitCode !== null && e?.exitCode !== undefined) return `exited with code ${e.exitCode}`;
  return `ended by ${e?.signal ?? 'a signal'}`;
}
