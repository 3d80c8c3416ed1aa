// `npm run bench`: what our own overhead costs. The committed dist/index.js runs as the runner runs it, against the
// loopback stand-ins (GitHub with validation off, so its ajv compile is not timed; an instant scripted model), plus
// in-process measurements of the sandbox, the repository context and Glob/Grep next to ripgrep on a generated tree.
// Prints one table and writes bench-results.json. `--smoke` is a tiny run for CI: it fails when the bench breaks,
// never on a missed target.
//
// Peak RSS: the child is started with NODE_OPTIONS=--require <hook>; the hook reads VmHWM from /proc/self/status in
// the process's own 'exit' handler (the kernel's high-water mark of resident memory, the figure `/usr/bin/time -v`
// reports as "Maximum resident set size"), written to a file named after the pid so node processes the agent's Bash
// starts cannot overwrite it. Polling /proc/<pid> from outside misses the last moments; /usr/bin/time would need the
// harness's launcher to take a wrapper command. The hook costs well under a millisecond.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { startAnthropic, type Turn, type MessagesRequest } from '../test-support/anthropic-server.ts';
import { startGitHub } from '../test-support/github-server.ts';
import { createOrigin, checkoutLikeActions, serveOverHttp } from '../test-support/git.ts';
import { issueCommentEvent } from '../test-support/payloads.ts';
import { launchAction, DIST, type ActionRun } from '../test-support/launcher.ts';
import { SERVICE_FILES } from '../test-support/health-scenario.ts';
import { createToolbox, prepareSandbox, runCommand } from '../src/tools/index.ts';
import { repoContext } from '../src/repo-context/index.ts';
import { FILESYSTEM_SERVER_BIN, installFilesystemServer } from '../test-support/mcp-servers.ts';

const args = process.argv.slice(2);
const SMOKE = args.includes('--smoke');
const RUNS = Number(argValue('--runs') ?? (SMOKE ? 1 : 7));
const TREE_FILES = Number(argValue('--tree-files') ?? (SMOKE ? 2000 : 50_000));
const OUT = resolve(argValue('--out') ?? 'bench-results.json');
const ROOT = resolve(import.meta.dirname, '..');
/** The bundle to run (default dist/index.js): `--entry` compares another build side by side. */
const ENTRY = resolve(argValue('--entry') ?? DIST);
const CLI = resolve(dirname(ENTRY), 'cli.js');
const REPO = 'acme/todo-api';
const GITHUB_TOKEN = 'ghs_benchTOKEN0123456789abcdefABCDEFabcdef';
const API_KEY = 'sk-ant-bench-KEY-0123456789abcdef';
const MiB = 1024 * 1024;

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const log = (s: string) => process.stderr.write(`${s}\n`);

// ------------------------------------------------------------------------------------------------- the scripted tasks

const STATUS = 'Done.\n\nSTATUS: COMPLETE\nSUMMARY: Added GET /health\nFILES: src/server.js\nNEXT: none';
const HEALTH_EDIT = {
  file_path: 'src/server.js',
  old_string: "  'GET /todos': (_req, res) => send(res, 200, todos),\n",
  new_string:
    "  'GET /todos': (_req, res) => send(res, 200, todos),\n  'GET /health': (_req, res) => send(res, 200, { status: 'ok' }),\n",
};
const use = (name: string, input: Record<string, unknown>): Turn => ({
  content: [{ type: 'tool_use', name, input }],
});

/** The fields read here of one line of the action's JSONL transcript (the loop's `tool` events among others). */
interface TranscriptLine {
  readonly type?: string;
  readonly name?: unknown;
  readonly ms?: unknown;
  readonly result?: { readonly isError?: boolean };
}

/** Glob, Read, Edit, Bash, STATUS. The command is cheap on purpose: what is timed is our overhead, not a test suite. */
function fiveTurns(): Turn[] {
  return [
    use('Glob', { pattern: '**/*.js' }),
    use('Read', { file_path: 'src/server.js' }),
    use('Edit', HEALTH_EDIT),
    use('Bash', { command: 'grep -c GET src/server.js', description: 'Count routes' }),
    { content: [{ type: 'text', text: STATUS }] },
  ];
}

/** 49 tool turns cycling through all six tools (each call succeeds), then STATUS. */
function fiftyTurns(): Turn[] {
  const turns: Turn[] = [use('Write', { file_path: 'NOTES.md', content: 'count: 0\n' })];
  let k = 0;
  const cycle = [
    () => use('Glob', { pattern: '**/*.js' }),
    () => use('Grep', { pattern: 'todos', output_mode: 'content' }),
    () => use('Read', { file_path: 'src/server.js' }),
    () => use('Read', { file_path: 'NOTES.md' }),
    () => use('Edit', { file_path: 'NOTES.md', old_string: `count: ${k}\n`, new_string: `count: ${++k}\n` }),
    () => use('Bash', { command: 'cat NOTES.md', description: 'Show notes' }),
  ];
  for (let i = 0; turns.length < 49; i++) turns.push(cycle[i % cycle.length]!());
  turns.push({ content: [{ type: 'text', text: STATUS.replace('src/server.js', 'NOTES.md') }] });
  return turns;
}

// ------------------------------------------------------------------------------------------------- one process run

interface RunFigures {
  wallMs: number;
  peakRssBytes: number;
  firstRequestMs: number;
  requestBytes: number[];
  cacheShare: number;
  tools: Array<{ name: string; ms: number; isError: boolean }>;
}

let rssHookDir = '';
async function rssHook(): Promise<string> {
  rssHookDir ||= await mkdtemp(join(tmpdir(), 'bda-bench-rss-'));
  const file = join(rssHookDir, 'hook.cjs');
  await writeFile(
    file,
    `process.on('exit', () => { try { const m = /VmHWM:\\s*(\\d+)\\s*kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));` +
      ` if (m) require('fs').writeFileSync(${JSON.stringify(rssHookDir)} + '/' + process.pid, m[1]); } catch {} });\n`,
  );
  return file;
}

/** A fresh world (origin over HTTP, checkout, GitHub and Anthropic stand-ins), one run of dist/index.js, its figures. */
async function runOnce(
  script: Turn[],
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<RunFigures> {
  const origin = await createOrigin({ files: SERVICE_FILES });
  const http = await serveOverHttp(origin, { token: GITHUB_TOKEN, repoFullName: REPO });
  const workspace = await checkoutLikeActions(
    { ...origin, url: http.repoUrl },
    { token: GITHUB_TOKEN, serverUrl: http.serverUrl },
  );
  const gh = await startGitHub({
    serverUrl: http.serverUrl,
    repo: REPO,
    private: true,
    gitDir: origin.bareDir,
    tokens: { [GITHUB_TOKEN]: { login: 'github-actions[bot]', kind: 'installation' } },
    users: [{ login: 'alice' }],
    permissions: { alice: 'write' },
    validate: false,
  });
  let firstAt = 0;
  const queue = [...script];
  const anthropic = await startAnthropic({
    apiKey: API_KEY,
    script: (_req: MessagesRequest, index: number) => {
      if (index === 0) firstAt = performance.now();
      const t = queue.shift();
      if (!t) throw new Error('bench: the action asked for more turns than scripted');
      return t;
    },
  });
  try {
    const issue = gh.addIssue(REPO, {
      title: 'Add a health endpoint',
      body: 'Load balancers need a /health route.',
      login: 'alice',
    });
    const body = '/backend-developer add a /health endpoint';
    const rec = gh.addComment(REPO, issue.number, { login: 'alice', body });
    const event = issueCommentEvent({
      repo: REPO,
      issueNumber: issue.number,
      issueTitle: issue.title,
      issueBody: issue.body ?? '',
      body,
      login: 'alice',
      userId: gh.state.users.alice!.id,
      commentId: rec.id,
    });
    const hook = await rssHook();
    const { child, done } = await launchAction({
      inputs: {
        'anthropic-api-key': API_KEY,
        'github-token': GITHUB_TOKEN,
        'anthropic-base-url': anthropic.url,
        ...inputs,
      },
      eventName: 'issue_comment',
      event,
      repo: REPO,
      workspace,
      apiUrl: gh.url,
      entry: ENTRY,
      env: {
        ...extraEnv,
        GITHUB_SERVER_URL: http.serverUrl,
        NODE_OPTIONS: `--require ${hook}${process.env.BENCH_NODE_OPTIONS ? ` ${process.env.BENCH_NODE_OPTIONS}` : ''}`,
      },
    });
    const spawnedAt = performance.now();
    const run = await done;
    if (process.env.BENCH_VERBOSE) log(run.stdout + run.stderr);
    const wallMs = performance.now() - spawnedAt;
    check(run, anthropic.violations, queue.length);
    const rss = Number(await readFile(join(rssHookDir, String(child.pid)), 'utf8').catch(() => 'NaN')) * 1024;
    const msgs = anthropic.requests.filter((r) => r.path === '/v1/messages' && r.status === 200);
    let read = 0;
    let all = 0;
    for (const r of msgs.slice(1)) {
      const u = r.usage!;
      read += u.cache_read_input_tokens;
      all += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
    }
    const transcript = (await readFile(run.outputs.transcript!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TranscriptLine);
    const tools = transcript
      .filter((e) => e.type === 'tool')
      .map((e) => ({ name: String(e.name), ms: Number(e.ms), isError: !!e.result?.isError }));
    await rm(run.runnerTemp, { recursive: true, force: true });
    return {
      wallMs,
      peakRssBytes: rss,
      firstRequestMs: firstAt - spawnedAt,
      requestBytes: msgs.map((r) => r.bytes),
      cacheShare: all ? read / all : 0,
      tools,
    };
  } finally {
    await Promise.all([gh.close(), anthropic.close(), http.close()]);
    await rm(origin.root, { recursive: true, force: true });
    await rm(workspace, { recursive: true, force: true });
  }
}

/**
 * The same 5-turn task through the local CLI (dist/cli.js) on a plain local checkout: no GitHub, no push, no
 * permission check — the agent loop's own cost, the figure comparable to running an agent CLI on the same task.
 */
async function runCliOnce(script: Turn[], sandbox: string): Promise<{ wallMs: number; peakRssBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'bda-bench-cli-'));
  const queue = [...script];
  const anthropic = await startAnthropic({
    apiKey: API_KEY,
    script: () =>
      queue.shift() ??
      (() => {
        throw new Error('bench: the CLI asked for more turns than scripted');
      })(),
  });
  try {
    for (const [p, c] of Object.entries(SERVICE_FILES)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), c);
    }
    for (const a of [
      ['init', '-q', '-b', 'main'],
      ['add', '-A'],
      ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'init'],
    ]) {
      spawnSync('git', a, { cwd: dir });
    }
    const hook = await rssHook();
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'run', 'add a /health endpoint', '--sandbox', sandbox], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        ANTHROPIC_API_KEY: API_KEY,
        ANTHROPIC_BASE_URL: anthropic.url,
        RUNNER_TEMP: dir + '.tmp',
        NODE_OPTIONS: `--require ${hook}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    const wallMs = performance.now() - t0;
    if (code !== 0 || !/^STATUS: COMPLETE/m.test(out) || queue.length)
      throw new Error(`bench: the CLI run went wrong (exit ${code}, ${queue.length} turns unused)\n${out}`);
    const rss = Number(await readFile(join(rssHookDir, String(child.pid)), 'utf8').catch(() => 'NaN')) * 1024;
    return { wallMs, peakRssBytes: rss };
  } finally {
    await anthropic.close();
    await rm(dir, { recursive: true, force: true });
    await rm(dir + '.tmp', { recursive: true, force: true });
  }
}

/** A broken bench fails loudly: the run must succeed, use its whole script and break no API rule. */
function check(run: ActionRun, violations: string[], left: number): void {
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit code ${run.code}`);
  if (run.outputs.status !== 'COMPLETE') problems.push(`status ${run.outputs.status ?? '(none)'}`);
  if (left) problems.push(`${left} scripted turn(s) unused`);
  if (violations.length) problems.push(`Anthropic stand-in violations: ${violations.join('; ')}`);
  if (problems.length)
    throw new Error(`bench: the action run went wrong (${problems.join(', ')}).\n${run.stdout}\n${run.stderr}`);
}

interface TaskFigures {
  runs: number;
  wallMs: number;
  peakRssMiB: number;
  firstRequestMs: number;
  firstRequestBytes: number;
  laterRequestBytes: number;
  laterRequestGrowthBytes: number;
  cacheShare: number;
  toolMs: Record<string, { calls: number; medianMs: number }>;
  toolErrors: number;
}

async function task(
  name: string,
  script: () => Turn[],
  inputs: Record<string, string>,
  runs: number,
  env: Record<string, string> = {},
): Promise<TaskFigures> {
  const all: RunFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const f = await runOnce(script(), inputs, env);
    log(
      `  ${name} #${i + 1}: ${f.wallMs.toFixed(0)} ms, ${(f.peakRssBytes / MiB).toFixed(1)} MiB, first request at ${f.firstRequestMs.toFixed(0)} ms`,
    );
    all.push(f);
  }
  const byTool: Record<string, number[]> = {};
  for (const f of all) for (const t of f.tools) (byTool[t.name] ??= []).push(t.ms);
  const later = all.flatMap((f) => f.requestBytes.slice(1).map((b, i) => b - f.requestBytes[i]!));
  return {
    runs,
    wallMs: median(all.map((f) => f.wallMs)),
    peakRssMiB: median(all.map((f) => f.peakRssBytes)) / MiB,
    firstRequestMs: median(all.map((f) => f.firstRequestMs)),
    firstRequestBytes: median(all.map((f) => f.requestBytes[0]!)),
    laterRequestBytes: median(all.flatMap((f) => f.requestBytes.slice(1))),
    // What each later request adds over the one before it (the conversation grows; the prefix is resent).
    laterRequestGrowthBytes: median(later),
    cacheShare: median(all.map((f) => f.cacheShare)),
    toolMs: Object.fromEntries(
      Object.entries(byTool).map(([k, v]) => [k, { calls: v.length / runs, medianMs: median(v) }]),
    ),
    toolErrors: all.reduce((n, f) => n + f.tools.filter((t) => t.isError).length, 0),
  };
}

// ------------------------------------------------------------------------------------------------- in-process parts

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/** Sandbox start as a run pays it: the first prepareSandbox in a fresh process (the bwrap probe is cached per process). */
function sandboxStartMs(mode: 'auto' | 'off'): number {
  const code =
    `import { prepareSandbox } from ${JSON.stringify(join(ROOT, 'src/tools/index.ts'))};` +
    `const t = performance.now(); const s = await prepareSandbox({ mode: '${mode}', noSetup: true });` +
    `const ms = performance.now() - t; await s.close(); process.stdout.write(JSON.stringify({ ms, info: s.info }));`;
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: prepareSandbox(${mode}) failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { ms: number }).ms;
}

async function sandboxFigures(
  runs: number,
): Promise<{ info: string; startMs: number; perCommandMs: number; commandOffMs: number }> {
  const starts = { auto: [] as number[], off: [] as number[] };
  for (let i = 0; i < runs; i++) for (const m of ['auto', 'off'] as const) starts[m].push(sandboxStartMs(m));
  const ws = await mkdtemp(join(tmpdir(), 'bda-bench-sb-'));
  const auto = await prepareSandbox({ mode: 'auto', noSetup: true });
  const off = await prepareSandbox({ mode: 'off' });
  try {
    const n = Math.max(5, runs * 3);
    const cmd = async (sandbox: typeof auto) => {
      const r = await runCommand('true', { workspace: ws, sandbox });
      if (r.exitCode !== 0) throw new Error(`bench: \`true\` failed in the ${sandbox.info} sandbox: ${r.output}`);
    };
    await cmd(auto);
    const autoMs = await timeIt(n, () => cmd(auto));
    const offMs = await timeIt(n, () => cmd(off));
    return {
      info: auto.info,
      startMs: median(starts.auto) - median(starts.off),
      perCommandMs: autoMs - offMs,
      commandOffMs: offMs,
    };
  } finally {
    await auto.close();
    await rm(ws, { recursive: true, force: true });
  }
}

/** A checkout-like tree: `files` files in a git index, mostly small TypeScript, one word sprinkled for Grep. */
async function generateTree(files: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bda-bench-tree-'));
  const perDir = 100;
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'big', scripts: { test: 'vitest' }, devDependencies: { typescript: '5', vitest: '3' } }),
  );
  await writeFile(join(dir, 'README.md'), '# big\n\nA generated repository for the benchmark.\n');
  await writeFile(join(dir, '.gitignore'), 'node_modules/\n*.log\n');
  for (let i = 0; i < files - 3; i += perDir) {
    const sub = join(dir, i % 3 === 0 ? 'src' : i % 3 === 1 ? 'lib' : 'test', `m${Math.floor(i / 1000)}`, `d${i}`);
    await mkdir(sub, { recursive: true });
    const writes: Promise<void>[] = [];
    for (let j = i; j < Math.min(i + perDir, files - 3); j++) {
      const ext = j % 5 === 0 ? 'md' : j % 5 === 1 ? 'json' : 'ts';
      const body = `// file ${j}\nexport const value${j} = ${j};\n${j % 97 === 0 ? 'export const needleWord = true;\n' : ''}export function f${j}(x: number) { return x + ${j}; }\n`;
      writes.push(writeFile(join(sub, `f${j}.${ext}`), body));
    }
    await Promise.all(writes);
  }
  const git = (a: string[]) => {
    const r = spawnSync('git', a, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
    });
    if (r.status !== 0) throw new Error(`bench: git ${a.join(' ')}: ${r.stderr}`);
  };
  git(['init', '-q']);
  git(['add', '-A']);
  return dir;
}

function rgTime(treeDir: string, rgArgs: string[]): Promise<number> {
  return new Promise((res, rej) => {
    const t = performance.now();
    const child: ChildProcess = spawn('rg', rgArgs, { cwd: treeDir, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.on('data', () => {});
    child.on('error', rej);
    child.on('close', () => res(performance.now() - t));
  });
}

async function treeFigures(files: number, runs: number) {
  const started = performance.now();
  const dir = await generateTree(files);
  log(`  generated ${files} files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  try {
    const n = Math.max(3, runs);
    const ctx = await repoContext(dir);
    if (ctx.files < files * 0.9) throw new Error(`bench: repoContext saw ${ctx.files} of ${files} files`);
    const contextMs = await timeIt(n, () => repoContext(dir));
    const tb = await createToolbox({ workspace: dir, tools: ['Glob', 'Grep'], env: process.env });
    const hasRg = spawnSync('rg', ['--version']).status === 0;
    const tool = async (name: string, input: object) => {
      const r = await tb.run(name, input);
      if (r.isError) throw new Error(`bench: ${name} failed: ${JSON.stringify(r.content).slice(0, 300)}`);
    };
    const glob = { pattern: '**/*.ts' };
    const grep = { pattern: 'needleWord' };
    await tool('Glob', glob);
    await tool('Grep', grep);
    const globMs = await timeIt(n, () => tool('Glob', glob));
    const grepMs = await timeIt(n, () => tool('Grep', grep));
    let rgGlobMs = NaN;
    let rgGrepMs = NaN;
    if (hasRg) {
      // What ripgrep itself takes for the same answer: the .ts file list, the files containing the word.
      rgGlobMs = await timeIt(n, () => rgTime(dir, ['--files', '--hidden', '-g', '!.git', '-g', '*.ts']));
      rgGrepMs = await timeIt(n, () => rgTime(dir, ['-l', '--hidden', '-g', '!.git', '-e', 'needleWord']));
    }
    await tb.close();
    return { files, contextMs, contextSource: existsGit(dir), globMs, grepMs, rgGlobMs, rgGrepMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const existsGit = (dir: string) =>
  spawnSync('git', ['-C', dir, 'rev-parse', '--git-dir']).status === 0 ? 'git ls-files' : 'walk';

// ------------------------------------------------------------------------------------------------- the table

interface Row {
  what: string;
  value: string;
  target: string;
  ok?: boolean;
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(): Promise<void> {
  const bundle = await stat(ENTRY).catch(() => null);
  if (!bundle) throw new Error(`bench: ${ENTRY} is missing; run npm run bundle first.`);
  const m = machine();
  log(`bench${SMOKE ? ' --smoke' : ''}: ${RUNS} run(s) per figure on ${m.cpu}, ${m.cores} cores, node ${m.node}`);
  const sandboxOn = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true']).status === 0;
  const sandboxMode = sandboxOn ? 'auto' : 'off';

  // A discarded warm-up run: loads the OpenAPI description into this process, warms the page cache.
  await runOnce(fiveTurns(), { sandbox: sandboxMode });
  log('5-turn task');
  const five = await task('5-turn', fiveTurns, { sandbox: sandboxMode }, RUNS);
  log('5-turn task, sandbox off');
  const fiveOff = await task('5-turn off', fiveTurns, { sandbox: 'off' }, SMOKE ? 1 : RUNS);
  // Three MCP servers (server-filesystem, 14 tools each) from the mcp-config input: what their tools add to the first
  // request, and what starting them (in parallel, in the sandbox) adds before it.
  log('5-turn task with 3 MCP servers');
  const servers = await installFilesystemServer();
  const three = Object.fromEntries(
    ['fs1', 'fs2', 'fs3'].map((n) => [n, { command: FILESYSTEM_SERVER_BIN, args: ['.'] }]),
  );
  const mcp = await task(
    '5-turn mcp',
    fiveTurns,
    { sandbox: sandboxMode, 'mcp-config': JSON.stringify({ mcpServers: three }) },
    SMOKE ? 1 : RUNS,
    { PATH: servers.path },
  ).finally(() => servers.close());
  log('5-turn task through the local CLI');
  const cliRuns: Array<{ wallMs: number; peakRssBytes: number }> = [];
  for (let i = 0; i < RUNS; i++) cliRuns.push(await runCliOnce(fiveTurns(), sandboxMode));
  const cli = {
    wallMs: median(cliRuns.map((r) => r.wallMs)),
    peakRssMiB: median(cliRuns.map((r) => r.peakRssBytes)) / MiB,
  };
  log('50-turn task');
  const fifty = await task(
    '50-turn',
    fiftyTurns,
    { sandbox: sandboxMode, 'max-turns': '60' },
    SMOKE ? 1 : Math.max(1, Math.ceil(RUNS / 2)) | 1,
  );
  // The scripts are written so every call succeeds: an error result means a tool or the script broke.
  const toolErrors = five.toolErrors + fiveOff.toolErrors + mcp.toolErrors + fifty.toolErrors;
  if (toolErrors)
    throw new Error(
      `bench: ${toolErrors} scripted tool call(s) returned an error result; see the transcript (BENCH_VERBOSE=1).`,
    );
  log('sandbox');
  const sandbox = sandboxOn ? await sandboxFigures(SMOKE ? 1 : RUNS) : null;
  log(`tree of ${TREE_FILES} files`);
  const tree = await treeFigures(TREE_FILES, SMOKE ? 1 : RUNS);
  const bundleBytes = bundle.size;
  const bundleGzip = gzipSync(readFileSync(ENTRY)).length;

  const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');
  const s = (x: number) => `${(x / 1000).toFixed(3)} s`;
  const kb = (x: number) => `${(x / 1000).toFixed(1)} KB`;
  const ratio = (a: number, b: number) => a / b;
  const rows: Row[] = [
    { what: '5-turn task: wall (median)', value: s(five.wallMs), target: '≤ 0.35 s', ok: five.wallMs <= 350 },
    {
      what: '5-turn task: peak RSS',
      value: `${five.peakRssMiB.toFixed(1)} MiB`,
      target: '≤ 90 MiB',
      ok: five.peakRssMiB <= 90,
    },
    { what: '5-turn task, sandbox off: wall', value: s(fiveOff.wallMs), target: '' },
    {
      what: '5-turn task, local CLI (no GitHub, no push): wall / RSS',
      value: `${s(cli.wallMs)} / ${cli.peakRssMiB.toFixed(1)} MiB`,
      target: '',
    },
    { what: '50-turn task: wall', value: s(fifty.wallMs), target: '≤ 1.2 s', ok: fifty.wallMs <= 1200 },
    { what: '50-turn task: peak RSS', value: `${fifty.peakRssMiB.toFixed(1)} MiB`, target: '' },
    { what: 'process start → first model request', value: ms(five.firstRequestMs), target: '' },
    {
      what: 'first request',
      value: kb(five.firstRequestBytes),
      target: '≤ 12 KB',
      ok: five.firstRequestBytes <= 12_000,
    },
    {
      what: 'first request, 3 MCP servers (42 tools)',
      value: `${kb(mcp.firstRequestBytes)} (+${kb(mcp.firstRequestBytes - five.firstRequestBytes)})`,
      target: '',
    },
    { what: 'process start → first model request, 3 MCP servers', value: ms(mcp.firstRequestMs), target: '' },
    {
      what: 'later requests, 50-turn (median; growth per turn)',
      value: `${kb(fifty.laterRequestBytes)} (+${kb(fifty.laterRequestGrowthBytes)})`,
      target: '',
    },
    {
      what: 'input tokens from cache, turn 2+ (5 / 50)',
      value: `${(five.cacheShare * 100).toFixed(1)} % / ${(fifty.cacheShare * 100).toFixed(1)} %`,
      target: '≥ 90 %',
      ok: Math.min(five.cacheShare, fifty.cacheShare) >= 0.9,
    },
    ...Object.entries(fifty.toolMs)
      .sort()
      .map(([k, v]) => ({ what: `tool ${k} (50-turn, ${v.calls} calls)`, value: ms(v.medianMs), target: '' })),
    {
      what: `sandbox start (${sandbox?.info ?? 'bwrap unusable'})`,
      value: sandbox ? ms(sandbox.startMs) : 'n/a',
      target: '',
    },
    { what: 'sandbox per Bash command', value: sandbox ? ms(sandbox.perCommandMs) : 'n/a', target: '' },
    {
      what: `repo context, ${tree.files} files (${tree.contextSource})`,
      value: ms(tree.contextMs),
      target: '≤ 200 ms',
      ok: tree.contextMs <= 200,
    },
    {
      what: 'Glob **/*.ts vs rg --files',
      value: `${ratio(tree.globMs, tree.rgGlobMs).toFixed(2)}× (${ms(tree.globMs)} / ${ms(tree.rgGlobMs)})`,
      target: '≤ 1.5×',
      ok: tree.globMs / tree.rgGlobMs <= 1.5,
    },
    {
      what: 'Grep word vs rg -l',
      value: `${ratio(tree.grepMs, tree.rgGrepMs).toFixed(2)}× (${ms(tree.grepMs)} / ${ms(tree.rgGrepMs)})`,
      target: '≤ 1.5×',
      ok: tree.grepMs / tree.rgGrepMs <= 1.5,
    },
    {
      what: 'bundle dist/index.js (gzip)',
      value: `${(bundleBytes / MiB).toFixed(2)} MiB (${(bundleGzip / MiB).toFixed(2)} MiB)`,
      target: '',
    },
  ];
  const w0 = Math.max(...rows.map((r) => r.what.length));
  const w1 = Math.max(...rows.map((r) => r.value.length));
  const lines = [
    `backend-developer-action bench${SMOKE ? ' (smoke: not representative)' : ''} — ${m.cpu}, ${m.cores} cores, node ${m.node}, ${RUNS} runs, medians`,
    `${'figure'.padEnd(w0)} | ${'value'.padEnd(w1)} | target`,
    `${'-'.repeat(w0)}-|-${'-'.repeat(w1)}-|-------`,
    ...rows.map(
      (r) => `${r.what.padEnd(w0)} | ${r.value.padEnd(w1)} | ${r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : '—'}`,
    ),
  ];
  console.log(lines.join('\n'));
  const results = {
    date: new Date().toISOString(),
    smoke: SMOKE,
    machine: m,
    runs: RUNS,
    five,
    fiveOff,
    mcp,
    cli,
    fifty,
    sandbox,
    tree,
    bundle: { bytes: bundleBytes, gzipBytes: bundleGzip },
    rows,
  };
  await writeFile(OUT, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${OUT}`);
}

try {
  await main();
} catch (e) {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
} finally {
  if (rssHookDir) await rm(rssHookDir, { recursive: true, force: true });
}
