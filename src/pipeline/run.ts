/**
 * The run's shared state: what every step reads (configuration, event, clients) and the little that steps change
 * (the status, the notes under it, the figures). The status changes only through `worsen`, so the order of the
 * steps cannot lose a reason.
 */
import type { Config } from '../config/inputs.ts';
import type { CommentEvent } from '../trigger/event.ts';
import { graphqlUrlFor, type GitHub, type RepoRef } from '../github/client.ts';
import type { Identity, PostedComment } from '../github/comments.ts';
import type { StatusBlock } from '../session/status.ts';
import type { Status } from '../constants.ts';
import type { Logger } from '../log.ts';
import type { Outputs } from './outputs.ts';
import type { Progress } from '../report/progress.ts';
import type { RunFigures } from '../report/status-comment.ts';
import { UserError } from '../errors.ts';

export type Redact = (text: string) => string;

/** Where the run happens, from the runner's environment. */
export interface RunEnv {
  readonly workspace: string;
  readonly repo: RepoRef;
  readonly repoFullName: string;
  readonly apiUrl: string;
  /** GITHUB_GRAPHQL_URL, or the one derived from apiUrl. */
  readonly graphqlUrl: string;
  readonly serverUrl: string;
  readonly runUrl: string;
  readonly runnerTemp: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  const full = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo)
    throw new UserError('GITHUB_REPOSITORY is not set to owner/name: run this action from a GitHub Actions workflow.');
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const apiUrl = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '');
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    repo: { owner, repo },
    repoFullName: full,
    apiUrl,
    graphqlUrl: graphqlUrlFor(apiUrl, env.GITHUB_GRAPHQL_URL),
    serverUrl,
    runUrl: `${serverUrl}/${full}/actions/runs/${env.GITHUB_RUN_ID ?? ''}`,
    runnerTemp: env.RUNNER_TEMP || env.TMPDIR || '/tmp',
  };
}

/** The progress comment on the issue: the live checklist, and the report when there is no pull request. */
export interface ProgressChannel {
  readonly progress: Progress;
  /** The posted comment, once known. */
  comment(): PostedComment | null;
  /** Logs the phase and ticks it off in the checklist. */
  phase(name: string): void;
}

/** What the steps share. Fixed fields are readonly; `status`, `notes` and `figures` are the run's record. */
export interface Run {
  readonly cfg: Config;
  readonly env: RunEnv;
  readonly event: CommentEvent;
  readonly gh: GitHub;
  /** Who the action posts as, learnt from its first write: only comments by that account are ever updated. */
  readonly me: Identity;
  readonly log: Logger;
  readonly redact: Redact;
  readonly outputs: Outputs;
  readonly cancelled: AbortSignal;
  readonly started: number;
  readonly agentName: string;
  readonly task: string;
  readonly channel: ProgressChannel;
  readonly figures: RunFigures;
  /** Italic notes under the STATUS in the report. */
  readonly notes: string[];
  /**
   * Facts about what the run used, one line each, in the report's small print above the figures and in the job
   * summary: "not available here: WebSearch", a delegation with its turns and cost, MCP servers and their calls.
   */
  readonly footer: string[];
  status: StatusBlock;
  /** The run's changes as a patch, when they could not be published: kept in the job summary. */
  patch?: string;
}

export function errorStatus(summary: string, blocker: string): StatusBlock {
  return { status: 'ERROR', summary, files: [], blocker };
}

const SEVERITY: Record<Status, number> = { COMPLETE: 0, WAITING: 1, BLOCKED: 2, ERROR: 3 };

/**
 * The one way a step changes the status after the agent ended: it only gets worse. A worse status brings its
 * reason as BLOCKER; at the same severity the first reason stays (it is the cause, later ones are consequences).
 */
export function worsen(run: Run, to: 'BLOCKED' | 'ERROR', blocker: string): void {
  if (SEVERITY[to] > SEVERITY[run.status.status]) run.status = { ...run.status, status: to, blocker };
  else if (to === run.status.status) run.status = { ...run.status, blocker: run.status.blocker ?? blocker };
}

/** The message the step fails with when the status is in fail-on, else null. */
export function failureOf(run: Pick<Run, 'cfg'>, status: StatusBlock): string | null {
  return run.cfg.failOn.includes(status.status) ? `${status.status}: ${status.blocker ?? status.summary}` : null;
}
