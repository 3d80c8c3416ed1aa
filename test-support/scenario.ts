/**
 * One run's world on loopback: a bare origin and a checkout-like workspace (real git), the GitHub stand-in over
 * that origin, the Anthropic stand-in with a script, a real issue_comment payload, and the launcher that runs
 * dist/index.js like the runner. Used by the end-to-end tests and `npm run demo`.
 */
import { rm } from 'node:fs/promises';
import { startAnthropic, type AnthropicStandIn, type Turn, type StartOptions } from './anthropic-server.ts';
import { startGitHub, type GitHubStandIn, type Permission } from './github-server.ts';
import { createOrigin, checkoutLikeActions, serveOverHttp, type Origin, type HttpOrigin } from './git.ts';
import { issueCommentEvent, type IssueCommentEvent } from './payloads.ts';
import { launchAction, type ActionRun } from './launcher.ts';
import { SERVICE_FILES } from './health-scenario.ts';

export const REPO = 'acme/todo-api';
/** Distinct, recognisable secrets: a test fails if any of them shows up where it must not. */
export const GITHUB_TOKEN = 'ghs_e2eTOKENdoNotLeak0123456789abcdefABCD';
export const API_KEY = 'sk-ant-e2e-KEY-doNotLeak-0123456789abcdef';

export interface ScenarioOptions {
  files?: Record<string, string>;
  script: StartOptions['script'];
  cacheMinTokens?: number;
  permissions?: Record<string, Permission>;
  bots?: string[];
  issueTitle?: string;
  issueBody?: string;
  privateRepo?: boolean;
  /** Images uploaded to the server: id → bytes, served at `${GITHUB_SERVER_URL}/user-attachments/assets/<id>`. */
  attachments?: Record<string, Buffer>;
  /** An empty folder to check out into (default a fresh temp folder), e.g. inside a fake runner's _work. */
  workspaceDir?: string;
  /**
   * GitHub Enterprise Server's layout: one host (not github.com) serves the repository at /owner/name.git, REST
   * under /api/v3 and GraphQL at /api/graphql; the runner's GITHUB_*_URL variables point there.
   */
  ghes?: boolean;
}

export interface CommentSpec {
  body: string;
  login?: string;
  /** Comment on this issue or PR number (default: the scenario's issue). */
  issue?: number;
  pullRequest?: boolean;
  action?: 'created' | 'edited' | 'deleted';
  userType?: 'User' | 'Bot';
}

export interface Scenario {
  origin: Origin;
  http: HttpOrigin;
  workspace: string;
  gh: GitHubStandIn;
  anthropic: AnthropicStandIn;
  issueNumber: number;
  /** Adds the comment to GitHub's state and returns the webhook payload GitHub would send for it. */
  comment(c: CommentSpec): IssueCommentEvent;
  /** Runs dist/index.js on the event with these inputs (on top of the defaults); resolves when it exits. */
  run(
    event: object,
    inputs?: Record<string, string>,
    opts?: { env?: Record<string, string>; onStart?: (child: import('node:child_process').ChildProcess) => void },
  ): Promise<ActionRun>;
  close(): Promise<void>;
}

export async function createScenario(o: ScenarioOptions): Promise<Scenario> {
  const origin = await createOrigin({ files: o.files ?? SERVICE_FILES });
  // The origin is served over smart HTTP, demanding the token, at ${GITHUB_SERVER_URL}/owner/name.git — where the
  // action expects its repository — so every fetch and push proves how the credentials travelled.
  const http = await serveOverHttp(origin, { token: GITHUB_TOKEN, repoFullName: REPO, assets: o.attachments });
  const gh = await startGitHub({
    serverUrl: http.serverUrl,
    ...(o.ghes ? { ghes: { gitUrl: http.serverUrl } } : {}),
    repo: REPO,
    private: o.privateRepo ?? true,
    gitDir: origin.bareDir,
    tokens: { [GITHUB_TOKEN]: { login: 'github-actions[bot]', kind: 'installation' } },
    users: [
      { login: 'alice' },
      { login: 'mallory' },
      ...(o.bots ?? []).map((login) => ({ login, type: 'Bot' as const })),
    ],
    permissions: { alice: 'write', mallory: 'read', ...o.permissions },
  });
  // On GHES the stand-in is the host and forwards the repository's smart HTTP to the git server behind it.
  const serverUrl = gh.serverUrl;
  const workspace = await checkoutLikeActions(
    { ...origin, url: `${serverUrl}/${REPO}.git` },
    { token: GITHUB_TOKEN, serverUrl, dir: o.workspaceDir },
  );
  const anthropic = await startAnthropic({
    script: o.script,
    apiKey: API_KEY,
    ...(o.cacheMinTokens !== undefined ? { cacheMinTokens: o.cacheMinTokens } : {}),
  });
  const issue = gh.addIssue(REPO, {
    title: o.issueTitle ?? 'Add a health endpoint',
    body: o.issueBody ?? 'Load balancers need a /health route.',
    login: 'alice',
  });
  const scenario: Scenario = {
    origin,
    http,
    workspace,
    gh,
    anthropic,
    issueNumber: issue.number,
    comment(c) {
      const login = c.login ?? 'alice';
      const number = c.issue ?? issue.number;
      const target = gh.state.issues.find((i) => i.number === number)!;
      const rec = gh.addComment(REPO, number, { login, body: c.body });
      return issueCommentEvent({
        repo: REPO,
        issueNumber: number,
        issueTitle: target.title,
        issueBody: target.body ?? '',
        body: c.body,
        login,
        userId: gh.state.users[login]?.id ?? 99,
        userType: c.userType ?? (gh.state.users[login]?.type === 'Bot' ? 'Bot' : 'User'),
        commentId: rec.id,
        action: c.action ?? 'created',
        pullRequest: c.pullRequest ?? !!target.pull,
      });
    },
    async run(event, inputs = {}, opts = {}) {
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
        env: {
          GITHUB_SERVER_URL: serverUrl,
          GITHUB_GRAPHQL_URL: gh.graphqlUrl,
          SECRET_IN_RUNNER_ENV: 'runner-secret-doNotLeak-42',
          ...opts.env,
        },
      });
      opts.onStart?.(child);
      return done;
    },
    async close() {
      await Promise.all([gh.close(), anthropic.close(), http.close()]);
      await rm(origin.root, { recursive: true, force: true });
      await rm(workspace, { recursive: true, force: true });
    },
  };
  return scenario;
}

export type { Turn };
