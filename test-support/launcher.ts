import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const DIST = resolve(import.meta.dirname, '../dist/index.js');

export interface LaunchOptions {
  /** Action inputs by their action.yml name; become INPUT_<NAME> upper-cased with dashes kept. */
  inputs: Record<string, string>;
  eventName: string;
  /** The event payload (written to a file) or a path to use as GITHUB_EVENT_PATH as is. */
  event: object | string;
  repo: string;
  workspace: string;
  apiUrl: string;
  actor?: string;
  /** Extra or overriding environment variables (e.g. ANTHROPIC_BASE_URL, a fake secret to look for). */
  env?: Record<string, string>;
  entry?: string;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::warning::`, `::error::`, `::notice::` lines as the runner would read them. */
  annotations: Array<{ level: string; message: string }>;
  runnerTemp: string;
}

/** Parses a GITHUB_OUTPUT file: `k=v` lines and `k<<DELIM` heredocs. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delim) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: heredoc for ${key} never closed with ${delim}`);
      out[key] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      out[line.slice(0, at)] = line.slice(at + 1);
    } else if (line.trim()) {
      throw new Error(`GITHUB_OUTPUT: unparsable line ${JSON.stringify(line)}`);
    }
  }
  return out;
}

/** Starts `node dist/index.js` with the environment the runner gives a node action. */
export async function launchAction(o: LaunchOptions): Promise<{ child: ChildProcess; done: Promise<ActionRun> }> {
  const runnerTemp = await mkdtemp(join(tmpdir(), 'bda-runner-'));
  const files = {
    GITHUB_OUTPUT: join(runnerTemp, 'output.txt'),
    GITHUB_STEP_SUMMARY: join(runnerTemp, 'summary.md'),
    GITHUB_STATE: join(runnerTemp, 'state.txt'),
    GITHUB_ENV: join(runnerTemp, 'env.txt'),
    GITHUB_PATH: join(runnerTemp, 'path.txt'),
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  let eventPath: string;
  if (typeof o.event === 'string') eventPath = o.event;
  else {
    eventPath = join(runnerTemp, 'event.json');
    await writeFile(eventPath, JSON.stringify(o.event));
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: o.repo,
    GITHUB_REPOSITORY_OWNER: o.repo.split('/')[0]!,
    GITHUB_API_URL: o.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_GRAPHQL_URL: `${o.apiUrl}/graphql`,
    GITHUB_RUN_ID: String(1_000_000 + Math.floor(Math.random() * 1_000_000)),
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: o.actor ?? 'octocat',
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_JOB: 'agent',
    GITHUB_WORKFLOW: 'agent',
    GITHUB_ACTION: '__run',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(runnerTemp, 'tool-cache'),
    ...files,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  Object.assign(env, o.env);
  const child = spawn(process.execPath, [o.entry ?? DIST], {
    cwd: o.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ActionRun>((resolveRun, reject) => {
    child.on('error', reject);
    // The listener returns nothing: reading the output files is a promise chain whose failure rejects the run.
    child.on('close', (code, signal) => {
      const annotations = [...stdout.matchAll(/^::(warning|error|notice)[^:]*::(.*)$/gm)].map((m) => ({
        level: m[1]!,
        message: m[2]!,
      }));
      readFile(files.GITHUB_OUTPUT, 'utf8')
        .then(async (output) => {
          const outputs = parseOutputFile(output);
          const summary = await readFile(files.GITHUB_STEP_SUMMARY, 'utf8');
          resolveRun({ code, signal, stdout, stderr, outputs, summary, annotations, runnerTemp });
        })
        .catch(reject);
    });
  });
  return { child, done };
}

export async function runActionToEnd(o: LaunchOptions): Promise<ActionRun> {
  return (await launchAction(o)).done;
}
