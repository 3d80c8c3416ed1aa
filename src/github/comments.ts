import type { GitHub, RepoRef } from './client.ts';
import { COMMENT_MARKER } from '../constants.ts';
import { httpStatus } from '../errors.ts';
import { createOnce, NO_RETRY } from './create-once.ts';

/** GitHub refuses a comment body longer than this (422 "body is too long"). */
export const MAX_COMMENT_CHARS = 65_536;
const CUT_NOTE = "_The rest of this report was cut to fit GitHub's comment size limit; the job summary and the run log have all of it._";

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
  const full = fitComment(body, mark);
  const existing = known ?? (await findComment(gh, repo, issue, mark));
  if (existing) {
    try {
      const { data } = await gh.rest.issues.updateComment({ ...repo, comment_id: existing.id, body: full });
      return { id: data.id, url: data.html_url };
    } catch (e) {
      // Deleted by a human meanwhile: post it again rather than lose the report.
      if (httpStatus(e) !== 404) throw e;
    }
  }
  return createOnce(
    async () => {
      const { data } = await gh.rest.issues.createComment({ ...repo, issue_number: issue, body: full, request: NO_RETRY });
      return { id: data.id, url: data.html_url };
    },
    () => findComment(gh, repo, issue, mark),
  );
}

/**
 * The body and its marker within GitHub's limit: a long report (thousands of files) is cut, any code fence left
 * open is closed so the STATUS block still renders, and the marker is always kept (it is how the comment is found).
 */
export function fitComment(body: string, mark: string): string {
  const full = `${body}\n\n${mark}`;
  if (full.length <= MAX_COMMENT_CHARS) return full;
  let kept = body.slice(0, MAX_COMMENT_CHARS - mark.length - CUT_NOTE.length - 200);
  kept = kept.slice(0, Math.max(0, kept.lastIndexOf('\n')));
  let open: string | undefined;
  for (const m of kept.matchAll(/^(`{3,})/gm)) {
    if (!open) open = m[1];
    else if (m[1]!.length >= open.length) open = undefined;
  }
  return `${kept}\n${open ? `${open}\n` : ''}\n${CUT_NOTE}\n\n${mark}`;
}

export interface ThreadComment {
  readonly id: number;
  readonly author: string;
  readonly body: string;
}

/** The thread's comments, oldest first, at most the newest 50; our progress checklists are noise and left out. */
export async function listThread(gh: GitHub, repo: RepoRef, issue: number): Promise<ThreadComment[]> {
  const out: ThreadComment[] = [];
  for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 })) {
    for (const c of page.data) {
      // Progress checklists are noise; a progress comment that became a STATUS report is history the agent needs.
      if (c.body?.includes(`${COMMENT_MARKER} progress=`) && !/^STATUS:/m.test(c.body)) continue;
      out.push({ id: c.id, author: c.user?.login ?? 'ghost', body: c.body ?? '' });
    }
    if (out.length > 50) out.splice(0, out.length - 50);
  }
  return out;
}
