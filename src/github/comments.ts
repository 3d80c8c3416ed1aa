import type { GitHub, RepoRef } from './client.ts';
import { COMMENT_MARKER } from '../constants.ts';

export interface PostedComment {
  readonly id: number;
  readonly url: string;
}

/** The hidden marker that identifies one of our comments: its kind and the key that makes it unique. */
export function marker(kind: string, key: string): string {
  return `${COMMENT_MARKER} ${kind}=${key} -->`;
}

/** Finds our comment with this marker on the issue or PR (a re-run of the same event finds it again). */
export async function findComment(gh: GitHub, repo: RepoRef, issue: number, mark: string): Promise<PostedComment | null> {
  for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 })) {
    const hit = page.data.find((c) => c.body?.includes(mark));
    if (hit) return { id: hit.id, url: hit.html_url };
  }
  return null;
}

/** Creates the comment carrying `mark`, or updates it if it exists (idempotent across retries and re-runs). */
export async function upsertComment(
  gh: GitHub,
  repo: RepoRef,
  issue: number,
  mark: string,
  body: string,
  known?: PostedComment | null,
): Promise<PostedComment> {
  const full = `${body}\n\n${mark}`;
  const existing = known ?? (await findComment(gh, repo, issue, mark));
  if (existing) {
    try {
      const { data } = await gh.rest.issues.updateComment({ ...repo, comment_id: existing.id, body: full });
      return { id: data.id, url: data.html_url };
    } catch (e) {
      // Deleted by a human meanwhile: post it again rather than lose the report.
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }
  const { data } = await gh.rest.issues.createComment({ ...repo, issue_number: issue, body: full });
  return { id: data.id, url: data.html_url };
}
