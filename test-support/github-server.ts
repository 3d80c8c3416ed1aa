// A loopback stand-in for GitHub's REST API. Every request is routed and validated against GitHub's official
// OpenAPI description, and so is every response the stand-in itself returns: a test that talks to it meets the
// real contract, and `violations` names whatever broke it (an unknown route, an invalid request, a stand-in bug).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { loadGitHubOpenApi, type MatchedOperation, type RequestToCheck } from './github-openapi.ts';
import { answerGraphql, commitOnBranch, GitHubGraphqlError, type CommitOnBranchInput } from './github-graphql.ts';

type Json = Record<string, unknown>;

// Request bodies as the handlers read them. The request has been validated against GitHub's OpenAPI description
// before a handler runs (unless a test turned validation off to probe the stand-in), so each handler takes its
// operation's body as the narrow shape below: the fields it reads, as the description types them.
interface CommentBody {
  body: string;
}
interface ReactionBody {
  content: string;
}
interface PullCreateBody {
  title?: string;
  head: string;
  head_repo?: string;
  base: string;
  body?: string;
  maintainer_can_modify?: boolean;
  draft?: boolean;
  issue?: number;
}
interface PullUpdateBody {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  base?: string;
  maintainer_can_modify?: boolean;
}
interface CheckOutputBody {
  title?: string;
  summary?: string;
  text?: string;
}
interface CheckRunBody {
  name: string;
  head_sha: string;
  details_url?: string;
  external_id?: string;
  status?: string;
  started_at?: string;
  conclusion?: string;
  completed_at?: string;
  output?: CheckOutputBody;
}
interface CommitStatusBody {
  state: string;
  target_url?: string | null;
  description?: string | null;
  context?: string;
}

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface UserRecord {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface TokenInfo {
  /** Who the token acts as (comments it creates are authored by this login). */
  login: string;
  /** `installation` tokens (GITHUB_TOKEN, app tokens) may create check runs; `user` tokens (PATs) get 403. */
  kind?: 'installation' | 'user';
  /** The token's `contents` permission (default write): `read` makes every write to the repository's git 403. */
  contents?: 'read' | 'write';
}

export interface RepoRecord {
  fullName: string;
  owner: string;
  name: string;
  id: number;
  private: boolean;
  defaultBranch: string;
  fork: boolean;
  /** Next number for an issue or a pull request: they share one sequence per repository. */
  nextNumber: number;
  createdAt: string;
}

export interface PullFields {
  /** Branch name in `headRepo`. */
  head: string;
  /** owner/name of the repository the head branch lives in (a fork when it differs from the issue's repo). */
  headRepo: string;
  base: string;
  draft: boolean;
  /** The head SHA when opened (read again from git when `gitDir` is set). */
  headSha: string;
  mergedAt: string | null;
  maintainerCanModify: boolean;
  id: number;
}

/** An issue; a pull request is an issue with `pull` set (shared numbering, shared comments). */
export interface IssueRecord {
  repo: string;
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: string;
  labels: string[];
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull?: PullFields;
}

export interface CommentRecord {
  id: number;
  repo: string;
  issueNumber: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface ReactionRecord {
  id: number;
  commentId: number;
  user: string;
  content: string;
  createdAt: string;
}

export interface CheckRunRecord {
  id: number;
  repo: string;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** Login of the token that created it (the "app"). */
  app: string;
}

export interface StatusRecord {
  id: number;
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

export interface GitHubState {
  repos: Record<string, RepoRecord>;
  users: Record<string, UserRecord>;
  tokens: Record<string, TokenInfo>;
  /** repo full name → login → permission. Logins not listed have none (private) or read (public). */
  permissions: Record<string, Record<string, Permission>>;
  issues: IssueRecord[];
  /** The issues that are pull requests (same objects as in `issues`). */
  readonly pulls: IssueRecord[];
  comments: CommentRecord[];
  reactions: ReactionRecord[];
  checkRuns: CheckRunRecord[];
  statuses: StatusRecord[];
  /** repo full name → branch → SHA; for the main repo, ignored when `gitDir` is set (git is the truth). */
  branches: Record<string, Record<string, string>>;
}

export interface GitHubSeed {
  /** owner/name of the main repository (default `octo-org/hello-world`). */
  repo?: string;
  defaultBranch?: string;
  private?: boolean;
  /** Other repositories (e.g. forks that PR heads live in; addPull also creates a missing head repo as a fork). */
  extraRepos?: Array<{ fullName: string; private?: boolean; defaultBranch?: string; fork?: boolean }>;
  /** token → who it acts as. Default: {@link DEFAULT_TOKEN} as `github-actions[bot]`. */
  tokens?: Record<string, TokenInfo>;
  users?: Array<{ login: string; type?: UserRecord['type'] }>;
  /** login → permission on the main repository. */
  permissions?: Record<string, Permission>;
  /** branch → SHA of the main repository when `gitDir` is not set. Default: the default branch at a fixed SHA. */
  branches?: Record<string, string>;
  /** A bare repository: branch endpoints and pulls/create read the main repo's branches and SHAs from it. */
  gitDir?: string;
  /** Default `https://github.com`; html_url values are built on it. */
  serverUrl?: string;
  now?: () => Date;
  /**
   * Validate requests and the stand-in's own responses against the description (default true). Routing always uses
   * it; `false` skips the ajv validators, which compile lazily per operation (slow the first time): for benchmarks.
   */
  validate?: boolean;
  /**
   * GitHub Enterprise Server's layout on one host: REST under `/api/v3`, GraphQL at `/api/graphql`, and every other
   * path (the repositories' smart HTTP) forwarded to `gitUrl`. `serverUrl` becomes the stand-in's own root URL.
   */
  ghes?: { gitUrl?: string };
}

export interface Fault {
  operationId: string;
  /** Default 500 (403 for the rate-limit kinds). */
  status?: number;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** GitHub's rate-limit answers: 403 with the real message; `retryAfter` seconds (default 1). */
  kind?: 'secondary-rate-limit' | 'primary-rate-limit';
  retryAfter?: number;
  /**
   * The operation takes effect and only then is the answer replaced by the fault (a 502 after GitHub wrote the
   * comment): what makes a blind retry of a POST create a duplicate.
   */
  applied?: boolean;
}

export interface LoggedRequest {
  /** undefined when the route is not in GitHub's description. */
  operationId: string | undefined;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  body: unknown;
  response: unknown;
  /** Login the token acts as (undefined when anonymous or rejected). */
  login: string | undefined;
  injected: boolean;
}

export interface GitHubStandIn {
  /** Use as GITHUB_API_URL (no trailing slash). */
  url: string;
  serverUrl: string;
  /** owner/name of the main repository. */
  repo: string;
  /** A token the stand-in accepts (the first seeded one). */
  token: string;
  state: GitHubState;
  requests: LoggedRequest[];
  violations: string[];
  /** Milliseconds the OpenAPI description took to load in this process (0 when it was cached). */
  openApiLoadMs: number;
  /** Where GraphQL is served: `${root}/graphql`, or `${root}/api/graphql` for GHES. */
  graphqlUrl: string;
  /** Runs before each GraphQL mutation takes effect (a test moves a branch here, as a concurrent push would). */
  beforeMutation: ((field: string) => void) | undefined;
  /** The commits createCommitOnBranch made, in order. */
  apiCommits: Array<{ branch: string; oid: string; login: string }>;
  assertNoViolations(): void;
  inject(fault: Fault): void;
  addUser(login: string, type?: UserRecord['type']): UserRecord;
  addRepo(fullName: string, o?: { private?: boolean; defaultBranch?: string; fork?: boolean }): RepoRecord;
  setPermission(login: string, permission: Permission, repo?: string): void;
  addIssue(repo: string, o: { title: string; body?: string; login: string; number?: number }): IssueRecord;
  addPull(
    repo: string,
    o: {
      head: string;
      base?: string;
      title: string;
      body?: string;
      login: string;
      draft?: boolean;
      headRepo?: string;
      headSha?: string;
    },
  ): IssueRecord;
  addComment(repo: string, issueNumber: number, o: { login: string; body: string; id?: number }): CommentRecord;
  deleteComment(id: number): void;
  setBranch(repo: string, branch: string, sha: string): void;
  /** Branch → SHA as the stand-in currently sees them (from git when `gitDir` is set). */
  branchesOf(repo: string): Record<string, string>;
  close(): Promise<void>;
}

export const DEFAULT_TOKEN = 'ghs_standInInstallationToken0000000000';
const REST_DOCS = 'https://docs.github.com/rest';
const ZERO_SHA_BASE = 'c0ffee';

class HttpError extends Error {
  status: number;
  body: Json;
  headers: Record<string, string>;
  constructor(status: number, body: Json, headers: Record<string, string> = {}) {
    super(String(body.message));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

interface Ctx {
  op: MatchedOperation;
  p: Record<string, string>;
  query: Record<string, string | string[]>;
  /** The JSON request body (`{}` when none); each handler reads it as its operation's body type above. */
  body: unknown;
  login: string | undefined;
  tokenKind: TokenInfo['kind'];
  repo: RepoRecord;
}
interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startGitHub(seed: GitHubSeed = {}): Promise<GitHubStandIn> {
  const wasLoaded = loaded;
  const openapi = await loadGitHubOpenApi();
  loaded = true;
  let serverUrl = (seed.serverUrl ?? 'https://github.com').replace(/\/$/, '');
  const now = () => (seed.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const mainRepo = seed.repo ?? 'octo-org/hello-world';
  const ids = {
    user: 1000,
    repo: 700_000_000,
    issue: 2_500_000_000,
    pull: 1_900_000_000,
    comment: 3_100_000_000,
    reaction: 280_000_000,
    check: 40_000_000_000,
    status: 33_000_000_000,
  };
  const nextId = (k: keyof typeof ids) => ++ids[k];

  const issues: IssueRecord[] = [];
  const state: GitHubState = {
    repos: {},
    users: {},
    tokens: seed.tokens ?? { [DEFAULT_TOKEN]: { login: 'github-actions[bot]', kind: 'installation' } },
    permissions: {},
    issues,
    get pulls() {
      return issues.filter((i) => i.pull);
    },
    comments: [],
    reactions: [],
    checkRuns: [],
    statuses: [],
    branches: {},
  };
  const faults: Fault[] = [];
  const requests: LoggedRequest[] = [];
  const violations: string[] = [];
  let rateRemaining = 5000;
  let url = '';
  const apiCommits: GitHubStandIn['apiCommits'] = [];
  const hooks: { beforeMutation: GitHubStandIn['beforeMutation'] } = { beforeMutation: undefined };
  const restPrefix = seed.ghes ? '/api/v3' : '';
  const graphqlPath = seed.ghes ? '/api/graphql' : '/graphql';

  // ---- seeding helpers -------------------------------------------------------------------------------------------
  function addUser(login: string, type?: UserRecord['type']): UserRecord {
    const existing = state.users[login];
    if (existing) return existing;
    const u: UserRecord = { login, id: nextId('user'), type: type ?? (login.endsWith('[bot]') ? 'Bot' : 'User') };
    state.users[login] = u;
    return u;
  }
  function addRepo(
    fullName: string,
    o: { private?: boolean; defaultBranch?: string; fork?: boolean } = {},
  ): RepoRecord {
    const [owner, name] = fullName.split('/') as [string, string];
    addUser(owner);
    const r: RepoRecord = {
      fullName,
      owner,
      name,
      id: nextId('repo'),
      private: o.private ?? false,
      defaultBranch: o.defaultBranch ?? 'main',
      fork: o.fork ?? false,
      nextNumber: 1,
      createdAt: now(),
    };
    state.repos[fullName] = r;
    state.permissions[fullName] ??= {};
    state.branches[fullName] ??= { [r.defaultBranch]: fakeSha(`${fullName}:${r.defaultBranch}`) };
    return r;
  }
  function repoOf(fullName: string): RepoRecord {
    const r = state.repos[fullName];
    if (!r) throw new Error(`github stand-in: no repository ${fullName}`);
    return r;
  }
  function setPermission(login: string, permission: Permission, repo = mainRepo) {
    addUser(login);
    (state.permissions[repo] ??= {})[login] = permission;
  }
  function addIssue(repo: string, o: { title: string; body?: string; login: string; number?: number }): IssueRecord {
    const r = repoOf(repo);
    addUser(o.login);
    const number = o.number ?? r.nextNumber;
    if (issues.some((i) => i.repo === repo && i.number === number))
      throw new Error(`github stand-in: #${number} exists in ${repo}`);
    r.nextNumber = Math.max(r.nextNumber, number + 1);
    const t = now();
    const issue: IssueRecord = {
      repo,
      number,
      id: nextId('issue'),
      title: o.title,
      body: o.body ?? null,
      state: 'open',
      user: o.login,
      labels: [],
      locked: false,
      createdAt: t,
      updatedAt: t,
      closedAt: null,
    };
    issues.push(issue);
    return issue;
  }
  function addPull(
    repo: string,
    o: {
      head: string;
      base?: string;
      title: string;
      body?: string;
      login: string;
      draft?: boolean;
      headRepo?: string;
      headSha?: string;
    },
  ): IssueRecord {
    const headRepo = o.headRepo ?? repo;
    if (!state.repos[headRepo]) addRepo(headRepo, { fork: true, private: repoOf(repo).private });
    const issue = addIssue(repo, { title: o.title, body: o.body, login: o.login });
    issue.pull = {
      head: o.head,
      headRepo,
      base: o.base ?? repoOf(repo).defaultBranch,
      draft: o.draft ?? false,
      headSha: o.headSha ?? branchesOf(headRepo)[o.head] ?? fakeSha(`${headRepo}:${o.head}`),
      mergedAt: null,
      maintainerCanModify: false,
      id: nextId('pull'),
    };
    return issue;
  }
  function addComment(
    repo: string,
    issueNumber: number,
    o: { login: string; body: string; id?: number },
  ): CommentRecord {
    if (!issues.some((i) => i.repo === repo && i.number === issueNumber))
      throw new Error(`github stand-in: no #${issueNumber} in ${repo}`);
    addUser(o.login);
    const t = now();
    const c: CommentRecord = {
      id: o.id ?? nextId('comment'),
      repo,
      issueNumber,
      user: o.login,
      body: o.body,
      createdAt: t,
      updatedAt: t,
    };
    state.comments.push(c);
    return c;
  }
  function deleteComment(id: number) {
    const i = state.comments.findIndex((c) => c.id === id);
    if (i < 0) throw new Error(`github stand-in: no comment ${id}`);
    state.comments.splice(i, 1);
    state.reactions = state.reactions.filter((r) => r.commentId !== id);
  }
  function setBranch(repo: string, branch: string, sha: string) {
    (state.branches[repo] ??= {})[branch] = sha;
  }

  // ---- git (the truth for the main repo's branches when gitDir is set) ------------------------------------------
  const git = (...args: string[]) =>
    execFileSync('git', ['--git-dir', seed.gitDir!, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  function branchesOf(repo: string): Record<string, string> {
    if (!(seed.gitDir && repo === mainRepo)) return state.branches[repo] ?? {};
    const out = git('for-each-ref', 'refs/heads', '--format=%(refname:short) %(objectname)');
    return Object.fromEntries(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }
  function commitInfo(
    repo: string,
    sha: string,
  ): { message: string; author: Json; committer: Json; tree: string; parents: string[] } {
    if (seed.gitDir && repo === mainRepo) {
      const [tree, parents, an, ae, ad, cn, ce, cd, ...msg] = git(
        'show',
        '-s',
        '--format=%T%n%P%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B',
        sha,
      ).split('\n');
      return {
        message: msg.join('\n').trim(),
        tree: tree!,
        parents: parents ? parents.split(' ') : [],
        author: { name: an, email: ae, date: isoZ(ad!) },
        committer: { name: cn, email: ce, date: isoZ(cd!) },
      };
    }
    const who = { name: 'Octo Cat', email: 'octocat@example.com', date: now() };
    return { message: 'Initial commit', tree: fakeSha(`tree:${sha}`), parents: [], author: who, committer: who };
  }
  function commitExists(repo: string, sha: string): boolean {
    if (!(seed.gitDir && repo === mainRepo)) return true; // without git there is no object store to ask
    try {
      git('cat-file', '-e', `${sha}^{commit}`);
      return true;
    } catch {
      return false;
    }
  }
  function resolveRef(repo: string, ref: string): string | undefined {
    const b = branchesOf(repo)[ref];
    if (b) return b;
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      if (!(seed.gitDir && repo === mainRepo)) return Object.values(branchesOf(repo)).find((s) => s.startsWith(ref));
      try {
        return git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
  /** True when base already contains head (GitHub: "No commits between base and head"). */
  function noCommitsBetween(base: string, head: string, baseSha: string, headSha: string): boolean {
    if (base === head || baseSha === headSha) return true;
    if (!seed.gitDir) return false;
    try {
      git('merge-base', '--is-ancestor', headSha, baseSha);
      return true;
    } catch {
      return false;
    }
  }

  // ---- response objects, shaped as GitHub returns them ----------------------------------------------------------
  const api = () => url;
  function simpleUser(login: string): Json {
    const u = addUser(login);
    const enc = encodeURIComponent(login);
    const base = `${api()}/users/${enc}`;
    return {
      login,
      id: u.id,
      node_id: `${u.type === 'Bot' ? 'BOT' : u.type === 'Organization' ? 'O' : 'U'}_kgDO${u.id.toString(36).toUpperCase()}`,
      avatar_url:
        u.type === 'Bot'
          ? `https://avatars.githubusercontent.com/in/${u.id}?v=4`
          : `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: '',
      url: base,
      html_url:
        u.type === 'Bot'
          ? `${serverUrl}/apps/${encodeURIComponent(login.replace(/\[bot\]$/, ''))}`
          : `${serverUrl}/${enc}`,
      followers_url: `${base}/followers`,
      following_url: `${base}/following{/other_user}`,
      gists_url: `${base}/gists{/gist_id}`,
      starred_url: `${base}/starred{/owner}{/repo}`,
      subscriptions_url: `${base}/subscriptions`,
      organizations_url: `${base}/orgs`,
      repos_url: `${base}/repos`,
      events_url: `${base}/events{/privacy}`,
      received_events_url: `${base}/received_events`,
      type: u.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }
  function repository(fullName: string, full = false): Json {
    const r = repoOf(fullName);
    const a = `${api()}/repos/${fullName}`;
    const openCount = issues.filter((i) => i.repo === fullName && i.state === 'open').length;
    const obj: Json = {
      id: r.id,
      node_id: `R_kgDO${r.id.toString(36).toUpperCase()}`,
      name: r.name,
      full_name: fullName,
      private: r.private,
      owner: simpleUser(r.owner),
      html_url: `${serverUrl}/${fullName}`,
      description: null,
      fork: r.fork,
      url: a,
      archive_url: `${a}/{archive_format}{/ref}`,
      assignees_url: `${a}/assignees{/user}`,
      blobs_url: `${a}/git/blobs{/sha}`,
      branches_url: `${a}/branches{/branch}`,
      collaborators_url: `${a}/collaborators{/collaborator}`,
      comments_url: `${a}/comments{/number}`,
      commits_url: `${a}/commits{/sha}`,
      compare_url: `${a}/compare/{base}...{head}`,
      contents_url: `${a}/contents/{+path}`,
      contributors_url: `${a}/contributors`,
      deployments_url: `${a}/deployments`,
      downloads_url: `${a}/downloads`,
      events_url: `${a}/events`,
      forks_url: `${a}/forks`,
      git_commits_url: `${a}/git/commits{/sha}`,
      git_refs_url: `${a}/git/refs{/sha}`,
      git_tags_url: `${a}/git/tags{/sha}`,
      git_url: `git://${new URL(serverUrl).host}/${fullName}.git`,
      issue_comment_url: `${a}/issues/comments{/number}`,
      issue_events_url: `${a}/issues/events{/number}`,
      issues_url: `${a}/issues{/number}`,
      keys_url: `${a}/keys{/key_id}`,
      labels_url: `${a}/labels{/name}`,
      languages_url: `${a}/languages`,
      merges_url: `${a}/merges`,
      milestones_url: `${a}/milestones{/number}`,
      notifications_url: `${a}/notifications{?since,all,participating}`,
      pulls_url: `${a}/pulls{/number}`,
      releases_url: `${a}/releases{/id}`,
      ssh_url: `git@${new URL(serverUrl).host}:${fullName}.git`,
      stargazers_url: `${a}/stargazers`,
      statuses_url: `${a}/statuses/{sha}`,
      subscribers_url: `${a}/subscribers`,
      subscription_url: `${a}/subscription`,
      tags_url: `${a}/tags`,
      teams_url: `${a}/teams`,
      trees_url: `${a}/git/trees{/sha}`,
      clone_url: `${serverUrl}/${fullName}.git`,
      mirror_url: null,
      hooks_url: `${a}/hooks`,
      svn_url: `${serverUrl}/${fullName}`,
      homepage: null,
      language: 'TypeScript',
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: r.defaultBranch,
      open_issues_count: openCount,
      open_issues: openCount,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: r.private ? 'private' : 'public',
      pushed_at: r.createdAt,
      created_at: r.createdAt,
      updated_at: r.createdAt,
      license: null,
      allow_forking: true,
      web_commit_signoff_required: false,
    };
    if (full) Object.assign(obj, { network_count: 0, subscribers_count: 1, temp_clone_token: '' });
    return obj;
  }
  function association(repo: string, login: string): string {
    if (repoOf(repo).owner === login) return 'OWNER';
    const p = state.permissions[repo]?.[login];
    return p && p !== 'none' ? 'COLLABORATOR' : 'NONE';
  }
  function issueHtml(i: IssueRecord) {
    return `${serverUrl}/${i.repo}/${i.pull ? 'pull' : 'issues'}/${i.number}`;
  }
  function reactionRollup(url: string, list: ReactionRecord[]): Json {
    const count = (c: string) => list.filter((r) => r.content === c).length;
    const contents = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'eyes', 'rocket'];
    return { url, total_count: list.length, ...Object.fromEntries(contents.map((c) => [c, count(c)])) };
  }
  function issueObject(i: IssueRecord): Json {
    const a = `${api()}/repos/${i.repo}/issues/${i.number}`;
    const obj: Json = {
      url: a,
      repository_url: `${api()}/repos/${i.repo}`,
      labels_url: `${a}/labels{/name}`,
      comments_url: `${a}/comments`,
      events_url: `${a}/events`,
      html_url: issueHtml(i),
      id: i.id,
      node_id: `${i.pull ? 'PR' : 'I'}_kwDO${i.id.toString(36).toUpperCase()}`,
      number: i.number,
      title: i.title,
      user: simpleUser(i.user),
      labels: [],
      state: i.state,
      locked: i.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: state.comments.filter((c) => c.repo === i.repo && c.issueNumber === i.number).length,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.closedAt,
      author_association: association(i.repo, i.user),
      active_lock_reason: null,
      body: i.body,
      closed_by: null,
      reactions: reactionRollup(`${a}/reactions`, []),
      timeline_url: `${a}/timeline`,
      performed_via_github_app: null,
      state_reason: i.state === 'closed' ? 'completed' : null,
    };
    if (i.pull) {
      const p = `${api()}/repos/${i.repo}/pulls/${i.number}`;
      obj.draft = i.pull.draft;
      obj.pull_request = {
        url: p,
        html_url: issueHtml(i),
        diff_url: `${issueHtml(i)}.diff`,
        patch_url: `${issueHtml(i)}.patch`,
        merged_at: i.pull.mergedAt,
      };
    }
    return obj;
  }
  function currentHeadSha(i: IssueRecord): string {
    const p = i.pull!;
    return branchesOf(p.headRepo)[p.head] ?? p.headSha;
  }
  function pullObject(i: IssueRecord, simple = false): Json {
    const p = i.pull!;
    const a = `${api()}/repos/${i.repo}/pulls/${i.number}`;
    const ia = `${api()}/repos/${i.repo}/issues/${i.number}`;
    const html = issueHtml(i);
    const headRepo = state.repos[p.headRepo] ? p.headRepo : i.repo;
    const headOwner = p.headRepo.split('/')[0]!;
    const baseSha = branchesOf(i.repo)[p.base] ?? fakeSha(`${i.repo}:${p.base}`);
    const headSha = currentHeadSha(i);
    const obj: Json = {
      url: a,
      id: p.id,
      node_id: `PR_kwDO${p.id.toString(36).toUpperCase()}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: ia,
      number: i.number,
      state: i.state,
      locked: i.locked,
      title: i.title,
      user: simpleUser(i.user),
      body: i.body,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      draft: p.draft,
      commits_url: `${a}/commits`,
      review_comments_url: `${a}/comments`,
      review_comment_url: `${api()}/repos/${i.repo}/pulls/comments{/number}`,
      comments_url: `${ia}/comments`,
      statuses_url: `${api()}/repos/${i.repo}/statuses/${headSha}`,
      head: {
        label: `${headOwner}:${p.head}`,
        ref: p.head,
        sha: headSha,
        user: simpleUser(headOwner),
        repo: repository(headRepo),
      },
      base: {
        label: `${repoOf(i.repo).owner}:${p.base}`,
        ref: p.base,
        sha: baseSha,
        user: simpleUser(repoOf(i.repo).owner),
        repo: repository(i.repo),
      },
      _links: {
        self: { href: a },
        html: { href: html },
        issue: { href: ia },
        comments: { href: `${ia}/comments` },
        review_comments: { href: `${a}/comments` },
        review_comment: { href: `${api()}/repos/${i.repo}/pulls/comments{/number}` },
        commits: { href: `${a}/commits` },
        statuses: { href: `${api()}/repos/${i.repo}/statuses/${headSha}` },
      },
      author_association: association(i.repo, i.user),
      auto_merge: null,
    };
    if (!simple) {
      Object.assign(obj, {
        merged: p.mergedAt !== null,
        mergeable: null,
        rebaseable: null,
        mergeable_state: 'unknown',
        merged_by: null,
        comments: state.comments.filter((c) => c.repo === i.repo && c.issueNumber === i.number).length,
        review_comments: 0,
        maintainer_can_modify: p.maintainerCanModify,
        commits: 1,
        additions: 0,
        deletions: 0,
        changed_files: 0,
      });
    }
    return obj;
  }
  function commentObject(c: CommentRecord): Json {
    const a = `${api()}/repos/${c.repo}/issues/comments/${c.id}`;
    const issue = issues.find((i) => i.repo === c.repo && i.number === c.issueNumber)!;
    return {
      url: a,
      html_url: `${issueHtml(issue)}#issuecomment-${c.id}`,
      issue_url: `${api()}/repos/${c.repo}/issues/${c.issueNumber}`,
      id: c.id,
      node_id: `IC_kwDO${c.id.toString(36).toUpperCase()}`,
      user: simpleUser(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: association(c.repo, c.user),
      body: c.body,
      performed_via_github_app: null,
      reactions: reactionRollup(
        `${a}/reactions`,
        state.reactions.filter((r) => r.commentId === c.id),
      ),
    };
  }
  function reactionObject(r: ReactionRecord): Json {
    return {
      id: r.id,
      node_id: `REA_lADO${r.id.toString(36).toUpperCase()}`,
      user: simpleUser(r.user),
      content: r.content,
      created_at: r.createdAt,
    };
  }
  function appObject(login: string): Json {
    const slug = login.replace(/\[bot\]$/, '');
    const u = addUser(login);
    return {
      id: u.id,
      slug,
      node_id: `MDM6QXBw${u.id}`,
      client_id: `Iv1.${u.id}`,
      owner: simpleUser(repoOf(mainRepo).owner),
      name: slug,
      description: '',
      external_url: `${serverUrl}/apps/${slug}`,
      html_url: `${serverUrl}/apps/${slug}`,
      created_at: repoOf(mainRepo).createdAt,
      updated_at: repoOf(mainRepo).createdAt,
      permissions: { checks: 'write', contents: 'write', issues: 'write', metadata: 'read', pull_requests: 'write' },
      events: ['check_run', 'issue_comment', 'pull_request'],
    };
  }
  function checkRunObject(c: CheckRunRecord): Json {
    const a = `${api()}/repos/${c.repo}/check-runs/${c.id}`;
    const prs = state.pulls.filter((i) => i.repo === c.repo && i.state === 'open' && currentHeadSha(i) === c.headSha);
    return {
      id: c.id,
      head_sha: c.headSha,
      node_id: `CR_kwDO${c.id.toString(36).toUpperCase()}`,
      external_id: c.externalId ?? '',
      url: a,
      html_url: `${serverUrl}/${c.repo}/runs/${c.id}`,
      details_url: c.detailsUrl ?? `${serverUrl}/${c.repo}/runs/${c.id}`,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.startedAt,
      completed_at: c.completedAt,
      output: { ...c.output, annotations_count: 0, annotations_url: `${a}/annotations` },
      name: c.name,
      check_suite: { id: 20_000_000_000 + (c.id % 1_000_000) },
      app: appObject(c.app),
      pull_requests: prs.map((i) => ({
        id: i.pull!.id,
        number: i.number,
        url: `${api()}/repos/${i.repo}/pulls/${i.number}`,
        head: {
          ref: i.pull!.head,
          sha: currentHeadSha(i),
          repo: {
            id: repoOf(i.pull!.headRepo in state.repos ? i.pull!.headRepo : i.repo).id,
            url: `${api()}/repos/${i.pull!.headRepo}`,
            name: i.pull!.headRepo.split('/')[1],
          },
        },
        base: {
          ref: i.pull!.base,
          sha: branchesOf(i.repo)[i.pull!.base] ?? fakeSha(i.pull!.base),
          repo: { id: repoOf(i.repo).id, url: `${api()}/repos/${i.repo}`, name: repoOf(i.repo).name },
        },
      })),
    };
  }
  function statusObject(s: StatusRecord): Json {
    return {
      url: `${api()}/repos/${s.repo}/statuses/${s.sha}`,
      avatar_url: simpleUser(s.creator).avatar_url,
      id: s.id,
      node_id: `SC_kwDO${s.id.toString(36).toUpperCase()}`,
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      creator: simpleUser(s.creator),
    };
  }
  function commitObject(repo: string, sha: string): Json {
    const info = commitInfo(repo, sha);
    const a = `${api()}/repos/${repo}`;
    return {
      sha,
      node_id: `C_kwDO${sha.slice(0, 12)}`,
      url: `${a}/commits/${sha}`,
      html_url: `${serverUrl}/${repo}/commit/${sha}`,
      comments_url: `${a}/commits/${sha}/comments`,
      commit: {
        author: info.author,
        committer: info.committer,
        message: info.message,
        comment_count: 0,
        url: `${a}/git/commits/${sha}`,
        tree: { sha: info.tree, url: `${a}/git/trees/${info.tree}` },
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      author: null,
      committer: null,
      parents: info.parents.map((p) => ({
        sha: p,
        url: `${a}/commits/${p}`,
        html_url: `${serverUrl}/${repo}/commit/${p}`,
      })),
    };
  }

  // ---- handlers, by operationId ----------------------------------------------------------------------------------
  const notFound = (op: MatchedOperation) =>
    new HttpError(404, { message: 'Not Found', documentation_url: op.docsUrl, status: '404' });
  const validationFailed = (op: MatchedOperation, errors: Json[]) =>
    new HttpError(422, { message: 'Validation Failed', errors, documentation_url: op.docsUrl, status: '422' });
  /** GitHub refuses comment and PR bodies over 65536 characters (422, `body is too long (maximum is 65536 characters)`). */
  function checkBodyLength(c: Ctx, resource: string): void {
    const body = (c.body as Partial<CommentBody>).body;
    if (typeof body === 'string' && body.length > 65_536) {
      throw validationFailed(c.op, [
        { resource, code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' },
      ]);
    }
  }
  function needIssue(c: Ctx, n: number): IssueRecord {
    const i = issues.find((x) => x.repo === c.repo.fullName && x.number === n);
    if (!i) throw notFound(c.op);
    return i;
  }
  function needComment(c: Ctx): CommentRecord {
    const cm = state.comments.find((x) => x.repo === c.repo.fullName && x.id === Number(c.p.comment_id));
    if (!cm) throw notFound(c.op);
    return cm;
  }
  function needWrite(c: Ctx) {
    if (!c.login)
      throw new HttpError(401, { message: 'Requires authentication', documentation_url: c.op.docsUrl, status: '401' });
  }
  function paginate(c: Ctx, all: Json[], path: string): Reply {
    const perPage = Math.min(Number(c.query.per_page ?? 30), 100);
    const page = Math.max(Number(c.query.page ?? 1), 1);
    const last = Math.max(Math.ceil(all.length / perPage), 1);
    const links: string[] = [];
    const link = (n: number, rel: string) => {
      const q = new URLSearchParams(c.query as Record<string, string>);
      q.set('per_page', String(perPage));
      q.set('page', String(n));
      links.push(`<${api()}${path}?${q.toString()}>; rel="${rel}"`);
    };
    if (page > 1) link(page - 1, 'prev');
    if (page < last) link(page + 1, 'next');
    if (page < last) link(last, 'last');
    if (page > 1) link(1, 'first');
    return {
      status: 200,
      body: all.slice((page - 1) * perPage, page * perPage),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  }
  function pathOf(c: Ctx, rest: string) {
    return `/repos/${c.repo.fullName}${rest}`;
  }

  const handlers: Record<string, (c: Ctx) => Reply> = {
    'repos/get': (c) => ({ status: 200, body: repository(c.repo.fullName, true) }),

    'repos/get-collaborator-permission-level': (c) => {
      const login = c.p.username!;
      const user = state.users[login];
      if (!user)
        throw new HttpError(404, { message: `${login} is not a user`, documentation_url: c.op.docsUrl, status: '404' });
      const role =
        state.permissions[c.repo.fullName]?.[login] ??
        (c.repo.owner === login ? 'admin' : c.repo.private ? 'none' : 'read');
      // The legacy `permission` maps maintain → write and triage → read; `role_name` keeps the real role.
      const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(role);
      const perms = { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
      return {
        status: 200,
        body: { permission, role_name: role, user: { ...simpleUser(login), permissions: perms, role_name: role } },
      };
    },

    'issues/get': (c) => ({ status: 200, body: issueObject(needIssue(c, Number(c.p.issue_number))) }),

    'issues/list-comments': (c) => {
      const i = needIssue(c, Number(c.p.issue_number));
      const since = typeof c.query.since === 'string' ? c.query.since : undefined;
      const list = state.comments.filter(
        (x) => x.repo === i.repo && x.issueNumber === i.number && (!since || x.updatedAt >= since),
      );
      return paginate(c, list.map(commentObject), pathOf(c, `/issues/${i.number}/comments`));
    },

    'issues/create-comment': (c) => {
      needWrite(c);
      const i = needIssue(c, Number(c.p.issue_number));
      if (i.locked && association(i.repo, c.login!) === 'NONE')
        throw new HttpError(403, {
          message: 'Unable to create comment because issue is locked.',
          documentation_url: c.op.docsUrl,
          status: '403',
        });
      checkBodyLength(c, 'IssueComment');
      const cm = addComment(i.repo, i.number, { login: c.login!, body: (c.body as CommentBody).body });
      i.updatedAt = cm.createdAt;
      return {
        status: 201,
        body: commentObject(cm),
        headers: { location: `${api()}/repos/${i.repo}/issues/comments/${cm.id}` },
      };
    },

    'issues/get-comment': (c) => ({ status: 200, body: commentObject(needComment(c)) }),

    'issues/update-comment': (c) => {
      needWrite(c);
      const cm = needComment(c);
      checkBodyLength(c, 'IssueComment');
      cm.body = (c.body as CommentBody).body;
      cm.updatedAt = now();
      return { status: 200, body: commentObject(cm) };
    },

    'issues/delete-comment': (c) => {
      needWrite(c);
      deleteComment(needComment(c).id);
      return { status: 204 };
    },

    'reactions/create-for-issue-comment': (c) => {
      needWrite(c);
      const cm = needComment(c);
      const { content } = c.body as ReactionBody;
      const existing = state.reactions.find(
        (r) => r.commentId === cm.id && r.user === c.login && r.content === content,
      );
      if (existing) return { status: 200, body: reactionObject(existing) };
      const r: ReactionRecord = {
        id: nextId('reaction'),
        commentId: cm.id,
        user: c.login!,
        content,
        createdAt: now(),
      };
      state.reactions.push(r);
      return { status: 201, body: reactionObject(r) };
    },

    'reactions/list-for-issue-comment': (c) => {
      const cm = needComment(c);
      const list = state.reactions.filter(
        (r) => r.commentId === cm.id && (!c.query.content || r.content === c.query.content),
      );
      return paginate(c, list.map(reactionObject), pathOf(c, `/issues/comments/${cm.id}/reactions`));
    },

    'pulls/get': (c) => {
      const i = needIssue(c, Number(c.p.pull_number));
      if (!i.pull) throw notFound(c.op);
      return { status: 200, body: pullObject(i) };
    },

    'pulls/list': (c) => {
      const st = (c.query.state as string | undefined) ?? 'open';
      const head = c.query.head as string | undefined;
      const base = c.query.base as string | undefined;
      let list = state.pulls.filter((i) => i.repo === c.repo.fullName && (st === 'all' || i.state === st));
      if (head) {
        const [owner, branch] = head.includes(':') ? (head.split(/:(.*)/s) as [string, string]) : [c.repo.owner, head];
        list = list.filter((i) => i.pull!.headRepo.split('/')[0] === owner && i.pull!.head === branch);
      }
      if (base) list = list.filter((i) => i.pull!.base === base);
      const sort = (c.query.sort as string | undefined) ?? 'created';
      const key = (i: IssueRecord) => (sort === 'updated' ? i.updatedAt : '') + String(i.number).padStart(9, '0');
      list.sort((x, y) => key(x).localeCompare(key(y)));
      if (((c.query.direction as string | undefined) ?? 'desc') === 'desc') list.reverse();
      return paginate(
        c,
        list.map((i) => pullObject(i, true)),
        pathOf(c, '/pulls'),
      );
    },

    'pulls/create': (c) => {
      needWrite(c);
      const b = c.body as PullCreateBody;
      if (b.issue !== undefined)
        throw validationFailed(c.op, [{ resource: 'PullRequest', field: 'issue', code: 'invalid' }]);
      if (!b.title) throw validationFailed(c.op, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
      checkBodyLength(c, 'PullRequest');
      const [headOwner, headBranch] = String(b.head).includes(':')
        ? (String(b.head).split(/:(.*)/s) as [string, string])
        : [c.repo.owner, String(b.head)];
      const headRepo = b.head_repo ?? (headOwner === c.repo.owner ? c.repo.fullName : `${headOwner}/${c.repo.name}`);
      const baseSha = branchesOf(c.repo.fullName)[b.base];
      if (!baseSha) throw validationFailed(c.op, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      const headSha = state.repos[headRepo] ? branchesOf(headRepo)[headBranch] : undefined;
      if (!headSha) throw validationFailed(c.op, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      const dup = state.pulls.find(
        (i) =>
          i.repo === c.repo.fullName &&
          i.state === 'open' &&
          i.pull!.headRepo === headRepo &&
          i.pull!.head === headBranch &&
          i.pull!.base === b.base,
      );
      if (dup)
        throw validationFailed(c.op, [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${headOwner}:${headBranch}.`,
          },
        ]);
      if (headRepo === c.repo.fullName && noCommitsBetween(b.base, headBranch, baseSha, headSha)) {
        throw validationFailed(c.op, [
          { resource: 'PullRequest', code: 'custom', message: `No commits between ${b.base} and ${headBranch}` },
        ]);
      }
      const i = addPull(c.repo.fullName, {
        head: headBranch,
        headRepo,
        base: b.base,
        title: b.title,
        body: b.body,
        login: c.login!,
        draft: b.draft ?? false,
        headSha,
      });
      i.pull!.maintainerCanModify = b.maintainer_can_modify ?? false;
      return { status: 201, body: pullObject(i), headers: { location: `${api()}/repos/${i.repo}/pulls/${i.number}` } };
    },

    'pulls/update': (c) => {
      needWrite(c);
      const i = needIssue(c, Number(c.p.pull_number));
      if (!i.pull) throw notFound(c.op);
      const b = c.body as PullUpdateBody;
      if (b.base !== undefined) {
        if (!branchesOf(i.repo)[b.base])
          throw validationFailed(c.op, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
        i.pull.base = b.base;
      }
      if (b.state === 'open' && i.state === 'closed') {
        const dup = state.pulls.find(
          (x) =>
            x !== i &&
            x.repo === i.repo &&
            x.state === 'open' &&
            x.pull!.headRepo === i.pull!.headRepo &&
            x.pull!.head === i.pull!.head &&
            x.pull!.base === i.pull!.base,
        );
        if (dup)
          throw validationFailed(c.op, [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${i.pull.headRepo.split('/')[0]}:${i.pull.head}.`,
            },
          ]);
      }
      if (b.title !== undefined) i.title = b.title;
      if (b.body !== undefined) i.body = b.body;
      if (b.maintainer_can_modify !== undefined) i.pull.maintainerCanModify = b.maintainer_can_modify;
      i.updatedAt = now();
      if (b.state !== undefined && b.state !== i.state) {
        i.state = b.state;
        i.closedAt = b.state === 'closed' ? i.updatedAt : null;
      }
      return { status: 200, body: pullObject(i) };
    },

    'checks/create': (c) => {
      needWrite(c);
      needApp(c);
      const b = c.body as CheckRunBody;
      if (!commitExists(c.repo.fullName, b.head_sha))
        throw validationFailed(c.op, [
          {
            resource: 'CheckRun',
            code: 'custom',
            field: 'head_sha',
            message: `No commit found for SHA: ${b.head_sha}`,
          },
        ]);
      const t = now();
      const completed = b.conclusion !== undefined || b.status === 'completed';
      const run: CheckRunRecord = {
        id: nextId('check'),
        repo: c.repo.fullName,
        name: b.name,
        headSha: b.head_sha,
        status: completed ? 'completed' : (b.status ?? 'queued'),
        conclusion: b.conclusion ?? null,
        startedAt: b.started_at ?? t,
        completedAt: completed ? (b.completed_at ?? t) : null,
        detailsUrl: b.details_url ?? null,
        externalId: b.external_id ?? null,
        output: { title: b.output?.title ?? null, summary: b.output?.summary ?? null, text: b.output?.text ?? null },
        app: c.login!,
      };
      state.checkRuns.push(run);
      return { status: 201, body: checkRunObject(run) };
    },

    'checks/update': (c) => {
      needWrite(c);
      needApp(c);
      const run = state.checkRuns.find((r) => r.repo === c.repo.fullName && r.id === Number(c.p.check_run_id));
      if (!run) throw notFound(c.op);
      const b = c.body as Partial<CheckRunBody>;
      if (b.name !== undefined) run.name = b.name;
      if (b.details_url !== undefined) run.detailsUrl = b.details_url;
      if (b.external_id !== undefined) run.externalId = b.external_id;
      if (b.started_at !== undefined) run.startedAt = b.started_at;
      if (b.status !== undefined) run.status = b.status;
      if (b.conclusion !== undefined) {
        run.conclusion = b.conclusion;
        run.status = 'completed';
      }
      if (run.status === 'completed') run.completedAt = b.completed_at ?? run.completedAt ?? now();
      if (b.output)
        run.output = {
          title: b.output.title ?? run.output.title,
          summary: b.output.summary ?? run.output.summary,
          text: b.output.text ?? run.output.text,
        };
      return { status: 200, body: checkRunObject(run) };
    },

    'checks/list-for-ref': (c) => {
      const sha = resolveRef(c.repo.fullName, c.p.ref!);
      const runs = state.checkRuns.filter(
        (r) =>
          r.repo === c.repo.fullName && r.headSha === sha && (!c.query.check_name || r.name === c.query.check_name),
      );
      const page = paginate(
        c,
        runs.map(checkRunObject),
        pathOf(c, `/commits/${encodeURIComponent(c.p.ref!)}/check-runs`),
      );
      return { ...page, body: { total_count: runs.length, check_runs: page.body } };
    },

    'repos/create-commit-status': (c) => {
      needWrite(c);
      const b = c.body as CommitStatusBody;
      if (!commitExists(c.repo.fullName, c.p.sha!))
        throw validationFailed(c.op, [
          { resource: 'Status', code: 'custom', field: 'sha', message: `No commit found for SHA: ${c.p.sha}` },
        ]);
      const s: StatusRecord = {
        id: nextId('status'),
        repo: c.repo.fullName,
        sha: c.p.sha!,
        state: b.state,
        context: b.context ?? 'default',
        description: b.description ?? null,
        targetUrl: b.target_url ?? null,
        creator: c.login!,
        createdAt: now(),
      };
      state.statuses.push(s);
      return {
        status: 201,
        body: statusObject(s),
        headers: { location: `${api()}/repos/${s.repo}/statuses/${s.sha}` },
      };
    },

    'git/create-ref': (c) => {
      const b = c.body as { ref: string; sha: string };
      const token = Object.values(state.tokens).find((t) => t.login === c.login);
      if (token?.contents === 'read')
        throw new HttpError(403, {
          message: 'Resource not accessible by integration',
          documentation_url: c.op.docsUrl,
          status: '403',
        });
      if (!/^refs\/[^/]+\/.+/.test(b.ref))
        throw new HttpError(422, {
          message: 'Reference name is not valid',
          documentation_url: c.op.docsUrl,
          status: '422',
        });
      if (!commitExists(c.repo.fullName, b.sha))
        throw new HttpError(422, { message: 'Object does not exist', documentation_url: c.op.docsUrl, status: '422' });
      const branch = b.ref.replace(/^refs\/heads\//, '');
      if (branchesOf(c.repo.fullName)[branch] !== undefined)
        throw new HttpError(422, {
          message: 'Reference already exists',
          documentation_url: c.op.docsUrl,
          status: '422',
        });
      if (seed.gitDir && c.repo.fullName === mainRepo) git('update-ref', b.ref, b.sha, '');
      else setBranch(c.repo.fullName, branch, b.sha);
      const a = `${api()}/repos/${c.repo.fullName}/git/${b.ref}`;
      return {
        status: 201,
        body: {
          ref: b.ref,
          node_id: `REF_kwDO${Buffer.from(b.ref).toString('base64url')}`,
          url: a,
          object: { type: 'commit', sha: b.sha, url: `${api()}/repos/${c.repo.fullName}/git/commits/${b.sha}` },
        },
        headers: { location: a },
      };
    },

    'repos/get-branch': (c) => {
      const branch = c.p.branch!;
      const sha = branchesOf(c.repo.fullName)[branch];
      if (!sha)
        throw new HttpError(404, { message: 'Branch not found', documentation_url: c.op.docsUrl, status: '404' });
      const a = `${api()}/repos/${c.repo.fullName}/branches/${encodeURIComponent(branch)}`;
      return {
        status: 200,
        body: {
          name: branch,
          commit: commitObject(c.repo.fullName, sha),
          _links: { self: a, html: `${serverUrl}/${c.repo.fullName}/tree/${branch}` },
          protected: false,
          protection: {
            enabled: false,
            required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
          },
          protection_url: `${a}/protection`,
        },
      };
    },

    'repos/list-branches': (c) => {
      const list = Object.entries(branchesOf(c.repo.fullName))
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, sha]) => ({
          name,
          commit: { sha, url: `${api()}/repos/${c.repo.fullName}/commits/${sha}` },
          protected: false,
        }));
      return paginate(c, c.query.protected === 'true' ? [] : list, pathOf(c, '/branches'));
    },

    'repos/get-commit': (c) => {
      const sha = resolveRef(c.repo.fullName, c.p.ref!);
      if (!sha)
        throw new HttpError(422, {
          message: `No commit found for SHA: ${c.p.ref}`,
          documentation_url: c.op.docsUrl,
          status: '422',
        });
      return { status: 200, body: commitObject(c.repo.fullName, sha) };
    },
  };

  function needApp(c: Ctx) {
    if (c.tokenKind !== 'installation')
      throw new HttpError(403, {
        message: 'You must authenticate via a GitHub App.',
        documentation_url: c.op.docsUrl,
        status: '403',
      });
  }

  // ---- seed -----------------------------------------------------------------------------------------------------
  for (const t of Object.values(state.tokens)) addUser(t.login);
  for (const u of seed.users ?? []) addUser(u.login, u.type);
  const main = addRepo(mainRepo, { private: seed.private, defaultBranch: seed.defaultBranch });
  if (seed.branches) state.branches[mainRepo] = { ...seed.branches };
  for (const r of seed.extraRepos ?? []) addRepo(r.fullName, r);
  for (const [login, perm] of Object.entries(seed.permissions ?? {})) setPermission(login, perm, main.fullName);

  // ---- the HTTP side --------------------------------------------------------------------------------------------
  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    rateRemaining = Math.max(rateRemaining - 1, 0);
    const h: Record<string, string> = {
      'x-github-request-id': requestId(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(rateRemaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': String(5000 - rateRemaining),
      'x-ratelimit-resource': 'core',
      ...headers,
    };
    if (status === 204 || body === undefined) {
      res.writeHead(status, h).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...h }).end(JSON.stringify(body));
  }

  /** GraphQL: validated against GitHub's published schema, answered by the resolvers below (github-graphql.ts). */
  async function graphql(
    body: unknown,
    headers: Record<string, string>,
    entry: LoggedRequest,
    reply: (status: number, body: unknown) => void,
  ) {
    entry.operationId = 'graphql';
    const auth = headers.authorization?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
    const token = auth ? state.tokens[auth] : undefined;
    if (!token) return reply(401, { message: 'Bad credentials', documentation_url: REST_DOCS });
    entry.login = token.login;
    const user = addUser(token.login);
    const answer = await answerGraphql(body as Parameters<typeof answerGraphql>[0], graphqlRoot(token), {
      login: user.login,
      userId: user.id,
    });
    violations.push(...answer.violations);
    return reply(200, answer.body);
  }

  function graphqlRoot(token: TokenInfo) {
    const mutation = (field: string) => {
      hooks.beforeMutation?.(field);
    };
    return {
      markPullRequestReadyForReview: (args: Record<string, unknown>) => {
        const id = String((args.input as { pullRequestId: string }).pullRequestId);
        const pr = state.issues.find((i) => i.pull && `PR_kwDO${i.pull.id.toString(36).toUpperCase()}` === id);
        if (!pr) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
        mutation('markPullRequestReadyForReview');
        pr.pull!.draft = false;
        return { pullRequest: { isDraft: false, number: pr.number } };
      },
      createCommitOnBranch: (args: Record<string, unknown>) => {
        const input = args.input as CommitOnBranchInput;
        const repo = input.branch.repositoryNameWithOwner ?? '';
        if (!seed.gitDir || repo !== mainRepo)
          throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a Repository with the name '${repo}'.`);
        if (token.contents === 'read')
          throw new GitHubGraphqlError('FORBIDDEN', 'Resource not accessible by integration');
        mutation('createCommitOnBranch');
        const u = addUser(token.login);
        const oid = commitOnBranch(seed.gitDir, input, {
          name: token.login,
          email: `${u.id}+${token.login}@users.noreply.github.com`,
        });
        const branch = (input.branch.branchName ?? '').replace(/^refs\/heads\//, '');
        apiCommits.push({ branch, oid, login: token.login });
        return { commit: { oid, url: `${serverUrl}/${repo}/commit/${oid}` } };
      },
    };
  }

  /** GHES: one host serves the API and the repositories; whatever is not /api goes to the git server. */
  function forwardToGit(req: IncomingMessage, res: ServerResponse, gitUrl: string) {
    const target = new URL(req.url ?? '/', gitUrl);
    const out = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(out);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url ?? '/', 'http://stand-in');
    if (seed.ghes?.gitUrl && !u.pathname.startsWith('/api/')) return forwardToGit(req, res, seed.ghes.gitUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of u.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const raw = await readBody(req);
    const entry: LoggedRequest = {
      operationId: undefined,
      method,
      path: u.pathname,
      query,
      status: 0,
      body: undefined,
      response: undefined,
      login: undefined,
      injected: false,
    };
    requests.push(entry);
    const reply = (status: number, body: unknown, h: Record<string, string> = {}) => {
      entry.status = status;
      entry.response = body;
      send(res, status, body, h);
    };

    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        violations.push(`${method} ${u.pathname}: request body is not JSON: ${raw.slice(0, 80)}`);
        return reply(400, { message: 'Problems parsing JSON', documentation_url: REST_DOCS, status: '400' });
      }
    }
    entry.body = body;
    // GraphQL is not in the REST description: it is validated against GitHub's GraphQL schema instead.
    if (method === 'POST' && u.pathname === graphqlPath) return graphql(body, headers, entry, reply);
    if (restPrefix && !u.pathname.startsWith(`${restPrefix}/`)) {
      violations.push(`${method} ${u.pathname}: GitHub Enterprise Server serves REST under ${restPrefix}`);
      return reply(404, { message: 'Not Found', documentation_url: REST_DOCS, status: '404' });
    }
    const restPath = u.pathname.slice(restPrefix.length);
    entry.path = restPath;
    const check: RequestToCheck = { method, path: restPath, query, headers, body };
    const op = openapi.match(check);
    if (!op) {
      violations.push(`${method} ${restPath}: no such operation in GitHub's OpenAPI description`);
      return reply(404, { message: 'Not Found', documentation_url: REST_DOCS, status: '404' });
    }
    entry.operationId = op.operationId;
    const label = `${op.operationId} (${method} ${restPath})`;

    // Authentication, as GitHub does it: a wrong token is 401 even where anonymous access would be allowed.
    const auth = headers.authorization?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
    const token = auth ? state.tokens[auth] : undefined;
    if (headers.authorization && !token)
      return reply(401, { message: 'Bad credentials', documentation_url: REST_DOCS, status: '401' });
    entry.login = token?.login;

    const errors = seed.validate === false ? [] : openapi.validateRequest(check, op.operationId);
    if (errors.length) {
      violations.push(`${label}: invalid request: ${errors.join('; ')}`);
      return reply(422, {
        message: `Invalid request.\n\n${errors.join('\n')}`,
        errors: errors.map((m) => ({ resource: 'Request', code: 'invalid', message: m })),
        documentation_url: op.docsUrl,
        status: '422',
      });
    }

    const fault = faults.find((f) => f.operationId === op.operationId && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      entry.injected = true;
      if (!fault.applied) return reply(...faultReply(fault, op));
    }

    const handler = handlers[op.operationId];
    if (!handler) {
      violations.push(`${label}: valid GitHub operation, but the stand-in does not implement it`);
      return reply(501, {
        message: `github stand-in: ${op.operationId} not implemented`,
        documentation_url: op.docsUrl,
        status: '501',
      });
    }
    const repoName = op.params.owner && op.params.repo ? `${op.params.owner}/${op.params.repo}` : mainRepo;
    const repo = state.repos[repoName];
    // Private repositories are invisible (404) to anonymous callers, exactly like missing ones.
    if (!repo || (repo.private && !token))
      return reply(404, { message: 'Not Found', documentation_url: op.docsUrl, status: '404' });

    let out: Reply;
    try {
      out = handler({
        op,
        p: op.params,
        query,
        body: body ?? {},
        login: token?.login,
        tokenKind: token?.kind ?? (token?.login.endsWith('[bot]') ? 'installation' : 'user'),
        repo,
      });
    } catch (e) {
      if (!(e instanceof HttpError)) {
        violations.push(`${label}: stand-in crashed: ${e instanceof Error ? (e.stack ?? String(e)) : String(e)}`);
        return reply(500, { message: 'Server Error', documentation_url: op.docsUrl, status: '500' });
      }
      out = { status: e.status, body: e.body, headers: e.headers };
    }
    const problem = seed.validate === false ? undefined : checkResponse(op, out);
    if (problem) {
      violations.push(`${label}: the stand-in's response ${out.status} breaks the description: ${problem}`);
      return reply(500, {
        message: 'github stand-in produced an invalid response',
        documentation_url: op.docsUrl,
        status: '500',
      });
    }
    if (fault?.applied) return reply(...faultReply(fault, op));
    reply(out.status, out.body, out.headers);
  }

  function checkResponse(op: MatchedOperation, out: Reply): string | undefined {
    const declared = op.statuses.includes(String(out.status));
    if (out.status < 400) {
      if (!declared) return `status ${out.status} is not declared (declared: ${op.statuses.join(', ')})`;
      const errs = openapi.validateResponse(op.operationId, out.status, out.body);
      return errs.length ? errs.join('; ') : undefined;
    }
    // Error statuses GitHub may answer on any operation (401, 403, 404, 422…) need not be declared; a declared one is checked.
    if (declared) {
      const errs = openapi.validateResponse(op.operationId, out.status, out.body);
      if (errs.length) return errs.join('; ');
    }
    const b = out.body as Json | undefined;
    return typeof b?.message === 'string' && typeof b.documentation_url === 'string'
      ? undefined
      : 'error body lacks message/documentation_url';
  }

  function faultReply(f: Fault, op: MatchedOperation): [number, unknown, Record<string, string>] {
    if (f.kind === 'secondary-rate-limit') {
      const body = f.body ?? {
        message:
          'You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        status: '403',
      };
      return [f.status ?? 403, body, { 'retry-after': String(f.retryAfter ?? 1), ...f.headers }];
    }
    if (f.kind === 'primary-rate-limit') {
      const body = f.body ?? {
        message: 'API rate limit exceeded for installation ID 1.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        status: '403',
      };
      const reset = String(Math.floor(Date.now() / 1000) + (f.retryAfter ?? 1));
      return [f.status ?? 403, body, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, ...f.headers }];
    }
    const status = f.status ?? 500;
    const body =
      f.body ??
      (status >= 500
        ? { message: 'Server Error', documentation_url: op.docsUrl, status: String(status) }
        : { message: 'Injected fault', documentation_url: op.docsUrl, status: String(status) });
    return [status, body, f.headers ?? {}];
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      violations.push(`stand-in failure on ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = `${root}${restPrefix}`;
  if (seed.ghes) serverUrl = root;

  return {
    url,
    serverUrl,
    graphqlUrl: `${root}${graphqlPath}`,
    get beforeMutation() {
      return hooks.beforeMutation;
    },
    set beforeMutation(f) {
      hooks.beforeMutation = f;
    },
    apiCommits,
    repo: mainRepo,
    token: Object.keys(state.tokens)[0]!,
    state,
    requests,
    violations,
    openApiLoadMs: wasLoaded ? 0 : openapi.loadMs,
    assertNoViolations() {
      if (violations.length)
        throw new Error(`GitHub stand-in recorded ${violations.length} violation(s):\n- ${violations.join('\n- ')}`);
    },
    inject(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    addUser,
    addRepo,
    setPermission,
    addIssue,
    addPull,
    addComment,
    deleteComment,
    setBranch,
    branchesOf,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

let loaded = false;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function requestId(): string {
  const h = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `${h(2)}:${h(2)}:${h(3)}:${h(3)}:${h(4)}`;
}

/** A deterministic 40-hex SHA for branches that exist only in the model. */
function fakeSha(seed: string): string {
  let h = 2166136261;
  let out = ZERO_SHA_BASE;
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${round}:${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

function isoZ(d: string): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
