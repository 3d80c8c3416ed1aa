import type { Status } from '../constants.ts';
import type { GitHub, RepoRef } from './client.ts';

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
  p: { name: string; sha: string; status: Status; failOn: readonly Status[]; title: string; summary: string; detailsUrl: string },
): Promise<number> {
  const conclusion = p.failOn.includes(p.status) ? 'failure' : CONCLUSION[p.status] === 'failure' ? 'neutral' : CONCLUSION[p.status];
  const { data } = await gh.rest.checks.create({
    ...repo,
    name: p.name,
    head_sha: p.sha,
    status: 'completed',
    conclusion,
    details_url: p.detailsUrl,
    output: { title: p.title.slice(0, 255), summary: p.summary.slice(0, 65_000) },
  });
  return data.id;
}
