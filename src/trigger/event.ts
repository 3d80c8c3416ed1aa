import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';

export interface GitHubUser {
  readonly login: string;
  readonly id: number;
  readonly type: string;
}

/** The parts of an `issue_comment` event the action uses. */
export interface CommentEvent {
  readonly comment: {
    readonly id: number;
    readonly body: string;
    readonly user: GitHubUser;
    readonly html_url: string;
  };
  readonly issue: {
    readonly number: number;
    readonly title: string;
    readonly body: string | null;
    readonly user: GitHubUser;
    readonly pull_request?: unknown;
  };
  readonly repository: {
    readonly full_name: string;
    readonly default_branch: string;
    readonly name: string;
    readonly owner: { readonly login: string };
  };
}

/**
 * An event file as read, before readCommentEvent has looked: the runner writes it, so fields are trusted to have their
 * GitHub types; the optional ones are those readCommentEvent checks or defaults (another event, a hand-written file).
 */
interface EventPayload {
  readonly action?: string;
  readonly comment?: Partial<CommentEvent['comment']> & Pick<CommentEvent['comment'], 'html_url'>;
  readonly issue?: Partial<CommentEvent['issue']> & Pick<CommentEvent['issue'], 'user'>;
  readonly repository?: CommentEvent['repository'];
}

export type EventRead = { readonly skip: string } | { readonly event: CommentEvent };

/**
 * Reads the event the runner hands the action. Another event or anything but a newly created comment is skipped with
 * a reason (the workflow may listen to more than comments); no event at all means it did not run from a workflow —
 * a setup error, as is an unreadable event file.
 */
export function readCommentEvent(env: NodeJS.ProcessEnv = process.env): EventRead {
  const name = env.GITHUB_EVENT_NAME?.trim() ?? '';
  if (!name) {
    throw new UserError(
      'The action ran outside a GitHub Actions workflow (GITHUB_EVENT_NAME is not set): run it from a workflow on ' +
        'issue_comment (on: issue_comment, types: [created]), or use the CLI (backend-developer-action run "<task>") ' +
        'on a checkout.',
    );
  }
  if (name !== 'issue_comment') {
    return {
      skip: `event '${name}' is not issue_comment; this action answers comments (on: issue_comment, types: [created]).`,
    };
  }
  const path = env.GITHUB_EVENT_PATH;
  if (!path)
    throw new UserError(
      'GITHUB_EVENT_PATH is not set: run this action from a GitHub Actions workflow (or set it to an event JSON file).',
    );
  let payload: EventPayload;
  try {
    payload = JSON.parse(readFileSync(path, 'utf8')) as EventPayload;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(
      `Cannot read the event file ${path} (${why}): the runner writes it; when running by hand, point GITHUB_EVENT_PATH at a valid issue_comment event JSON.`,
    );
  }
  if (payload.action !== 'created') {
    return { skip: `comment was ${payload.action ?? 'changed'}, not created: only new comments are commands.` };
  }
  const { comment, issue, repository } = payload;
  if (!comment?.user || typeof comment.id !== 'number' || !issue || typeof issue.number !== 'number' || !repository) {
    throw new UserError(`The event file ${path} is not an issue_comment event: it lacks comment, issue or repository.`);
  }
  return {
    event: {
      comment: { id: comment.id, body: comment.body ?? '', user: comment.user, html_url: comment.html_url },
      issue: {
        number: issue.number,
        title: issue.title ?? '',
        body: issue.body ?? null,
        user: issue.user,
        ...(issue.pull_request ? { pull_request: issue.pull_request } : {}),
      },
      repository,
    },
  };
}
