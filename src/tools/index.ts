/**
 * The toolbox the agent loop uses: the offered tools' definitions (what the model sees) and `run`, which never
 * throws for a tool fault — an unknown tool, invalid input or a refusal comes back as an error result saying what
 * to do. Paths are confined by workspace.ts; Bash runs through sandbox.ts.
 */
import { errorMessage, abortReason } from '../errors.ts';
import { createRedactor } from '../redact.ts';
import { bashTools } from './bash.ts';
import type { FileVersion, ToolContext } from './context.ts';
import { editTool, multiEditTool } from './edit.ts';
import { globTool, type SearchContext } from './glob.ts';
import { grepTool } from './grep.ts';
import { createMatcher } from './offload.ts';
import { readTool } from './read.ts';
import { fail, ToolError, type ToolResult } from './result.ts';
import {
  execCommand,
  prepareSandbox,
  spawnCommand,
  type CommandResult,
  type Sandbox,
  type SandboxMode,
} from './sandbox.ts';
import type { Tool, ToolDefinition, ToolName } from './schema.ts';
import { which } from './search.ts';
import { webFetchTool } from './web-fetch.ts';
import { webSearchTool, type WebSearchBackend } from './web-search.ts';
import { Shell } from './shell.ts';
import { writeTool } from './write.ts';
import { Workspace } from './workspace.ts';

import { BASH_COMPANIONS, TOOL_NAMES } from '../constants.ts';
export { TOOL_NAMES };
export type { Tool, ToolDefinition, ToolName } from './schema.ts';
export { defineTool } from './schema.ts';
export type { ToolContext } from './context.ts';
export { ok, fail, ToolError } from './result.ts';
export type { ToolImage, ToolResult, ToolSpend } from './result.ts';
export type { WebSearchAsk, WebSearchBackend, WebSearchRequest } from './web-search.ts';
export type { CommandResult, Sandbox, SandboxMode } from './sandbox.ts';
export { allowedEnv, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, prepareSandbox } from './sandbox.ts';
export { DEFAULT_ALLOWED_DOMAINS } from './proxy.ts';
export { MAX_RESULT_CHARS } from './result.ts';

export interface ToolboxOptions {
  /** Absolute path of the checkout. */
  workspace: string;
  /** The offered set (already intersected by the caller): built-in names, and names of `extraTools` to offer. */
  tools: readonly string[];
  /**
   * Tools from outside the toolbox (the session's Agent/TodoWrite/Skill, MCP servers' tools), offered after the
   * built-ins when `tools` names them. They run with the same masking, abort and error handling as the built-ins.
   */
  extraTools?: readonly Tool<ToolContext>[];
  /** Agent reference-doc folders that Read/Glob/Grep may read, read-only. */
  readOnlyRoots?: readonly string[];
  allowWorkflowChanges?: boolean;
  sandbox?: SandboxMode;
  /** Empty/undefined → the default package registries; ['*'] → full network; ['none'] → no network. Bash, WebFetch, WebSearch. */
  allowedDomains?: readonly string[];
  /** How WebSearch reaches the model API (the pipeline's client), or why it cannot; absent: WebSearch says so. */
  webSearch?: WebSearchBackend;
  /** The action's environment; Bash gets an allowlisted subset only. */
  env?: NodeJS.ProcessEnv;
  /** ripgrep to use for Glob/Grep: a path, false for the pure-JS fallback, undefined to look on PATH. */
  ripgrep?: string | false;
  /** How long one Glob/Grep may spend matching in its worker (default MATCH_TIMEOUT_MS, 10 s). */
  matchTimeoutMs?: number;
  /** Progress/diagnostic messages (sandbox setup). */
  log?: (message: string) => void;
  /** Skip installing bubblewrap with sudo (tests). */
  noSandboxSetup?: boolean;
  /**
   * Values masked in every tool result before the model sees it. Secret-looking variables of `env` (the action's
   * inputs `github-token` and `anthropic-api-key` among them) are always added.
   */
  secrets?: readonly string[];
  /**
   * Credential files the run knows of (absolute paths, see security/credential-files.ts): Read/Write/Edit refuse them,
   * Glob/Grep never list them, and Bash's sandbox covers them.
   */
  hiddenPaths?: readonly string[];
}

/** Names whose values are secrets: masked in tool results. (The sandbox's allowlist keeps them out of Bash's env.) */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE[-_]?KEY|API[-_]?KEY|ACCESS[-_]?KEY/i;

/** The secret values in an environment: secret-looking names with a value long enough not to be a word or a flag. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v || v.length < 8 || !SECRET_NAME.test(k) || /^(true|false|\d+)$/i.test(v)) continue;
    out.push(v);
  }
  return out;
}

export interface Toolbox {
  /** What the model sees, in a stable order. */
  readonly definitions: readonly ToolDefinition[];
  /** Read/Glob/Grep: safe to run concurrently. */
  isReadOnly(name: string): boolean;
  run(name: string, input: unknown, signal?: AbortSignal): Promise<ToolResult>;
  /** e.g. 'bwrap (network off)' or 'off'. */
  readonly sandboxInfo: string;
  /** Runs a command exactly like Bash (same sandbox, env and kill rules), e.g. the verify-command. */
  runCommand(
    command: string,
    opts?: { timeoutMs?: number; signal?: AbortSignal; maxOutputChars?: number },
  ): Promise<CommandResult>;
  /**
   * A view of this toolbox offering the tools named in `tools` among those this toolbox offers, and `extraTools`
   * named in `tools` (one of the same name replaces this toolbox's). It shares everything else: the workspace and its
   * confinement, the sandbox and its proxy, the files Read so far, the masking, the running processes. A delegated
   * agent works in one, so a sub-agent never starts a second sandbox nor gains a built-in tool the run lacks.
   * Closing a view closes nothing: the toolbox it came from owns what it shares.
   */
  view(tools: readonly string[], extraTools?: readonly Tool<ToolContext>[]): Toolbox;
  /** Kills any running Bash process group and stops the domain proxy. */
  close(): Promise<void>;
}

export async function createToolbox(opts: ToolboxOptions): Promise<Toolbox> {
  const workspace = await Workspace.create({
    root: opts.workspace,
    readOnlyRoots: opts.readOnlyRoots,
    allowWorkflowChanges: opts.allowWorkflowChanges,
    hiddenPaths: opts.hiddenPaths,
  });
  const offered = new Set(opts.tools);
  const env = opts.env ?? process.env;
  const sandbox: Sandbox | null = offered.has('Bash')
    ? await prepareSandbox({
        mode: opts.sandbox ?? 'auto',
        allowedDomains: opts.allowedDomains,
        env,
        noSetup: opts.noSandboxSetup,
        log: opts.log,
        hiddenPaths: opts.hiddenPaths,
      })
    : null;
  const running = new Set<() => void>();
  const exec = (
    command: string,
    o: { timeoutMs?: number; signal?: AbortSignal; maxOutputChars?: number },
  ): Promise<CommandResult> => {
    if (!sandbox) throw new Error('Bash is not offered, so no sandbox was prepared.');
    return execCommand(command, {
      workspace: workspace.root,
      sandbox,
      env,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      maxOutputChars: o.maxOutputChars,
      track: (kill) => {
        running.add(kill);
        return () => running.delete(kill);
      },
    });
  };
  const shell = sandbox ? bashShell(workspace.root, sandbox, env, exec, running) : null;
  const all: Record<ToolName, Tool<SearchContext>[]> = {
    Read: [readTool],
    Write: [writeTool],
    Edit: [editTool],
    MultiEdit: [multiEditTool],
    // BashOutput and KillShell come with Bash (its background commands).
    Bash: shell ? bashTools(shell) : [],
    Glob: [globTool],
    Grep: [grepTool],
    WebFetch: [webFetchTool({ allowedDomains: opts.allowedDomains })],
    WebSearch: [webSearchTool({ allowedDomains: opts.allowedDomains, backend: opts.webSearch })],
  };
  const builtins = TOOL_NAMES.filter((n) => offered.has(n)).flatMap((n) => all[n]);
  const seen = new Map<string, FileVersion>();
  // A secret that reached a file or an output anyway (committed by mistake, printed by a tool) is masked here, before
  // the model — and the transcript, which records what the model saw — can carry it anywhere.
  const mask = createRedactor([...(opts.secrets ?? []), ...secretValues(env)]);
  const masked = (r: ToolResult): ToolResult => {
    const content = mask(r.content);
    return content === r.content ? r : { ...r, content };
  };
  const rg = opts.ripgrep === false ? null : (opts.ripgrep ?? which('rg', env) ?? which('rg'));
  const matcher = createMatcher({ timeoutMs: opts.matchTimeoutMs });
  // Its start-up (tens of milliseconds) overlaps the model's first answer instead of delaying the first Glob/Grep.
  if (offered.has('Glob') || offered.has('Grep')) matcher.warm();

  const shared: Shared = { workspace, seen, rg, matcher, mask: masked, sandbox, running, exec, shell };
  return toolboxOf(shared, [...builtins, ...(opts.extraTools ?? [])], opts.tools, true);
}

/** What a toolbox and its views share. */
interface Shared {
  readonly workspace: Workspace;
  readonly seen: Map<string, FileVersion>;
  readonly rg: string | null;
  readonly matcher: ReturnType<typeof createMatcher>;
  readonly mask: (r: ToolResult) => ToolResult;
  readonly sandbox: Sandbox | null;
  readonly running: Set<() => void>;
  /** Bash's working directory and background commands; closed with the owner. */
  readonly shell: Shell | null;
  readonly exec: (
    command: string,
    o: { timeoutMs?: number; signal?: AbortSignal; maxOutputChars?: number },
  ) => Promise<CommandResult>;
}

/**
 * The toolbox over `shared` offering the `candidates` that `names` names, in the candidates' order. `owner`: closing
 * it closes the shared sandbox, matcher and processes (a view's close does nothing).
 */
function toolboxOf(
  shared: Shared,
  candidates: readonly Tool<SearchContext>[],
  names: readonly string[],
  owner: boolean,
): Toolbox {
  const { workspace, seen, rg, matcher, mask: masked, sandbox, running, exec, shell } = shared;
  // BashOutput and KillShell come with Bash, never alone.
  const wanted = new Set(names.includes('Bash') ? [...names, ...BASH_COMPANIONS] : names);
  const tools = candidates.filter((t) => wanted.has(t.definition.name));
  const byName = new Map<string, Tool<SearchContext>>(tools.map((t) => [t.definition.name, t]));
  return {
    definitions: tools.map((t) => t.definition),
    sandboxInfo: (byName.has('Bash') && sandbox?.info) || 'off (Bash not offered)',
    isReadOnly: (name) => byName.get(name)?.readOnly ?? false,
    async run(name, input, signal) {
      const tool = byName.get(name);
      if (!tool) {
        return fail(name, `no such tool in this run. Available tools: ${[...byName.keys()].join(', ') || 'none'}.`);
      }
      const ctx: SearchContext & ToolContext = { workspace, seen, signal, rg, matcher };
      try {
        // call() validates the input first: a malformed call comes back as an error result naming every problem.
        return masked(await untilAborted(tool.call(input, ctx), signal));
      } catch (e) {
        if (e instanceof ToolError) return masked(fail(name, e.message));
        if (signal?.aborted) return fail(name, 'cancelled.');
        return masked(fail(name, `unexpected failure: ${errorMessage(e)}`));
      }
    },
    runCommand: (command, o = {}) => exec(command, o),
    view: (names, extra = []) => {
      const replaced = new Set(extra.map((t) => t.definition.name));
      return toolboxOf(shared, [...tools.filter((t) => !replaced.has(t.definition.name)), ...extra], names, false);
    },
    async close() {
      if (!owner) return;
      shell?.close();
      for (const kill of running) kill();
      await Promise.all([sandbox?.close(), matcher.close()]);
    },
  };
}

/** Bash's shell: foreground commands through `exec`, background ones in the same sandbox, tracked for close. */
function bashShell(
  root: string,
  sandbox: Sandbox,
  env: NodeJS.ProcessEnv,
  exec: (command: string, o: { timeoutMs?: number; signal?: AbortSignal }) => Promise<CommandResult>,
  running: Set<() => void>,
): Shell {
  return new Shell({
    root,
    exec: (script, timeoutMs, signal) => exec(script, { timeoutMs, signal }),
    spawn: (script, onOutput) =>
      spawnCommand(script, {
        workspace: root,
        sandbox,
        env,
        onOutput,
        track: (kill) => {
          running.add(kill);
          return () => running.delete(kill);
        },
      }),
  });
}

/** After a cancel, how long a tool has to settle by itself (Bash: its process group killed) before it is abandoned. */
const ABANDON_AFTER_MS = 1000;

/**
 * The tool's promise, or a rejection soon after the run is cancelled: a tool stuck on a promise that never settles
 * (a fault in a stream callback) cannot hold the run past its timeout or a SIGTERM. A late failure of the abandoned
 * promise is swallowed: it must not come back as an unhandled rejection.
 */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  p.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => void (timer = setTimeout(() => reject(abortReason(signal)), ABANDON_AFTER_MS));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

export interface RunCommandOptions {
  workspace: string;
  /** A prepared sandbox (e.g. shared with a toolbox), or a mode to prepare one for this command. */
  sandbox?: Sandbox | SandboxMode;
  allowedDomains?: readonly string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  maxOutputChars?: number;
}

/** Runs a command exactly like Bash: sandboxed, allowlisted env, timeout, whole process group killed. */
export async function runCommand(command: string, opts: RunCommandOptions): Promise<CommandResult> {
  const given = typeof opts.sandbox === 'object' ? opts.sandbox : null;
  const sandbox =
    given ??
    (await prepareSandbox({
      mode: (opts.sandbox as SandboxMode | undefined) ?? 'auto',
      allowedDomains: opts.allowedDomains,
      env: opts.env,
    }));
  try {
    return await execCommand(command, { ...opts, sandbox });
  } finally {
    if (!given) await sandbox.close();
  }
}
