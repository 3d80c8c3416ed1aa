import type { GitHub, RepoRef } from './client.ts';
import { UserError, errorMessage, httpStatus } from '../errors.ts';

export interface PullRef {
  readonly number: number;
  readonly url: string;
  readonly created: boolean;
  readonly draft: boolean;
  /** GraphQL id, to mark a draft ready. */
  readonly nodeId: string;
}

export interface PullRequestSpec {
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly draft: boolean;
}

/** The open PR from `head` into `base` in this repository, if any. */
export async function findOpenPull(gh: GitHub, repo: RepoRef, head: string, base: string): Promise<PullRef | null> {
  const { data } = await gh.rest.pulls.list({
    ...repo,
    head: `${repo.owner}:${head}`,
    base,
    state: 'open',
    per_page: 1,
  });
  const pr = data[0];
  return pr ? { number: pr.number, url: pr.html_url, created: false, draft: !!pr.draft, nodeId: pr.node_id } : null;
}

/** Opens the PR for the branch, or reuses the open one. */
export async function ensurePullRequest(gh: GitHub, repo: RepoRef, spec: PullRequestSpec): Promise<PullRef> {
  const existing = await findOpenPull(gh, repo, spec.head, spec.base);
  if (existing) return existing;
  try {
    // GitHub refuses a body over 65536 characters; the summary in it comes from the model.
    const body = spec.body.length > 65_000 ? `${spec.body.slice(0, 65_000)}\n\n…` : spec.body;
    const { data } = await gh.rest.pulls.create({ ...repo, ...spec, body });
    return { number: data.number, url: data.html_url, created: true, draft: !!data.draft, nodeId: data.node_id };
  } catch (e) {
    const status = httpStatus(e);
    const message = errorMessage(e);
    if (status === 422 && spec.draft && /draft/i.test(message)) {
      // Draft pull requests are not available on this plan for private repositories: open it ready instead.
      return ensurePullRequest(gh, repo, { ...spec, draft: false });
    }
    if (status === 422 && /already exists/i.test(message)) {
      // Created by an earlier attempt whose answer we lost.
      const again = await findOpenPull(gh, repo, spec.head, spec.base);
      if (again) return again;
    }
    if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
      throw new UserError(
        'GitHub Actions may not open pull requests in this repository. Enable "Allow GitHub Actions to create and approve pull requests" in Settings → Actions → General, use a GitHub App token, or set create-pr: false.',
      );
    }
    throw e;
  }
}

export const MARK_READY_FOR_REVIEW =
  'mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }';

/** Marks a draft PR ready for review: the work it holds is now COMPLETE. REST cannot do this; GraphQL can. */
export async function markReadyForReview(gh: GitHub, pr: PullRef): Promise<void> {
  await gh.graphql(MARK_READY_FOR_REVIEW, { id: pr.nodeId });
}
