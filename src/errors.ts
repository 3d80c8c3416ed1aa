/**
 * An error caused by input the user controls (an input, an agent file, the event, a repository setting).
 * Its message is shown as is — one or two sentences saying what was wrong and what to do — never with a stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Message of any thrown value, for logs and results. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Why a signal was aborted, as an Error (AbortSignal.reason may be any value). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  if (r instanceof Error) return r;
  return new Error(typeof r === 'string' ? r : r === undefined ? 'aborted' : JSON.stringify(r));
}

/** The HTTP status of an Octokit/fetch error (RequestError has `status`), or undefined. */
export function httpStatus(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
