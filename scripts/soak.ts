// npm run soak -- --runs N [--seed S] [--concurrency C] [--replay RUN_SEED]
// N runs of dist/index.js, each with faults drawn at random (model API, GitHub, git, the process) from a seeded
// PRNG, each checked against issue 7's invariants: a final STATUS comment; every change the agent made on a pushed
// branch (or a report that says exactly why not); no duplicate PR or comment; the exit code fail-on asks for;
// bounded wall time. One line per run (with its seed: `--replay <seed>` runs that one again), then a summary.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  runFault,
  explain,
  cancelWhenPushStarts,
  type FaultContext,
  type FaultSpec,
} from '../test-support/fault-run.ts';
import { healthTurns } from '../test-support/health-scenario.ts';
import { git, pushAsHuman } from '../test-support/git.ts';
import { REPO, type Turn } from '../test-support/scenario.ts';
import { mulberry32 } from '../test-support/anthropic-server.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '4' },
    replay: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const BASE_SEED = Number(values.seed) >>> 0;
const CONCURRENCY = Math.max(1, Number(values.concurrency));
const MAX_WALL_MS = 60_000;

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const FAST = { 'retry-after-ms': '50' };

/** A plan being built: the model's turns (as a function of the context), setup steps, inputs, the fault names. */
interface Plan {
  names: string[];
  turns: (ctx: FaultContext) => Turn[];
  setups: Array<(ctx: FaultContext) => Promise<void> | void>;
  inputs: Record<string, string>;
  onStart?: (ctx: FaultContext) => void;
}

type Mod = (p: Plan, rng: Rng) => void;

/** Wraps the turn list: `f` receives the current turns and the context and returns the new ones. */
const mapTurns = (p: Plan, f: (t: Turn[], ctx: FaultContext) => Turn[]): void => {
  const prev = p.turns;
  p.turns = (ctx) => f(prev(ctx), ctx);
};
const bash = (command: string, timeout = 60_000): Turn => ({
  content: [{ type: 'tool_use', name: 'Bash', input: { command, timeout } }],
});
const status = (s: string, summary: string): Turn => ({
  content: [{ type: 'text', text: `STATUS: ${s}\nSUMMARY: ${summary}\nFILES: ` }],
});
/** The index of the STATUS turn (the last), so faults land on tool turns before it. */
const toolTurn = (rng: Rng, t: Turn[]): number => int(rng, 0, Math.max(0, t.length - 2));

const MODEL: Record<string, Mod> = {
  '429': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        { fault: { http: 429, errorType: 'rate_limit_error', message: 'rate limited', headers: FAST } },
        ...t.slice(k),
      ];
    }),
  '529-once': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        { fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded', headers: FAST } },
        ...t.slice(k),
      ];
    }),
  '529-sustained': (p, rng) =>
    mapTurns(p, (t) => [
      ...t.slice(0, int(rng, 1, t.length - 1)),
      { fault: { http: 529, errorType: 'overloaded_error', message: 'Overloaded', headers: FAST }, repeat: 3 },
    ]),
  '500': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        { fault: { http: 500, errorType: 'api_error', message: 'Internal server error', headers: FAST } },
        ...t.slice(k),
      ];
    }),
  reset: (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [...t.slice(0, k), { fault: { reset: true } }, ...t.slice(k)];
    }),
  'cut-mid-tool-input': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [...t.slice(0, k), { ...t[k]!, fault: { cutAfterEvents: 'mid-tool-input' } }, ...t.slice(k)];
    }),
  'stream-error': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        {
          ...t[k]!,
          fault: { streamError: { type: 'overloaded_error', message: 'Overloaded' }, afterEvents: int(rng, 1, 6) },
        },
        ...t.slice(k),
      ];
    }),
  'hang-timeout': (p, rng) => {
    p.inputs['timeout-minutes'] = '0.05';
    mapTurns(p, (t) => [...t.slice(0, int(rng, 1, t.length - 1)), { fault: { hang: true } }]);
  },
  'max-tokens-mid-tool': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        {
          content: [
            { type: 'text', text: 'Next:' },
            { type: 'tool_use', name: 'Write', input: { file_path: 'cut.txt', content: 'par' } },
          ],
          stop_reason: 'max_tokens',
        },
        ...t.slice(k),
      ];
    }),
  'context-exceeded': (p, rng) =>
    mapTurns(p, (t) => {
      const k = toolTurn(rng, t);
      return [
        ...t.slice(0, k),
        { content: [{ type: 'text', text: 'Looking further,' }], stop_reason: 'model_context_window_exceeded' },
        ...t.slice(k),
      ];
    }),
};

const GITHUB: Record<string, Mod> = {
  '502-comment': (p, rng) => {
    const applied = rng() < 0.5;
    p.names[p.names.length - 1] += applied ? '(applied)' : '';
    const times = int(rng, 1, 2);
    p.setups.push(({ s }) => s.gh.inject({ operationId: 'issues/create-comment', status: 502, applied, times }));
  },
  '503-pr': (p, rng) => {
    const applied = rng() < 0.5;
    p.names[p.names.length - 1] += applied ? '(applied)' : '';
    p.setups.push(({ s }) => s.gh.inject({ operationId: 'pulls/create', status: 503, applied }));
  },
  '502-check-run': (p, rng) => {
    const applied = rng() < 0.5;
    p.names[p.names.length - 1] += applied ? '(applied)' : '';
    p.setups.push(({ s }) => s.gh.inject({ operationId: 'checks/create', status: 502, applied }));
  },
  '502-update-comment': (p) =>
    p.setups.push(({ s }) => s.gh.inject({ operationId: 'issues/update-comment', status: 502 })),
  'secondary-rate-limit': (p, rng) => {
    const operationId = pick(rng, ['issues/create-comment', 'issues/update-comment', 'pulls/create']);
    p.setups.push(({ s }) => s.gh.inject({ operationId, kind: 'secondary-rate-limit', retryAfter: 1 }));
  },
  '422-pr-exists': (p) =>
    p.setups.push(async ({ s, branch }) => {
      await pushAsHuman(s.origin, branch, { 'NOTES.md': 'wip\n' }, 'WIP');
      s.gh.addPull(REPO, { head: branch, title: 'WIP', login: 'alice' });
      s.gh.inject({ operationId: 'pulls/list', status: 200, body: [] });
    }),
  'progress-deleted': (p, rng) =>
    mapTurns(p, (t, ctx) => {
      const k = int(rng, 1, t.length - 1);
      return t.map((turn, i) =>
        i !== k
          ? turn
          : {
              ...turn,
              expect: () => {
                const c = ctx.s.gh.state.comments.find((x) => x.body.includes(`progress=${ctx.commentId} -->`));
                if (c) ctx.s.gh.deleteComment(c.id);
              },
            },
      );
    }),
};

/** The STATUS turn, with `during` started when its request arrives and `ms` to finish first. */
const onLast = (t: Turn[], ctx: FaultContext, during: () => Promise<unknown> | void, ms: number): Turn[] => {
  const last = t.at(-1)!;
  return [...t.slice(0, -1), { ...last, delayMs: ms, expect: () => void ctx.pending.push(Promise.resolve(during())) }];
};

const GIT_PROCESS: Record<string, Mod> = {
  'human-push': (p) =>
    mapTurns(p, (t, ctx) =>
      onLast(t, ctx, () => pushAsHuman(ctx.s.origin, ctx.branch, { 'CHANGELOG.md': '- human\n' }), 1500),
    ),
  'human-push-conflict': (p) =>
    mapTurns(p, (t, ctx) =>
      onLast(
        t,
        ctx,
        () => pushAsHuman(ctx.s.origin, ctx.branch, { 'src/server.js': 'export const routes = {};\n' }),
        1500,
      ),
    ),
  'remote-unreachable': (p) => mapTurns(p, (t, ctx) => onLast(t, ctx, () => ctx.s.http.close(), 300)),
  'unrelated-branch': (p) =>
    p.setups.push(async ({ s, branch }) => {
      const dir = await mkdtemp(join(s.origin.root, 'orphan-'));
      await git(dir, ['init', '-q', dir]);
      await git(dir, ['checkout', '-q', '--orphan', 'x']);
      await writeFile(join(dir, 'OTHER.md'), 'other\n');
      await git(dir, ['add', '-A']);
      await git(dir, ['commit', '-q', '-m', 'unrelated']);
      await git(dir, ['push', '-q', s.origin.bareDir, `HEAD:refs/heads/${branch}`]);
      await rm(dir, { recursive: true, force: true });
    }),
  'dirty-workspace': (p) => p.setups.push(({ s }) => writeFile(join(s.workspace, 'scratch.txt'), 'dirty\n')),
  'large-diff': (p) =>
    mapTurns(p, (t) => [
      ...t.slice(0, -1),
      bash(
        "node -e \"const fs=require('fs');fs.mkdirSync('gen',{recursive:true});for(let i=0;i<1500;i++)fs.writeFileSync('gen/f'+i+'.txt','x'+i+'\\n')\"",
      ),
      t.at(-1)!,
    ]),
  'binary-files': (p) =>
    mapTurns(p, (t) => [
      ...t.slice(0, -1),
      bash("mkdir -p assets && head -c 100000 /dev/urandom > assets/blob.bin && printf '\\000\\377' > assets/tiny.bin"),
      t.at(-1)!,
    ]),
  'file-deleted': (p) => mapTurns(p, (t) => [...t.slice(0, -1), bash('rm README.md'), t.at(-1)!]),
  'sigterm-mid-tool': (p, rng) =>
    mapTurns(p, (t, ctx) => {
      const k = int(rng, 1, t.length - 1);
      return [
        ...t.slice(0, k),
        { ...bash('sleep 30'), expect: () => void setTimeout(() => ctx.child?.kill('SIGTERM'), 600) },
        status('COMPLETE', 'unreached'),
      ];
    }),
  'sigterm-at-push': (p) =>
    mapTurns(p, (t, ctx) => {
      const last = t.at(-1)!;
      return [
        ...t.slice(0, -1),
        {
          ...last,
          // The next request to the git server after the last answer is the push: cancel the job right then.
          expect: () => cancelWhenPushStarts(ctx),
        },
      ];
    }),
  'huge-output': (p) =>
    mapTurns(p, (t) => [
      ...t.slice(0, -1),
      bash('yes 0123456789abcdef0123456789abcdef | head -c 100000000'),
      t.at(-1)!,
    ]),
};

function plan(runSeed: number): { names: string[]; spec: FaultSpec } {
  const rng = mulberry32(runSeed);
  const p: Plan = { names: [], turns: () => healthTurns(), setups: [], inputs: {} };
  const groups: Array<[number, Record<string, Mod>]> = [
    [0.55, MODEL],
    [0.45, GITHUB],
    [0.4, GIT_PROCESS],
  ];
  for (const [chance, mods] of groups) {
    if (rng() >= chance) continue;
    const name = pick(rng, Object.keys(mods));
    p.names.push(name);
    mods[name]!(p, rng);
  }
  if (rng() < 0.15) p.inputs['fail-on'] = pick(rng, ['ERROR', 'BLOCKED,ERROR,WAITING', 'COMPLETE']);
  return {
    names: p.names.length ? p.names : ['none'],
    spec: {
      turns: p.turns,
      setup: async (ctx) => {
        for (const s of p.setups) await s(ctx);
      },
      inputs: p.inputs,
      maxWallMs: MAX_WALL_MS,
      seed: runSeed,
    },
  };
}

interface Row {
  i: number;
  seed: number;
  ok: boolean;
  hasStatus: boolean;
  workLost: boolean;
  duplicates: boolean;
  wallMs: number;
}

async function one(i: number, runSeed: number): Promise<Row> {
  const { names, spec } = plan(runSeed);
  const t0 = Date.now();
  try {
    const o = await runFault(spec);
    try {
      const v = o.verdict;
      const ok = v.problems.length === 0;
      console.log(
        `run ${String(i + 1).padStart(3)} seed=${runSeed} faults=${names.join('+')} → ${v.status ?? '-'} exit=${o.run.code ?? o.run.signal} ` +
          `${v.changed.length ? (v.savedOn ? `saved on ${v.savedOn}` : 'not pushed (reported)') : 'no changes'} ${(o.wallMs / 1000).toFixed(1)} s ${ok ? 'ok' : `FAIL: ${v.problems.join('; ')}`}`,
      );
      if (!ok && values.verbose) console.log(explain(o));
      return {
        i,
        seed: runSeed,
        ok,
        hasStatus: v.hasStatus,
        workLost: v.workLost,
        duplicates: v.duplicates,
        wallMs: o.wallMs,
      };
    } finally {
      await o.close();
    }
  } catch (e) {
    console.log(
      `run ${String(i + 1).padStart(3)} seed=${runSeed} faults=${names.join('+')} → HARNESS ERROR ${(e as Error).stack ?? String(e)}`,
    );
    return {
      i,
      seed: runSeed,
      ok: false,
      hasStatus: false,
      workLost: false,
      duplicates: false,
      wallMs: Date.now() - t0,
    };
  }
}

const seeds =
  values.replay !== undefined
    ? [Number(values.replay) >>> 0]
    : Array.from({ length: RUNS }, (_, i) => (BASE_SEED + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
console.log(
  `soak: ${seeds.length} runs, seed ${values.replay !== undefined ? `replay ${seeds[0]}` : BASE_SEED}, concurrency ${CONCURRENCY}, node ${process.version}`,
);
const started = Date.now();
const rows: Row[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(CONCURRENCY, seeds.length) }, async () => {
    while (next < seeds.length) {
      const i = next++;
      rows.push(await one(i, seeds[i]!));
    }
  }),
);
const failed = rows.filter((r) => !r.ok);
console.log(
  `\nruns ${rows.length}, with STATUS ${rows.filter((r) => r.hasStatus).length}, work lost ${rows.filter((r) => r.workLost).length}, ` +
    `duplicates ${rows.filter((r) => r.duplicates).length}, max wall ${(Math.max(0, ...rows.map((r) => r.wallMs)) / 1000).toFixed(1)} s` +
    ` (failed ${failed.length}; total ${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
if (failed.length) console.log(`replay a failure: npm run soak -- --replay ${failed[0]!.seed} --verbose`);
process.exit(failed.length ? 1 : 0);
