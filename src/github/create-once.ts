/**
 * A create (POST) that must not happen twice. GitHub can apply a write and still answer 5xx, or the connection can
 * drop after it: a blind retry (what plugin-retry does) then makes a second comment or check run. So the create is
 * sent without the plugin's retries, and after a transient failure the caller's `find` looks for what the lost
 * answer would have returned before the create is sent again.
 */
import { httpStatus } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** Per-request option that turns plugin-retry off for one call (its rate-limit handling stays). */
export const NO_RETRY = { retries: 0 } as const;

const ATTEMPTS = 3;

function isTransient(e: unknown): boolean {
  const status = httpStatus(e);
  // octokit reports a network failure as status 500; 408/429/5xx are GitHub's "try again".
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

export async function createOnce<T>(
  create: () => Promise<T>,
  find: () => Promise<T | null>,
  delayMs = 1_000,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (e) {
      if (attempt >= ATTEMPTS || !isTransient(e)) throw e;
      await sleep(delayMs * attempt);
      const found = await find().catch(() => null);
      if (found) return found;
    }
  }
}
