/**
 * The MCP stdio transport for a server in the Bash sandbox. The SDK's own StdioClientTransport spawns the command
 * itself (its environment, no jail, no process group); this one takes the process from tools/sandbox.ts and keeps the
 * SDK's message parsing and serialising (deserializeMessage, serializeMessage): only the line splitting is ours. On top of the SDK's:
 *   - the whole process group is killed on close, and at the action's exit whatever way it exits;
 *   - stdout that is not JSON-RPC is skipped, sampled for the failure message, and bounded: past MAX_GARBAGE_BYTES
 *     the server is killed (a server printing logs to stdout floods nothing);
 *   - a message line is bounded by MAX_MESSAGE_BYTES;
 *   - the stderr tail is kept for the report of a server that failed.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Largest single message (a tools/list of a big server, a long result); the cap on a result's text is far below. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Non-protocol output on stdout tolerated before the server is killed. */
export const MAX_GARBAGE_BYTES = 1024 * 1024;
const STDERR_TAIL_CHARS = 4000;
const STDERR_HEAD_CHARS = 1000;
const KILL_GRACE_MS = 1000;

/** Process groups still running, killed at the action's exit (a cancelled run, a fault, process.exit). */
const live = new Set<() => void>();
let exitHooked = false;
function onExit(kill: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const k of live) k();
    });
  }
  live.add(kill);
  return () => live.delete(kill);
}

export class SandboxedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #spawn: () => ChildProcessWithoutNullStreams;
  #child: ChildProcessWithoutNullStreams | null = null;
  #pending: Buffer = Buffer.alloc(0);
  #stderr = '';
  #stderrHead = '';
  #stderrTotal = 0;
  #garbageBytes = 0;
  #garbageSample = '';
  #exit: string | null = null;
  #closed = false;
  #untrack: () => void = () => {};

  constructor(spawnServer: () => ChildProcessWithoutNullStreams) {
    this.#spawn = spawnServer;
  }

  /** What the server wrote to stderr: all of it when short, else its first and last few KB. */
  stderrTail(): string {
    if (this.#stderrTotal <= STDERR_TAIL_CHARS) return this.#stderr.trim();
    const tail = this.#stderr.slice(-Math.min(STDERR_TAIL_CHARS, this.#stderrTotal - STDERR_HEAD_CHARS));
    return `${this.#stderrHead.trim()}\n…\n${tail.trim()}`;
  }
  /** e.g. "exited with code 1", "killed by SIGKILL"; null while it runs. */
  exitReason(): string | null {
    return this.#exit;
  }
  /** The first non-JSON-RPC line it wrote to stdout, if any. */
  garbage(): string {
    return this.#garbageSample;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = this.#spawn();
      this.#child = child;
      const pid = child.pid;
      this.#untrack = onExit(() => killGroup(pid, 'SIGKILL'));
      child.once('spawn', () => resolve());
      child.once('error', (e) => {
        this.#exit ??= `could not be started: ${e.message}`;
        reject(e);
        this.onerror?.(e);
      });
      child.on('exit', (code, signal) => {
        this.#exit ??= code !== null ? `exited with code ${code}` : `was killed by ${signal}`;
        // Whatever it left behind in its group goes with it.
        killGroup(pid, 'SIGKILL');
      });
      child.on('close', () => {
        this.#untrack();
        this.#child = null;
        this.onclose?.();
      });
      child.stdin.on('error', (e) => this.onerror?.(e));
      child.stdout.on('data', (chunk: Buffer) => this.#read(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        // The first lines name a crash's error; the last say what happened just before the end.
        if (this.#stderrHead.length < STDERR_HEAD_CHARS)
          this.#stderrHead += text.slice(0, STDERR_HEAD_CHARS - this.#stderrHead.length);
        this.#stderrTotal += text.length;
        this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
      });
    });
  }

  #read(chunk: Buffer): void {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (let nl = this.#pending.indexOf(10); nl !== -1; nl = this.#pending.indexOf(10)) {
      const line = this.#pending.toString('utf8', 0, nl).replace(/\r$/, '');
      this.#pending = this.#pending.subarray(nl + 1);
      if (!line.trim()) continue;
      let message: JSONRPCMessage;
      try {
        message = deserializeMessage(line);
      } catch {
        // A line that is not JSON-RPC (a log line on stdout): skipped; the first is kept to explain a failure.
        this.#garbageSample ||= line.slice(0, 200);
        this.#garbageBytes += line.length;
        if (this.#garbageBytes > MAX_GARBAGE_BYTES)
          return this.#fail('flooded stdout with output that is not JSON-RPC');
        continue;
      }
      if (this.#closed) return;
      this.onmessage?.(message);
    }
    if (this.#pending.length > MAX_MESSAGE_BYTES)
      this.#fail(`wrote a line of more than ${MAX_MESSAGE_BYTES} bytes to stdout`);
  }

  #fail(why: string): void {
    this.#exit ??= `was stopped: it ${why}`;
    this.#pending = Buffer.alloc(0);
    this.onerror?.(new Error(`the server ${why}`));
    void this.close();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = this.#child;
      if (!child || this.#closed) {
        reject(new Error(`the server is not running (${this.#exit ?? 'closed'})`));
        return;
      }
      if (child.stdin.write(serializeMessage(message))) resolve();
      else child.stdin.once('drain', () => resolve());
    });
  }

  /** Kills the process group: SIGTERM, then SIGKILL after a grace. Resolves when the process is gone. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const child = this.#child;
    if (!child) return;
    const gone = new Promise<void>((r) => child.once('close', () => r()));
    child.stdin.end();
    killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    // A descendant that left the group and holds a pipe open must not hold the run: give up on it after the grace.
    await Promise.race([gone, new Promise((r) => setTimeout(r, KILL_GRACE_MS * 2).unref())]);
    clearTimeout(timer);
    child.stdout.destroy();
    child.stderr.destroy();
    this.#untrack();
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
