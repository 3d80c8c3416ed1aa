import type { Status } from '../constants.ts';
import type { GitHub, RepoRef } from './client.ts';
import { createOnce, NO_RETRY } from './create-once.ts';

const CONCLUSION: Record<Status, 'success' | 'neutral' | 'failure'> = {
  COMPLETE: 'success',
  WAITING: 'neutral',
  BLOCKED: 'failure',
  ERROR: 'failure',
};

/** A completed check run named after the agent on the head commit, so branch protection can require it. */
export async function reportCheckRun(
  gh: GitHub,
  repo: RepoRef,
  p: {
    name: string;
    sha: string;
    status: Status;
    failOn: readonly Status[];
    title: string;
    summary: string;
    detailsUrl: string;
  },
): Promise<number> {
  const conclusion = p.failOn.includes(p.status)
    ? 'failure'
    : CONCLUSION[p.status] === 'failure'
      ? 'neutral'
      : CONCLUSION[p.status];
  const fields = {
    status: 'completed',
    conclusion,
    details_url: p.detailsUrl,
    output: { title: p.title.slice(0, 255), summary: p.summary.slice(0, 65_000) },
  } as const;
  return createOnce(
    async () =>
      (await gh.rest.checks.create({ ...repo, name: p.name, head_sha: p.sha, ...fields, request: NO_RETRY })).data.id,
    async () => {
      // A create whose answer was lost: the run is there, named after the agent, on this commit. Make it ours.
      const { data } = await gh.rest.checks.listForRef({
        ...repo,
        ref: p.sha,
        check_name: p.name,
        filter: 'latest',
        per_page: 1,
      });
      const run = data.check_runs.find((r) => r.head_sha === p.sha);
      if (!run) return null;
      await gh.rest.checks.update({ ...repo, check_run_id: run.id, ...fields });
      return run.id;
    },
  );
}
