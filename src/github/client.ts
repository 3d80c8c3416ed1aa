import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from '../log.ts';

/**
 * The REST and GraphQL client: @actions/github's Octokit (the runner's proxy settings, GHES-aware defaults), with
 * the retry and throttling plugins: retries for 5xx and rate limits; every write the action makes is safe to repeat.
 */
export type GitHub = ReturnType<typeof getOctokit>;

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/**
 * A limiter that runs jobs at once. The throttling plugin spaces writes 1 s and comment creation 3 s apart, GitHub's
 * advice for bulk writers; one run makes fewer than ten writes, and that spacing alone would add seconds to every
 * run. The plugin still retries reactively when GitHub answers with a (secondary) rate limit.
 */
const immediate = { key: () => ({ schedule: <T>(_options: unknown, job: () => Promise<T>) => job() }) };

/**
 * The GraphQL endpoint: GITHUB_GRAPHQL_URL when the runner sets it, else derived from the REST URL the way GitHub
 * lays them out: `https://api.github.com` → `/graphql`, GHES `https://HOST/api/v3` → `https://HOST/api/graphql`.
 */
export function graphqlUrlFor(apiUrl: string, explicit?: string): string {
  if (explicit) return explicit.replace(/\/+$/, '');
  const api = apiUrl.replace(/\/+$/, '');
  return /\/api\/v3$/.test(api) ? api.replace(/\/api\/v3$/, '/api/graphql') : `${api}/graphql`;
}

export function createGitHub(token: string, baseUrl: string, log: Logger, graphqlUrl?: string): GitHub {
  const options = {
    baseUrl,
    userAgent: 'backend-developer-action',
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log.debug(m), error: (m: string) => log.debug(m) },
    retry: { retries: 3 },
    throttle: {
      write: immediate as never, // the plugin only calls key().schedule()
      notifications: immediate as never,
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warning(`GitHub rate limit on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (
        retryAfter: number,
        options: { method: string; url: string },
        _o: unknown,
        retryCount: number,
      ) => {
        log.warning(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
        return retryCount < 2;
      },
    },
  };
  const gh = getOctokit(token, options, retry, throttling);
  // Octokit derives the GraphQL URL from baseUrl itself; an explicit one (GITHUB_GRAPHQL_URL) wins.
  if (graphqlUrl) gh.graphql = gh.graphql.defaults({ url: graphqlUrlFor(baseUrl, graphqlUrl) });
  return gh;
}
