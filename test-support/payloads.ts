import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);

interface CommentOptions {
  /** owner/name */
  repo: string;
  defaultBranch?: string;
  issueNumber: number;
  issueTitle?: string;
  issueBody?: string;
  body: string;
  login: string;
  userId?: number;
  userType?: 'User' | 'Bot';
  commentId?: number;
  action?: 'created' | 'edited' | 'deleted';
  /** Makes it a comment on a pull request (issue.pull_request set), as GitHub sends it. */
  pullRequest?: boolean;
  serverUrl?: string;
  apiUrl?: string;
}

/** A webhook user as the payload carries it: the fields the tests set and read, the rest as GitHub sends them. */
export interface WebhookUser {
  login: string;
  id: number;
  type: string;
  html_url: string;
  [field: string]: unknown;
}

/** The issue_comment payload: the fields set here and read by the tests and the action, the rest kept as is. */
export interface IssueCommentEvent {
  action: string;
  repository: {
    name: string;
    full_name: string;
    owner: { login: string; [field: string]: unknown };
    html_url: string;
    url: string;
    default_branch: string;
    [field: string]: unknown;
  };
  issue: {
    number: number;
    title: string;
    body: string | null;
    html_url: string;
    url: string;
    pull_request?: { url: string; html_url: string; diff_url: string; patch_url: string; merged_at: string | null };
    [field: string]: unknown;
  };
  comment: { id: number; body: string; user: WebhookUser; html_url: string; url: string; [field: string]: unknown };
  sender: WebhookUser;
  [field: string]: unknown;
}

/** A real issue_comment payload from @octokit/webhooks-examples, re-pointed at our repo, issue, author and text. */
export function issueCommentEvent(o: CommentOptions): IssueCommentEvent {
  const examples = JSON.parse(
    readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
  ) as Array<{ name: string; examples: IssueCommentEvent[] }>;
  const action = o.action ?? 'created';
  // The newest example of the action (the first ones predate fields the schema now requires).
  const base = examples
    .find((e) => e.name === 'issue_comment')!
    .examples.filter((e) => e.action === action)
    .at(-1)!;
  const ev = structuredClone(base);
  const [owner, name] = o.repo.split('/') as [string, string];
  const server = o.serverUrl ?? 'https://github.com';
  const api = o.apiUrl ?? 'https://api.github.com';
  const repoApi = `${api}/repos/${o.repo}`;
  ev.repository.name = name;
  ev.repository.full_name = o.repo;
  ev.repository.owner.login = owner;
  ev.repository.html_url = `${server}/${o.repo}`;
  ev.repository.url = repoApi;
  ev.repository.default_branch = o.defaultBranch ?? 'main';
  const issueUrl = `${server}/${o.repo}/${o.pullRequest ? 'pull' : 'issues'}/${o.issueNumber}`;
  Object.assign(ev.issue, {
    number: o.issueNumber,
    title: o.issueTitle ?? `Issue ${o.issueNumber}`,
    body: o.issueBody ?? '',
    html_url: issueUrl,
    url: `${repoApi}/issues/${o.issueNumber}`,
    comments_url: `${repoApi}/issues/${o.issueNumber}/comments`,
  });
  const user: WebhookUser = {
    ...ev.comment.user,
    login: o.login,
    id: o.userId ?? 1000 + o.login.length,
    type: o.userType ?? 'User',
  };
  // A bot's profile lives under /apps/ on GitHub (a login with [bot] is not a valid URI path).
  user.html_url = o.login.endsWith('[bot]') ? `${server}/apps/${o.login.slice(0, -5)}` : `${server}/${o.login}`;
  const commentId = o.commentId ?? 4_000_000 + Math.floor(Math.random() * 1_000_000);
  Object.assign(ev.comment, {
    id: commentId,
    body: o.body,
    user,
    html_url: `${issueUrl}#issuecomment-${commentId}`,
    url: `${repoApi}/issues/comments/${commentId}`,
    issue_url: `${repoApi}/issues/${o.issueNumber}`,
  });
  ev.sender = { ...ev.sender, login: o.login, id: user.id, type: user.type };
  if (o.pullRequest) {
    ev.issue.pull_request = {
      url: `${repoApi}/pulls/${o.issueNumber}`,
      html_url: `${server}/${o.repo}/pull/${o.issueNumber}`,
      diff_url: `${server}/${o.repo}/pull/${o.issueNumber}.diff`,
      patch_url: `${server}/${o.repo}/pull/${o.issueNumber}.patch`,
      merged_at: null,
    };
  }
  if (action === 'created') assertValidWebhook(ev);
  return ev;
}

let validator: (((ev: unknown) => boolean) & { errors?: unknown }) | undefined;

/** Validates against the `webhook-issue-comment-created` schema in GitHub's OpenAPI description. */
export function assertValidWebhook(ev: unknown): void {
  if (!validator) {
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { components: unknown };
    const ajv = new Ajv({ strict: false, allErrors: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    ajv.addSchema({ components: doc.components }, 'gh');
    validator = ajv.getSchema('gh#/components/schemas/webhook-issue-comment-created') as typeof validator;
  }
  if (!validator!(ev))
    throw new Error(`issue_comment payload does not match the webhook schema: ${JSON.stringify(validator!.errors)}`);
}
