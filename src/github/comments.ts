import type { GitHub, RepoRef } from './client.ts';
import { COMMENT_MARKER } from '../constants.ts';
import { httpStatus } from '../errors.ts';
import { createOnce, NO_RETRY } from './create-once.ts';

/** GitHub refuses a comment body longer than this (422 "body is too long"). */
export const MAX_COMMENT_CHARS = 65_536;
const CUT_NOTE =
  "_The rest of this report was cut to fit GitHub's comment size limit; the job summary and the run log have all of it._";

export interface PostedComment {
  readonly id: number;
  readonly url: string;
}

/** An account as GitHub's answers carry it (`user` of a comment or reaction; null for a deleted account). */
export interface Account {
  readonly login: string;
  readonly id: number;
}

/** A comment as listed by GitHub: only what ownership and the thread need. */
interface ListedComment {
  readonly id: number;
  readonly html_url: string;
  readonly body?: string | null;
  readonly user: Account | null;
}

/**
 * Who the action posts as. The marker in a comment proves nothing (anyone who may comment can type it), so a
 * comment is ours only when it carries the marker AND was written by this account. The token cannot say who it is
 * (`GET /user` refuses GITHUB_TOKEN and app installation tokens), so the account is learnt from the answer to the
 * action's first write: the 'eyes' reaction on the command, else the first comment it creates. Until a write has
 * answered, nothing on GitHub counts as ours and a new comment is posted (a duplicate at worst, never a takeover).
 */
export class Identity {
  #me: Account | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  readonly #warned = new Set<number>();
  readonly #warn: (message: string) => void;

  constructor(warn: (message: string) => void = () => {}) {
    this.#warn = warn;
  }

  /** The account of the first write that answered; later answers cannot change it. */
  learn(user: Account | null | undefined): void {
    if (!this.#me && user && typeof user.id === 'number' && user.login) this.#me = { login: user.login, id: user.id };
  }

  /** A write whose answer names us (its `data.user`); lookups wait for it to settle before judging ownership. */
  learnFrom<T extends { data: { user?: Account | null } }>(write: Promise<T>): Promise<T> {
    const learnt = write.then((r) => (this.learn(r.data.user), r));
    this.#pending = Promise.all([this.#pending, learnt.catch(() => {})]);
    return learnt;
  }

  /** Our account; until it is known, waits for the writes in flight to answer. Undefined when none succeeded. */
  async known(): Promise<Account | undefined> {
    if (this.#me) return this.#me;
    await this.#pending;
    return this.#me;
  }

  /** The account as known right now (synchronous; see {@link known}). */
  get current(): Account | undefined {
    return this.#me;
  }

  /**
   * Is this comment ours? Matched on the account id (a login can be renamed, an id is never reused). A comment that
   * carries our marker but is not ours is reported once per run, naming its author: someone tried to pass as us.
   */
  owns(c: ListedComment, me: Account | undefined): boolean {
    if (me && c.user?.id === me.id) return true;
    if (!this.#warned.has(c.id) && c.body?.includes(COMMENT_MARKER)) {
      this.#warned.add(c.id);
      const author = c.user ? `@${c.user.login}` : 'a deleted account';
      const where = `comment ${c.html_url} by ${author}`;
      this.#warn(
        me
          ? `Ignoring ${where}: it carries this action's hidden marker but was not written by this action ` +
              `(@${me.login}). It is left untouched and never counted as the action's own.`
          : `Ignoring ${where}: it carries this action's hidden marker, but no write of this run has answered yet ` +
              '(the reaction failed, or none was made), so the run cannot tell whether the comment is its own. It ' +
              'is left untouched and a new comment is posted.',
      );
    }
    return false;
  }
}

/** The hidden marker that identifies one of our comments: its kind and the key that makes it unique. */
export function marker(kind: string, key: string): string {
  return `${COMMENT_MARKER} ${kind}=${key} -->`;
}

/**
 * Finds OUR comment with this marker on the issue or PR (a re-run of the same event finds it again). A comment with
 * the marker written by anyone else is skipped with a warning: updating it would put our report in a comment its
 * author can rewrite afterwards. The listing goes out while the identity-revealing write is still in flight.
 */
export async function findComment(
  gh: GitHub,
  repo: RepoRef,
  issue: number,
  mark: string,
  me: Identity,
): Promise<PostedComment | null> {
  const [who, marked] = await Promise.all([me.known(), listMarked(gh, repo, issue, mark)]);
  for (const c of marked) if (me.owns(c, who)) return { id: c.id, url: c.html_url };
  return null;
}

async function listMarked(gh: GitHub, repo: RepoRef, issue: number, mark: string): Promise<ListedComment[]> {
  const out: ListedComment[] = [];
  const pages = gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  for await (const page of pages) {
    out.push(...page.data.filter((c) => c.body?.includes(mark)));
  }
  return out;
}

export interface ThreadComment {
  readonly id: number;
  readonly author: string;
  readonly body: string;
}

/**
 * The thread's comments, oldest first, bounded to the newest 50. Our own progress checklists are noise and left
 * out (a progress comment that became a STATUS report is history the agent needs). Only OUR comments are left out:
 * a comment by anyone else is thread content whatever markers it carries, shown under its real author, so a marker
 * can neither hide someone's words from the agent nor make them pass as the action's.
 */
export async function listThread(gh: GitHub, repo: RepoRef, issue: number, me: Identity): Promise<ThreadComment[]> {
  const who = await me.known();
  const progress = `${COMMENT_MARKER} progress=`;
  const out: ThreadComment[] = [];
  const pages = gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  for await (const page of pages) {
    for (const c of page.data) {
      if (c.body?.includes(progress) && !/^STATUS:/m.test(c.body) && me.owns(c, who)) continue;
      out.push({ id: c.id, author: c.user?.login ?? 'ghost', body: c.body ?? '' });
    }
    if (out.length > 50) out.splice(0, out.length - 50);
  }
  return out;
}

/**
 * Creates our comment carrying `mark`, or updates it if it exists (idempotent across retries and re-runs). `known`
 * is a comment already found or created as ours; a marked comment by anyone else is never updated.
 */
export async function upsertComment(
  gh: GitHub,
  repo: RepoRef,
  issue: number,
  mark: string,
  body: string,
  me: Identity,
  known?: PostedComment | null,
): Promise<PostedComment> {
  const full = fitComment(body, mark);
  const existing = known ?? (await findComment(gh, repo, issue, mark, me));
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
      const create = gh.rest.issues.createComment({ ...repo, issue_number: issue, body: full, request: NO_RETRY });
      const { data } = await me.learnFrom(create);
      return { id: data.id, url: data.html_url };
    },
    () => findComment(gh, repo, issue, mark, me),
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
