// Commits made by GitHub itself: GraphQL `createCommitOnBranch` appends a commit to a branch and GitHub signs it
// (shown "Verified"), which a `git push` from the runner never is. `expectedHeadOid` is an optimistic lock: the
// commit lands only if the branch still points where the caller last saw it.
import { errorMessage, httpStatus } from '../errors.ts';
import type { GitHub, RepoRef } from './client.ts';

export interface FileChanges {
  readonly additions: ReadonlyArray<{ readonly path: string; readonly contents: string }>;
  readonly deletions: ReadonlyArray<{ readonly path: string }>;
}

export interface CommitOnBranch {
  /** owner/name */
  readonly repositoryNameWithOwner: string;
  readonly branchName: string;
  readonly expectedHeadOid: string;
  readonly headline: string;
  readonly body: string;
  readonly fileChanges: FileChanges;
}

export interface ApiCommit {
  readonly oid: string;
  readonly url: string;
}

export const CREATE_COMMIT_ON_BRANCH = `mutation CreateCommitOnBranch($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) {
    commit { oid url }
  }
}`;

/** Appends one commit with these file changes to the branch; throws as GitHub answers (see commitFailure). */
export async function createCommitOnBranch(gh: GitHub, c: CommitOnBranch): Promise<ApiCommit> {
  const { headline, body, ...rest } = c;
  const data = await gh.graphql<{ createCommitOnBranch: { commit: ApiCommit | null } | null }>(
    CREATE_COMMIT_ON_BRANCH,
    {
      input: {
        branch: { repositoryNameWithOwner: rest.repositoryNameWithOwner, branchName: rest.branchName },
        expectedHeadOid: rest.expectedHeadOid,
        message: body ? { headline, body } : { headline },
        fileChanges: rest.fileChanges,
      },
    },
  );
  const commit = data.createCommitOnBranch?.commit;
  if (!commit) throw new Error('GitHub answered createCommitOnBranch without a commit');
  return commit;
}

/**
 * Creates `refs/heads/<branch>` at `sha` (REST `git/refs`). 'exists' when the branch is already there: someone
 * (or an earlier attempt whose answer was lost) created it meanwhile.
 */
export async function createBranch(
  gh: GitHub,
  repo: RepoRef,
  branch: string,
  sha: string,
): Promise<'created' | 'exists'> {
  try {
    await gh.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha });
    return 'created';
  } catch (e) {
    if (httpStatus(e) === 422 && /already exists/i.test(errorMessage(e))) return 'exists';
    throw e;
  }
}

/** What a failed API commit means for the caller. */
export type CommitFailure =
  /** The branch moved: refetch and retry. */
  | { readonly kind: 'stale' }
  /** The token or a rule forbids the commit; a `git push` would meet the same refusal. `what` names it. */
  | { readonly kind: 'refused'; readonly what: string }
  /** This GitHub cannot take the commit through the API (no such mutation, an outage): `git push` may still work. */
  | { readonly kind: 'unavailable'; readonly reason: string };

interface GraphqlErrorEntry {
  readonly type?: string;
  readonly message?: string;
}

function graphqlErrors(e: unknown): GraphqlErrorEntry[] {
  const errors = (e as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as GraphqlErrorEntry[]) : [];
}

/** Reads a failed createCommitOnBranch (or the branch creation before it) the way the caller must act on it. */
export function commitFailure(e: unknown): CommitFailure {
  const entries = graphqlErrors(e);
  const messages = entries.map((x) => x.message ?? '').filter(Boolean);
  const text = messages.join(' ') || errorMessage(e);
  const status = httpStatus(e);
  if (entries.some((x) => x.type === 'STALE_DATA') || /expected branch to point to/i.test(text))
    return { kind: 'stale' };
  if (/rule violation|repository rule|protected branch|GH013|GH006/i.test(text))
    return { kind: 'refused', what: `a rule on the branch rejected the commit: ${firstLines(text)}` };
  if (
    entries.some((x) => x.type === 'FORBIDDEN') ||
    status === 403 ||
    /resource not accessible by (integration|personal access token)|must have (write|push) access/i.test(text)
  )
    return {
      kind: 'refused',
      what: `the token may not write to the repository (it needs the contents: write permission): ${firstLines(text)}`,
    };
  // A GHES release from before the mutation answers with a schema error naming it.
  if (/doesn't exist on type 'Mutation'/i.test(text))
    return { kind: 'unavailable', reason: `this GitHub does not offer createCommitOnBranch (${firstLines(text)})` };
  if (status === 404) return { kind: 'unavailable', reason: "this GitHub's GraphQL API was not found" };
  return { kind: 'unavailable', reason: `GitHub's commit API failed: ${firstLines(text)}` };
}

function firstLines(text: string): string {
  const t = text.replace(/^Request failed due to following response errors:\s*-?\s*/i, '').replace(/\s+/g, ' ');
  return t.length > 300 ? `${t.slice(0, 300)}…` : t.trim();
}
